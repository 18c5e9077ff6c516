// The scheduled jobs, assembled from the features (as app.ts assembles their routes). `serve` runs them
// on their schedules (unless SCHEDULER=off); `s2s jobs run NAME` runs one by hand. Their descriptions,
// schedules in words and summaries are messages (`jobs.` in platform/jobs/translations.json), for the jobs
// page in the reader's language.
import { sealAudit } from './audit/chain.ts';
import { sessionSweepJob } from './auth/session-sweep.ts';
import type { Deps } from './deps.ts';
import { lostPupilReviewJob } from './lost-pupils/review-job.ts';
import { messageExpiryJob } from './messaging/jobs.ts';
import { deliverDue } from './notifications/delivery.ts';
import type { EmailContext } from './notifications/email.ts';
import { missingAddressesJob, weeklyReminderJob } from './notifications/reminders.ts';
import { notificationRetentionJob } from './notifications/retention.ts';
import { message } from './platform/i18n/catalogue.ts';
import { jobHistoryJob } from './platform/jobs/history-retention.ts';
import { type JobDefinition, processOwner } from './platform/jobs/scheduler.ts';
import { REDOWNLOAD_DAYS } from './transfers/download-listing.ts';
import {
  ORPHAN_GRACE_HOURS,
  purgeExpiredContent,
  REJECTED_RETENTION_DAYS,
  sweepOrphanFiles,
} from './transfers/jobs.ts';
import { ScanService } from './transfers/scan-service.ts';

export function emailContext(config: Deps['config']): EmailContext {
  return { serviceName: 's2s', serviceUrl: config.serviceUrl, serviceDesk: config.serviceDesk };
}

/** The jobs' names, known without a database (for the command's usage errors). */
export const JOB_NAMES = [
  'deliver-notifications',
  'purge-files',
  'sweep-files',
  'scan-files',
  'weekly-reminder',
  'missing-addresses',
  'lost-pupil-review',
  'message-expiry',
  'purge-notifications',
  'sweep-sessions',
  'seal-audit',
  'purge-job-history',
] as const;

export function scheduledJobs(deps: Deps): JobDefinition[] {
  const owner = processOwner();
  return [
    {
      name: 'deliver-notifications',
      description:
        deps.config.mail.transport === 'log'
          ? message('jobs.deliver-notifications.description.mail-log')
          : message('jobs.deliver-notifications.description', { mailer: deps.mailer.description }),
      schedule: '*/20 * * * * *',
      scheduleText: message('jobs.deliver-notifications.schedule'),
      exclusive: false,
      run: async () => {
        const r = await deliverDue({
          db: deps.db,
          mailer: deps.mailer,
          clock: deps.clock,
          logger: deps.logger,
          email: emailContext(deps.config),
          owner,
        });
        const tried = r.sent + r.retrying + r.failed + r.noAddress;
        return {
          ok: r.retrying + r.failed === 0,
          didWork: tried > 0,
          summary: message('jobs.deliver-notifications.summary', {
            count: r.sent,
            retrying: r.retrying,
            failed: r.failed,
            noAddress: r.noAddress,
          }),
          counts: { ...r },
        };
      },
    },
    {
      name: 'purge-files',
      description: message('jobs.purge-files.description', {
        redownloadDays: REDOWNLOAD_DAYS,
        rejectedDays: REJECTED_RETENTION_DAYS,
      }),
      schedule: '10 * * * *',
      scheduleText: message('jobs.purge-files.schedule'),
      exclusive: true,
      deletesFiles: true,
      run: async ({ logger }) => {
        const r = await purgeExpiredContent(deps.db, deps.files, deps.clock, logger);
        return {
          ok: r.failed === 0,
          summary:
            r.failed > 0
              ? message('jobs.purge-files.summary-failed', {
                  count: r.purged,
                  failed: message('jobs.purge-files.not-deleted', { count: r.failed }),
                })
              : message('jobs.purge-files.summary', { count: r.purged }),
          counts: { ...r },
        };
      },
    },
    {
      name: 'sweep-files',
      description: message('jobs.sweep-files.description', { hours: ORPHAN_GRACE_HOURS }),
      schedule: '40 3 * * *',
      scheduleText: message('jobs.sweep-files.schedule'),
      exclusive: true,
      deletesFiles: true,
      run: async () => {
        const r = await sweepOrphanFiles(deps.db, deps.fileStore, deps.clock);
        return {
          ok: true,
          summary: message('jobs.sweep-files.summary', {
            count: r.checked,
            removed: r.removed,
            partials: r.partials,
          }),
          counts: { ...r },
        };
      },
    },
    {
      name: 'scan-files',
      description: deps.scanner
        ? message('jobs.scan-files.description', { scanner: deps.scanner.description })
        : message('jobs.scan-files.description.no-scanner'),
      schedule: '15 * * * * *',
      scheduleText: message('jobs.every-minute'),
      exclusive: true,
      run: async ({ logger }) => {
        const scans = new ScanService({
          db: deps.db,
          files: deps.files,
          clock: deps.clock,
          logger,
          scanner: deps.scanner,
        });
        const r = await scans.scanWaiting();
        const scanned = { count: r.clean + r.infected, clean: r.clean, infected: r.infected };
        const waiting = !deps.scanner
          ? message('jobs.scan-files.no-scanner', { count: r.waiting })
          : r.unavailable > 0
            ? message('jobs.scan-files.no-verdict', { count: r.waiting })
            : null;
        return {
          ok: r.waiting === 0 || (r.unavailable === 0 && Boolean(deps.scanner)),
          didWork: r.clean + r.infected + r.unavailable > 0,
          summary: waiting
            ? message('jobs.scan-files.summary-waiting', { ...scanned, waiting })
            : message('jobs.scan-files.summary', scanned),
          counts: { ...r },
        };
      },
    },
    weeklyReminderJob(deps),
    missingAddressesJob(deps),
    lostPupilReviewJob(deps),
    messageExpiryJob(deps),
    notificationRetentionJob(deps),
    sessionSweepJob(deps),
    {
      name: 'seal-audit',
      description: message('jobs.seal-audit.description'),
      schedule: '30 * * * * *',
      scheduleText: message('jobs.every-minute'),
      exclusive: true,
      run: async () => {
        const { sealed, unproven } = await sealAudit(deps.db, deps.auditKeys);
        return {
          // Events sealed marked (their own MAC did not verify) were sealed all the same: the work is
          // done, and the summary (like verify and the Audit Log page) says what was found.
          ok: true,
          didWork: sealed > 0,
          summary:
            unproven > 0
              ? message('jobs.seal-audit.summary-unproven', { count: sealed, unproven })
              : message('jobs.seal-audit.summary', { count: sealed }),
          counts: { sealed, unproven },
        };
      },
    },
    jobHistoryJob({ db: deps.db, jobs: JOB_NAMES }),
  ];
}
