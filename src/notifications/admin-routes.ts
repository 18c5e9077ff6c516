// The web edge of Notifications and Jobs, the service operator's pages (admin-service.ts), each behind
// notifications.admin:
//
//   GET  /admin/notifications?status=pending|sent|failed|no-address
//                                          counts by status, where mail goes, the latest 100 emails
//   POST /admin/notifications/send-again   chosen failed/undeliverable emails (ids), or all failed
//                                          ones (all=failed), back in the queue, due now
//   GET  /admin/notifications/:notificationId        one email: what happened to it, and with the mail
//                                          log its subject, text and HTML as they would be sent
//   GET  /admin/notifications/:notificationId/email  the HTML version alone, for the sandboxed iframe
//                                          of the page above (mail log only)
//   GET  /admin/jobs                       the scheduled jobs and their latest 100 runs
//   POST /admin/jobs/:jobName/run          runs a job now and says what it did
//
// The HTML version is not put in the page with <iframe srcdoc>: a srcdoc document inherits the page's
// Content-Security-Policy, whose style-src has no 'unsafe-inline', and an email is styled with inline
// style attributes only (email clients drop <style>). So the iframe loads it from its own URL, served
// with a policy of its own: no scripts, nothing fetched, inline styles allowed, sandboxed, framable only
// by this service.
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type Route, signedInUser } from '../auth/web.ts';
import type { Deps } from '../deps.ts';
import { emailContext, scheduledJobs } from '../jobs.ts';
import { type FieldError, Invalid } from '../platform/errors.ts';
import { Scheduler, summaryOf } from '../platform/jobs/scheduler.ts';
import { formId } from '../platform/web/form-values.ts';
import {
  isOutboxStatus,
  LIST_LIMIT,
  NotificationsAdmin,
  OUTBOX_STATUSES,
  type SentAgain,
  STATUS_KEYS,
} from './admin-service.ts';
import { FINISHED_RETENTION_DAYS } from './outbox.ts';

export const NOTIFICATIONS_PATH = '/admin/notifications';
export const JOBS_PATH = '/admin/jobs';
/** The pages' heading: the menu's name for them. */
const NOTIFICATIONS_LABEL_KEY = 'menu.admin.notifications';

/** The policy of the email's HTML in its iframe (see the top of this file). */
export const EMAIL_PREVIEW_CSP = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'self'",
  'sandbox',
].join('; ');

const listQuery = z.object({ status: z.string().optional() });
const notificationParams = z.object({ notificationId: z.string().max(100) });
const jobParams = z.object({ jobName: z.string().max(100) });
const runForm = z.object({ formId });
const sendAgainForm = z.object({
  ids: z
    .union([z.string().max(100), z.array(z.string().max(100)).max(1000)])
    .optional()
    .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v])),
  all: z.literal('failed').optional(),
  /** The filter the list was showing, to go back to it. */
  status: z.string().max(20).optional(),
  /** The email whose page the form was on, to go back to it. */
  back: z.string().max(100).optional(),
  /** Each email as the page showed it (NotificationLine.seen): the failure seen is sent again once. */
  seen: z
    .union([z.string().max(200), z.array(z.string().max(200)).max(1000)])
    .optional()
    .transform((v) => (v === undefined ? undefined : seenOf(Array.isArray(v) ? v : [v]))),
  /** When the list was shown, for Send all failed emails again. */
  shownAt: z.string().max(40).optional(),
});

/** The ids' `queued_at` as the page showed them ("<id> <queued_at>", nothing after the space: null). */
function seenOf(values: string[]): Map<string, string | null> {
  const seen = new Map<string, string | null>();
  for (const value of values) {
    const space = value.indexOf(' ');
    if (space <= 0) continue;
    const queuedAt = value.slice(space + 1);
    seen.set(value.slice(0, space), queuedAt === '' ? null : queuedAt);
  }
  return seen;
}

function subNavigation(request: FastifyRequest, current: 'notifications' | 'jobs') {
  return [
    {
      href: NOTIFICATIONS_PATH,
      text: request.t('notifications.admin.emails'),
      current: current === 'notifications',
    },
    { href: JOBS_PATH, text: request.t('notifications.admin.jobs'), current: current === 'jobs' },
  ];
}

function listHref(status: string | undefined): string {
  return isOutboxStatus(status) ? `${NOTIFICATIONS_PATH}?status=${status}` : NOTIFICATIONS_PATH;
}

