// The `s2s-client` command: an MIS's side of the REST API (send, fetch, list, status) over HTTP.
// Exit codes: 0 success (a file the service had already received, sent again, included); 1 a file
// refused (by the service, or by the client as not readable), not found, or not saved because its SHA-256 did not match; 2 usage error; 3 the service could
// not be used (not reached, token refused, a fault of its own, nothing moving for the timeout) or the
// settings are missing, unsafe or wrong;
// 4 the service turned the request away for now (busy, or too many requests still after the client waited
// them out: ApiClient, LIMIT_WAITS): the same command works after the wait it gives.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type CommandOutput, parseCommand } from '../platform/cli.ts';
import {
  ApiClient,
  type ApiFile,
  ApiProblem,
  ChecksumMismatch,
  ServiceBusy,
  ServiceError,
  saveVerified,
  sha256Of,
  type UploadResponse,
  type UploadResult,
  writeAtomically,
} from './api.ts';
import { ClientConfigError, loadClientSettings } from './config.ts';

export const CLIENT_USAGE = `Usage: s2s-client <command> [options]

Commands:
  send FILE...                 upload the files, one request each; prints where each went, or why it
                               was refused (a file s2s already has, sent again after a lost answer, is
                               "already received"; one s2s was too busy or at fault to take is "not
                               sent": send it again; a path that cannot be read is refused, the rest
                               sent), then, for several files, how many went each way
  fetch --to DIR [--again]     download every file waiting for you into DIR (SHA-256 checked) and
                               accept the CTFs; a file already fetched into DIR is skipped unless --again,
                               but a CTF whose accept did not go through is accepted (not downloaded again)
  list [--outgoing]            the files waiting for you (or, with --outgoing, those you sent)
  status ID                    one file's details

Options (every command):
  --json                       machine-readable output
  --config FILE                settings file {"url": ..., "token": ..., "timeout": ...} (default
                               ~/.s2s-client.json, which must not be readable by others: chmod 600)
  --url URL                    the service (else S2S_URL, else the settings file)
  --token TOKEN                the API token (else S2S_TOKEN, else the settings file)
  --timeout SECONDS            give up when the service has not begun to answer, or an upload or
                               download has not moved, for this long (else S2S_TIMEOUT, else "timeout"
                               in the settings file, else 60; 1 to 3600): a transfer that keeps moving
                               is never cut off, however long it takes

Exit codes: 0 success, 1 a file refused (or not readable), not found or failing its SHA-256 check,
2 usage error, 3 the service could not be used (not reached, token refused, server fault, an answer not the s2s API's,
no answer or a transfer not moving within the timeout) or the settings are unusable,
4 the service is busy, or still limiting requests after waits of up to a minute: run the command
again after the wait it gives.
`;

const COMMON = {
  json: { type: 'boolean' },
  config: { type: 'string' },
  url: { type: 'string' },
  token: { type: 'string' },
  timeout: { type: 'string' },
} as const;

export interface ClientEnvironment {
  env: Record<string, string | undefined>;
  home: string;
  /** Waits out a token's limit (ApiClient, LimitWaiting): on the real clock unless given. */
  wait?: (seconds: number) => Promise<void>;
}

const processEnvironment = (): ClientEnvironment => ({ env: process.env, home: homedir() });
const realWait = (seconds: number) => new Promise<void>((resolve) => setTimeout(resolve, seconds * 1000));

export const STATE_FILE = '.s2s-client-state.json';

/** A file fetched into the folder, as the state file remembers it. */
interface FetchedFile {
  id: string;
  filename: string;
  savedAs: string;
  at: string;
  /** The SHA-256 of the bytes saved (states written before it was kept have none). */
  sha256?: string;
  /**
   * Whether the service took our accept. False for a file the client does not accept (not a CTF), and for
   * a CTF whose accept was turned away (busy, too many requests, a fault, the network): the next fetch
   * accepts it if it is still waiting. States written before this was kept have none, read as false, so
   * the next fetch asks the service and accepts a CTF of theirs that is still waiting.
   */
  accepted: boolean;
}

interface FetchState {
  fetched: FetchedFile[];
}

