// What the service counts for its operators, in Prometheus's text format at /metrics
// (platform/web/metrics-routes.ts). One registry per process: Prometheus scrapes each app process and
// adds them up. Counters are kept in memory (they are the process's own: requests it served, uploads
// it received, job runs it did); queue depths are read from the database at each scrape, so every
// process reports the same numbers. Labels never hold what identifies a person or a file: HTTP routes
// are labelled by their pattern (/files/:id), never the address asked for.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export type UploadMetric = 'stored' | 'already-received' | 'refused' | 'quarantined' | 'busy';
export type JobRunMetric = 'succeeded' | 'failed';
/** Why the service closed a connection while a request was under way (platform/web/http.ts's limits). */
export type CutMetric = 'idle' | 'request-timeout';

/** How many items wait in each queue, by the queue's name. */
export type QueueDepths = Record<string, number>;

/** Uploads (and census returns) this process holds waiting for a content-check worker. */
export interface ContentCheckBacklog {
  queued: number;
  queuedBytes: number;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly durations: Histogram<'method' | 'route' | 'status'>;
  private readonly uploads: Counter<'outcome'>;
  private readonly jobRuns: Counter<'job' | 'outcome'>;
  private readonly cuts: Counter<'reason'>;

  /** `queueDepths` reads the queues from the database; a failure leaves the gauge empty, not stale. */
  constructor(queueDepths: () => Promise<QueueDepths>) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 's2s_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.durations = new Histogram({
      name: 's2s_http_request_duration_seconds',
      help: 'Time to answer HTTP requests, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.uploads = new Counter({
      name: 's2s_uploads_total',
      help: 'Files uploaded, by outcome: stored, already-received (the same file sent again while it waits: nothing new stored), refused (by the checks), quarantined (a virus was found) or busy (turned away unread: too many files were waiting to be read).',
      labelNames: ['outcome'],
      registers,
    });
    this.jobRuns = new Counter({
      name: 's2s_job_runs_total',
      help: 'Scheduled job runs this process recorded, by job and outcome.',
      labelNames: ['job', 'outcome'],
      registers,
    });
    this.cuts = new Counter({
      name: 's2s_http_connections_cut_total',
      help: 'Connections closed with a request under way, unanswered (so not in s2s_http_requests_total), by reason: idle (nothing sent or read for REQUEST_IDLE_SECONDS, headers unfinished included, or no answer begun in that time) or request-timeout (still arriving after REQUEST_TIMEOUT_SECONDS; answered 408).',
      labelNames: ['reason'],
      registers,
    });
    new Gauge({
      name: 's2s_queue_depth',
      help: 'Items waiting, read from the database: notifications to send, files waiting for their virus scan.',
      labelNames: ['queue'],
      registers,
      async collect() {
        this.reset();
        const depths = await queueDepths().catch(() => ({}));
        for (const [queue, depth] of Object.entries(depths)) this.set({ queue }, depth);
      },
    });
  }

  /** `route` is the route's pattern, or undefined when no route matched (a 404). */
  httpRequest(method: string, route: string | undefined, status: number, seconds: number): void {
    const labels = { method, route: route ?? 'unmatched', status: String(status) };
    this.requests.inc(labels);
    this.durations.observe(labels, seconds);
  }

  upload(outcome: UploadMetric): void {
    this.uploads.inc({ outcome });
  }

  jobRun(job: string, outcome: JobRunMetric): void {
    this.jobRuns.inc({ job, outcome });
  }

  connectionCut(reason: CutMetric): void {
    this.cuts.inc({ reason });
  }

  /**
   * Reports this process's files waiting to be read (its own, unlike the database's queues): on census
   * day or in September, the first sign that uploads arrive faster than the workers read them.
   */
  watchContentChecks(backlog: () => ContentCheckBacklog): void {
    new Gauge({
      name: 's2s_content_checks_waiting',
      help: 'Files this process holds waiting for a content-check worker thread, and their bytes.',
      labelNames: ['unit'],
      registers: [this.registry],
      collect() {
        const { queued, queuedBytes } = backlog();
        this.set({ unit: 'files' }, queued);
        this.set({ unit: 'bytes' }, queuedBytes);
      },
    });
  }

  /** The exposition text, and its content type. */
  async exposition(): Promise<{ text: string; contentType: string }> {
    return { text: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
