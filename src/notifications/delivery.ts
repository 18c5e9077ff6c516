// Sends the outbox. Each due notification is claimed for LEASE_MINUTES (outbox.ts), addressed from the
// directory, written from its template in the recipient's language (recipients.ts), and handed to the
// mailer; the outcome is recorded on the row:
// - sent, with the address, subject and the mail server's answer;
// - tried again later when the server or the network failed (RETRY_MINUTES, then every 6 hours), until
//   GIVE_UP_HOURS after it was written: then failed (an administrator can put it back in the queue);
// - failed at once when the server refused the recipient or the message for good, or the template
//   cannot be written from the facts stored (a bug: the log and the Notifications page say which);
// - no-address when the recipient has no email address: reported to its LA (missing-addresses job).
// A process that stops mid-send leaves the row claimed; after the lease it is sent again. So a
// notification is sent at least once, and twice only if the process stopped between the server taking
// it and the outcome being recorded.
import type { Clock } from '../platform/clock.ts';
import type { Db, OutboxRow } from '../platform/db/schema.ts';
import type { Logger } from '../platform/logger.ts';
import { MailError, type Mailer } from '../platform/mail/mailer.ts';
import type { EmailContext } from './email.ts';
import { claimDueNotifications, type DeliveryOutcome, recordDelivery, renewLease } from './outbox.ts';
import { resolveRecipient } from './recipients.ts';
import { composeEmail, TemplateError } from './templates.ts';

export const LEASE_MINUTES = 5;
/** Minutes to wait before each retry after a failed attempt; after the last, every 6 hours. */
export const RETRY_MINUTES = [1, 5, 15, 60, 180, 360];
export const GIVE_UP_HOURS = 72;
const BATCH = 20;

export interface DeliveryDeps {
  db: Db;
  mailer: Mailer;
  clock: Clock;
  logger: Logger;
  email: EmailContext;
  /** This process, as the lease owner (host:pid:random). */
  owner: string;
}

export interface DeliveryResult {
  sent: number;
  retrying: number;
  failed: number;
  noAddress: number;
}

export function nextAttemptAfter(failedAt: Date, attemptsSoFar: number): Date {
  const minutes = RETRY_MINUTES[attemptsSoFar - 1] ?? 360;
  return new Date(failedAt.getTime() + minutes * 60_000);
}

/** Sends due notifications until none is left or `limit` have been tried. */
export async function deliverDue(deps: DeliveryDeps, limit = 500): Promise<DeliveryResult> {
  const result: DeliveryResult = { sent: 0, retrying: 0, failed: 0, noAddress: 0 };
  const leaseFrom = (now: Date) => new Date(now.getTime() + LEASE_MINUTES * 60_000);
  let tried = 0;
  while (tried < limit) {
    const now = deps.clock.now();
    const batch = await claimDueNotifications(
      deps.db,
      now,
      deps.owner,
      leaseFrom(now),
      Math.min(BATCH, limit - tried),
    );
    if (batch.length === 0) break;
    for (const row of batch) {
      tried += 1;
      const renewedAt = deps.clock.now();
      if (!(await renewLease(deps.db, row.id, deps.owner, renewedAt, leaseFrom(renewedAt)))) {
        deps.logger.warn(
          { notificationId: row.id },
          'the lease on a notification ran out before it was sent; it is left to the process that holds it now',
        );
        continue;
      }
      const { hint, ...outcome } = await attempt(deps, row);
      const recorded = await recordDelivery(deps.db, row, deps.owner, outcome);
      if (!recorded) {
        deps.logger.warn(
          { notificationId: row.id },
          'the lease on a notification ran out while it was being sent',
        );
        continue;
      }
      if (outcome.status === 'sent') result.sent += 1;
      else if (outcome.status === 'pending') result.retrying += 1;
      else if (outcome.status === 'failed') result.failed += 1;
      else result.noAddress += 1;
      if (outcome.status !== 'sent') {
        deps.logger.warn(
          {
            notificationId: row.id,
            template: row.template,
            status: outcome.status,
            attempts: row.attempts + 1,
            // Why: the mail server's answer or the connection's error, as the outbox keeps it (never
            // the email itself), and for a setting at fault what to set.
            reason: outcome.error,
            ...(hint ? { hint } : {}),
          },
          'a notification was not sent',
        );
      }
    }
  }
  return result;
}

async function attempt(deps: DeliveryDeps, row: OutboxRow): Promise<DeliveryOutcome & { hint?: string }> {
  const recipient = await resolveRecipient(deps.db, row.recipient_kind, row.recipient, row.payload);
  if (!recipient.address) {
    return {
      status: 'no-address',
      at: deps.clock.now(),
      toAddress: null,
      error: `${recipient.name} has no email address in the directory`,
    };
  }
  let email: ReturnType<typeof composeEmail>;
  try {
    email = composeEmail(row.template, row.payload, deps.email, recipient.language);
  } catch (error) {
    // Whatever stops an email being written (a payload of an older version, a wording changed since),
    // it fails on its own: thrown, it stopped the run and, first in the queue each time, the others.
    if (!(error instanceof TemplateError)) {
      deps.logger.error(
        {
          notificationId: row.id,
          template: row.template,
          error: error instanceof Error ? error.message : String(error),
        },
        'a notification could not be written',
      );
    }
    const why =
      error instanceof TemplateError
        ? error.message
        : 'The email could not be written from what was recorded';
    return { status: 'failed', at: deps.clock.now(), toAddress: recipient.address, error: why };
  }
  try {
    const sent = await deps.mailer.send({ to: recipient.address, ...email });
    return {
      status: 'sent',
      at: deps.clock.now(),
      toAddress: recipient.address,
      subject: email.subject,
      language: recipient.language,
      serverResponse: sent.response,
    };
  } catch (error) {
    const failure = error instanceof MailError ? error : new MailError(String(error), false);
    const at = deps.clock.now();
    const queuedAt = row.queued_at ?? row.created_at;
    const tooOld = at.getTime() - new Date(queuedAt).getTime() >= GIVE_UP_HOURS * 3_600_000;
    if (failure.permanent || tooOld) {
      const why = failure.permanent ? '' : ` (still failing ${GIVE_UP_HOURS} hours after it was queued)`;
      return {
        status: 'failed',
        at,
        toAddress: recipient.address,
        error: `${failure.message}${why}`,
        ...(failure.hint ? { hint: failure.hint } : {}),
      };
    }
    return {
      status: 'pending',
      at,
      toAddress: recipient.address,
      error: failure.message,
      ...(failure.hint ? { hint: failure.hint } : {}),
      nextAttemptAt: nextAttemptAfter(at, row.attempts + 1),
    };
  }
}
