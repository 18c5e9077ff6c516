import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { MasterKey } from './envelope.ts';
import { MasterKeyring } from './keyring.ts';

export interface MasterKeySettings {
  /** Base64 of 32 bytes, e.g. from a secrets manager; takes precedence over the file. */
  value?: string;
  file: string;
  /** Outside production a missing key file is created, so a newcomer's `npm start` just works. */
  mayGenerate: boolean;
  /** Keys replaced by the current one, kept to unwrap what they wrapped until `s2s keys rotate`. */
  previous: { values: string[]; files: string[] };
}

export class MasterKeyError extends Error {}

/**
 * Loads the master keys: the current one, which wraps every new data key, and the previous ones. Without
 * the key that wrapped a file's data key the file cannot be read.
 */
export function loadMasterKeyring(settings: MasterKeySettings): {
  keyring: MasterKeyring;
  generated: boolean;
} {
  const { key, generated } = loadCurrentKey(settings);
  const previous = [
    ...settings.previous.values.map((value, index) =>
      keyFromBase64(value, `MASTER_KEY_PREVIOUS: key ${index + 1} of ${settings.previous.values.length}`),
    ),
    ...settings.previous.files.map((file) => {
      try {
        return keyFromBase64(readFileSync(file, 'utf8').trim(), `MASTER_KEY_PREVIOUS_FILES: ${file}`);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        throw new MasterKeyError(`MASTER_KEY_PREVIOUS_FILES: ${file} does not exist`);
      }
    }),
  ];
  return { keyring: new MasterKeyring(key, previous), generated };
}

function keyFromBase64(text: string, where: string): MasterKey {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length !== 32)
    throw new MasterKeyError(`${where} must be 32 bytes, base64-encoded (44 characters)`);
  return new MasterKey(bytes);
}

function loadCurrentKey(settings: MasterKeySettings): { key: MasterKey; generated: boolean } {
  if (settings.value) return { key: keyFromBase64(settings.value, 'MASTER_KEY'), generated: false };
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
  return { key: keyFromBase64(text, `The master key file ${settings.file}`), generated: false };
}
