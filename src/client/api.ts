// The s2s REST API (/api/v1) as `s2s-client` uses it: Node's own fetch, a bearer token, the API's
// problem details turned into typed errors, and a timeout of its own on bytes that stop moving. The token
// is only ever put in the Authorization header: no message made here contains it.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';

/** A file as the API lists it (the fields the client shows). */
export interface ApiFile {
  id: string;
  filename: string;
  category: string;
  direction: 'incoming' | 'outgoing';
  status: string;
  source?: { name: string; code: string };
  destination?: { name: string; code: string };
  uploadedAt: string;
  size: number | null;
  pupilCount: number | null;
  [field: string]: unknown;
}

export interface ApiPage {
  items: ApiFile[];
  page: number;
  pageSize: number;
  total: number;
  totalPages: number;
}

/** One file's outcome of an upload, as the API returns it. */
export type UploadResult =
  | {
      status: 'accepted';
      filename: string;
      transferId: string;
      description: string;
      destination: string;
      pupils: number;
      warnings: string[];
      /** What else to do (a census return that belongs in COLLECT says where to load it). */
      advice?: string;
      /** The same file, sent again, was already waiting: transferId is that file's; nothing new was sent. */
      alreadyReceived?: boolean;
    }
  | {
      status: 'refused' | 'failed';
      filename: string;
      reasons: string[];
      whatToDo: string;
      /** Refused because another file of its name is still waiting: that file. */
      waitingTransferId?: string;
    };

export interface UploadResponse {
  accepted: number;
  notAccepted: number;
  results: UploadResult[];
  warning?: string;
}

/** The service could not be used at all: not reached, the token refused, or a fault of its own. Exit 3. */
export class ServiceError extends Error {
  /** @param answer The problem the service answered with, if any: an upload's holds the file's result. */
  constructor(
    message: string,
    readonly answer?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/**
 * The service turned the request away for now: too busy reading other files (503), or too many requests
 * with this token (429). Nothing was done; the same command works after the wait. Exit 4.
 */
export class ServiceBusy extends ServiceError {}

/** The service answered with a problem about the request (404, 409, 422...): reported, exit 1. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(typeof body.detail === 'string' ? body.detail : `The service answered ${status}.`);
  }
}

/**
 * How long the client waits, by default, for bytes to move: for the service to begin its answer, and
 * between pieces of an upload or a download (time with nothing moving, never a transfer's total: a
 * large upload over a slow line that keeps moving is not cut off). The service begins its answers within
 * seconds, an upload's too, as each file is sent in a request of its own (the file checked, a silent
 * virus scanner given up after 10 s: twenty files in one request could be over three minutes); its nodes
 * themselves drop a request that goes 2 minutes with nothing moving (REQUEST_IDLE_SECONDS), and load
 * balancers in front commonly 1 minute. So a minute of silence is a service that is down or a connection
 * that is dead, and a cron job's log should say so then, not after fetch's own 5 minutes. --timeout for
 * a line or a service slower than that.
 */
export const DEFAULT_TIMEOUT_SECONDS = 60;
/** The longest timeout that may be set: an hour with nothing moving is nothing still coming. */
export const MAX_TIMEOUT_SECONDS = 3600;

export interface ClientSettings {
  url: string;
  token: string;
  /** Seconds with nothing moving before the client gives up (DEFAULT_TIMEOUT_SECONDS if not given). */
  timeout?: number;
}

/**
 * How the client waits out a token's limit (429): `wait` the seconds the service gives, after `notice`
 * has said so. The commands wait on the real clock; a test may wait on the service's.
 */
export interface LimitWaiting {
  wait(seconds: number): Promise<void>;
  notice(message: string): void;
}

/**
 * A token's requests are limited a minute (the service's API_REQUESTS_PER_MINUTE), and `send` makes a
 * request for each file: a send of more files than that would stop part way, and the same command again
 * would spend the minute's requests on the files already received and stop at the same place, every time.
 * So a 429 whose Retry-After is at most a minute is waited out and the request made again, up to
 * LIMIT_WAITS times in a row; a longer wait, or a limit that keeps coming, is reported (exit 4).
 */
export const LIMIT_WAIT_SECONDS = 60;
export const LIMIT_WAITS = 3;

/**
 * What a request is for, as its timeout's message says: an answer (the list, a file's details, an
 * accept), the upload of a file (send), or the download of a file (by id).
 */
type Purpose = { kind: 'answer' } | { kind: 'upload'; filename: string } | { kind: 'download'; id: string };

/**
 * An upload's body: a form of one file, encoded around the file's own bytes (encodeUpload), so that it
 * is held once and can be sent again.
 */
interface UploadBody {
  type: string;
  pieces: Uint8Array[];
  length: number;
}

const ANSWER: Purpose = { kind: 'answer' };

/** Large enough to send quickly, small enough that a pause in the upload is seen soon. */
const UPLOAD_PIECE = 64 * 1024;

/** 307 and 308 to the same service an upload follows, this many times at most; other redirects never. */
const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * The client's timeout on one request: while it waits for bytes to move (the service to begin its answer
 * while the upload goes, a piece of the answer's body), a timer runs; if it fires, the request is
 * aborted with the ServiceError `stalled` makes, which is what fetch and the body's reader then throw.
 */
class Watch {
  readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  /** Whether the answer has begun: an upload still going then is no longer what is waited on. */
  answered = false;

  constructor(private readonly ms: number) {}

  /** Bytes are awaited from now: with none for the timeout, the request ends with stalled(). */
  wait(stalled: () => ServiceError): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.controller.abort(stalled()), this.ms);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The error to throw: the timeout's, if it fired (whatever fetch made of the abort), else `error`. */
  failure(error: unknown): unknown {
    this.stop();
    return this.controller.signal.aborted ? this.controller.signal.reason : error;
  }
}

export class ApiClient {
  private readonly base: string;
  private readonly timeout: number;

