// One side of a forced interleaving waits at a point until the other says it may go on.

export interface Signal {
  /** Resolves once `fire` has been called. */
  readonly fired: Promise<void>;
  fire(): void;
}

export function signal(): Signal {
  let fire: () => void = () => {};
  const fired = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return { fired, fire };
}
