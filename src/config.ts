// The only reader of process.env: one validated configuration, built once at boot.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { z } from 'zod';

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

/** The sign-in pause when SIGN_IN_MAX_FAILURES and SIGN_IN_LOCK_MINUTES are not set. */
export const SIGN_IN_DEFAULTS = { maxFailures: 5, lockMinutes: 15 } as const;

const environmentSchema = z.object({
  S2S_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^(sqlite:|postgres:\/\/|postgresql:\/\/)/, 'must start with sqlite: or postgres://')
    .default('sqlite:./data/s2s.sqlite'),
  FILE_STORE: z.enum(['disk', 's3']).default('disk'),
  FILE_STORE_DIR: z.string().min(1).default('./data/files'),
  S3_BUCKET: z.string().min(1).optional(),
  S3_REGION: z.string().min(1).default('eu-west-2'),
  S3_ENDPOINT: z
    .url({
      protocol: /^https?$/,
      error: 'must be the address of the S3-compatible service, e.g. https://s3.example.net',
    })
    .optional(),
  S3_FORCE_PATH_STYLE: flag.default(false),
  S3_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._/-]*$/, 'may hold only letters, digits and . _ - /')
    .default(''),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  MASTER_KEY: z.string().optional(),
  MASTER_KEY_FILE: z.string().min(1).default('./data/master.key'),
  MASTER_KEY_PREVIOUS: z.string().optional(),
  MASTER_KEY_PREVIOUS_FILES: z.string().optional(),
  COOKIE_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  TRUST_PROXY: flag.default(false),
  REQUEST_IDLE_SECONDS: z.coerce
    .number()
    .int('must be a whole number of seconds')
    .min(1, 'must be at least 1')
    .max(3600, 'must be at most 3600')
    .default(120),
  REQUEST_TIMEOUT_SECONDS: z.coerce
    .number()
    .int('must be a whole number of seconds')
    .min(1, 'must be at least 1')
    .max(24 * 3600, 'must be at most 86400')
    .default(1800),
  HEALTH_CHECK_TIMEOUT_SECONDS: z.coerce
    .number()
    .int('must be a whole number of seconds')
    .min(1, 'must be at least 1')
    .max(60, 'must be at most 60')
    .default(3),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // A fraction of a minute is allowed (0.25: a browser test sees the warning before signing out in seconds).
  SESSION_IDLE_MINUTES: z.coerce
    .number()
    .min(0.1)
    .max(24 * 60)
    .default(30),
  SESSION_ABSOLUTE_HOURS: z.coerce.number().int().min(1).max(72).default(12),
  SIGN_IN_MAX_FAILURES: z.coerce.number().int().min(1).max(100).default(SIGN_IN_DEFAULTS.maxFailures),
  SIGN_IN_LOCK_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(SIGN_IN_DEFAULTS.lockMinutes),
  SERVICE_DESK_EMAIL: z.email().default('s2s.servicedesk@example.gov.uk'),
  SERVICE_DESK_TELEPHONE: z.string().min(1).default('0300 000 0000'),
  SEED_DEMO_DATA: flag.optional(),
  SERVICE_URL: z
    .url({ protocol: /^https?$/, error: 'must be the address users open, e.g. https://s2s.example.gov.uk' })
    .optional(),
  MAIL_TRANSPORT: z.enum(['smtp', 'log']).optional(),
  SMTP_HOST: z.string().min(1).optional(),
  SMTP_PORT: z.coerce.number().int().min(1).max(65535).default(587),
  SMTP_SECURE: flag.default(false),
  SMTP_REQUIRE_TLS: flag.optional(),
  SMTP_USER: z.string().min(1).optional(),
  SMTP_PASSWORD: z.string().min(1).optional(),
  MAIL_FROM: z.string().min(3).default('s2s <no-reply@s2s.example.gov.uk>'),
  SCHEDULER: z.enum(['on', 'off']).default('on'),
  TWO_FACTOR_REQUIRED: flag.optional(),
  OIDC_ISSUER: z
    .url({
      protocol: /^https?$/,
      error: "must be the sign-in service's issuer address, e.g. https://login.example.gov.uk",
    })
    .optional(),
  OIDC_CLIENT_ID: z.string().min(1).optional(),
  OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  OIDC_CLIENT_AUTH: z.enum(['client_secret_basic', 'client_secret_post']).default('client_secret_basic'),
  OIDC_REDIRECT_URI: z
    .url({ protocol: /^https?$/, error: "must be the address of s2s's /sign-in/oidc/callback page" })
    .optional(),
  OIDC_BUTTON_TEXT: z.string().trim().min(1).max(80).default('Sign in with your LA account'),
  OIDC_EMAIL_MATCH: z.enum(['verified', 'any', 'off']).default('verified'),
  OIDC_MFA_ACR: z.string().optional(),
  CLAMD_SOCKET: z.string().min(1).optional(),
  CLAMD_HOST: z.string().min(1).optional(),
  CLAMD_PORT: z.coerce.number().int().min(1).max(65535).default(3310),
  CLAMD_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  MALWARE_SCAN: z.enum(['clamd', 'off']).optional(),
  CONTENT_CHECK_WORKERS: z.coerce
    .number()
    .int('must be a whole number of worker threads')
    .min(1, 'must be at least 1')
    .max(64, 'must be at most 64')
    .optional(),
  CONTENT_CHECK_QUEUE_MB: z.coerce
    .number()
    .int('must be a whole number of megabytes')
    .min(16, 'must be at least 16 (one file of the largest size waits in it)')
    .max(65536, 'must be at most 65536')
    .optional(),
  METRICS_TOKEN: z
    .string()
    .min(32, 'must be at least 32 characters (e.g. openssl rand -hex 32): it guards /metrics')
    .optional(),
});

