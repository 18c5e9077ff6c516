// The administrators' Notifications and Jobs pages, without HTTP: the outbox by status, one email with
// (in the mail log only) its content as it would be sent, putting failed emails back in the queue, and
// the scheduled jobs with their runs.
//
// Email bodies are shown only with the mail log (development): with a mail server, an email may hold
// reasons a school typed, and the operator needs only what happened to it.

import { randomUUID } from 'node:crypto';
import { recordAudit } from '../audit/repository.ts';
import type { Actor } from '../auth/actor.ts';
import type { MailConfig } from '../config.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db, Executor, JobRunRow, OutboxRow, OutboxStatus } from '../platform/db/schema.ts';
import { Invalid, NotFound } from '../platform/errors.ts';
import { keyedError, type Message, message, translate } from '../platform/i18n/catalogue.ts';
import { type FinishedRun, type Scheduler, summaryOf } from '../platform/jobs/scheduler.ts';
import type { Logger } from '../platform/logger.ts';
import { MAIL_LOG_RESPONSE } from '../platform/mail/mailer.ts';
import { type RecipientKind, recipientKey, recipientNames } from './admin-repository.ts';
import type { EmailContext, EmailLanguage } from './email.ts';
import { countStillFailed, getNotification, listOutbox, outboxCounts, requeue } from './outbox.ts';
import { type Recipient, resolveRecipient } from './recipients.ts';
import { composeEmail, isTemplateName, TEMPLATES, TemplateError, type TemplateName } from './templates.ts';

/** The newest notifications shown on the page. */
export const LIST_LIMIT = 100;

export const OUTBOX_STATUSES: readonly OutboxStatus[] = ['pending', 'sent', 'failed', 'no-address'];

/** Each status's name on the pages, as a catalogue key. */
export const STATUS_KEYS: Record<OutboxStatus, string> = {
  pending: 'notifications.admin.status.pending',
  sent: 'notifications.admin.status.sent',
  failed: 'notifications.admin.status.failed',
  'no-address': 'notifications.admin.status.no-address',
};

export function isOutboxStatus(value: unknown): value is OutboxStatus {
  return typeof value === 'string' && (OUTBOX_STATUSES as readonly string[]).includes(value);
}

/** Each email in a few words, for the table, as a catalogue key. */
export const TEMPLATE_KEYS: Record<TemplateName, string> = {
  'ctf-uploaded': 'notifications.admin.email.ctf-uploaded',
  'upload-confirmed': 'notifications.admin.email.upload-confirmed',
  'upload-refused': 'notifications.admin.email.upload-refused',
  'file-quarantined': 'notifications.admin.email.file-quarantined',
  'file-downloaded': 'notifications.admin.email.file-downloaded',
  'file-rejected': 'notifications.admin.email.file-rejected',
  'forwarded-file-downloaded': 'notifications.admin.email.forwarded-file-downloaded',
  'forwarded-file-rejected': 'notifications.admin.email.forwarded-file-rejected',
  'file-removed': 'notifications.admin.email.file-removed',
  'waiting-file-removed': 'notifications.admin.email.waiting-file-removed',
  'waiting-file-forwarded': 'notifications.admin.email.waiting-file-forwarded',
  'forwarded-file-removed': 'notifications.admin.email.forwarded-file-removed',
  'weekly-reminder': 'notifications.admin.email.weekly-reminder',
  'new-message': 'notifications.admin.email.new-message',
  'message-by-email': 'notifications.admin.email.message-by-email',
  'lost-pupil-match': 'notifications.admin.email.lost-pupil-match',
  'lost-pupil-forwarded': 'notifications.admin.email.lost-pupil-forwarded',
  'lost-pupil-forwarded-collected': 'notifications.admin.email.lost-pupil-forwarded-collected',
  'lost-pupil-found': 'notifications.admin.email.lost-pupil-found',
  'lost-pupil-lost-again': 'notifications.admin.email.lost-pupil-lost-again',
  'addresses-missing': 'notifications.admin.email.addresses-missing',
  'lost-pupils-to-review': 'notifications.admin.email.lost-pupils-to-review',
  'census-return-submitted': 'notifications.admin.email.census-return-submitted',
  'census-return-returned': 'notifications.admin.email.census-return-returned',
  'census-return-approved': 'notifications.admin.email.census-return-approved',
  'census-return-reloaded': 'notifications.admin.email.census-return-reloaded',
  'account-changed': 'notifications.admin.email.account-changed',
};

