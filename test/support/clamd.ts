// A real clamd for the tests (ClamAV's daemon, Debian package clamav-daemon; .ci/run installs it), on a
// unix socket in a temporary folder, with a signature database the test makes itself: no public
// signature download is reachable, and none is needed. The database holds one MD5 signature (ClamAV's
// .hdb format, "md5:size:name", what `sigtool --md5 eicar.txt` prints) of the EICAR test string, the
// industry's harmless stand-in for malware. Starting clamd with one signature takes about a second, so a
// test file starts one and shares it.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClamdScanner } from '../../src/platform/scanning/clamd.ts';

/** The EICAR anti-malware test file (68 bytes): harmless, and detected as malware by design. */
export const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';
/** The name our test database gives it (ClamAV's own database calls it Win.Test.EICAR_HDB-1). */
const SIGNATURE_NAME = 'S2S.Test.EICAR';
/** What clamd reports: the name, marked as coming from a database ClamAV did not sign. */
export const EICAR_SIGNATURE = `${SIGNATURE_NAME}.UNOFFICIAL`;

const CANDIDATES = ['/usr/sbin/clamd', '/usr/bin/clamd', '/usr/local/sbin/clamd', '/usr/local/bin/clamd'];

function clamdBinary(): string {
  const found = CANDIDATES.find((path) => existsSync(path));
  if (!found) {
    // Not a skip: the malware scanning tests must run wherever the suite runs.
    throw new Error(
      'clamd is not installed, and the malware scanning tests need a real one: install clamav-daemon (apt-get install -y clamav clamav-daemon; .ci/run does this on CI)',
    );
  }
  return found;
}

export class TestClamd {
  readonly socket: string;
  private readonly config: string;
  private process: ChildProcess | null = null;
  private output = '';

  private constructor(dir: string) {
    this.socket = join(dir, 'clamd.sock');
    this.config = join(dir, 'clamd.conf');
  }

  /** Writes the signature database and the configuration, and starts clamd. */
  static async start(): Promise<TestClamd> {
    const binary = clamdBinary();
    const dir = mkdtempSync(join(tmpdir(), 's2s-clamd-'));
    const clamd = new TestClamd(dir);
    const database = join(dir, 'db');
    const temporary = join(dir, 'tmp');
    mkdirSync(database);
    mkdirSync(temporary);
    const eicar = Buffer.from(EICAR, 'latin1');
    const md5 = createHash('md5').update(eicar).digest('hex');
    writeFileSync(join(database, 's2s-test.hdb'), `${md5}:${eicar.length}:${SIGNATURE_NAME}\n`);
    writeFileSync(
      clamd.config,
      [
        `LocalSocket ${clamd.socket}`,
        `DatabaseDirectory ${database}`,
        `TemporaryDirectory ${temporary}`,
        'Foreground yes',
        // No self-checks of the database during a test run, and no log file: output goes to the test.
        'SelfCheck 0',
        '',
      ].join('\n'),
    );
    await clamd.launch(binary);
    return clamd;
  }

  get running(): boolean {
    return this.process !== null;
  }

  /** Starts clamd again after stop(), on the same socket. */
  async restart(): Promise<void> {
    if (!this.process) await this.launch(clamdBinary());
  }

  /**
   * Makes clamd a hung daemon: its socket still takes connections and bytes (the kernel's backlog and
   * buffers), and nothing answers, until resume().
   */
  pause(): void {
    this.process?.kill('SIGSTOP');
  }

  resume(): void {
    this.process?.kill('SIGCONT');
  }

  /** Stops clamd and waits for it to exit (it removes its socket). */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child) return;
    this.process = null;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // A paused clamd would hold the signal until continued.
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    await exited;
  }

  private async launch(binary: string): Promise<void> {
    const child = spawn(binary, ['-c', this.config], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.output = '';
    child.stdout?.on('data', (data: Buffer) => {
      this.output += data.toString();
    });
    child.stderr?.on('data', (data: Buffer) => {
      this.output += data.toString();
    });
    let exit: string | null = null;
    child.once('exit', (code, signal) => {
      exit = `clamd exited (${code ?? signal}) before it was ready:\n${this.output}`;
      if (this.process === child) this.process = null;
    });
    child.once('error', (error) => {
      exit = `clamd could not be started: ${error.message}`;
    });
    this.process = child;
    // Never left running after the test process, whatever happens to the test.
    process.once('exit', () => child.kill('SIGKILL'));
    // Ready when it answers PING on its socket (loading one signature takes about a second).
    const scanner = new ClamdScanner({ socket: this.socket });
    for (;;) {
      if (exit) throw new Error(exit);
      if (existsSync(this.socket) && (await scanner.ping())) return;
      await sleep(50);
    }
  }
}
