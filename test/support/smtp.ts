// A real SMTP server for the email tests (smtp-server), which keeps what it receives, parsed
// (mailparser). It can refuse mail for a while, refuse a recipient for good, or be stopped and started
// again on the same port, to test what the outbox does when the mail server misbehaves.
import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { MailConfig } from '../../src/config.ts';

export interface ReceivedEmail {
  to: string[];
  subject: string;
  text: string;
  html: string;
  headers: ParsedMail['headers'];
}

export interface TestSmtpServer {
  readonly port: number;
  readonly received: ReceivedEmail[];
  /** The SMTP settings that reach it. */
  config(): Extract<MailConfig, { transport: 'smtp' }>;
  /** Refuse every message with a temporary 451 until told otherwise. */
  refuseTemporarily(refuse: boolean): void;
  /** Recipients refused with a permanent 550. */
  readonly unknownRecipients: Set<string>;
  /** Recipients refused with a temporary 450 the first time a message comes for them (greylisting). */
  readonly greylisted: Set<string>;
  stop(): Promise<void>;
  /** Starts again on the same port (after stop). */
  restart(): Promise<void>;
}

export async function startSmtpServer(port = 0): Promise<TestSmtpServer> {
  const received: ReceivedEmail[] = [];
  const unknownRecipients = new Set<string>();
  const greylisted = new Set<string>();
  const seenOnce = new Set<string>();
  let refusing = false;
  let server: SMTPServer;
  const make = () =>
    new SMTPServer({
      authOptional: true,
      // smtp-server's bundled STARTTLS certificate has expired: the tests talk plain SMTP.
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo(address, _session, callback) {
        if (unknownRecipients.has(address.address.toLowerCase())) {
          const error = Object.assign(new Error('5.1.1 No such mailbox'), { responseCode: 550 });
          callback(error);
          return;
        }
        const recipient = address.address.toLowerCase();
        if (greylisted.has(recipient) && !seenOnce.has(recipient)) {
          seenOnce.add(recipient);
          callback(Object.assign(new Error('4.2.0 Greylisted, try again later'), { responseCode: 450 }));
          return;
        }
        callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          if (refusing) {
            callback(Object.assign(new Error('4.3.0 Try again later'), { responseCode: 451 }));
            return;
          }
          simpleParser(Buffer.concat(chunks)).then(
            (mail) => {
              received.push({
                to: session.envelope.rcptTo.map((r) => r.address),
                subject: mail.subject ?? '',
                text: mail.text ?? '',
                html: typeof mail.html === 'string' ? mail.html : '',
                headers: mail.headers,
              });
              callback();
            },
            (error: Error) => callback(error),
          );
        });
      },
    });
  const listen = (on: number) =>
    new Promise<number>((resolve, reject) => {
      server = make();
      server.on('error', reject);
      server.listen(on, '127.0.0.1', () => resolve((server.server.address() as AddressInfo).port));
    });
  const actualPort = await listen(port);
  return {
    port: actualPort,
    received,
    unknownRecipients,
    greylisted,
    config: () => ({
      transport: 'smtp',
      from: 's2s test <no-reply@s2s.test>',
      host: '127.0.0.1',
      port: actualPort,
      secure: false,
      requireTls: false,
    }),
    refuseTemporarily(refuse) {
      refusing = refuse;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
    restart: async () => {
      await listen(actualPort);
    },
  };
}
