// The scheduled jobs, assembled from the features (as app.ts assembles their routes). `serve` runs them
// on their schedules (unless SCHEDULER=off); `s2s jobs run NAME` runs one by hand.
import { sealAudit } from './audit/chain.ts';
import { sessionSweepJob } from './auth/session-sweep.ts';
import type { Deps } from './deps.ts';
import { lostPupilReviewJob } from './lost-pupils/review-job.ts';
import { messageExpiryJob } from './messaging/jobs.ts';
import { deliverDue } from './notifications/delivery.ts';
import type { EmailContext } from './notifications/email.ts';
import { missingAddressesJob, weeklyReminderJob } from './notifications/reminders.ts';
import { type JobDefinition, processOwner } from './platform/jobs/scheduler.ts';
import { plural } from './platform/words.ts';
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
  'sweep-sessions',
  'seal-audit',
] as const;

export function scheduledJobs(deps: Deps): JobDefinition[] {
  const owner = processOwner();
  return [
    {
      name: 'deliver-notifications',
      description: `Sends the emails waiting in the outbox through ${deps.mailer.description}, and tries again those that could not be sent.`,
      schedule: '*/20 * * * * *',
      scheduleText: 'every 20 seconds, in every process',
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
          summary: `Sent ${plural(r.sent, 'email')}; ${r.retrying} to try again later, ${r.failed} failed, ${r.noAddress} with no address.`,
          counts: { ...r },
        };
      },
    },
    {
      name: 'purge-files',
      description: `Deletes the content of collected files ${REDOWNLOAD_DAYS} days after their last download, of rejected files ${REJECTED_RETENTION_DAYS} days after the rejection, and of removed files (their records stay, for reports).`,
      schedule: '10 * * * *',
      scheduleText: 'every hour, at 10 minutes past',
      exclusive: true,
      run: async ({ logger }) => {
        const r = await purgeExpiredContent(deps.db, deps.files, deps.clock, logger);
        const failed =
          r.failed > 0 ? `; ${plural(r.failed, 'file')} could not be deleted and will be tried again` : '';
        return {
          ok: r.failed === 0,
          summary: `Deleted the content of ${plural(r.purged, 'file')}${failed}.`,
          counts: { ...r },
        };
      },
    },
    {
      name: 'sweep-files',
      description: `Removes stored files no transfer refers to (left by a crash between storing an upload and recording it) once they are ${ORPHAN_GRACE_HOURS} hours old.`,
      schedule: '40 3 * * *',
      scheduleText: 'every day at 3:40am',
      exclusive: true,
      run: async () => {
        const r = await sweepOrphanFiles(deps.db, deps.fileStore, deps.clock);
        return {
          ok: true,
          summary: `Checked ${plural(r.checked, 'stored file')}; removed ${r.removed} no transfer refers to and ${r.partials} unfinished.`,
          counts: { ...r },
        };
      },
    },
    {
      name: 'scan-files',
      description: `Scans for viruses the uploaded files waiting for their scan (clamd was busy or down when they arrived) through ${deps.scanner?.description ?? 'clamd (not configured: set CLAMD_SOCKET or CLAMD_HOST)'}, offers the clean ones and quarantines the others.`,
      schedule: '15 * * * * *',
      scheduleText: 'every minute',
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
        const stuck = !deps.scanner
          ? ` ${plural(r.waiting, 'file')} wait for a scan, but no scanner is configured: set CLAMD_SOCKET or CLAMD_HOST.`
          : r.unavailable > 0
            ? ` The scanner gave no verdict: ${plural(r.waiting, 'file')} still wait.`
            : '';
        return {
          ok: r.waiting === 0 || (r.unavailable === 0 && Boolean(deps.scanner)),
          didWork: r.clean + r.infected + r.unavailable > 0,
          summary: `Scanned ${plural(r.clean + r.infected, 'file')}: ${r.clean} clean, ${r.infected} quarantined.${stuck}`,
          counts: { ...r },
        };
      },
    },
    weeklyReminderJob(deps),
    missingAddressesJob(deps),
    lostPupilReviewJob(deps),
    messageExpiryJob(deps),
    sessionSweepJob(deps),
    {
      name: 'seal-audit',
      description:
        'Seals the audit events written since it last ran into the audit trail’s hash chain, so any later change to them is detected by `s2s audit verify`.',
      schedule: '30 * * * * *',
      scheduleText: 'every minute',
      exclusive: true,
      run: async () => {
        const sealed = await sealAudit(deps.db);
        return {
          ok: true,
          didWork: sealed > 0,
          summary: `Sealed ${plural(sealed, 'audit event')}.`,
          counts: { sealed },
        };
      },
    },
  ];
}
