import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { MasterKey } from './envelope.ts';

export interface MasterKeySettings {
  /** Base64 of 32 bytes, e.g. from a secrets manager; takes precedence over the file. */
  value?: string;
  file: string;
  /** Outside production a missing key file is created, so a newcomer's `npm start` just works. */
  mayGenerate: boolean;
}

export class MasterKeyError extends Error {}

/** Loads the master key that wraps every file's data key. Without it no stored file can be read. */
export function loadMasterKey(settings: MasterKeySettings): { key: MasterKey; generated: boolean } {
  if (settings.value) {
    const bytes = Buffer.from(settings.value, 'base64');
    if (bytes.length !== 32)
      throw new MasterKeyError('MASTER_KEY must be 32 bytes, base64-encoded (44 characters)');
    return { key: new MasterKey(bytes), generated: false };
  }
  let text: string | undefined;
  try {
    text = readFileSync(settings.file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text === undefined) {
    if (!settings.mayGenerate) {
      throw new MasterKeyError(
        `No master key: set MASTER_KEY, or put a key in ${settings.file} (create one with: openssl rand -base64 32). ` +
          'Keep a copy somewhere safe: without it no stored file can be read.',
      );
    }
    const key = MasterKey.generate();
    mkdirSync(dirname(settings.file), { recursive: true });
    try {
      writeFileSync(settings.file, `${key.toBase64()}\n`, { mode: 0o600, flag: 'wx' });
      return { key, generated: true };
    } catch (error) {
      // Another process starting at the same moment created it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      text = readFileSync(settings.file, 'utf8').trim();
    }
  }
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length !== 32) {
    throw new MasterKeyError(`The master key file ${settings.file} must hold 32 bytes, base64-encoded`);
  }
  return { key: new MasterKey(bytes), generated: false };
}