export type Environment = z.infer<typeof environmentSchema>['S2S_ENV'];

export interface Config {
  env: Environment;
  port: number;
  host: string;
  databaseUrl: string;
  /** Where stored files (encrypted) are kept: a folder on disk, or an S3 bucket. */
  fileStore: FileStoreConfig;
  /**
   * The key that wraps every new data key: a value, or a file (created outside production); and the keys
   * it replaced, which still unwrap what they wrapped until `s2s keys rotate` re-wraps it.
   */
  masterKey: {
    value?: string;
    file: string;
    mayGenerate: boolean;
    previous: { values: string[]; files: string[] };
  };
  /**
   * Signs the CSRF, flash and single sign-on cookies and download tickets: COOKIE_SECRET (required in
   * production). Unset elsewhere: null, and deps.ts derives one from the master key, so every process
   * sharing the master key signs alike.
   */
  cookieSecret: string | null;
  trustProxy: boolean;
  /**
   * How long a request may send nothing (idle) and how long it may take to arrive in full (its whole
   * body) before its connection is closed: stalled or trickling clients would otherwise hold the node's
   * connections and the upload buffers for ever (Fastify sets neither).
   */
  requestLimits: { idleSeconds: number; timeoutSeconds: number };
  /**
   * How long GET /healthz waits for the database and for the file store before it calls the one that has
   * not answered unreachable: a frozen store (one that keeps its connections and answers nothing) would
   * otherwise hold the check for as long as the S3 client's retries last, past any load balancer's own
   * timeout, which marks the node unhealthy without saying why.
   */
  healthCheckTimeoutSeconds: number;
  logLevel: z.infer<typeof environmentSchema>['LOG_LEVEL'];
  session: { idleMinutes: number; absoluteHours: number };
  signIn: { maxFailures: number; lockMinutes: number };
  /**
   * Whether the roles that must use two-factor sign-in (auth/two-factor-policy.ts) are made to: always in
   * production; off by default elsewhere, so the demo accounts sign in with their password alone.
   */
  twoFactor: { required: boolean };
  serviceDesk: { email: string; telephone: string };
  /** Load the demo organisations and accounts into an empty database (never in production). */
  seedDemoData: boolean;
  /** The address users open, for links in emails (no trailing slash). */
  serviceUrl: string;
  /**
   * How emails leave: over SMTP, or into the mail log (outside production, when no SMTP server is
   * configured: administrators read them on the Notifications page).
   */
  mail: MailConfig;
  /** Whether `serve` runs the scheduled jobs (turn off on web-only processes of a larger deployment). */
  scheduler: boolean;
  /** Single sign-on with an OpenID Connect provider (the LA's own sign-in service); null when off. */
  oidc: OidcConfig | null;
  /**
   * Malware scanning of uploads through clamd (transfers/scan-service.ts); null when off. Required in
   * production; off outside production unless CLAMD_SOCKET or CLAMD_HOST is set.
   */
  malwareScan: MalwareScanConfig | null;
  /**
   * The worker threads that read uploaded CTFs and census returns (transfers/content-check-pool.ts), and
   * the bytes of files that may wait for them (past it, an upload is refused as busy: they are in memory).
   */
  contentChecks: { workers: number; maxQueuedBytes?: number };
  /**
   * The bearer token Prometheus sends to read /metrics (METRICS_TOKEN); null: /metrics answers 404 and
   * nothing is counted.
   */
  metricsToken: string | null;
  /** Settings production starts with but that weaken it: `serve` logs each as a warning at start. */
  warnings: string[];
}

