// Two versions of s2s side by side: which one costs the service less CPU per upload or per download?
// One run of a benchmark on a shared machine varies by more than most single changes save, because the
// machine's speed changes from minute to minute. Here both versions run at once, each a service of its
// own on its own database, and batches of requests go to each in turn, so both see the same machine.
//
//   node --import tsx bench/side-by-side.ts <base ref> [<other ref>] [--engine sqlite|postgres]
//        [--measure downloads|uploads] [--rounds 12] [--batch 60]
//
// Without <other ref>, the working tree (uncommitted changes included) is compared with <base ref>. Each
// ref is checked out in a temporary git worktree that uses this checkout's node_modules. Prints the
// service's CPU per request (user + system, /proc) for each batch, and each version's mean and median
// batch (the median is the steadier: the machine slows down for a batch now and then); the first batch
// of each is a warm-up and not counted. Not part of `npm run bench`: it reports no table.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  Client,
  createPostgresDatabase,
  percentile,
  processCpuSeconds,
  REPO,
  type Session,
  signIn,
  startService,
  stop,
} from './support.ts';
import { downloadLink, RECEIVER, SENDER, uploadCtf, writeBenchCtf } from './transfers.ts';

const SENDERS = 4;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    engine: { type: 'string', default: 'sqlite' },
    measure: { type: 'string', default: 'downloads' },
    rounds: { type: 'string', default: '12' },
    batch: { type: 'string', default: '60' },
  },
});
const [baseRef, otherRef] = positionals;
if (
  !baseRef ||
  !['sqlite', 'postgres'].includes(values.engine) ||
  !['downloads', 'uploads'].includes(values.measure)
) {
  process.stderr.write(
    'usage: node --import tsx bench/side-by-side.ts <base ref> [<other ref>] [--engine sqlite|postgres] [--measure downloads|uploads] [--rounds N] [--batch N]\n',
  );
  process.exit(2);
}
const rounds = Number(values.rounds);
const batch = Math.max(SENDERS, Math.round(Number(values.batch) / SENDERS) * SENDERS);

const dir = mkdtempSync(join(tmpdir(), 's2s-side-by-side-'));
const ctfPath = join(dir, 'ctf.xml');
await writeBenchCtf(ctfPath);
const content = readFileSync(ctfPath);

/** A checkout of `ref` in a temporary worktree, or this working tree when there is no ref. */
function checkout(ref: string | undefined): string {
  if (!ref) return REPO;
  const path = join(dir, `checkout-${ref.replace(/[^A-Za-z0-9]/g, '_')}`);
  execFileSync('git', ['worktree', 'add', '--detach', '--force', path, ref], { cwd: REPO, stdio: 'ignore' });
  symlinkSync(join(REPO, 'node_modules'), join(path, 'node_modules'));
  return path;
}

interface Side {
  label: string;
  path: string;
  stopAll: () => Promise<void>;
  pid: number;
  /** The requests of one batch; each request's work is checked. */
  runBatch: () => Promise<void>;
  cpuSeconds: number;
  requests: number;
  /** The service's CPU per request in each counted batch, in ms. */
  batches: number[];
}

async function side(label: string, path: string): Promise<Side> {
  const database =
    values.engine === 'postgres'
      ? await createPostgresDatabase()
      : { url: `sqlite:${join(dir, `${label}.sqlite`)}`, drop: async () => {} };
  const service = await startService(mkdtempSync(join(dir, `${label}-`)), database.url, { checkout: path });
  const client = new Client(service.baseUrl, SENDERS * 2);
  const senders: Session[] = [];
  const receivers: Session[] = [];
  for (let i = 0; i < SENDERS; i += 1) {
    senders.push(await signIn(client, SENDER.username, '/upload/ctf'));
    receivers.push(await signIn(client, RECEIVER.username, '/download/ctf'));
  }
  let uploaded = 0;
  const upload = async (session: Session) => {
    // Names are three digits: from 999 down, as a name stays taken while its file waits.
    uploaded += 1;
    if (uploaded > 999) throw new Error('at most 999 uploads: fewer rounds or smaller batches');
    const outcome = await uploadCtf(session, content, 1000 - uploaded);
    if (!outcome.ok) throw new Error(`${label}: an upload failed: ${outcome.why}`);
  };
  // For downloads: one file each receiver downloads again and again (its link holds for 15 minutes).
  const links: string[] = [];
  if (values.measure === 'downloads') {
    for (const sender of senders) await upload(sender);
    const list = (await (receivers[0] as Session).get('/download/ctf')).body.toString('utf8');
    const ids = [...list.matchAll(/\/download\/ctf\/files\/([0-9a-f-]{36})">/g)].map((m) => m[1] as string);
    for (const [index, receiver] of receivers.entries())
      links.push(await downloadLink(receiver, ids[index] as string));
  }
  const runBatch = async () => {
    await Promise.all(
      Array.from({ length: SENDERS }, async (_, worker) => {
        for (let n = 0; n < batch / SENDERS; n += 1) {
          if (values.measure === 'uploads') {
            await upload(senders[worker] as Session);
          } else {
            const response = await (receivers[worker] as Session).get(links[worker] as string);
            if (response.status !== 200 || !response.body.equals(content))
              throw new Error(`${label}: a download answered ${response.status}`);
          }
        }
      }),
    );
  };
  return {
    label,
    path,
    pid: service.child.pid as number,
    runBatch,
    cpuSeconds: 0,
    requests: 0,
    batches: [],
    stopAll: async () => {
      await stop(service.child);
      await database.drop();
    },
  };
}

const paths = [checkout(baseRef), checkout(otherRef)];
const sides: Side[] = [];
try {
  sides.push(await side(`A ${baseRef}`, paths[0] as string));
  sides.push(await side(`B ${otherRef ?? 'working tree'}`, paths[1] as string));
  const perRequestMs = (cpu: number, requests: number) => ((cpu * 1000) / requests).toFixed(2);
  for (let round = 0; round <= rounds; round += 1) {
    // Each batch in turn, the order swapped every round.
    const order = round % 2 === 0 ? sides : [...sides].reverse();
    const line: string[] = [];
    for (const one of order) {
      const before = processCpuSeconds(one.pid);
      await one.runBatch();
      const cpu = processCpuSeconds(one.pid) - before;
      line.push(`${one.label.split(' ')[0]} ${perRequestMs(cpu, batch)}`);
      if (round > 0) {
        one.cpuSeconds += cpu;
        one.requests += batch;
        one.batches.push((cpu * 1000) / batch);
      }
    }
    process.stdout.write(`${round === 0 ? 'warm-up' : `round ${round}`}: ${line.join('  ')} ms\n`);
  }
  for (const one of sides) {
    process.stdout.write(
      `${one.label}: ${perRequestMs(one.cpuSeconds, one.requests)} ms of the service's CPU per ${values.measure === 'uploads' ? 'upload' : 'download'}, median batch ${percentile(
        [...one.batches].sort((a, b) => a - b),
        50,
      ).toFixed(2)} ms (${values.engine}, ${one.requests} in ${rounds} batches)\n`,
    );
  }
} finally {
  for (const one of sides) await one.stopAll();
  for (const path of paths) {
    if (path !== REPO)
      execFileSync('git', ['worktree', 'remove', '--force', path], { cwd: REPO, stdio: 'ignore' });
  }
  rmSync(dir, { recursive: true, force: true });
}