async function readState(dir: string): Promise<FetchState> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8')) as { fetched?: unknown };
    const fetched = Array.isArray(parsed.fetched) ? (parsed.fetched as FetchedFile[]) : [];
    return { fetched: fetched.map((f) => ({ ...f, accepted: f.accepted === true })) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { fetched: [] };
    throw new ServiceError(`Cannot read ${join(dir, STATE_FILE)}: ${(error as Error).message}`);
  }
}

function party(file: ApiFile): string {
  const other = file.direction === 'incoming' ? file.source : file.destination;
  const word = file.direction === 'incoming' ? 'from' : 'to';
  return other ? `${word} ${other.name} (${other.code})` : '';
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => `${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd()).join('\n');
}

export async function runClient(
  argv: string[],
  io: CommandOutput,
  environment: ClientEnvironment = processEnvironment(),
): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--help' || command === 'help') {
    io.out(CLIENT_USAGE);
    return 0;
  }
  const spec = { name: 's2s-client', usage: CLIENT_USAGE, io };
  const json = (value: unknown) => io.out(`${JSON.stringify(value, null, 2)}\n`);
  const connect = async (flags: { url?: string; token?: string; timeout?: string; config?: string }) =>
    new ApiClient(await loadClientSettings({ flags, env: environment.env, home: environment.home }), {
      wait: environment.wait ?? realWait,
      notice: (message) => io.err(`s2s-client: ${message}\n`),
    });

  try {
    switch (command) {
      case 'send': {
        const parsed = parseCommand(rest, {
          ...spec,
          options: COMMON,
          positionals: { missing: 'Name the files to send.' },
        });
        if (typeof parsed === 'number') return parsed;
        const asJson = parsed.values.json === true;
        // Connected when the first file that can be read comes: a batch of unreadable paths needs no service.
        const sent = await sendFiles(
          () => connect(parsed.values),
          parsed.positionals,
          (response) => {
            if (!asJson) showUpload(response, io);
          },
        );
        if (asJson) json(sent.report);
        else if (parsed.positionals.length > 1)
          io.out(`${sendSummary(sent.report, parsed.positionals.length)}\n`);
        if (sent.stopped) {
          const { stopped } = sent;
          io.err(
            `s2s-client: ${stopped.message}${stopped instanceof ApiProblem ? ` (${stopped.status})` : ''}\n`,
          );
          const after = sent.report.notSent?.slice(1) ?? [];
          if (after.length > 0) {
            io.err(`s2s-client: The files after it were not sent either: ${after.join(', ')}.\n`);
          }
        }
        const { results, warning } = sent.report;
        // A refusal needs a person to change the file; a file s2s failed to take only needs sending again.
        if (results.some((r) => r.status === 'refused') || warning) return 1;
        if (sent.stopped instanceof ServiceBusy) return 4;
        if (sent.stopped instanceof ServiceError || sent.stopped instanceof ClientConfigError) return 3;
        if (sent.stopped) return sent.stopped instanceof ApiProblem ? 1 : 2;
        return results.some((r) => r.status === 'failed') ? 4 : 0;
      }

      case 'fetch': {
        const parsed = parseCommand(rest, {
          ...spec,
          options: { ...COMMON, to: { type: 'string' }, again: { type: 'boolean' } },
        });
        if (typeof parsed === 'number') return parsed;
        const dir = parsed.values.to;
        if (!dir) return parsed.usage('Name the folder to save the files in: --to DIR.');
        const client = await connect(parsed.values);
        return await fetchFiles(client, dir, parsed.values.again === true, parsed.values.json === true, io);
      }

      case 'list': {
        const parsed = parseCommand(rest, { ...spec, options: { ...COMMON, outgoing: { type: 'boolean' } } });
        if (typeof parsed === 'number') return parsed;
        const client = await connect(parsed.values);
        const files = parsed.values.outgoing
          ? await client.list('outgoing')
          : await client.list('incoming', 'available');
        if (parsed.values.json) json(files);
        else if (files.length === 0)
          io.out(parsed.values.outgoing ? 'No files sent.\n' : 'No files waiting.\n');
        else {
          const rows = [['ID', 'FILENAME', parsed.values.outgoing ? 'TO' : 'FROM', 'STATUS', 'UPLOADED']];
          for (const f of files)
            rows.push([f.id, f.filename, party(f).replace(/^(from|to) /, ''), f.status, f.uploadedAt]);
          io.out(`${table(rows)}\n`);
        }
        return 0;
      }

      case 'status': {
        const parsed = parseCommand(rest, {
          ...spec,
          options: COMMON,
          positionals: { missing: 'Name the file: s2s-client status ID.', single: 'name one file' },
        });
        if (typeof parsed === 'number') return parsed;
        const client = await connect(parsed.values);
        const file = await client.file(parsed.positionals[0] ?? '');
        if (parsed.values.json) json(file);
        else {
          const lines: [string, unknown][] = [
            ['ID', file.id],
            ['File', file.filename],
            ['Category', file.category],
            ['Direction', file.direction],
            [file.direction === 'incoming' ? 'From' : 'To', party(file).replace(/^(from|to) /, '')],
            ['Status', file.status],
            ['Uploaded', file.uploadedAt],
            ['Size', file.size],
            ['Pupils', file.pupilCount],
            ['Last downloaded', file.lastDownloadedAt],
            ['Collected', file.collectedAt],
            ['Rejected', file.rejectedAt],
            ['Reject reason', file.rejectReason],
          ];
          for (const [label, value] of lines) {
            if (value !== null && value !== undefined && value !== '')
              io.out(`${`${label}:`.padEnd(17)}${value}\n`);
          }
        }
        return 0;
      }

      default:
        io.err(`${command ? `Unknown command "${command}".` : 'Name a command.'}\n\n${CLIENT_USAGE}`);
        return 2;
    }
  } catch (error) {
    if (error instanceof ServiceBusy) {
      io.err(`s2s-client: ${error.message}\n`);
      return 4;
    }
    if (error instanceof ServiceError || error instanceof ClientConfigError) {
      io.err(`s2s-client: ${error.message}\n`);
      return 3;
    }
    if (error instanceof ApiProblem) {
      io.err(`s2s-client: ${error.message} (${error.status})\n`);
      return 1;
    }
    throw error;
  }
}

/** What `send` did: the answers merged, and, if it stopped, the files it did not send (`notSent`). */
export interface SendReport extends UploadResponse {
  notSent?: string[];
}

/**
 * A file named to `send` that cannot be read, refused as the service refuses a file: what is wrong and
 * what to do. The rest of the files are sent all the same (a batch is not stopped by one stray path).
 */
function unreadable(path: string, error: NodeJS.ErrnoException): UploadResult {
  const [why, whatToDo] =
    error.code === 'ENOENT' || error.code === 'ENOTDIR'
      ? ['there is no such file', 'Check the name and the folder, then send it again.']
      : error.code === 'EISDIR'
        ? ['it is a folder, not a file', 'Name the files in the folder, not the folder itself.']
        : error.code === 'EACCES' || error.code === 'EPERM'
          ? [
              'this user may not read it',
              'Let the user that runs s2s-client read the file, then send it again.',
            ]
          : [`${error.code ?? error.message}`, 'Check the file, then send it again.'];
  return {
    status: 'refused',
    filename: fileName(path),
    reasons: [`s2s-client cannot read ${path}: ${why}.`],
    whatToDo,
  };
}

/** The name a file is sent under: the path's last part (a folder's own name, if it ends with a slash). */
const fileName = (path: string) =>
  path
    .split(/[\\/]/)
    .filter((part) => part !== '')
    .pop() ?? path;

/**
 * `send`: each file in a request of its own, read when its turn comes, so that every answer comes
 * within seconds of its file (the service checks the files of a request one after another, each
 * waiting up to 10 s for a slow virus scanner) and only one file is held at a time. `answered` is given
 * each answer as it comes. A file that cannot be read is refused there, by the client, and the rest sent.
 * The service is connected to (`connect`: the settings read) when the first file that can be read comes.
 * A file the service does not answer with its result (not reached, the token refused, too many requests,
 * the timeout, a problem with the request), or settings that cannot be used, stops the sending: that file
 * and the ones after it are `notSent`, and the error is `stopped`.
 */
export async function sendFiles(
  connect: () => Promise<ApiClient>,
  paths: string[],
  answered: (response: UploadResponse) => void,
): Promise<{ report: SendReport; stopped?: Error }> {
  const report: SendReport = { accepted: 0, notAccepted: 0, results: [] };
  const warnings: string[] = [];
  const merged = (): SendReport => ({
    ...report,
    ...(warnings.length ? { warning: warnings.join(' ') } : {}),
  });
  const answer = (response: UploadResponse) => {
    report.accepted += response.accepted;
    report.notAccepted += response.notAccepted;
    report.results.push(...response.results);
    if (response.warning) warnings.push(response.warning);
    answered(response);
  };
  let client: ApiClient | undefined;
  for (const [n, path] of paths.entries()) {
    const stop = (stopped: Error) => ({
      report: { ...merged(), notSent: paths.slice(n).map(fileName) },
      stopped,
    });
    let content: Buffer;
    try {
      content = await readFile(path);
    } catch (error) {
      answer({ accepted: 0, notAccepted: 1, results: [unreadable(path, error as NodeJS.ErrnoException)] });
      continue;
    }
    let response: UploadResponse;
    try {
      client ??= await connect();
      response = await client.upload({ filename: fileName(path), content });
    } catch (error) {
      if (
        !(error instanceof ServiceError || error instanceof ApiProblem || error instanceof ClientConfigError)
      )
        throw error;
      return stop(error);
    }
    answer(response);
  }
  return { report: merged() };
}

/** The closing line of a `send` of several files, so that a refusal is not lost among many acceptances. */
function sendSummary(report: SendReport, files: number): string {
  const count = (status: string, again?: boolean) =>
    report.results.filter(
      (r) =>
        r.status === status &&
        (status !== 'accepted' || (r.status === 'accepted' && !!r.alreadyReceived) === again),
    ).length;
  const notSent = count('failed') + (report.notSent?.length ?? 0);
  const parts = [
    [count('accepted', false), 'accepted'],
    [count('accepted', true), 'already received'],
    [count('refused'), 'refused (listed above)'],
    [notSent, `not sent (send ${notSent === 1 ? 'it' : 'them'} again)`],
  ] as const;
  const said = parts.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`);
  return `${files} files: ${said.length ? said.join(', ') : 'none sent'}.`;
}

