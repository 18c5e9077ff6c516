import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { openToOthers, PRIVATE_FILE_MODE } from '../file-modes.ts';
import { makePrivateFoldersSync } from '../folders.ts';
import { type Place, unwritable } from '../unwritable.ts';
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
 * A key file, for a message that says why s2s cannot read or make it (unwritable.ts): MASTER_KEY_FILE,
 * or one of MASTER_KEY_PREVIOUS_FILES.
 */
function keyFile(path: string, access: Place['access'], previous = false): Place {
  return previous
    ? {
        what: 'The previous master key file',
        path,
        kind: 'file',
        access,
        setting: 'MASTER_KEY_PREVIOUS_FILES',
        loss: 'it cannot be read',
        otherwise: 'take it out of MASTER_KEY_PREVIOUS_FILES and give the key in MASTER_KEY_PREVIOUS',
      }
    : {
        what: 'The master key file',
        path,
        kind: 'file',
        access,
        setting: 'MASTER_KEY_FILE',
        loss: 'no master key can be made',
        otherwise: 'set MASTER_KEY_FILE to another file, or give the key in MASTER_KEY',
      };
}

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
      const text = readKeyFile(file, true);
      if (text === undefined) throw new MasterKeyError(`MASTER_KEY_PREVIOUS_FILES: ${file} does not exist`);
      return keyFromBase64(text, `MASTER_KEY_PREVIOUS_FILES: ${file}`);
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

/**
 * A key file's text, or undefined when there is no such file. One other users could read is refused: with
 * the key, a copy of the stored files (or a backup) can be read.
 */
function readKeyFile(file: string, previous = false): string | undefined {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new MasterKeyError(unwritable(keyFile(file, 'read', previous), error).message);
  }
  if (openToOthers(mode)) {
    throw new MasterKeyError(
      `The master key file ${file} can be read by other users (mode ${(mode & 0o777).toString(8)}). Run: chmod 600 ${file}`,
    );
  }
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new MasterKeyError(unwritable(keyFile(file, 'read', previous), error).message);
  }
}

function loadCurrentKey(settings: MasterKeySettings): { key: MasterKey; generated: boolean } {
  if (settings.value) return { key: keyFromBase64(settings.value, 'MASTER_KEY'), generated: false };
  let text = readKeyFile(settings.file);
  if (text === undefined) {
    if (!settings.mayGenerate) {
      throw new MasterKeyError(
        `No master key: set MASTER_KEY, or put a key in ${settings.file}, readable by this user alone (create one with: umask 077; openssl rand -base64 32 > ${settings.file}). ` +
          'Keep a copy somewhere safe: without it no stored file can be read.',
      );
    }
    const key = MasterKey.generate();
    try {
      makePrivateFoldersSync(dirname(settings.file));
      writeFileSync(settings.file, `${key.toBase64()}\n`, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
      return { key, generated: true };
    } catch (error) {
      const { code, syscall } = error as NodeJS.ErrnoException;
      if (code !== 'EEXIST' || syscall !== 'open') {
        // Created, but not written (a full disk): an empty file would be taken for a broken key at the
        // next start.
        if (syscall === 'write') rmSync(settings.file, { force: true });
        throw new MasterKeyError(unwritable(keyFile(settings.file, 'write'), error).message);
      }
      // Another process starting at the same moment created it first: use theirs.
      text = readKeyFile(settings.file) ?? '';
    }
  }
  return { key: keyFromBase64(text, `The master key file ${settings.file}`), generated: false };
}