const RECIPIENT_KIND_KEYS: Record<RecipientKind, string> = {
  school: 'notifications.admin.recipient.school',
  la: 'notifications.admin.recipient.la',
  user: 'notifications.admin.recipient.user',
  'user-at': 'notifications.admin.recipient.user-at',
};

export const FIELD_SELECTION = 'ids';

export interface NotificationLine {
  id: string;
  createdAt: string;
  template: string;
  templateLabel: string;
  /** The label's catalogue key; null for a template the service does not know. */
  templateKey: string | null;
  recipient: {
    kind: RecipientKind;
    kindLabel: string;
    kindKey: string | null;
    id: string;
    name: string | null;
  };
  toAddress: string | null;
  status: OutboxStatus;
  statusLabel: string;
  statusKey: string | null;
  attempts: number;
  /** When it will be tried (again), while waiting. */
  nextAttemptAt: string | null;
  sentAt: string | null;
  subject: string | null;
  lastError: string | null;
  /** The mail server's answer as it gave it; the mail log's in the reader's language. */
  serverResponse: string | Message | null;
  /** Failed and undeliverable emails can be put back in the queue. */
  canSendAgain: boolean;
  /**
   * What the Send again forms send back for it: its id and when it was last queued (nothing after the
   * space if never sent again), the failure shown (outbox.ts, requeue).
   */
  seen: string;
}

/** What Send again did: emails put back in the queue, and those left failed (sent again since shown). */
export interface SentAgain {
  count: number;
  failedAgain: number;
}

export interface OutboxOverview {
  counts: Record<OutboxStatus, number>;
  total: number;
  status: OutboxStatus | undefined;
  lines: NotificationLine[];
  /** When the list was shown: Send all failed emails again sends those failed by then (requeue). */
  shownAt: string;
}

/** The email as it would be sent (mail log only), or why it cannot be written. */
export type EmailPreview =
  | { state: 'shown'; subject: string; text: string; html: string }
  | { state: 'hidden' }
  | { state: 'broken'; problem: string };

export interface NotificationDetail {
  line: NotificationLine;
  /** What the email is for (the template's description). */
  purpose: Message | null;
  /** The recipient as the directory has it now: the address the next attempt would use. */
  recipient: Recipient;
  preview: EmailPreview;
  /** The language the email was sent in (or, not sent yet, will be: its recipient's now); see languageOf. */
  emailLanguage: ShownLanguage;
}

/**
 * The language an email is shown in: `sent` when it went (its language then), else the one it would go
 * in now. `unknownKey` says why a sent email's language cannot be told (one sent before it was recorded,
 * told by its subject where that can tell): its subject is written alike in several languages (a message
 * sent as an email has the message's own), or in none now (the template's words changed since); it is
 * then shown in the recipient's language now.
 */
export interface ShownLanguage {
  language: EmailLanguage;
  /** The language's name on the page. */
  nameKey: string;
  sent: boolean;
  /** Why a sent email's language is not known, as the page says it (the language's name its `language`). */
  unknownKey?: (typeof UNKNOWN_KEYS)[keyof typeof UNKNOWN_KEYS];
}

const UNKNOWN_KEYS = {
  'same-subject': 'notifications.admin.language.unknown-same-subject',
  changed: 'notifications.admin.language.unknown-changed',
} as const;