  constructor(
    private readonly settings: ClientSettings,
    private readonly limits?: LimitWaiting,
  ) {
    this.base = settings.url.replace(/\/+$/, '');
    this.timeout = settings.timeout ?? DEFAULT_TIMEOUT_SECONDS;
  }

  /**
   * Sends the request; any answer that is not 2xx becomes a ServiceError or an ApiProblem. The answer's
   * body, as returned, is read under the timeout too. An upload sent on by a 307 or 308 to the same
   * service is sent there again (fetch cannot send a stream twice); to another site it is not: it holds
   * pupils' records, and the token is for this service only. A token's limit is waited out
   * (LIMIT_WAIT_SECONDS) when the client has `limits`.
   */
  async request(
    method: string,
    path: string,
    body?: UploadBody,
    purpose: Purpose = ANSWER,
  ): Promise<Response> {
    let response = await this.sent(method, `${this.base}${path}`, body, purpose);
    for (let waits = 0; this.limits && waits < LIMIT_WAITS && response.status === 429; waits += 1) {
      const seconds = retryAfterOf(response);
      if (seconds === undefined || seconds > LIMIT_WAIT_SECONDS) break;
      await response.body?.cancel();
      this.limits.notice(
        `The s2s service is limiting this token (429): waiting ${seconds} second${seconds === 1 ? '' : 's'}, then going on.`,
      );
      await this.limits.wait(seconds);
      response = await this.sent(method, `${this.base}${path}`, body, purpose);
    }
    if (response.ok) return response;
    const problem = await readJson(response);
    const detail = typeof problem.detail === 'string' ? ` ${problem.detail}` : '';
    if (response.status === 401) {
      // The service's detail says what to do about the token already: the client's words only without it.
      throw new ServiceError(
        `The s2s service refused the API token (401).${detail || ' Check S2S_TOKEN, or make a new token under API Tokens.'}`,
      );
    }
    if (response.status === 403) {
      throw new ServiceError(`The s2s service does not allow this (403).${detail}`);
    }
    const retryAfter = retryAfterOf(response);
    if ((response.status === 503 || response.status === 429) && retryAfter !== undefined) {
      const what = response.status === 429 ? 'limiting this token' : 'busy';
      throw new ServiceBusy(
        `The s2s service is ${what} (${response.status}).${detail} Try again after ${retryAfter} seconds.`,
        problem,
      );
    }
    if (response.status >= 500 || response.status === 429) {
      throw new ServiceError(
        `The s2s service failed (${response.status}).${detail} Try again later.`,
        problem,
      );
    }
    throw new ApiProblem(response.status, problem);
  }