export type FileStoreConfig = { kind: 'disk'; directory: string } | ({ kind: 's3' } & S3StoreConfig);

export interface S3StoreConfig {
  bucket: string;
  region: string;
  /** An S3-compatible service's address; unset for AWS itself. */
  endpoint?: string;
  /** Address buckets as ENDPOINT/BUCKET rather than BUCKET.ENDPOINT (most S3-compatible services). */
  forcePathStyle: boolean;
  /** Where in the bucket the files go: '' (the top) or a folder name ending in '/'. */
  prefix: string;
  /** Unset: the SDK's own chain (AWS_* variables, profile, instance or task role). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export interface MalwareScanConfig {
  /** clamd's unix socket (CLAMD_SOCKET), or its TCP address (CLAMD_HOST, CLAMD_PORT). */
  address: { socket: string } | { host: string; port: number };
  /** How long clamd may stay silent before a scan is given up and left for the scan job. */
  timeoutSeconds: number;
}

export interface OidcConfig {
  /** The provider's issuer identifier: its discovery document is at ISSUER/.well-known/openid-configuration. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** How s2s authenticates to the token endpoint (RFC 6749 requires providers to support basic). */
  clientAuth: 'client_secret_basic' | 'client_secret_post';
  /** Where the provider sends the browser back: SERVICE_URL/sign-in/oidc/callback unless set. */
  redirectUri: string;
  /** The text of the button on the sign-in page. */
  buttonText: string;
  /**
   * Whether a first sign-in may find its s2s account by email address: only an address the provider
   * says it verified (`email_verified: true`), any address it gives, or never (an administrator links).
   */
  emailMatch: 'verified' | 'any' | 'off';
  /** `acr` values that mean the provider used more than one factor (besides `amr` saying so). */
  mfaAcrValues: string[];
}

export type MailConfig =
  | { transport: 'log'; from: string }
  | {
      transport: 'smtp';
      from: string;
      host: string;
      port: number;
      /** TLS from the start (port 465); otherwise STARTTLS when the server offers it. */
      secure: boolean;
      /** Refuse to send unless the connection is upgraded with STARTTLS. */
      requireTls: boolean;
      auth?: { user: string; password: string };
    };

export class ConfigError extends Error {}