const LANGUAGE_NAME_KEYS: Record<EmailLanguage, string> = {
  en: 'notifications.admin.language.en',
  cy: 'notifications.admin.language.cy',
  bilingual: 'notifications.admin.language.bilingual',
};

/** The languages an email is written in (recipients.ts). */
const EMAIL_LANGUAGES: readonly EmailLanguage[] = ['en', 'cy', 'bilingual'];

/** A run as the jobs page shows it: its summary a message where the job gave one (summaryOf). */
export type JobRunLine = Omit<JobRunRow, 'summary' | 'summary_message'> & {
  summary: string | Message | null;
};

export interface JobLine {
  name: string;
  description: string | Message;
  scheduleText: string | Message;
  nextRun: Date | null;
  lastRun: JobRunLine | undefined;
}

export interface NotificationsAdminDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  mail: MailConfig;
  email: EmailContext;
  scheduler: Scheduler;
}

export class NotificationsAdmin {
  constructor(private readonly deps: NotificationsAdminDeps) {}

  /** Whether emails go to the mail log, whose bodies the pages show. */
  get mailLog(): boolean {
    return this.deps.mail.transport === 'log';
  }

  async outbox(status?: OutboxStatus): Promise<OutboxOverview> {
    // Before the reads: an email sent again after them is queued at this time or later.
    const shownAt = this.deps.clock.now().toISOString();
    const [counts, rows] = await Promise.all([
      outboxCounts(this.deps.db),
      listOutbox(this.deps.db, { status, limit: LIST_LIMIT }),
    ]);
    const names = await recipientNames(this.deps.db, rows);
    const total = OUTBOX_STATUSES.reduce((sum, s) => sum + counts[s], 0);
    return { counts, total, status, lines: rows.map((row) => lineOf(row, names)), shownAt };
  }

  async notification(id: string): Promise<NotificationDetail> {
    const row = await this.row(id);
    const [names, recipient] = await Promise.all([
      recipientNames(this.deps.db, [row]),
      resolveRecipient(this.deps.db, row.recipient_kind, row.recipient, row.payload),
    ]);
    const emailLanguage = this.languageOf(row, recipient.language);
    return {
      line: lineOf(row, names),
      purpose: isTemplateName(row.template) ? TEMPLATES[row.template].description : null,
      recipient,
      preview: this.mailLog ? this.compose(row, emailLanguage.language) : { state: 'hidden' },
      emailLanguage,
    };
  }

  /** The HTML version of one email as it would be sent; only with the mail log. */
  async emailHtml(id: string): Promise<string> {
    if (!this.mailLog) throw new NotFound(message('notifications.not-found.email'));
    const row = await this.row(id);
    const recipient = await resolveRecipient(this.deps.db, row.recipient_kind, row.recipient, row.payload);
    const preview = this.compose(row, this.languageOf(row, recipient.language).language);
    if (preview.state !== 'shown') throw new NotFound(message('notifications.not-found.email'));
    return preview.html;
  }

