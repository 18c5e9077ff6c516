import { hash, verify } from '@node-rs/argon2';

// argon2id with the OWASP Password Storage Cheat Sheet minimum: 19 MiB memory, 2 iterations, 1 lane.
// (Algorithm is a const enum in the typings; 2 is Argon2id.)
const ARGON2ID = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/**
 * The form of a password that is hashed and compared: NFKC, as NIST SP 800-63B asks, so that the same
 * characters typed on another device or keyboard (which may send "á" as one code point or as "a" and an
 * accent) are the same password.
 */
export function canonicalPassword(password: string): string {
  return password.normalize('NFKC');
}

export function hashPassword(password: string): Promise<string> {
  return hash(canonicalPassword(password), ARGON2ID);
}

export async function verifyPassword(storedHash: string, password: string): Promise<boolean> {
  const canonical = canonicalPassword(password);
  try {
    if (await verify(storedHash, canonical)) return true;
    // A hash made before passwords were normalised is of the password as it was typed then.
    return canonical !== password && (await verify(storedHash, password));
  } catch {
    return false;
  }
}

/**
 * A real hash of a random password, verified against when the username is unknown so that a wrong
 * username takes as long as a wrong password (no user enumeration by timing).
 */
let decoyHash: Promise<string> | undefined;
export function decoyPasswordHash(): Promise<string> {
  decoyHash ??= hashPassword(`decoy-${Math.random()}-${Date.now()}`);
  return decoyHash;
}
