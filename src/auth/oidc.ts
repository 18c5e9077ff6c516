// Single sign-on with OpenID Connect (issue 10): the authorization code flow with PKCE, state and nonce
// (openid-client), and the identity it proves mapped to an existing s2s account: by the identity linked
// before (issuer + subject), else once by a verified email address that exactly one account has. No
// account is ever created here. No Fastify here: the routes hand over the flow kept in the browser's
// cookie and the callback's query string.
import { timingSafeEqual } from 'node:crypto';
import * as client from 'openid-client';
import { getUser, type UserRow } from '../accounts/repository.ts';
import { recordAudit } from '../audit/repository.ts';
import type { OidcConfig } from '../config.ts';
import { tellAccountChanged } from '../notifications/account-changed.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db/schema.ts';
import { organisationOf } from './actor.ts';
import {
  deleteIdentity,
  findIdentity,
  identitiesOfUser,
  insertIdentity,
  touchIdentity,
  usersWithEmail,
} from './oidc-repository.ts';
import { isRole, type Role } from './permissions.ts';
import type { AuthService, SignInOutcome } from './service.ts';

/** How long a browser may spend at the provider between leaving s2s and coming back. */
export const FLOW_MINUTES = 10;

/** What s2s asks of the provider: an ID token, and the email address to find a first sign-in's account. */
const SCOPE = 'openid email';

/**
 * `amr` values (RFC 8176) that show the provider used more than a password: "mfa" and "mca" say so
 * outright; the others are a one-time code or a key the user holds, the factor s2s's own step checks.
 */
const MULTI_FACTOR_AMR = new Set(['mfa', 'mca', 'otp', 'hwk', 'swk', 'sc', 'sms', 'tel']);

/**
 * One sign-in in progress: the secrets the callback must match, kept in the browser's signed, HttpOnly
 * cookie between the redirect to the provider and the way back. Never logged.
 */
export interface OidcFlow {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** ISO time the flow started (the s2s clock). */
  startedAt: string;
}

export type OidcFailure =
  /** No flow in this browser, or one older than FLOW_MINUTES. */
  | 'flow-expired'
  /** The callback's state is not this browser's flow's. */
  | 'state-mismatch'
  /** The provider answered with an error (error=access_denied when the user cancelled). */
  | 'provider-error'
  /** The provider could not be reached, or answered with something other than OAuth. */
  | 'provider-unreachable'
  /** The provider's answer failed a check (ID token signature, nonce, issuer, audience...). */
  | 'invalid-response'
  /** No account is linked to the identity and none has its email address (or matching is off). */
  | 'unknown-user'
  /** An account would be matched by an email address the provider did not say it verified. */
  | 'email-not-verified'
  /** More than one account has the email address: s2s cannot tell which is the user's. */
  | 'email-ambiguous'
  /** The matched account is linked to another identity at this provider already. */
  | 'already-linked'
  /** The account is paused for failed sign-ins. */
  | 'throttled'
  /** The account's school is inactive. */
  | 'school-inactive';

export type OidcOutcome =
  | { ok: true; signIn: Extract<SignInOutcome, { ok: true }> }
  | {
      ok: false;
      reason: OidcFailure;
      /** The provider's error code (provider-error), as sent: for the page and the audit. */
      providerError?: string;
      /** The email address the provider gave, when it is the reason (for the page). */
      email?: string;
      /** The paused account's role (throttled): who can lift the pause depends on it. */
      role?: Role;
      /** What went wrong, for the log (never tokens or secrets). */
      cause?: string;
    };

export type OidcStart =
  | { ok: true; url: string; flow: OidcFlow }
  | { ok: false; reason: 'provider-unreachable'; cause: string };

interface ProvidedIdentity {
  issuer: string;
  subject: string;
  claims: client.IDToken;
  accessToken: string;
}