  /**
   * Puts the chosen failed or undeliverable emails (or every failed one) back in the queue, due now.
   * Emails chosen that are no longer failed (sent again already) are left alone. With what the page showed
   * (`seen`: each email's `queued_at`; `shownAt`: when the list was shown, for every failed one), an email
   * sent again since and failed again (the same form posted twice around the sender's next attempt, or
   * another operator's Send again) is left too: the failure the user saw was sent again once, and the
   * new one is theirs to choose. Send all puts back only failures at or before `shownAt`: an email that
   * was waiting to be sent as the page was shown and failed after it is left, its failure never shown.
   * Returns how many were put back, and how many the page showed were left failed so.
   */
  async sendAgain(
    actor: Actor,
    choice:
      | { ids: readonly string[]; seen?: ReadonlyMap<string, string | null> }
      | { allFailed: true; shownAt?: string },
  ): Promise<SentAgain> {
    const now = this.deps.clock.now();
    // Nothing put back (the same form posted again, or at once, its update waiting for the first's, finds
    // them queued already): nothing to audit.
    const audit = async (tx: Executor, count: number) =>
      count > 0 &&
      recordAudit(tx, {
        at: now,
        actorUserId: actor.userId,
        actorUsername: actor.username,
        action: 'emails-sent-again',
        detail: 'allFailed' in choice ? { count, all: 'failed' } : { count, ids: [...choice.ids] },
      });
    if ('allFailed' in choice) {
      return this.deps.db.transaction().execute(async (tx) => {
        const count = await requeue(tx, now, {
          status: 'failed',
          ...(choice.shownAt === undefined ? {} : { shownAt: choice.shownAt }),
        });
        await audit(tx, count);
        // Those the page showed left failed: sent again after it was shown, from a failure it showed, and
        // failed again. Not one that failed after it was shown, which the page never showed.
        const failedAgain =
          choice.shownAt === undefined
            ? 0
            : await countStillFailed(tx, { statuses: ['failed'], shownAt: choice.shownAt });
        return { count, failedAgain };
      });
    }
    if (choice.ids.length === 0) {
      throw new Invalid([keyedError(FIELD_SELECTION, 'notifications.admin.select-emails')]);
    }
    if (choice.ids.length > LIST_LIMIT) {
      throw new Invalid([
        keyedError(FIELD_SELECTION, 'notifications.admin.too-many-emails', { max: LIST_LIMIT }),
      ]);
    }
    return this.deps.db.transaction().execute(async (tx) => {
      const query = { ids: choice.ids, ...(choice.seen ? { seen: choice.seen } : {}) };
      const failed = await requeue(tx, now, { status: 'failed', ...query });
      const noAddress = await requeue(tx, now, { status: 'no-address', ...query });
      await audit(tx, failed + noAddress);
      // Chosen, failed, and not put back: sent again since the page showed them, and failed again.
      const failedAgain = choice.seen
        ? await countStillFailed(tx, { statuses: ['failed', 'no-address'], ids: choice.ids })
        : 0;
      return { count: failed + noAddress, failedAgain };
    });
  }

  async jobs(): Promise<{ jobs: JobLine[]; runs: JobRunLine[] }> {
    const { scheduler } = this.deps;
    const now = this.deps.clock.now();
    const jobs = await Promise.all(
      scheduler.jobs.map(async (job) => {
        const [lastRun] = await scheduler.history(1, job.name);
        return {
          name: job.name,
          description: job.description,
          scheduleText: job.scheduleText,
          nextRun: scheduler.nextRun(job.name, now),
          lastRun: lastRun && runLine(lastRun),
        };
      }),
    );
    return { jobs, runs: (await scheduler.history(LIST_LIMIT)).map(runLine) };
  }

  /**
   * Runs a job now, by hand, and waits for it to finish; the audit log says who ran it and how it went.
   * With `formId` (the id the jobs page gave its Run now button), once only: the same form posted again
   * runs nothing and gets the first post's run, running or finished, as `already` (not audited again).
   */
  async runJob(
    actor: Actor,
    name: string,
    formId?: string,
  ): Promise<{ run: FinishedRun; already: false } | { run: JobRunRow; already: true }> {
    if (!this.deps.scheduler.jobs.some((job) => job.name === name))
      throw new NotFound(message('notifications.not-found.job'));
    const ran = await this.deps.scheduler.runNowOnce(name, formId ?? randomUUID());
    if (ran.already) return ran;
    const { run } = ran;
    await recordAudit(this.deps.db, {
      at: this.deps.clock.now(),
      actorUserId: actor.userId,
      actorUsername: actor.username,
      action: 'job-run-by-hand',
      subjectType: 'job',
      subjectId: name,
      detail: { status: run.status, slot: run.slot },
    });
    return ran;
  }

  private async row(id: string): Promise<OutboxRow> {
    const row = await getNotification(this.deps.db, id);
    if (!row) throw new NotFound(message('notifications.not-found.email'));
    return row;
  }

