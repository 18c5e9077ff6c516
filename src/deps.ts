// The composition root: every adapter and service is built once here and handed to createApp.
import { AuditKeys, withAuditKeys } from './audit/keys.ts';
import { OidcService } from './auth/oidc.ts';
import { AuthService } from './auth/service.ts';
import type { Config } from './config.ts';
import { outboxCounts } from './notifications/outbox.ts';
import { type Clock, systemClock } from './platform/clock.ts';
import { createDatabase, migrateToLatest } from './platform/db/database.ts';
import type { Db } from './platform/db/schema.ts';
import { createLogger, type Logger } from './platform/logger.ts';
import { createMailer, type Mailer } from './platform/mail/mailer.ts';
import { Metrics, type QueueDepths } from './platform/metrics.ts';
import { ClamdScanner, type MalwareScanner } from './platform/scanning/clamd.ts';
import { EncryptedFileStore } from './platform/storage/encrypted-store.ts';
import type { FileStore } from './platform/storage/file-store.ts';
import { loadMasterKeyring } from './platform/storage/master-key.ts';
import { openFileStore } from './platform/storage/open-store.ts';
import { countAwaitingScan } from './transfers/repository.ts';

export interface Deps {
  config: Config;
  /**
   * Signs cookies and download tickets: COOKIE_SECRET, or outside production a secret derived from the
   * master key (the same in every process that shares the key, unlike a random one per process).
   */
  cookieSecret: string;
  /** The database, carrying the audit keys: every audit event written through it gets its MAC. */
  db: Db;
  /** The audit trail's MAC keys, derived from the master keys (audit/keys.ts). */
  auditKeys: AuditKeys;
  fileStore: FileStore;
  /** Transferred files, encrypted at rest: what features use (fileStore is the raw store beneath). */
  files: EncryptedFileStore;
  clock: Clock;
  logger: Logger;
  auth: AuthService;
  /** Single sign-on with the LA's OpenID Connect provider; null unless configured (OIDC_ISSUER...). */
  oidc: OidcService | null;
  /** Where emails go: SMTP, or the mail log outside production. */
  mailer: Mailer;
  /**
   * The malware scanner uploads go through (clamd), or null when scanning is off (never in production):
   * then files are offered unscanned and recorded as not scanned.
   */
  scanner: MalwareScanner | null;
  /** What /metrics reports; null when METRICS_TOKEN is not set (then nothing is counted). */
  metrics: Metrics | null;
}

export interface DepsOverrides {
  db?: Db;
  clock?: Clock;
  logger?: Logger;
  fileStore?: FileStore;
  mailer?: Mailer;
}

export async function buildDeps(config: Config, overrides: DepsOverrides = {}): Promise<Deps> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const unkeyedDb =
    overrides.db ??
    createDatabase(config.databaseUrl, {
      onConnectionLost: (error) =>
        logger.warn(
          { reason: error.message },
          'a database connection was lost: the next query opens a new one',
        ),
    });
  const { unknown } = await migrateToLatest(unkeyedDb);
  if (unknown.length > 0) {
    logger.warn(
      { migrations: unknown },
      `the database is ahead of this version: it has run ${unknown.join(', ')}, which this version does not know; carrying on without migrating (a newer version's migrations only add, so this one runs on its schema)`,
    );
  }
  const clock = overrides.clock ?? systemClock;
  const masterKeys = loadMasterKeyring(config.masterKey);
  if (masterKeys.generated) {
    logger.warn(
      { file: config.masterKey.file },
      'created a new master key for stored files: keep a copy somewhere safe, without it no stored file can be read',
    );
  }
  const auditKeys = AuditKeys.fromKeyring(masterKeys.keyring);
  const db = withAuditKeys(unkeyedDb, auditKeys);
  const fileStore = overrides.fileStore ?? (await openFileStore(config.fileStore));
  const auth = new AuthService(db, clock, config, masterKeys.keyring);
  const scan = config.malwareScan;
  const scanner = scan ? new ClamdScanner(scan.address, { idleTimeoutMs: scan.timeoutSeconds * 1000 }) : null;
  if (!scanner) {
    logger.warn(
      'malware scanning is off (CLAMD_SOCKET and CLAMD_HOST are not set): uploads are offered without a scan',
    );
  }
  return {
    config,
    cookieSecret: config.cookieSecret ?? masterKeys.keyring.current.deriveSecret('s2s cookie secret'),
    db,
    auditKeys,
    clock,
    logger,
    fileStore,
    files: new EncryptedFileStore(fileStore, masterKeys.keyring),
    auth,
    oidc: config.oidc ? new OidcService(db, clock, config.oidc, auth) : null,
    mailer: overrides.mailer ?? createMailer(config.mail),
    scanner,
    metrics: config.metricsToken ? new Metrics(() => queueDepths(db)) : null,
  };
}

/** The queues /metrics reports, read at each scrape (census returns are checked as they arrive: no queue). */
async function queueDepths(db: Db): Promise<QueueDepths> {
  const [notifications, scans] = await Promise.all([outboxCounts(db), countAwaitingScan(db)]);
  return { 'notifications-pending': notifications.pending, 'files-awaiting-scan': scans };
}
