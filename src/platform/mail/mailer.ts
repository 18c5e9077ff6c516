// How an email leaves the service: over SMTP (nodemailer), or into the mail log outside production. The
// outbox delivery (notifications/delivery.ts) decides what to send and records the outcome; a mailer
// only sends one message and says what the server answered, or why it could not.
import nodemailer, { type Transporter } from 'nodemailer';
import type { MailConfig } from '../../config.ts';
import { type Message, message } from '../i18n/catalogue.ts';

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The Content-Language header: 'en', 'cy', or 'cy, en' for an email in both. */
  language?: string;
}

export interface Mailer {
  /**
   * Where mail goes, for the administrators' page: the server's address ("smtp.example.gov.uk:587"), or
   * a message where words are added to it (the mail log, "STARTTLS required").
   */
  readonly description: string | Message;
  /** Resolves with the server's answer; rejects with a MailError. */
  send(email: OutgoingEmail): Promise<{ response: string }>;
  close(): void;
}

/**
 * A message the mail server or the network would not take. `permanent` when trying again cannot help:
 * the server refused the recipient or the message itself (a 5xx answer to RCPT TO or DATA).
 */
export class MailError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    /** For the operator's log: which setting to change, when the failure is the settings' (English). */
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** What the log says when STARTTLS is required (SMTP_REQUIRE_TLS) and the mail server does not offer it. */
export const NO_STARTTLS_HINT =
  'the mail server does not offer STARTTLS, which SMTP_REQUIRE_TLS requires (on by default in production): ' +
  'have the relay offer STARTTLS, or use its TLS port with SMTP_SECURE=true (e.g. SMTP_PORT=465); ' +
  'only on a network where mail may travel in clear, set SMTP_REQUIRE_TLS=false';

/** What the mail log answers, kept as a server's answer is (the Notifications page says it in Welsh too). */
export const MAIL_LOG_RESPONSE = 'written to the mail log';

/** The mail log: nothing leaves the machine; the Notifications page shows what would have been sent. */
export class MailLog implements Mailer {
  readonly description = message('mailer.mail-log');
  async send(): Promise<{ response: string }> {
    return { response: MAIL_LOG_RESPONSE };
  }
  close(): void {}
}

/** SMTP commands whose 5xx answer is about this message or recipient, not the connection or login. */
const MESSAGE_COMMANDS = new Set(['RCPT TO', 'DATA', 'MAIL FROM']);

interface NodemailerError extends Error {
  code?: string;
  command?: string;
  responseCode?: number;
  response?: string;
}

export function classifyMailError(error: unknown): MailError {
  const e = (error ?? {}) as NodemailerError;
  // A failed STARTTLS is said as such (its answer alone, "500 Error: command not recognized", names no command).
  const answer = (e.code === 'ETLS' ? e.message : undefined) ?? e.response ?? e.message ?? String(error);
  // A refusal of the sender or a recipient is permanent only with a 5xx answer: a 4xx (greylisting, a
  // full mailbox, too many recipients for now) asks to try again later. An envelope nodemailer refuses
  // itself, with no answer from the server (an address it cannot use), is permanent.
  const permanent =
    (e.code === 'EENVELOPE' && e.responseCode === undefined) ||
    (typeof e.responseCode === 'number' &&
      e.responseCode >= 500 &&
      e.command !== undefined &&
      MESSAGE_COMMANDS.has(e.command));
  return new MailError(answer.slice(0, 900), permanent);
}

export class SmtpMailer implements Mailer {
  readonly description: string | Message;
  private readonly transport: Transporter;

  constructor(private readonly config: Extract<MailConfig, { transport: 'smtp' }>) {
    const server = `${config.host}:${config.port}`;
    this.description = config.secure
      ? `${server} (TLS)`
      : config.requireTls
        ? message('mailer.smtp.starttls-required', { server })
        : server;
    this.transport = nodemailer.createTransport({
      host: config.host,
      port: config.port,
      secure: config.secure,
      requireTLS: config.requireTls,
      auth: config.auth ? { user: config.auth.user, pass: config.auth.password } : undefined,
      // One connection per message keeps a failure local to it; the outbox is not a bulk mailer.
      pool: false,
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 60_000,
    });
  }

  async send(email: OutgoingEmail): Promise<{ response: string }> {
    try {
      const info = await this.transport.sendMail({
        from: this.config.from,
        to: email.to,
        subject: email.subject,
        text: email.text,
        html: email.html,
        // Replies go nowhere useful: the emails say so, and say how to reach the service desk.
        headers: {
          'Auto-Submitted': 'auto-generated',
          ...(email.language ? { 'Content-Language': email.language } : {}),
        },
      });
      const rejected = (info.rejected ?? []).length > 0;
      if (rejected) throw new MailError(`the mail server refused ${email.to}: ${info.response}`, true);
      return { response: String(info.response ?? 'accepted').slice(0, 900) };
    } catch (error) {
      if (error instanceof MailError) throw error;
      const failure = classifyMailError(error);
      const { code, command } = (error ?? {}) as NodemailerError;
      if (this.config.requireTls && !this.config.secure && (code === 'ETLS' || command === 'STARTTLS')) {
        throw new MailError(failure.message, failure.permanent, NO_STARTTLS_HINT);
      }
      throw failure;
    }
  }

  close(): void {
    this.transport.close();
  }
}

export function createMailer(config: MailConfig): Mailer {
  return config.transport === 'smtp' ? new SmtpMailer(config) : new MailLog();
}