  /**
   * The language an email was sent in, which its recipient's later choice (a user's Cymraeg, a school
   * moved to an LA in Wales) does not change: recorded with its subject when it was sent (migration 054).
   * One sent before that is told by its subject, the one the outbox kept (its first 200 characters): the
   * language whose subject, written again from the stored facts, is that one, when only one is (decision
   * 75). An email not sent yet goes in its recipient's language now (`now`).
   */
  private languageOf(row: OutboxRow, now: EmailLanguage): ShownLanguage {
    const shown = (language: EmailLanguage, sent: boolean, unknown?: keyof typeof UNKNOWN_KEYS) => ({
      language,
      nameKey: LANGUAGE_NAME_KEYS[language],
      sent,
      ...(unknown ? { unknownKey: UNKNOWN_KEYS[unknown] } : {}),
    });
    if (row.subject === null) return shown(now, false);
    const recorded = EMAIL_LANGUAGES.find((language) => language === row.language);
    if (recorded) return shown(recorded, true);
    const writing: EmailLanguage[] = [];
    for (const language of EMAIL_LANGUAGES) {
      try {
        const { subject } = composeEmail(row.template, row.payload, this.deps.email, language);
        if (subject.slice(0, 200) === row.subject) writing.push(language);
      } catch {
        break; // Facts that do not fit the template: compose() says why.
      }
    }
    const [only] = writing;
    if (only && writing.length === 1) return shown(only, true);
    return shown(now, true, writing.length > 1 ? 'same-subject' : 'changed');
  }

  /** The email as delivery writes it, in `language`. */
  private compose(row: OutboxRow, language: EmailLanguage): EmailPreview {
    try {
      return { state: 'shown', ...composeEmail(row.template, row.payload, this.deps.email, language) };
    } catch (error) {
      if (error instanceof TemplateError) return { state: 'broken', problem: error.message };
      // A fault in the service's own code: the log has the details, the page says where to look.
      this.deps.logger.error({ err: error, notificationId: row.id }, 'an email could not be written');
      return {
        state: 'broken',
        problem:
          'The email could not be written from its facts because of a fault in the service. The log says more.',
      };
    }
  }
}

function runLine(row: JobRunRow): JobRunLine {
  const { summary_message: _, ...run } = row;
  return { ...run, summary: summaryOf(row) };
}

function lineOf(row: OutboxRow, names: Map<string, string>): NotificationLine {
  return {
    id: row.id,
    createdAt: row.created_at,
    template: row.template,
    templateLabel: isTemplateName(row.template)
      ? translate('en', TEMPLATE_KEYS[row.template])
      : translate('en', 'notifications.admin.email.unknown', { template: row.template.slice(0, 60) }),
    templateKey: isTemplateName(row.template) ? TEMPLATE_KEYS[row.template] : null,
    recipient: {
      kind: row.recipient_kind,
      kindLabel: RECIPIENT_KIND_KEYS[row.recipient_kind]
        ? translate('en', RECIPIENT_KIND_KEYS[row.recipient_kind])
        : row.recipient_kind,
      kindKey: RECIPIENT_KIND_KEYS[row.recipient_kind] ?? null,
      id: row.recipient,
      name: names.get(recipientKey(row.recipient_kind, row.recipient)) ?? null,
    },
    toAddress: row.to_address,
    status: row.status,
    statusLabel: STATUS_KEYS[row.status] ? translate('en', STATUS_KEYS[row.status]) : row.status,
    statusKey: STATUS_KEYS[row.status] ?? null,
    attempts: row.attempts,
    nextAttemptAt: row.status === 'pending' ? row.next_attempt_at : null,
    sentAt: row.sent_at,
    subject: row.subject,
    lastError: row.last_error,
    serverResponse:
      row.server_response === MAIL_LOG_RESPONSE ? message('mailer.mail-log.response') : row.server_response,
    canSendAgain: row.status === 'failed' || row.status === 'no-address',
    seen: `${row.id} ${row.queued_at ?? ''}`,
  };
}