  /** The request sent, and an upload sent on by a redirect to the same service sent there again. */
  private async sent(
    method: string,
    url: string,
    body: UploadBody | undefined,
    purpose: Purpose,
  ): Promise<Response> {
    let to = url;
    let response = await this.exchange(method, to, body, purpose);
    for (let redirects = 0; body && REDIRECTS.has(response.status); redirects += 1) {
      await response.body?.cancel();
      to = this.redirected(response, to, redirects, purpose);
      response = await this.exchange(method, to, body, purpose);
    }
    return response;
  }

  /** One request under the timeout, redirects not followed for an upload: its answer, as it came. */
  private async exchange(
    method: string,
    url: string,
    body: UploadBody | undefined,
    purpose: Purpose,
  ): Promise<Response> {
    const watch = new Watch(this.timeout * 1000);
    const upload = body ? this.uploadStream(body, watch, purpose) : undefined;
    let response: Response;
    try {
      watch.wait(upload?.stalled ?? (() => this.noAnswer(purpose)));
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.settings.token}`,
          accept: 'application/json',
          ...(body ? { 'content-type': body.type, 'content-length': String(body.length) } : {}),
        },
        signal: watch.controller.signal,
        ...(upload ? { body: upload.stream, duplex: 'half', redirect: 'manual' } : {}),
      });
    } catch (error) {
      const failure = watch.failure(error);
      if (failure instanceof ServiceError) throw failure;
      throw new ServiceError(`Cannot reach the s2s service at ${this.base}: ${networkCause(failure)}.`);
    }
    watch.stop();
    watch.answered = true;
    return this.watched(response, watch, purpose);
  }

  /** Where a redirect sends an upload: another address of the same service, not over and over. */
  private redirected(response: Response, from: string, redirects: number, purpose: Purpose): string {
    const what = purpose.kind === 'upload' ? purpose.filename : 'the upload';
    const location = response.headers.get('location');
    let to: URL | undefined;
    try {
      to = location ? new URL(location, from) : undefined;
    } catch {
      to = undefined;
    }
    if (!to || (response.status !== 307 && response.status !== 308)) {
      // 301, 302 and 303 would send it on as a GET, without the file.
      throw new ServiceError(
        `The s2s service at ${this.base} answered the upload with a redirect (${response.status}) to ${to?.href ?? location ?? 'no address'}, which an upload cannot follow, so ${what} was not sent. Check the address (--url, S2S_URL or the settings file).`,
      );
    }
    if (to.origin !== new URL(from).origin) {
      throw new ServiceError(
        `The s2s service at ${this.base} sent the upload on to another site (${to.origin}), so ${what} was not sent there: s2s-client sends files and the token only to the service's address. If that is the service's address now, give it (--url, S2S_URL or the settings file).`,
      );
    }
    if (redirects >= MAX_REDIRECTS) {
      throw new ServiceError(
        `The s2s service at ${this.base} sent the upload on to another address ${MAX_REDIRECTS} times over, so ${what} was not sent. Check the address (--url, S2S_URL or the settings file).`,
      );
    }
    return to.href;
  }

  /**
   * The upload's bytes as a stream that restarts the timeout each time fetch takes a piece of it to send
   * (once the connection has taken the one before): a slow line that keeps moving is waited on, one that
   * stops is not. A new stream for each time it is sent.
   */
  private uploadStream(body: UploadBody, watch: Watch, purpose: Purpose) {
    function* slices() {
      for (const piece of body.pieces) {
        for (let at = 0; at < piece.length; at += UPLOAD_PIECE) yield piece.subarray(at, at + UPLOAD_PIECE);
      }
    }
    const next = slices();
    let sent = 0;
    const stalled = () =>
      sent < body.length
        ? new ServiceError(
            `The s2s service at ${this.base} stopped taking the upload for ${this.seconds()}, after ${sent} of its ${body.length} bytes.${this.tail(purpose)} ${this.slowLine()}`,
          )
        : this.noAnswer(purpose);
    const stream = new ReadableStream<Uint8Array>(
      {
        pull: (controller) => {
          const piece = next.next();
          if (piece.done) return controller.close();
          sent += piece.value.length;
          // Not once the answer has begun (before the upload ended): the answer's body is waited on then.
          if (!watch.answered) watch.wait(stalled);
          controller.enqueue(piece.value);
        },
      },
      { highWaterMark: 0 },
    );
    return { stream, stalled };
  }

  /**
   * The answer with its body read under the timeout: each piece awaited for at most that long (the time
   * the caller takes between pieces, to write a file say, not counted). Stopped, reading it throws the
   * ServiceError that says so.
   */
  private watched(response: Response, watch: Watch, purpose: Purpose): Response {
    const source = response.body;
    if (!source) return response;
    const reader = source.getReader();
    let received = 0;
    const stalled = () =>
      new ServiceError(
        purpose.kind === 'download'
          ? `The s2s service at ${this.base} stopped sending file ${purpose.id} for ${this.seconds()}, after ${received} bytes. Nothing of it was saved. ${this.slowLine()}`
          : `The s2s service at ${this.base} stopped sending its answer for ${this.seconds()}, after ${received} bytes.${this.tail(purpose)} ${this.slowLine()}`,
      );
    const body = new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          let next: ReadableStreamReadResult<Uint8Array>;
          watch.wait(stalled);
          try {
            next = await reader.read();
          } catch (error) {
            throw watch.failure(error);
          }
          watch.stop();
          if (next.done) return controller.close();
          received += next.value.length;
          controller.enqueue(next.value);
        },
        cancel: (reason) => {
          watch.stop();
          return reader.cancel(reason);
        },
      },
      { highWaterMark: 0 },
    );
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  }

  private seconds(): string {
    return `${this.timeout} second${this.timeout === 1 ? '' : 's'}`;
  }

  /** The service did not begin its answer in time. */
  private noAnswer(purpose: Purpose): ServiceError {
    return new ServiceError(
      `The s2s service at ${this.base} did not answer within ${this.seconds()}.${this.tail(purpose)} ` +
        'Check the address (--url, S2S_URL or the settings file) and that the service is up, then run the ' +
        'command again; on a slow line, give a longer --timeout.',
    );
  }

  /** What became of what was sent or fetched, when a request was given up: a sentence, or none. */
  private tail(purpose: Purpose): string {
    if (purpose.kind === 'download') return ` Nothing of file ${purpose.id} was saved.`;
    if (purpose.kind === 'upload') {
      return ` ${purpose.filename} may have arrived all the same: sending it again is safe (if it did, it is "already received", not sent twice).`;
    }
    return '';
  }

  private slowLine(): string {
    return 'Run the command again; on a slow line, give a longer --timeout.';
  }

  /**
   * The answer's JSON, when it is what `is` expects. Anything else (a proxy's sign-in page, another
   * server at the address) is a ServiceError that says so, not a parser's message, and is never walked
   * as if it were a list: one without pages would be asked for page after page.
   */
  async json<T>(
    method: string,
    path: string,
    is: (value: unknown) => value is T,
    body?: UploadBody,
    purpose: Purpose = ANSWER,
  ): Promise<T> {
    const response = await this.request(method, path, body, purpose);
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      if (error instanceof ServiceError) throw error;
      throw new ServiceError(
        `The answer of the s2s service at ${this.base} was cut off (${networkCause(error)}). Run the command again.`,
      );
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      const type = response.headers.get('content-type') ?? 'no content type';
      const start = text.replace(/\s+/g, ' ').trim().slice(0, 60);
      throw this.notTheApi(`${type}: "${start}${text.length > 60 ? '...' : ''}"`);
    }
    if (!is(value)) throw this.notTheApi('JSON, but not what it sends');
    return value;
  }

  private notTheApi(what: string): ServiceError {
    return new ServiceError(
      `The service at ${this.base} did not answer as the s2s API does (${what}). Check the address ` +
        '(--url, S2S_URL or the settings file), and whether a proxy or a sign-in page stands in between.',
    );
  }

  /**
   * POST /files, multipart, with one file in a part named "files": the service answers once it has
   * checked the file, within seconds, where several files could take it minutes. Refused (422), or not
   * taken for now (503) or for a fault of its own (500), the file's result, as the service words it, is
   * the answer too.
   */
  async upload(file: { filename: string; content: Uint8Array }): Promise<UploadResponse> {
    const body = await encodeUpload(file.filename, file.content);
    try {
      return await this.json('POST', '/api/v1/files', isUploadResponse, body, {
        kind: 'upload',
        filename: file.filename,
      });
    } catch (error) {
      const answer =
        error instanceof ApiProblem ? error.body : error instanceof ServiceError ? error.answer : undefined;
      if (isUploadResponse(answer)) return answer;
      throw error;
    }
  }

  /** Every page of the incoming or outgoing list. */
  async list(direction: 'incoming' | 'outgoing', status?: string): Promise<ApiFile[]> {
    const files: ApiFile[] = [];
    for (let page = 1; ; page += 1) {
      const query = new URLSearchParams({ page: String(page), pageSize: '200' });
      if (status) query.set('status', status);
      const got = await this.json('GET', `/api/v1/files/${direction}?${query}`, isPage);
      files.push(...got.items);
      if (page >= got.totalPages || got.items.length === 0) return files;
    }
  }

  file(id: string): Promise<ApiFile> {
    return this.json('GET', `/api/v1/files/${encodeURIComponent(id)}`, isFile);
  }

  /** GET /files/{id}/content: the bytes as they come, and the SHA-256 the service holds for them. */
  async download(id: string): Promise<{ body: AsyncIterable<Uint8Array>; sha256: string }> {
    const response = await this.request('GET', `/api/v1/files/${encodeURIComponent(id)}/content`, undefined, {
      kind: 'download',
      id,
    });
    if (!response.body) throw new ServiceError('The s2s service sent no content.');
    return { body: this.received(id, response.body), sha256: response.headers.get('x-content-sha256') ?? '' };
  }

  /**
   * The pieces of a download's body. A connection cut or stalled on the way is a ServiceError that says
   * so (exit 3), not the bare "terminated" fetch gives: the caller saves nothing of it.
   */
  private async *received(id: string, body: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
    let bytes = 0;
    try {
      for await (const piece of body) {
        bytes += piece.length;
        yield piece;
      }
    } catch (error) {
      // Stopped for the timeout: its message says so already.
      if (error instanceof ServiceError) throw error;
      throw new ServiceError(
        `The download of file ${id} from the s2s service at ${this.base} stopped after ${bytes} bytes ` +
          `(${networkCause(error)}). Nothing of it was saved: run the command again.`,
      );
    }
  }

  accept(id: string): Promise<ApiFile> {
    return this.json('POST', `/api/v1/files/${encodeURIComponent(id)}/accept`, isFile);
  }
}

/**
 * A form of one file in a part named "files", encoded as fetch encodes a FormData (its boundary, the
 * name's escaping) around the file's own bytes, which are not copied: a Blob of them, and the form
 * read into one buffer, would each have been another copy.
 */
async function encodeUpload(filename: string, content: Uint8Array): Promise<UploadBody> {
  const form = new FormData();
  form.append('files', new Blob([], { type: 'application/octet-stream' }), filename);
  const encoded = new Response(form);
  const empty = Buffer.from(await encoded.arrayBuffer());
  // The part's headers end at the first blank line: line breaks in the name are escaped.
  const start = empty.indexOf('\r\n\r\n') + 4;
  const pieces = [empty.subarray(0, start), content, empty.subarray(start)];
  return {
    type: encoded.headers.get('content-type') ?? 'multipart/form-data',
    pieces,
    length: pieces.reduce((total, piece) => total + piece.length, 0),
  };
}

/** The answer's Retry-After in whole seconds, when it gives one. */
function retryAfterOf(response: Response): number | undefined {
  const seconds = Number.parseInt(response.headers.get('retry-after') ?? '', 10);
  return seconds > 0 ? seconds : undefined;
}

/** What fetch says went wrong with the network: the cause's code (ECONNREFUSED, UND_ERR_SOCKET...). */
function networkCause(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** What the client reads of a file: its id and name (the rest is shown as given). */
function isFile(value: unknown): value is ApiFile {
  return isObject(value) && typeof value.id === 'string' && typeof value.filename === 'string';
}

function isPage(value: unknown): value is ApiPage {
  return (
    isObject(value) &&
    Array.isArray(value.items) &&
    value.items.every(isFile) &&
    Number.isInteger(value.totalPages)
  );
}

function isUploadResponse(value: unknown): value is UploadResponse {
  return (
    isObject(value) &&
    Array.isArray(value.results) &&
    value.results.every(
      (result) =>
        isObject(result) && typeof result.status === 'string' && typeof result.filename === 'string',
    )
  );
}

async function readJson(response: Response): Promise<Record<string, unknown>> {
  try {
    const parsed: unknown = await response.json();
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

// ---------------------------------------------------------------------------------------------------
// Saving a download: a temporary name in the folder, fsync, SHA-256 checked, then renamed into place.

export class ChecksumMismatch extends Error {
  constructor(
    readonly filename: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `${filename}: the SHA-256 of the bytes received (${actual}) is not the one the service sent (${expected || 'none'}). Nothing was saved; fetch again.`,
    );
  }
}

/** Whether the service's hex digest is that of the bytes. */
export function sha256Matches(expected: string, actual: string): boolean {
  return /^[0-9a-f]{64}$/i.test(expected) && expected.toLowerCase() === actual.toLowerCase();
}

/** The hex SHA-256 of the file at `path`, or null when there is no such file. */
export async function sha256Of(path: string): Promise<string | null> {
  try {
    return createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** A name in `dir` that does not hold another file: NAME, else NAME (2).EXT, NAME (3).EXT... */
async function freeName(
  dir: string,
  filename: string,
  sha256: string,
): Promise<{ name: string; same: boolean }> {
  const ext = extname(filename);
  const stem = filename.slice(0, filename.length - ext.length);
  for (let n = 1; ; n += 1) {
    const name = n === 1 ? filename : `${stem} (${n})${ext}`;
    const existing = await sha256Of(join(dir, name));
    if (existing === null) return { name, same: false };
    if (existing === sha256.toLowerCase()) return { name, same: true };
  }
}

/**
 * Writes the stream to `dir` under `filename` (a suffix if another file holds that name) once its SHA-256
 * is `expected`; on a mismatch the temporary file is deleted and ChecksumMismatch thrown. Returns the
 * name it was saved under (the existing one when the same bytes are there already).
 */
export async function saveVerified(
  dir: string,
  filename: string,
  content: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  expected: string,
): Promise<string> {
  const safe = basename(filename.replace(/\\/g, '/')) || 'download';
  const temp = join(dir, `.${safe}.${process.pid}.${Date.now()}.part`);
  const hash = createHash('sha256');
  let handle: FileHandle | undefined = await open(
    temp,
    constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY,
    0o600,
  );
  try {
    for await (const chunk of content) {
      hash.update(chunk);
      await handle.write(chunk);
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    const actual = hash.digest('hex');
    if (!sha256Matches(expected, actual)) throw new ChecksumMismatch(safe, expected, actual);
    const target = await freeName(dir, safe, actual);
    if (target.same) {
      await unlink(temp);
      return target.name;
    }
    await rename(temp, join(dir, target.name));
    await syncDir(dir);
    return target.name;
  } catch (error) {
    await handle?.close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw error;
  }
}

/** Makes a rename in the folder durable (where the platform allows opening a folder). */
export async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Not every platform can fsync a folder.
  }
}

/** Writes a small file atomically: temporary name, fsync, rename. */
export async function writeAtomically(path: string, text: string): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
}
