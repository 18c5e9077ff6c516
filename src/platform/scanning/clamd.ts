// A malware scanner: ClamAV's daemon (clamd, Debian packages clamav and clamav-daemon) over its socket,
// a unix socket or TCP. The content is streamed to clamd with the INSTREAM command, so a decrypted file
// never touches the disk here (clamd itself holds the stream in memory or in its TemporaryDirectory).
//
// INSTREAM (clamd(8)): send "zINSTREAM\0", then chunks, each a 4-byte big-endian length followed by that
// many bytes, then a chunk of length 0. clamd answers one NUL-terminated line:
//   "stream: OK"                        nothing found
//   "stream: <signature> FOUND"         malware, named by its signature
//   "INSTREAM size limit exceeded. ERROR" or "<reason> ERROR"   no verdict
// clamd may answer (and close) before the whole stream is sent, when a limit is exceeded: the answer
// read is what counts.
import { connect, type Socket } from 'node:net';
import type { Readable } from 'node:stream';

export type ScanVerdict = { clean: true } | { clean: false; signature: string };

/** What the transfers feature needs of a scanner (tests use the real clamd). */
export interface MalwareScanner {
  /** Where it scans, for logs and job summaries: "clamd at /run/clamav/clamd.ctl". */
  readonly description: string;
  /**
   * Scans a stream to its end. Throws ScannerUnavailable when no verdict could be had. `idleTimeoutMs`
   * shortens the wait for a silent daemon (an upload waiting for its page).
   */
  scan(content: Readable, options?: { idleTimeoutMs?: number }): Promise<ScanVerdict>;
}

/** The scanner could not be reached or gave no verdict: the file stays waiting for its scan. */
export class ScannerUnavailable extends Error {
  override name = 'ScannerUnavailable';
  /**
   * @param answered clamd answered, with an error about this content ("... ERROR"), rather than not at
   *   all: other files may still be scanned.
   */
  constructor(
    message: string,
    readonly answered = false,
  ) {
    super(message);
  }
}

export type ClamdAddress = { socket: string } | { host: string; port: number };

export interface ClamdOptions {
  /**
   * How long clamd may stay silent (no connection, no answer) before the scan is given up as
   * unavailable. A scan of a few MB takes well under a second; this guards against a hung daemon.
   */
  idleTimeoutMs?: number;
}

/** Chunks sent to clamd: well under its StreamMaxLength (25 MB by default). */
const CHUNK = 64 * 1024;
/** Answers are short lines; anything longer than this is not clamd. */
const MAX_ANSWER = 4096;

export function describeClamd(address: ClamdAddress): string {
  return 'socket' in address ? `clamd at ${address.socket}` : `clamd at ${address.host}:${address.port}`;
}

export class ClamdScanner implements MalwareScanner {
  readonly description: string;
  private readonly idleTimeoutMs: number;

  constructor(
    private readonly address: ClamdAddress,
    options: ClamdOptions = {},
  ) {
    this.description = describeClamd(address);
    this.idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  }

  /** Whether clamd answers PING with PONG (for the operator's checks). */
  async ping(): Promise<boolean> {
    try {
      const answer = await this.exchange(this.idleTimeoutMs, async (socket) => {
        await write(socket, Buffer.from('zPING\0'));
      });
      return answer === 'PONG';
    } catch {
      return false;
    }
  }

  async scan(content: Readable, options: { idleTimeoutMs?: number } = {}): Promise<ScanVerdict> {
    const timeout = Math.min(options.idleTimeoutMs ?? this.idleTimeoutMs, this.idleTimeoutMs);
    const answer = await this.exchange(
      timeout,
      async (socket, answered) => {
        await write(socket, Buffer.from('zINSTREAM\0'));
        for await (const piece of readSource(content)) {
          for (let at = 0; at < piece.length; at += CHUNK) {
            if (answered()) return;
            const chunk = piece.subarray(at, at + CHUNK);
            const length = Buffer.alloc(4);
            length.writeUInt32BE(chunk.length);
            await write(socket, Buffer.concat([length, chunk]));
          }
        }
        if (!answered()) await write(socket, Buffer.alloc(4));
      },
      content,
    );
    return verdictOf(answer);
  }

  /**
   * Connects, lets `send` write the command (and stream), and resolves with clamd's answer line (without
   * its NUL). Every failure of clamd -- no daemon, a dropped connection, silence -- is a
   * ScannerUnavailable; an error of the source stream is rethrown as it is.
   */
  private exchange(
    idleTimeoutMs: number,
    send: (socket: Socket, answered: () => boolean) => Promise<void>,
    source?: Readable,
  ): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const socket =
        'socket' in this.address
          ? connect({ path: this.address.socket })
          : connect({ host: this.address.host, port: this.address.port });
      let received = Buffer.alloc(0);
      let settled = false;
      const finish = (error: Error | null, answer?: string) => {
        if (settled) return;
        settled = true;
        socket.destroy();
        if (error) {
          source?.destroy();
          reject(error);
        } else resolve(answer as string);
      };
      const unavailable = (why: string) =>
        finish(new ScannerUnavailable(`${describeClamd(this.address)} gave no verdict: ${why}`));
      socket.setTimeout(idleTimeoutMs, () => unavailable('it did not answer in time'));
      socket.on('error', (error: NodeJS.ErrnoException) => unavailable(error.code ?? error.message));
      socket.on('data', (data: Buffer) => {
        received = Buffer.concat([received, data]);
        const end = received.indexOf(0);
        if (end >= 0) finish(null, received.subarray(0, end).toString('utf8').trim());
        else if (received.length > MAX_ANSWER) unavailable('its answer was not understood');
      });
      socket.on('end', () => {
        // Some versions end the line with a newline and no NUL when the connection closes.
        const text = received.toString('utf8').trim();
        if (text) finish(null, text);
        else unavailable('it closed the connection without answering');
      });
      socket.once('connect', () => {
        send(socket, () => settled || received.length > 0).catch((error: unknown) => {
          if (error instanceof SourceFailure) finish(error.cause);
          // A write refused after clamd answered and closed is not a failure: its answer is read.
          else if (received.length === 0) {
            unavailable((error as NodeJS.ErrnoException).code ?? (error as Error).message);
          }
        });
      });
    });
  }
}

/** An error of the content being scanned (a stored file that fails its check), not of clamd. */
class SourceFailure extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message);
  }
}

async function* readSource(content: Readable): AsyncGenerator<Buffer> {
  try {
    for await (const piece of content) {
      yield Buffer.isBuffer(piece) ? piece : Buffer.from(piece as Uint8Array);
    }
  } catch (error) {
    throw new SourceFailure(error instanceof Error ? error : new Error(String(error)));
  }
}

function write(socket: Socket, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed) {
      reject(new ScannerUnavailable('the connection to clamd closed'));
      return;
    }
    socket.write(data, (error) => (error ? reject(error) : resolve()));
  });
}

/** clamd's answer line as a verdict; anything but OK or FOUND is no verdict. */
export function verdictOf(answer: string): ScanVerdict {
  const line = answer.replace(/^stream:\s*/, '');
  if (line === 'OK') return { clean: true };
  const found = /^(.+) FOUND$/.exec(line);
  if (found?.[1]) return { clean: false, signature: found[1].trim().slice(0, 200) };
  throw new ScannerUnavailable(`clamd gave no verdict: ${line.slice(0, 200)}`, true);
}