/** One answer of `send`, as text. */
function showUpload(response: UploadResponse, io: CommandOutput): void {
  for (const r of response.results) {
    if (r.status === 'accepted' && r.alreadyReceived) {
      // Sent again (an answer lost on the way, say): the same bytes are already waiting.
      io.out(
        `Already received: ${r.filename} — the same file arrived earlier and is waiting for ${r.destination} to collect it (id ${r.transferId}). It was not sent again.\n`,
      );
    } else if (r.status === 'accepted') {
      io.out(`Accepted: ${r.filename} — ${r.description}, sent to ${r.destination} (id ${r.transferId}).\n`);
      for (const w of r.warnings) io.out(`  Check: ${w}\n`);
      if (r.advice) io.out(`  Note: ${r.advice}\n`);
    } else {
      // 'failed': s2s was busy or at fault, nothing wrong with the file, so the same file again.
      io.out(r.status === 'failed' ? `Not sent: ${r.filename} (try again)\n` : `Refused: ${r.filename}\n`);
      for (const reason of r.reasons) io.out(`  ${reason}\n`);
      if (r.waitingTransferId) io.out(`  The file waiting under that name: id ${r.waitingTransferId}\n`);
      io.out(`  What to do: ${r.whatToDo}\n`);
    }
  }
  if (response.warning) io.out(`${response.warning}\n`);
}

