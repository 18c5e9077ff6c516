// Where `s2s-client` finds the service, the token and its timeout: flags (--url, --token, --timeout) over
// the environment (S2S_URL, S2S_TOKEN, S2S_TIMEOUT) over a config file (--config FILE, else
// ~/.s2s-client.json) holding {url, token, timeout}. A config file others may read is refused: it holds
// a token. No message here contains the token.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { openToOthers } from '../platform/file-modes.ts';
import { type ClientSettings, DEFAULT_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS } from './api.ts';

/** The client cannot start: the settings are missing or unsafe. Exit 3. */
export class ClientConfigError extends Error {}

export interface ConfigSources {
  flags: { url?: string; token?: string; timeout?: string; config?: string };
  env: Record<string, string | undefined>;
  /** The home folder, for ~/.s2s-client.json. */
  home: string;
}

export const DEFAULT_CONFIG_NAME = '.s2s-client.json';

interface ConfigFile {
  url?: string;
  token?: string;
  /** As written: checked only if neither the flag nor the environment gives one. */
  timeout?: unknown;
}

async function readConfigFile(path: string, required: boolean): Promise<ConfigFile> {
  let mode: number;
  try {
    mode = (await stat(path)).mode;
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ClientConfigError(
      `Cannot read the config file ${path}: ${(error as NodeJS.ErrnoException).code}.`,
    );
  }
  if (openToOthers(mode)) {
    throw new ClientConfigError(
      `The config file ${path} can be read by other users (mode ${(mode & 0o777).toString(8)}), and it holds an API token. Run: chmod 600 ${path}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch {
    throw new ClientConfigError(`The config file ${path} is not JSON like {"url": "...", "token": "..."}.`);
  }
  if (!parsed || typeof parsed !== 'object') {
    throw new ClientConfigError(`The config file ${path} is not JSON like {"url": "...", "token": "..."}.`);
  }
  const { url, token, timeout } = parsed as Record<string, unknown>;
  return {
    ...(typeof url === 'string' ? { url } : {}),
    ...(typeof token === 'string' ? { token } : {}),
    ...(timeout !== undefined ? { timeout } : {}),
  };
}

/** The timeout `given` in seconds, or a ClientConfigError naming the setting and what to give. */
function timeoutSeconds(given: unknown, setting: string): number {
  const seconds =
    typeof given === 'number'
      ? given
      : typeof given === 'string' && /^\s*\d+\s*$/.test(given)
        ? Number(given)
        : Number.NaN;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_TIMEOUT_SECONDS) {
    throw new ClientConfigError(
      `${setting} must be a whole number of seconds from 1 to ${MAX_TIMEOUT_SECONDS}: how long to wait for the service to answer, or for a transfer that stopped moving to move again (${DEFAULT_TIMEOUT_SECONDS} if not set).`,
    );
  }
  return seconds;
}

export async function loadClientSettings(sources: ConfigSources): Promise<ClientSettings> {
  const path = sources.flags.config ?? join(sources.home, DEFAULT_CONFIG_NAME);
  const file = await readConfigFile(path, sources.flags.config !== undefined);
  const pick = (...values: (string | undefined)[]) => values.find((v) => v !== undefined && v !== '');
  const url = pick(sources.flags.url, sources.env.S2S_URL, file.url);
  const token = pick(sources.flags.token, sources.env.S2S_TOKEN, file.token);
  if (!url) {
    throw new ClientConfigError(
      'No service address: set S2S_URL (e.g. https://s2s.example.org), or "url" in ~/.s2s-client.json.',
    );
  }
  if (!/^https?:\/\//.test(url))
    throw new ClientConfigError(`The service address must start with https:// (${url}).`);
  if (!token) {
    throw new ClientConfigError(
      'No API token: set S2S_TOKEN, or "token" in ~/.s2s-client.json (chmod 600). Make one under API tokens in s2s.',
    );
  }
  const timeout =
    sources.flags.timeout !== undefined && sources.flags.timeout !== ''
      ? timeoutSeconds(sources.flags.timeout, '--timeout')
      : sources.env.S2S_TIMEOUT !== undefined && sources.env.S2S_TIMEOUT !== ''
        ? timeoutSeconds(sources.env.S2S_TIMEOUT, 'S2S_TIMEOUT')
        : file.timeout !== undefined
          ? timeoutSeconds(file.timeout, `"timeout" in ${path}`)
          : DEFAULT_TIMEOUT_SECONDS;
  return { url, token, timeout };
}
