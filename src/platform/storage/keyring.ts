// The master keys an instance holds: the current one, which wraps every new data key, and the previous
// ones, kept only to unwrap what they wrapped until `s2s keys rotate` has re-wrapped it under the current
// key (docs/decisions.md, 27). Each wrapped data key is stored beside the id of the key that wrapped it,
// and is unwrapped with that key alone.
import type { MasterKey } from './envelope.ts';

/** A data key wrapped by a master key, and that master key's id (stored side by side). */
export interface WrappedKey {
  wrappedKey: string;
  /** Null only on records that never had a wrapped key (a purged transfer keeps its id, not its key). */
  masterKeyId: string | null;
}

/** A data key was wrapped by a master key this instance is not given. */
export class MissingMasterKeyError extends Error {
  constructor(readonly masterKeyId: string | null) {
    super(
      masterKeyId === null
        ? 'The data key has no master key id beside it: it cannot be unwrapped'
        : `The data key was wrapped by the master key ${masterKeyId}, which is not configured: ` +
            'give it in MASTER_KEY_PREVIOUS or MASTER_KEY_PREVIOUS_FILES (then run s2s keys rotate)',
    );
  }
}

export class MasterKeyring {
  private readonly byId = new Map<string, MasterKey>();

  constructor(
    readonly current: MasterKey,
    previous: readonly MasterKey[] = [],
  ) {
    for (const key of [current, ...previous]) if (!this.byId.has(key.id)) this.byId.set(key.id, key);
  }

  /** The ids of every key held, the current one first. */
  get ids(): string[] {
    return [...this.byId.keys()];
  }

  /** Every key held, the current one first (to derive secrets of other purposes from each). */
  masterKeys(): MasterKey[] {
    return [...this.byId.values()];
  }

  has(masterKeyId: string): boolean {
    return this.byId.has(masterKeyId);
  }

  /** Wraps a data key under the current master key. */
  wrap(dataKey: Buffer): { wrappedKey: string; masterKeyId: string } {
    return { wrappedKey: this.current.wrap(dataKey), masterKeyId: this.current.id };
  }

  /** Unwraps with the key whose id was stored beside the wrapped key; throws MissingMasterKeyError. */
  unwrap(wrapped: WrappedKey): Buffer {
    const key = wrapped.masterKeyId === null ? undefined : this.byId.get(wrapped.masterKeyId);
    if (!key) throw new MissingMasterKeyError(wrapped.masterKeyId);
    return key.unwrap(wrapped.wrappedKey);
  }
}