/** A setting that is wrong: collected, so that start-up names every one at once. */
class Problem extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  let parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    // Each value refused is named in words; the rest are checked without it (its default), so that
    // whatever else is missing is named in the same run.
    const refused = new Set<string>();
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0] ?? '');
      refused.add(field);
      problems.push(`  ${issue.path.join('.')}: ${inWords(issue, env[field])}`);
    }
    parsed = environmentSchema.safeParse(
      Object.fromEntries(Object.entries(env).filter(([name]) => !refused.has(name))),
    );
    if (!parsed.success) throw new ConfigError(`The configuration is not valid:\n${problems.join('\n')}`);
  }
  const e = parsed.data;
  const attempt = <T>(build: () => T, otherwise: T): T => {
    try {
      return build();
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      problems.push(`  ${error.field}: ${error.message}`);
      return otherwise;
    }
  };
  const production = e.S2S_ENV === 'production';
  if (production && !e.COOKIE_SECRET) {
    problems.push('  COOKIE_SECRET: must be set in production (at least 32 random characters)');
  }
  if (production && e.TWO_FACTOR_REQUIRED === false) {
    problems.push('  TWO_FACTOR_REQUIRED: two-factor sign-in is always required in production');
  }
  if (production && e.SEED_DEMO_DATA) {
    problems.push('  SEED_DEMO_DATA: demo data is never loaded in production');
  }
  const serviceUrl = (e.SERVICE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  const config: Config = {
    env: e.S2S_ENV,
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    fileStore: attempt(() => fileStoreConfig(e), { kind: 'disk', directory: e.FILE_STORE_DIR }),
    masterKey: {
      value: e.MASTER_KEY,
      file: e.MASTER_KEY_FILE,
      mayGenerate: e.S2S_ENV !== 'production',
      previous: { values: commaList(e.MASTER_KEY_PREVIOUS), files: commaList(e.MASTER_KEY_PREVIOUS_FILES) },
    },
    cookieSecret: e.COOKIE_SECRET ?? null,
    trustProxy: e.TRUST_PROXY,
    requestLimits: { idleSeconds: e.REQUEST_IDLE_SECONDS, timeoutSeconds: e.REQUEST_TIMEOUT_SECONDS },
    healthCheckTimeoutSeconds: e.HEALTH_CHECK_TIMEOUT_SECONDS,
    logLevel: e.LOG_LEVEL,
    session: { idleMinutes: e.SESSION_IDLE_MINUTES, absoluteHours: e.SESSION_ABSOLUTE_HOURS },
    signIn: { maxFailures: e.SIGN_IN_MAX_FAILURES, lockMinutes: e.SIGN_IN_LOCK_MINUTES },
    twoFactor: { required: e.TWO_FACTOR_REQUIRED ?? e.S2S_ENV === 'production' },
    serviceDesk: { email: e.SERVICE_DESK_EMAIL, telephone: e.SERVICE_DESK_TELEPHONE },
    seedDemoData: e.SEED_DEMO_DATA ?? e.S2S_ENV !== 'production',
    serviceUrl,
    mail: attempt(() => mailConfig(e), { transport: 'log', from: e.MAIL_FROM }),
    scheduler: e.SCHEDULER === 'on',
    oidc: attempt(() => oidcConfig(e, serviceUrl), null),
    malwareScan: attempt(() => malwareScanConfig(e), null),
    contentChecks: {
      // One core for the web thread, the rest for reading files; a container may see more cores than
      // it may use (a CPU quota): set CONTENT_CHECK_WORKERS there.
      workers: e.CONTENT_CHECK_WORKERS ?? Math.max(1, availableParallelism() - 1),
      // Unset: the pool's own bound (1 GiB).
      ...(e.CONTENT_CHECK_QUEUE_MB ? { maxQueuedBytes: e.CONTENT_CHECK_QUEUE_MB * 1024 * 1024 } : {}),
    },
    metricsToken: e.METRICS_TOKEN ?? null,
    warnings: production ? productionWarnings(e, serviceUrl) : [],
  };
  if (production && !e.SERVICE_URL)
    problems.push('  SERVICE_URL: must be set in production: emails link to it');
  if (production && !e.MASTER_KEY && !existsSync(e.MASTER_KEY_FILE)) {
    problems.push(
      `  MASTER_KEY: must be set in production, or a key put in ${e.MASTER_KEY_FILE} (MASTER_KEY_FILE), readable by this user alone ` +
        `(create one with: umask 077; openssl rand -base64 32 > ${e.MASTER_KEY_FILE}; keep a copy somewhere safe)`,
    );
  }
  if (problems.length > 0) throw new ConfigError(`The configuration is not valid:\n${problems.join('\n')}`);
  return config;
}

/**
 * What zod says of a value it refused, in words that say what the setting takes: its own message where the
 * schema gives one (they begin in lower case), otherwise one made from the issue, never zod's
 * "Invalid input: expected number, received NaN". The value itself is not repeated (it may be a secret).
 */
