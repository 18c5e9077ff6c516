// TOTP secrets and recovery codes: how they are made, sealed and checked. No database, no HTTP.
import { createCipheriv, createDecipheriv, createHash, randomBytes, randomInt } from 'node:crypto';
import { generate, generateSecret, generateURI, verify } from 'otplib';
import { newDataKey } from '../platform/storage/envelope.ts';
import type { MasterKeyring } from '../platform/storage/keyring.ts';

/** RFC 6238 as every authenticator app reads it: SHA-1, 6 digits, 30-second steps. */
export const TOTP_PERIOD_SECONDS = 30;
/** The issuer shown in authenticator apps beside the username. */
export const TOTP_ISSUER = 's2s';

/**
 * A sealed TOTP secret: envelope encryption as for stored files (platform/storage/envelope.ts). The
 * secret has its own random data key, wrapped by the master key; the secret is sealed with AES-256-GCM
 * under the data key, with the user's id as additional data, so a sealed secret copied to another
 * user's row does not open.
 */
export interface SealedSecret {
  ciphertext: string;
  wrappedKey: string;
  masterKeyId: string;
}

const aadFor = (userId: string) => Buffer.from(`s2s-totp-secret:${userId}`);

export function sealSecret(keyring: MasterKeyring, userId: string, secret: string): SealedSecret {
  const dataKey = newDataKey();
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', dataKey, nonce);
  cipher.setAAD(aadFor(userId));
  const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return {
    ciphertext: Buffer.concat([nonce, cipher.getAuthTag(), sealed]).toString('base64'),
    ...keyring.wrap(dataKey),
  };
}

export function openSecret(keyring: MasterKeyring, userId: string, sealed: SealedSecret): string {
  const dataKey = keyring.unwrap(sealed);
  const bytes = Buffer.from(sealed.ciphertext, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', dataKey, bytes.subarray(0, 12));
  decipher.setAAD(aadFor(userId));
  decipher.setAuthTag(bytes.subarray(12, 28));
  return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
}

/** A new secret: 20 random bytes (160 bits, RFC 4226's recommendation), base32 as apps expect. */
export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

/** The otpauth:// address the QR code holds. */
export function totpUri(username: string, secret: string): string {
  return generateURI({ issuer: TOTP_ISSUER, label: username, secret, period: TOTP_PERIOD_SECONDS });
}

export function timeStepAt(at: Date): number {
  return Math.floor(at.getTime() / 1000 / TOTP_PERIOD_SECONDS);
}

/** The code an app shows at this time (tests and the demo use it). */
export function totpCodeAt(secret: string, at: Date): Promise<string> {
  return generate({ secret, epoch: Math.floor(at.getTime() / 1000), period: TOTP_PERIOD_SECONDS });
}

/** What the user typed, as a 6-digit code, or null when it cannot be one. Spaces and dashes are ignored. */
export function normaliseTotpCode(input: string): string | null {
  const code = input.replace(/[\s-]/g, '');
  return /^\d{6}$/.test(code) ? code : null;
}

/**
 * The time step of the code if it is right now, one step before or one step after (a phone's clock a
 * little out), and later than `afterStep` (a code already used, or an earlier one, is refused).
 */
export async function matchTotpCode(
  secret: string,
  code: string,
  at: Date,
  afterStep: number | null,
): Promise<number | null> {
  const result = await verify({
    secret,
    token: code,
    epoch: Math.floor(at.getTime() / 1000),
    period: TOTP_PERIOD_SECONDS,
    epochTolerance: TOTP_PERIOD_SECONDS,
    ...(afterStep === null ? {} : { afterTimeStep: afterStep }),
  });
  return result.valid && 'timeStep' in result ? result.timeStep : null;
}

/** Recovery codes: 16 characters of Crockford's base32 (80 random bits), shown as four groups of four. */
const RECOVERY_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
export const RECOVERY_CODE_COUNT = 10;

export function newRecoveryCode(): string {
  let code = '';
  for (let i = 0; i < 16; i += 1) code += RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)];
  return code.match(/.{4}/g)?.join('-') ?? code;
}

/**
 * What the user typed, as the 16 characters that were hashed, or null when it cannot be a recovery code.
 * Case, spaces and dashes do not matter; letters easily mistaken for digits are read as those digits.
 */
export function normaliseRecoveryCode(input: string): string | null {
  const code = input.toLowerCase().replace(/[\s-]/g, '').replace(/[il]/g, '1').replace(/o/g, '0');
  if (code.length !== 16) return null;
  for (const character of code) if (!RECOVERY_ALPHABET.includes(character)) return null;
  return code;
}

/** SHA-256 suffices for 80 random bits (docs/decisions.md): it lets a code be found by its hash. */
export function hashRecoveryCode(normalised: string): string {
  return createHash('sha256').update(`s2s-recovery-code:${normalised}`).digest('hex');
}
