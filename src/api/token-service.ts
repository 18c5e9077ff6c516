// Personal API tokens (issue 10): a user makes tokens for their MIS, sees and revokes them; a DBA sees
// and revokes those of its LA's users. Domain code: no HTTP.
//
// A token is `s2s_` followed by 32 random bytes in base64url: 256 bits, shown once, stored as its SHA-256
// hash (docs/decisions.md: a slow password hash adds nothing to a secret nobody chose, and would cost
// every API request tens of milliseconds). Requests with it act as its user, with the user's role and
// organisation as they are at the time of the request; the token's scope narrows that further.

import { createHash, randomBytes } from 'node:crypto';
import { canManageUsers, canSeeUser, userReach } from '../accounts/policy.ts';
import { getUser } from '../accounts/repository.ts';
import { recordAudit } from '../audit/repository.ts';
import { type Actor, organisationOf } from '../auth/actor.ts';
import { can, isRole } from '../auth/permissions.ts';
import { schoolAccountInactive } from '../auth/repository.ts';
import { twoFactorRequired } from '../auth/two-factor-policy.ts';
import { hasTwoFactor } from '../auth/two-factor-repository.ts';
import type { Clock } from '../platform/clock.ts';
import { daysAfter } from '../platform/dates.ts';
import { insertOnce } from '../platform/db/insert-once.ts';
import type { Db, Executor, UserRow } from '../platform/db/schema.ts';
import { type FieldError, Forbidden, Invalid, NotFound } from '../platform/errors.ts';
import { keyedError, message } from '../platform/i18n/catalogue.ts';
import {
  type ApiTokenListing,
  type ApiTokenRow,
  findApiTokenByHash,
  getApiToken,
  insertApiToken,
  listApiTokensOfLa,
  listApiTokensOfUser,
  revokeApiToken,
  touchApiToken,
} from './token-repository.ts';

/**
 * What a token may do, each including the one before: read (lists, details, downloads), transfer
 * (+ upload, accept, reject, remove), admin (reserved: no operation needs it yet).
 */