function inWords(issue: z.core.$ZodIssue, value: string | undefined): string {
  if (/^[a-z]/.test(issue.message)) return issue.message;
  if (value !== undefined && value.trim() === '') return 'is set but empty: give it a value, or leave it out';
  const range = (minimum: unknown, maximum: unknown) =>
    minimum !== undefined && maximum !== undefined ? ` from ${minimum} to ${maximum}` : '';
  switch (issue.code) {
    case 'invalid_type':
      if (issue.expected === 'number' || issue.expected === 'int') {
        const bounds = numberBounds(issue.path[0]);
        return `must be a whole number${range(bounds.minimum, bounds.maximum)}`;
      }
      return `must be ${issue.expected === 'string' ? 'text' : `a ${issue.expected}`}`;
    case 'too_small':
      return issue.origin === 'string'
        ? `must be at least ${issue.minimum} characters`
        : `must be at least ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'string'
        ? `must be at most ${issue.maximum} characters`
        : `must be at most ${issue.maximum}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}`;
    case 'invalid_format':
      return issue.format === 'email' ? 'must be an email address' : `must be a valid ${issue.format}`;
    default:
      return issue.message;
  }
}

/** The least and greatest a numeric setting takes, from the schema. */
function numberBounds(field: PropertyKey | undefined): { minimum?: number; maximum?: number } {
  let schema = environmentSchema.shape[field as keyof typeof environmentSchema.shape] as
    | z.ZodType
    | undefined;
  while (schema && 'unwrap' in schema && typeof schema.unwrap === 'function') schema = schema.unwrap();
  if (schema instanceof z.ZodDefault) schema = schema.def.innerType as z.ZodType;
  if (!(schema instanceof z.ZodNumber)) return {};
  return {
    ...(schema.minValue !== null && Number.isFinite(schema.minValue) ? { minimum: schema.minValue } : {}),
    ...(schema.maxValue !== null && Number.isFinite(schema.maxValue) ? { maximum: schema.maxValue } : {}),
  };
}

/**
 * Settings production starts with but that weaken it, each said at start (logged by `serve`) with what
 * to set.
 */
function productionWarnings(e: z.infer<typeof environmentSchema>, serviceUrl: string): string[] {
  const warnings: string[] = [];
  if (!e.TRUST_PROXY) {
    warnings.push(
      "TRUST_PROXY is not set: behind a load balancer every user looks like one address (the balancer's), so " +
        // Four times the account's limit: ADDRESS_FAILURE_FACTOR (auth/throttle.ts, not imported: it needs the database).
        `${e.SIGN_IN_MAX_FAILURES * 4} failed sign-ins from anyone pause sign-in for everyone, and the audit records the balancer's address. ` +
        'Set TRUST_PROXY=true when s2s is reached through a load balancer or proxy (that adds X-Forwarded-For); ' +
        'if users reach s2s directly, this warning can be ignored.',
    );
  }
  if (serviceUrl.startsWith('http:')) {
    warnings.push(
      'SERVICE_URL is http://: sign-in, cookies and the links in emails travel in clear. ' +
        'Set SERVICE_URL to the https:// address users open.',
    );
  }
  if (e.SMTP_REQUIRE_TLS === false) {
    warnings.push(
      'SMTP_REQUIRE_TLS=false: emails may be sent to the mail server unencrypted if it offers no STARTTLS. ' +
        'Leave SMTP_REQUIRE_TLS out (or set it true), or use SMTP_SECURE=true for TLS from the start.',
    );
  }
  return warnings;
}

/** The items of a comma-separated setting, trimmed, without empty ones. */
function commaList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

function invalid(field: string, message: string): never {
  throw new Problem(field, message);
}

function mailConfig(e: z.infer<typeof environmentSchema>): MailConfig {
  const production = e.S2S_ENV === 'production';
  const transport = e.MAIL_TRANSPORT ?? (e.SMTP_HOST || production ? 'smtp' : 'log');
  if (transport === 'log') {
    if (production) invalid('MAIL_TRANSPORT', 'the mail log is for development: production sends over SMTP');
    return { transport, from: e.MAIL_FROM };
  }
  if (!e.SMTP_HOST) invalid('SMTP_HOST', "must be set to send email over SMTP (the mail server's name)");
  if (Boolean(e.SMTP_USER) !== Boolean(e.SMTP_PASSWORD)) {
    invalid('SMTP_USER', 'SMTP_USER and SMTP_PASSWORD go together: set both, or neither');
  }
  return {
    transport,
    from: e.MAIL_FROM,
    host: e.SMTP_HOST,
    port: e.SMTP_PORT,
    secure: e.SMTP_SECURE,
    requireTls: e.SMTP_REQUIRE_TLS ?? (production && !e.SMTP_SECURE),
    auth: e.SMTP_USER && e.SMTP_PASSWORD ? { user: e.SMTP_USER, password: e.SMTP_PASSWORD } : undefined,
  };
}