export class OidcService {
  private configuration: Promise<client.Configuration> | undefined;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly settings: OidcConfig,
    private readonly auth: AuthService,
  ) {}

  get buttonText(): string {
    return this.settings.buttonText;
  }

  /** A new flow and the provider's authorization address to send the browser to. */
  async start(): Promise<OidcStart> {
    let config: client.Configuration;
    try {
      config = await this.config();
    } catch (error) {
      const cause = describe(error);
      await this.audit('provider-unreachable', { cause });
      return { ok: false, reason: 'provider-unreachable', cause };
    }
    const flow: OidcFlow = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      codeVerifier: client.randomPKCECodeVerifier(),
      startedAt: this.clock.now().toISOString(),
    };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.settings.redirectUri,
      scope: SCOPE,
      response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(flow.codeVerifier),
      code_challenge_method: 'S256',
      state: flow.state,
      nonce: flow.nonce,
    });
    return { ok: true, url: url.href, flow };
  }

  /**
   * The browser is back from the provider with `query` (the callback's query string). Checks it against
   * this browser's flow, exchanges the code (PKCE) for tokens, checks the ID token (signature, issuer,
   * audience, nonce, times), finds the account and signs it in. Every refusal is audited.
   */
  async finish(flow: OidcFlow | undefined, query: string, address: string): Promise<OidcOutcome> {
    const refuse = async (
      reason: OidcFailure,
      detail: Record<string, unknown> = {},
      shown: { providerError?: string; email?: string; cause?: string } = {},
      user?: UserRow,
    ): Promise<OidcOutcome> => {
      await this.audit(reason, detail, user);
      return { ok: false, reason, ...shown };
    };

    const params = new URLSearchParams(query);
    const now = this.clock.now();
    if (!flow || now.getTime() - new Date(flow.startedAt).getTime() > FLOW_MINUTES * 60_000) {
      return refuse('flow-expired');
    }
    if (!sameSecret(params.get('state') ?? '', flow.state)) return refuse('state-mismatch');
    const errorCode = params.get('error');
    if (errorCode !== null) {
      const providerError = printable(errorCode);
      return refuse('provider-error', { providerError }, { providerError });
    }

    let identity: ProvidedIdentity;
    try {
      identity = await this.exchange(flow, params);
    } catch (error) {
      const { reason, providerError } = classify(error);
      const cause = describe(error);
      return refuse(reason, { providerError, cause }, { providerError, cause });
    }

    const found = await this.accountOf(identity);
    if (!found.ok) {
      return refuse(
        found.reason,
        {
          issuer: identity.issuer,
          subject: identity.subject,
          ...(found.email ? { email: found.email } : {}),
        },
        { email: found.email },
        found.user,
      );
    }
    const { user, identityId } = found;

    const signedIn = await this.auth.signInVouched(user, address, {
      method: 'oidc',
      providerMfa: providerUsedMultipleFactors(identity.claims, this.settings.mfaAcrValues),
    });
    // The throttle and an inactive school are audited by the sign-in itself.
    if (!signedIn.ok) {
      return signedIn.reason === 'throttled'
        ? { ok: false, reason: 'throttled', ...(isRole(user.role) ? { role: user.role } : {}) }
        : { ok: false, reason: 'school-inactive' };
    }
    await touchIdentity(this.db, identityId, this.clock.now().toISOString());
    return { ok: true, signIn: signedIn };
  }

  /** The code for tokens, with every check of the answer and of the ID token. */
  private async exchange(flow: OidcFlow, params: URLSearchParams): Promise<ProvidedIdentity> {
    const config = await this.config();
    // The address the provider sent the browser to is the configured one, whatever Host the request
    // names: only the query string comes from the request.
    const currentUrl = new URL(this.settings.redirectUri);
    currentUrl.search = params.toString();
    const tokens = await client.authorizationCodeGrant(config, currentUrl, {
      pkceCodeVerifier: flow.codeVerifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    if (!claims) throw new Error('the token response has no ID token');
    return { issuer: claims.iss, subject: claims.sub, claims, accessToken: tokens.access_token };
  }

  /**
   * The s2s account of the identity: the one linked to it, else (once) the only account with its
   * verified email address, which is then linked so that later sign-ins need no email address at all.
   */
  private async accountOf(
    identity: ProvidedIdentity,
  ): Promise<
    | { ok: true; user: UserRow; identityId: string }
    | { ok: false; reason: OidcFailure; email?: string; user?: UserRow }
  > {
    const linked = await findIdentity(this.db, identity.issuer, identity.subject);
    if (linked) {
      const user = await getUser(this.db, linked.user_id);
      if (user && isRole(user.role)) return { ok: true, user, identityId: linked.id };
      // Linked to an account deleted since: the link is stale, and the person may have a new account.
      await deleteIdentity(this.db, linked.id);
    }

    if (this.settings.emailMatch === 'off') return { ok: false, reason: 'unknown-user' };
    const { email, verified } = await this.emailOf(identity);
    if (!email) return { ok: false, reason: 'unknown-user' };
    if (this.settings.emailMatch === 'verified' && !verified) {
      return { ok: false, reason: 'email-not-verified', email };
    }
    const users = await usersWithEmail(this.db, email);
    const user = users[0];
    if (!user || !isRole(user.role)) return { ok: false, reason: 'unknown-user', email };
    if (users.length > 1) return { ok: false, reason: 'email-ambiguous', email };
    const others = await identitiesOfUser(this.db, user.id);
    if (others.some((other) => other.issuer === identity.issuer)) {
      return { ok: false, reason: 'already-linked', email, user };
    }

    const at = this.clock.now();
    await this.db.transaction().execute(async (tx) => {
      const inserted = await insertIdentity(tx, {
        issuer: identity.issuer,
        subject: identity.subject,
        userId: user.id,
        linkedEmail: email,
        at: at.toISOString(),
      });
      if (!inserted) return; // linked by a sign-in of the same person a moment ago
      await recordAudit(tx, {
        at,
        actorUserId: user.id,
        actorUsername: user.username,
        organisation: organisationOfRow(user),
        action: 'oidc-linked',
        subjectType: 'user',
        subjectId: user.username,
        detail: { issuer: identity.issuer, subject: identity.subject, email },
      });
      await tellAccountChanged(tx, { userId: user.id, change: 'single-sign-on-linked', by: 'you', at });
    });
    const row = await findIdentity(this.db, identity.issuer, identity.subject);
    if (!row || row.user_id !== user.id) return { ok: false, reason: 'unknown-user', email };
    return { ok: true, user, identityId: row.id };
  }

  /**
   * The email address and whether the provider verified it: from the ID token, or else from the
   * UserInfo endpoint (many providers put only `sub` in the ID token), whose `sub` must be the same.
   */
  private async emailOf(identity: ProvidedIdentity): Promise<{ email?: string; verified: boolean }> {
    let source: Record<string, unknown> = identity.claims;
    if (typeof source.email !== 'string') {
      const config = await this.config();
      if (!config.serverMetadata().userinfo_endpoint) return { verified: false };
      try {
        source = await client.fetchUserInfo(config, identity.accessToken, identity.subject);
      } catch {
        return { verified: false };
      }
    }
    const email = typeof source.email === 'string' ? source.email.trim() : '';
    if (!email) return { verified: false };
    return { email, verified: source.email_verified === true || source.email_verified === 'true' };
  }

  /** The provider's metadata, discovered once (and again after a failure). */
  private config(): Promise<client.Configuration> {
    if (!this.configuration) {
      const { issuer, clientId, clientSecret, clientAuth } = this.settings;
      const authentication =
        clientAuth === 'client_secret_post'
          ? client.ClientSecretPost(clientSecret)
          : client.ClientSecretBasic(clientSecret);
      // Only outside production may the issuer be http:// (config.ts refuses it in production): the
      // provider run by the tests, or one on a developer's machine.
      const insecure = new URL(issuer).protocol === 'http:';
      this.configuration = client
        .discovery(new URL(issuer), clientId, { client_secret: clientSecret }, authentication, {
          execute: insecure ? [client.allowInsecureRequests] : [],
          timeout: 15,
        })
        .catch((error: unknown) => {
          this.configuration = undefined;
          throw error;
        });
    }
    return this.configuration;
  }

  private async audit(
    reason: OidcFailure,
    detail: Record<string, unknown> = {},
    user?: UserRow,
  ): Promise<void> {
    await recordAudit(this.db, {
      at: this.clock.now(),
      action: 'sign-in-failed',
      organisation: user ? organisationOfRow(user) : null,
      ...(user ? { subjectType: 'user', subjectId: user.username } : {}),
      detail: { reason, method: 'oidc', ...detail },
    });
  }
}

/**
 * Whether the provider says it used more than one factor: `amr` names a second factor, or `acr` is one
 * of the values the operator configured (OIDC_MFA_ACR) as meaning so. Only the signed ID token counts.
 */
export function providerUsedMultipleFactors(
  claims: Record<string, unknown>,
  mfaAcrValues: readonly string[],
): boolean {
  const amr = Array.isArray(claims.amr) ? claims.amr : [];
  if (amr.some((method) => typeof method === 'string' && MULTI_FACTOR_AMR.has(method))) return true;
  return typeof claims.acr === 'string' && mfaAcrValues.includes(claims.acr);
}

/** The reason an exchange failed: the provider's own error, not reached, or an answer that failed a check. */
function classify(error: unknown): { reason: OidcFailure; providerError?: string } {
  if (error instanceof client.ResponseBodyError || error instanceof client.AuthorizationResponseError) {
    return { reason: 'provider-error', providerError: printable(error.error) };
  }
  const cause = (error as { cause?: unknown }).cause;
  const code = (error as { code?: string }).code;
  if (
    error instanceof TypeError ||
    code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' ||
    code === 'OAUTH_RESPONSE_IS_NOT_JSON' ||
    (cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError'))
  ) {
    return { reason: 'provider-unreachable' };
  }
  return { reason: 'invalid-response' };
}

/** A short description of an error for the log: its kind, code and message, never a token. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error).slice(0, 200);
  const code = (error as { code?: string }).code;
  return `${error.name}${code ? ` ${code}` : ''}: ${error.message}`.slice(0, 200);
}

/** An error code from the provider as it may be shown: printable ASCII, at most 64 characters. */
function printable(value: string): string {
  return /^[\x20-\x7e]{1,64}$/.test(value) ? value : 'unknown_error';
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function organisationOfRow(row: UserRow): string | null {
  return isRole(row.role)
    ? organisationOf({
        role: row.role,
        laNumber: row.la_number,
        establishmentNumber: row.establishment_number,
      })
    : null;
}