export interface FetchReport {
  fetched: { id: string; filename: string; savedAs: string; sha256: string; accepted: boolean }[];
  /** CTFs an earlier fetch downloaded but could not accept: accepted now, not downloaded again. */
  acceptedOnly: { id: string; filename: string; savedAs: string; stillInFolder: boolean }[];
  skipped: { id: string; filename: string; reason: string }[];
  failed: { id: string; filename: string; reason: string }[];
}

/**
 * `fetch --to DIR`: download, verify, save atomically, accept the CTFs, remember what was fetched and
 * whether its accept went through. A file remembered is never downloaded into DIR again (the MIS may have
 * taken it from there already) unless --again: a CTF of those still waiting is only accepted, its bytes
 * having been checked when they were saved.
 */
export async function fetchFiles(
  client: ApiClient,
  dir: string,
  again: boolean,
  asJson: boolean,
  io: CommandOutput,
): Promise<number> {
  const state = await readState(dir);
  const saveState = () => writeAtomically(join(dir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
  const known = new Map(state.fetched.map((f) => [f.id, f]));
  const accept = async (entry: FetchedFile) => {
    await client.accept(entry.id);
    entry.accepted = true;
    await saveState();
  };
  const path = (entry: FetchedFile) => join(dir, entry.savedAs);
  const report: FetchReport = { fetched: [], acceptedOnly: [], skipped: [], failed: [] };
  const waiting = await client.list('incoming', 'available');
  // Again: the collected files fetched here before, while s2s still lets them be downloaded again.
  const candidates = again
    ? [...waiting, ...(await client.list('incoming', 'collected')).filter((f) => known.has(f.id))]
    : waiting;
  for (const listed of candidates) {
    const earlier = again ? undefined : known.get(listed.id);
    if (earlier && (earlier.accepted || listed.category !== 'ctf')) {
      report.skipped.push({
        id: listed.id,
        filename: listed.filename,
        reason: 'already fetched into this folder',
      });
      continue;
    }
    let accepting = false;
    try {
      // The list may be old by now: a colleague may have collected it, or the sender removed it.
      const file = await client.file(listed.id);
      if (file.status !== 'available' && !(again && known.has(file.id) && file.status === 'collected')) {
        report.skipped.push({ id: file.id, filename: file.filename, reason: `it is ${file.status} now` });
        continue;
      }
      if (earlier) {
        accepting = true;
        await accept(earlier);
        // Whether the copy saved then is still there as it was (an old state has no SHA-256 to compare).
        const now = await sha256Of(path(earlier));
        const stillInFolder = now !== null && (!earlier.sha256 || now === earlier.sha256.toLowerCase());
        report.acceptedOnly.push({
          id: file.id,
          filename: file.filename,
          savedAs: earlier.savedAs,
          stillInFolder,
        });
        if (!asJson) {
          io.out(
            stillInFolder
              ? `Accepted: ${file.filename} (downloaded by an earlier fetch to ${path(earlier)}; not downloaded again).\n`
              : `Accepted: ${file.filename} (downloaded by an earlier fetch, SHA-256 checked; ${path(earlier)} is no longer there as saved, and it was not downloaded again: fetch --again downloads it again for 7 days).\n`,
          );
        }
        continue;
      }
      const download = await client.download(file.id);
      const savedAs = await saveVerified(dir, file.filename, download.body, download.sha256);
      const entry: FetchedFile = {
        id: file.id,
        filename: file.filename,
        savedAs,
        at: new Date().toISOString(),
        sha256: download.sha256.toLowerCase(),
        accepted: false,
      };
      state.fetched = [...state.fetched.filter((f) => f.id !== file.id), entry];
      known.set(file.id, entry);
      // Remembered before the accept: if the accept is turned away, the next fetch only accepts it.
      await saveState();
      if (file.category === 'ctf' && file.status === 'available') {
        accepting = true;
        try {
          await accept(entry);
        } catch (error) {
          // Turned away (the message says why): the next fetch accepts it, without downloading it again.
          if (!asJson && error instanceof ServiceError) {
            io.out(`Fetched: ${file.filename} -> ${path(entry)} (SHA-256 checked; not accepted yet).\n`);
          }
          throw error;
        }
      }
      report.fetched.push({
        id: file.id,
        filename: file.filename,
        savedAs,
        sha256: download.sha256,
        accepted: entry.accepted,
      });
      if (!asJson) {
        io.out(
          `Fetched: ${file.filename} -> ${path(entry)} (SHA-256 checked${entry.accepted ? '; accepted' : ''}).\n`,
        );
      }
    } catch (error) {
      if (!(error instanceof ChecksumMismatch || error instanceof ApiProblem)) throw error;
      report.failed.push({ id: listed.id, filename: listed.filename, reason: error.message });
      if (!asJson)
        io.err(`${accepting ? 'Not accepted' : 'Not fetched'}: ${listed.filename}: ${error.message}\n`);
    }
  }
  if (asJson) io.out(`${JSON.stringify(report, null, 2)}\n`);
  else if (report.fetched.length === 0 && report.acceptedOnly.length === 0 && report.failed.length === 0) {
    io.out(
      `Nothing new to fetch${report.skipped.length ? ` (${report.skipped.length} already fetched; --again to fetch again)` : ''}.\n`,
    );
  }
  return report.failed.length > 0 ? 1 : 0;
}