function oidcConfig(e: z.infer<typeof environmentSchema>, serviceUrl: string): OidcConfig | null {
  const { OIDC_ISSUER: issuer, OIDC_CLIENT_ID: clientId, OIDC_CLIENT_SECRET: clientSecret } = e;
  if (!issuer && !clientId && !clientSecret) return null;
  if (!issuer)
    invalid('OIDC_ISSUER', 'must be set for single sign-on (with OIDC_CLIENT_ID and OIDC_CLIENT_SECRET)');
  if (!clientId)
    invalid('OIDC_CLIENT_ID', 'must be set for single sign-on: the client id the provider gave s2s');
  if (!clientSecret) {
    invalid('OIDC_CLIENT_SECRET', 'must be set for single sign-on: the client secret the provider gave s2s');
  }
  const redirectUri = e.OIDC_REDIRECT_URI ?? `${serviceUrl}/sign-in/oidc/callback`;
  if (e.S2S_ENV === 'production') {
    if (new URL(issuer).protocol !== 'https:') {
      invalid(
        'OIDC_ISSUER',
        'must be an https:// address in production: sign-in answers must not travel in clear',
      );
    }
    if (new URL(redirectUri).protocol !== 'https:') {
      invalid(
        e.OIDC_REDIRECT_URI ? 'OIDC_REDIRECT_URI' : 'SERVICE_URL',
        'must be an https:// address in production for single sign-on',
      );
    }
  }
  return {
    issuer,
    clientId,
    clientSecret,
    clientAuth: e.OIDC_CLIENT_AUTH,
    redirectUri,
    buttonText: e.OIDC_BUTTON_TEXT,
    emailMatch: e.OIDC_EMAIL_MATCH,
    mfaAcrValues: commaList(e.OIDC_MFA_ACR),
  };
}

function fileStoreConfig(e: z.infer<typeof environmentSchema>): FileStoreConfig {
  if (e.FILE_STORE === 'disk') return { kind: 'disk', directory: e.FILE_STORE_DIR };
  if (!e.S3_BUCKET)
    invalid('S3_BUCKET', 'must be set with FILE_STORE=s3: the name of the bucket to keep files in');
  if (Boolean(e.S3_ACCESS_KEY_ID) !== Boolean(e.S3_SECRET_ACCESS_KEY)) {
    invalid(
      'S3_ACCESS_KEY_ID',
      "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together: set both, or neither (to use the AWS SDK's own credentials)",
    );
  }
  const folder = e.S3_PREFIX.replace(/^\/+|\/+$/g, '');
  return {
    kind: 's3',
    bucket: e.S3_BUCKET,
    region: e.S3_REGION,
    ...(e.S3_ENDPOINT ? { endpoint: e.S3_ENDPOINT } : {}),
    forcePathStyle: e.S3_FORCE_PATH_STYLE,
    prefix: folder ? `${folder}/` : '',
    ...(e.S3_ACCESS_KEY_ID && e.S3_SECRET_ACCESS_KEY
      ? { credentials: { accessKeyId: e.S3_ACCESS_KEY_ID, secretAccessKey: e.S3_SECRET_ACCESS_KEY } }
      : {}),
  };
}

function malwareScanConfig(e: z.infer<typeof environmentSchema>): MalwareScanConfig | null {
  if (e.CLAMD_SOCKET && e.CLAMD_HOST) {
    invalid('CLAMD_SOCKET', 'set CLAMD_SOCKET (a unix socket) or CLAMD_HOST (with CLAMD_PORT), not both');
  }
  const address = e.CLAMD_SOCKET
    ? { socket: e.CLAMD_SOCKET }
    : e.CLAMD_HOST
      ? { host: e.CLAMD_HOST, port: e.CLAMD_PORT }
      : null;
  if (e.MALWARE_SCAN === 'off') {
    if (e.S2S_ENV === 'production') {
      invalid(
        'MALWARE_SCAN',
        'cannot be off in production: uploads are always scanned for malware; leave MALWARE_SCAN out (or set it to clamd), with CLAMD_SOCKET or CLAMD_HOST naming the scanner',
      );
    }
    return null;
  }
  if (!address) {
    if (e.S2S_ENV === 'production' || e.MALWARE_SCAN === 'clamd') {
      invalid(
        'CLAMD_SOCKET',
        `${e.S2S_ENV === 'production' ? 'uploads are always scanned for malware in production' : 'MALWARE_SCAN=clamd needs a scanner'}: set CLAMD_SOCKET to clamd's unix socket (Debian: /run/clamav/clamd.ctl), or CLAMD_HOST and CLAMD_PORT`,
      );
    }
    return null;
  }
  return { address, timeoutSeconds: e.CLAMD_TIMEOUT_SECONDS };
}