export function notificationsAdminRoutes(deps: Deps, scheduler?: Scheduler): Route[] {
  const admin = new NotificationsAdmin({
    db: deps.db,
    clock: deps.clock,
    logger: deps.logger,
    mail: deps.config.mail,
    email: emailContext(deps.config),
    scheduler: scheduler ?? new Scheduler(deps, scheduledJobs(deps)),
  });

  const listPage = async (reply: FastifyReply, statusQuery: string | undefined, errors?: FieldError[]) => {
    const status = isOutboxStatus(statusQuery) ? statusQuery : undefined;
    const outbox = await admin.outbox(status);
    const t = (key: string, params?: Record<string, string>) => reply.request.t(key, params);
    return reply.page('notifications/views/admin-notifications.njk', {
      title: status
        ? t('notifications.admin.emails.with-status', { status: t(STATUS_KEYS[status]) })
        : t('notifications.admin.emails'),
      heading: t(NOTIFICATIONS_LABEL_KEY),
      subNavigation: subNavigation(reply.request, 'notifications'),
      outbox,
      statuses: OUTBOX_STATUSES.map((key) => ({
        key,
        label: t(STATUS_KEYS[key]),
        count: outbox.counts[key],
        href: listHref(key),
        current: key === status,
      })),
      statusLabel: status ? t(STATUS_KEYS[status]) : undefined,
      selectable: outbox.lines.some((line) => line.canSendAgain),
      limit: LIST_LIMIT,
      mailer: deps.mailer.description,
      mailLog: admin.mailLog,
      retentionDays: FINISHED_RETENTION_DAYS,
      errors,
    });
  };

  return [
    {
      method: 'GET',
      url: NOTIFICATIONS_PATH,
      access: 'notifications.admin',
      handler: async (request, reply) => {
        const query = listQuery.parse(request.query ?? {});
        return listPage(reply, query.status);
      },
    },
    {
      method: 'POST',
      url: `${NOTIFICATIONS_PATH}/send-again`,
      access: 'notifications.admin',
      handler: async (request, reply) => {
        const form = sendAgainForm.parse(request.body ?? {});
        let done: SentAgain;
        try {
          done = await admin.sendAgain(
            signedInUser(request),
            form.all === 'failed'
              ? { allFailed: true, ...(form.shownAt ? { shownAt: form.shownAt } : {}) }
              : { ids: form.ids, ...(form.seen ? { seen: form.seen } : {}) },
          );
        } catch (error) {
          if (!(error instanceof Invalid)) throw error;
          return listPage(reply.code(400), form.status, error.errors);
        }
        const { count, failedAgain } = done;
        const message =
          count === 0
            ? request.t(
                failedAgain > 0
                  ? 'notifications.admin.sent-again.failed-again'
                  : 'notifications.admin.sent-again.none',
              )
            : failedAgain > 0
              ? `${request.t('notifications.admin.sent-again', { count })} ${request.t('notifications.admin.sent-again.others-failed-again', { count: failedAgain })}`
              : request.t('notifications.admin.sent-again', { count });
        const back =
          form.back !== undefined && form.ids.includes(form.back)
            ? `${NOTIFICATIONS_PATH}/${encodeURIComponent(form.back)}`
            : listHref(form.status);
        return reply.flash(message, count === 0 ? 'important' : 'success').redirect(back, 303);
      },
    },
    {
      method: 'GET',
      url: `${NOTIFICATIONS_PATH}/:notificationId`,
      access: 'notifications.admin',
      handler: async (request, reply) => {
        const { notificationId } = notificationParams.parse(request.params ?? {});
        const detail = await admin.notification(notificationId);
        return reply.page('notifications/views/admin-notification.njk', {
          title: detail.line.templateKey ? request.t(detail.line.templateKey) : detail.line.templateLabel,
          heading: request.t(NOTIFICATIONS_LABEL_KEY),
          subNavigation: subNavigation(request, 'notifications'),
          ...detail,
          mailer: deps.mailer.description,
          emailHref: `${NOTIFICATIONS_PATH}/${encodeURIComponent(detail.line.id)}/email`,
          backLink: {
            href: listHref(detail.line.status),
            text: request.t('notifications.admin.back-to', {
              status: request.t(STATUS_KEYS[detail.line.status]),
            }),
          },
        });
      },
    },
    {
      method: 'GET',
      url: `${NOTIFICATIONS_PATH}/:notificationId/email`,
      access: 'notifications.admin',
      handler: async (request, reply) => {
        const { notificationId } = notificationParams.parse(request.params ?? {});
        const html = await admin.emailHtml(notificationId);
        return reply
          .header('content-security-policy', EMAIL_PREVIEW_CSP)
          .header('x-frame-options', 'SAMEORIGIN')
          .header('cache-control', 'no-store')
          .type('text/html; charset=utf-8')
          .send(html);
      },
    },
    {
      method: 'GET',
      url: JOBS_PATH,
      access: 'notifications.admin',
      handler: async (request, reply) => {
        const { jobs, runs } = await admin.jobs();
        return reply.page('notifications/views/admin-jobs.njk', {
          title: request.t('notifications.admin.jobs'),
          heading: request.t(NOTIFICATIONS_LABEL_KEY),
          subNavigation: subNavigation(request, 'jobs'),
          // Each Run now button carries an id made as the page is drawn: posted again, it runs nothing more.
          jobs: jobs.map((job) => ({ ...job, formId: randomUUID() })),
          runs,
          limit: LIST_LIMIT,
          schedulerHere: deps.config.scheduler,
        });
      },
    },
    {
      method: 'POST',
      url: `${JOBS_PATH}/:jobName/run`,
      access: 'notifications.admin',
      handler: async (request, reply) => {
        const { jobName } = jobParams.parse(request.params ?? {});
        const form = runForm.parse(request.body ?? {});
        const { run, already } = await admin.runJob(signedInUser(request), jobName, form.formId);
        if (already) {
          const earlier = summaryOf(run);
          const said =
            run.status === 'running' || earlier === null
              ? request.t('notifications.admin.job-running-already', { job: run.job })
              : request.t('notifications.admin.job-ran-already', {
                  job: run.job,
                  summary: earlier,
                });
          return reply.flash(said, 'important').redirect(JOBS_PATH, 303);
        }
        const summary = summaryOf(run) ?? '';
        const message =
          run.status === 'succeeded'
            ? request.t('notifications.admin.job-ran', { job: run.job, summary })
            : request.t('notifications.admin.job-failed', {
                job: run.job,
                summary,
                error: run.error ? ` (${run.error.slice(0, 300)})` : '',
              });
        return reply
          .flash(message, run.status === 'succeeded' ? 'success' : 'important')
          .redirect(JOBS_PATH, 303);
      },
    },
  ];
}