export const SCOPES = ['read', 'transfer', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export const SCOPE_LABELS: Record<Scope, string> = {
  read: 'Read: list files, see their details and pupils, download them',
  transfer: 'Transfer: read, and also upload, accept, reject and remove files',
  admin: 'Administration: reserved for later use (it gives what Transfer gives)',
};

export function isScope(value: unknown): value is Scope {
  return (SCOPES as readonly unknown[]).includes(value);
}

/** Whether a token of these scopes may use an operation that needs `needed`. */
export function scopeAllows(scopes: readonly string[], needed: Scope): boolean {
  const level = Math.max(-1, ...scopes.filter(isScope).map((s) => SCOPES.indexOf(s)));
  return level >= SCOPES.indexOf(needed);
}

/** How long a new token lasts. */
export const EXPIRY_CHOICES = ['30', '90', '365', 'never'] as const;
export type ExpiryChoice = (typeof EXPIRY_CHOICES)[number];

export const TOKEN_PREFIX = 's2s_';
const TOKEN_PATTERN = /^s2s_[A-Za-z0-9_-]{43}$/;
/** Active tokens one user may hold: enough for several MIS, few enough to keep track of. */
export const MAX_TOKENS_PER_USER = 20;
const MAX_NAME = 100;

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface NewTokenInput {
  name: string;
  scope: string;
  expiry: string;
}

/** A token revoked now, or found revoked `already` (nothing changed). */
export type Revoked = TokenView & { already: boolean };

/** A token as its owner and DBAs see it: never the token itself. */
export interface TokenView {
  id: string;
  name: string;
  scope: Scope;
  /** "s2s_AbC1": enough to recognise it. */
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  expired: boolean;
}

export interface DbaTokenView extends TokenView {
  username: string;
  fullName: string;
  userId: string;
}

/** The actor a request with a token acts as. */
export interface TokenActor extends Actor {
  tokenId: string;
  scopes: string[];
}

export type TokenLookup =
  | { ok: true; actor: TokenActor }
  | {
      ok: false;
      reason:
        | 'missing'
        | 'malformed'
        | 'unknown'
        | 'revoked'
        | 'expired'
        | 'password-change'
        | 'school-inactive'
        | 'two-factor-set-up';
    };

function view(row: ApiTokenRow, now: Date): TokenView {
  const scope = row.scopes.split(' ').find(isScope) ?? 'read';
  return {
    id: row.id,
    name: row.name,
    scope,
    prefix: row.prefix,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    expired: row.expires_at !== null && row.expires_at <= now.toISOString(),
  };
}

export class ApiTokenService {
  constructor(
    private readonly deps: {
      db: Db;
      clock: Clock;
      /** TWO_FACTOR_REQUIRED: a user of a role that must use it, and has not set it up, has no API. */
      twoFactorRequired?: boolean;
    },
  ) {}

  async ownTokens(actor: Actor): Promise<TokenView[]> {
    this.mayUse(actor);
    const now = this.deps.clock.now();
    return (await listApiTokensOfUser(this.deps.db, actor.userId)).map((row) => view(row, now));
  }

  /**
   * Makes a token for the actor: the token is returned once and never stored. With `formId` (the id of the form that asks), once only: the same form posted again
   * gets the token made the first time as `already`, without its value, which is shown once.
   */
  async create(actor: Actor, input: NewTokenInput): Promise<{ token: string; view: TokenView }>;
  async create(
    actor: Actor,
    input: NewTokenInput,
    formId: string | undefined,
  ): Promise<{ token: string; view: TokenView } | { already: TokenView }>;
  async create(
    actor: Actor,
    input: NewTokenInput,
    formId?: string,
  ): Promise<{ token: string; view: TokenView } | { already: TokenView }> {
    this.mayUse(actor);
    const { db, clock } = this.deps;
    const earlier = formId ? await this.madeAlready(db, actor, formId) : undefined;
    if (earlier) return { already: earlier };
    const name = input.name.trim();
    const errors: FieldError[] = [];
    if (name === '') errors.push(keyedError('name', 'api.tokens.errors.enter-name'));
    else if (name.length > MAX_NAME)
      errors.push(keyedError('name', 'api.tokens.errors.name-too-long', { max: MAX_NAME }));
    if (!isScope(input.scope)) errors.push(keyedError('scope', 'api.tokens.errors.choose-scope'));
    if (!(EXPIRY_CHOICES as readonly string[]).includes(input.expiry))
      errors.push(keyedError('expiry', 'api.tokens.errors.choose-expiry'));
    const existing = await listApiTokensOfUser(db, actor.userId);
    if (existing.length >= MAX_TOKENS_PER_USER) {
      errors.push(keyedError('name', 'api.tokens.errors.too-many', { count: existing.length }));
    }
    if (errors.length > 0) throw new Invalid(errors);

    const now = clock.now();
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const fields: Omit<ApiTokenRow, 'id'> = {
      user_id: actor.userId,
      name,
      scopes: input.scope,
      token_hash: tokenHash(token),
      prefix: token.slice(0, TOKEN_PREFIX.length + 4),
      created_at: now.toISOString(),
      expires_at: input.expiry === 'never' ? null : daysAfter(now, Number(input.expiry)),
      last_used_at: null,
      revoked_at: null,
      revoked_by: null,
    };
    return db.transaction().execute(async (tx) => {
      const inserted = await insertOnce(
        formId,
        (id) => insertApiToken(tx, { ...fields, id }),
        (id) => this.madeAlready(tx, actor, id),
      );
      if ('already' in inserted) return inserted;
      const row = { ...fields, id: inserted.id };
      await recordAudit(tx, {
        at: now,
        actorUserId: actor.userId,
        actorUsername: actor.username,
        organisation: organisationOf(actor),
        action: 'token-created',
        subjectType: 'api-token',
        subjectId: row.id,
        detail: { name, scope: input.scope, expiresAt: row.expires_at },
      });
      return { token, view: view(row, now) };
    });
  }

  /** The actor's token made by the form `formId`; undefined if there is none (or it is another's). */
  private async madeAlready(db: Executor, actor: Actor, formId: string): Promise<TokenView | undefined> {
    const row = await getApiToken(db, formId);
    return row && row.user_id === actor.userId ? view(row, this.deps.clock.now()) : undefined;
  }

  /**
   * The actor revokes one of their own tokens; anyone else's is not found. One revoked before (the same
   * form posted again) is `already` revoked, and nothing changes.
   */
  async revokeOwn(actor: Actor, tokenId: string): Promise<Revoked> {
    this.mayUse(actor);
    const row = await getApiToken(this.deps.db, tokenId);
    if (!row || row.user_id !== actor.userId) throw new NotFound(message('api.not-found.token'));
    if (row.revoked_at !== null) return { ...view(row, this.deps.clock.now()), already: true };
    return this.revoke(actor, row, actor.username);
  }

  /** The DBA's list: the tokens of the users it may see (its LA's, or everyone's for national roles). */
  async tokensForDba(actor: Actor): Promise<DbaTokenView[]> {
    const reach = this.dbaReach(actor);
    const now = this.deps.clock.now();
    return (await listApiTokensOfLa(this.deps.db, reach)).map((row: ApiTokenListing) => ({
      ...view(row, now),
      username: row.username,
      fullName: row.full_name,
      userId: row.user_id,
    }));
  }

  /** A DBA revokes a token of one of its users; another LA's token is not found. */
  async revokeAsDba(actor: Actor, tokenId: string): Promise<DbaTokenView & { already: boolean }> {
    this.dbaReach(actor);
    const row = await getApiToken(this.deps.db, tokenId);
    const owner = row ? await getUser(this.deps.db, row.user_id) : undefined;
    if (!row || !owner || !canSeeUser(actor, owner)) {
      throw new NotFound(message('api.not-found.token'));
    }
    const revoked =
      row.revoked_at !== null
        ? { ...view(row, this.deps.clock.now()), already: true }
        : await this.revoke(actor, row, owner.username);
    return { ...revoked, username: owner.username, fullName: owner.full_name, userId: owner.id };
  }

  /**
   * The actor a bearer token stands for, or why there is none. The user is read afresh, so a changed
   * role or organisation applies at once and a deleted user's tokens stop working.
   */
  async authenticate(token: string | undefined): Promise<TokenLookup> {
    if (!token) return { ok: false, reason: 'missing' };
    if (!TOKEN_PATTERN.test(token)) return { ok: false, reason: 'malformed' };
    const found = await findApiTokenByHash(this.deps.db, tokenHash(token));
    if (!found || !isRole(found.user.role)) return { ok: false, reason: 'unknown' };
    const { token: row, user } = found;
    if (row.revoked_at !== null) return { ok: false, reason: 'revoked' };
    const now = this.deps.clock.now();
    if (row.expires_at !== null && row.expires_at <= now.toISOString())
      return { ok: false, reason: 'expired' };
    if (user.must_change_password === 1) return { ok: false, reason: 'password-change' };
    if (await schoolAccountInactive(this.deps.db, user)) return { ok: false, reason: 'school-inactive' };
    // As on the pages: a user who must still set up two-factor sign-in reaches nothing else.
    if (
      twoFactorRequired(found.user.role, this.deps.twoFactorRequired ?? false) &&
      !(await hasTwoFactor(this.deps.db, user.id))
    ) {
      return { ok: false, reason: 'two-factor-set-up' };
    }
    // The last use is written at most once a minute, not on every request.
    if (!row.last_used_at || now.getTime() - new Date(row.last_used_at).getTime() > 60_000) {
      await touchApiToken(this.deps.db, row.id, now.toISOString());
    }
    return { ok: true, actor: actorOfUser(user, row) };
  }

  private mayUse(actor: Actor): void {
    if (!can(actor.role, 'api.use')) throw new Forbidden('Your role does not use the s2s API');
  }

  /** The LA whose tokens the DBA manages, or null for every LA. */
  private dbaReach(actor: Actor): string | null {
    if (!canManageUsers(actor)) throw new Forbidden();
    const reach = userReach(actor);
    if (reach.kind === 'everyone') return null;
    if (reach.kind === 'la') return reach.laNumber;
    throw new Forbidden();
  }

  private async revoke(actor: Actor, row: ApiTokenRow, ownerUsername: string): Promise<Revoked> {
    const now = this.deps.clock.now();
    // Revoked at once by another post (the same form twice): the one whose update took it audits it.
    const changed = await this.deps.db.transaction().execute(async (tx) => {
      if (!(await revokeApiToken(tx, row.id, { at: now.toISOString(), by: actor.userId }))) return false;
      await recordAudit(tx, {
        at: now,
        actorUserId: actor.userId,
        actorUsername: actor.username,
        organisation: organisationOf(actor),
        action: 'token-revoked',
        subjectType: 'api-token',
        subjectId: row.id,
        detail: { name: row.name, owner: ownerUsername },
      });
      return true;
    });
    return { ...view({ ...row, revoked_at: now.toISOString() }, now), already: !changed };
  }
}

function actorOfUser(user: UserRow, token: ApiTokenRow): TokenActor {
  if (!isRole(user.role)) throw new Error(`not a role: ${user.role}`);
  return {
    userId: user.id,
    username: user.username,
    role: user.role,
    laNumber: user.la_number,
    establishmentNumber: user.establishment_number,
    tokenId: token.id,
    scopes: token.scopes.split(' '),
  };
}
