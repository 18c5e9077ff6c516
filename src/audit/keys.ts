// The audit key: the secret behind the audit trail's MACs (chain.ts, decision 22). It is derived from
// each master key with HKDF-SHA256 under a fixed label, so it is kept where the master key is (outside
// the database) and there is no new secret to manage: every process holding a master key derives the
// same audit key, and it reveals nothing of the master key. Each MAC is stored beside the id of the
// master key it was derived from, so a previous key (MASTER_KEY_PREVIOUS) still checks what it made.
//
// The keys travel with the database handle, into every transaction made from it, as a Kysely plugin
// that changes no query (withAuditKeys): recordAudit, called in the transaction of each audited change
// all over s2s, finds them there without each service having to carry them.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';
import type { Db, Executor } from '../platform/db/schema.ts';
import type { MasterKeyring } from '../platform/storage/keyring.ts';

/** The HKDF label: changing it would orphan every MAC made. */
export const AUDIT_KEY_LABEL = 's2s audit trail HMAC v1';

/** A MAC was made under a master key this instance is not given. */
export class MissingAuditKeyError extends Error {
  constructor(readonly keyId: string) {
    super(
      `made under the master key ${keyId}, which is not configured: give it in MASTER_KEY_PREVIOUS ` +
        'or MASTER_KEY_PREVIOUS_FILES to check it',
    );
  }
}

export class AuditKeys {
  private readonly byId = new Map<string, Buffer>();

  /** `keys`: master key id and derived audit key, the current one first. */
  constructor(keys: readonly { id: string; key: Buffer }[]) {
    if (keys.length === 0) throw new Error('AuditKeys needs at least the current key');
    for (const { id, key } of keys) if (!this.byId.has(id)) this.byId.set(id, key);
  }

  static fromKeyring(keyring: MasterKeyring): AuditKeys {
    return new AuditKeys(
      keyring.masterKeys().map((key) => ({
        id: key.id,
        key: Buffer.from(key.deriveSecret(AUDIT_KEY_LABEL), 'hex'),
      })),
    );
  }

  /** The id of the master key new MACs are made under. */
  get currentId(): string {
    return this.byId.keys().next().value as string;
  }

  get ids(): string[] {
    return [...this.byId.keys()];
  }

  has(keyId: string): boolean {
    return this.byId.has(keyId);
  }

  /** HMAC-SHA256 (hex) of `data` under the audit key of `keyId` (the current one unless told). */
  mac(data: string, keyId: string = this.currentId): string {
    const key = this.byId.get(keyId);
    if (!key) throw new MissingAuditKeyError(keyId);
    return createHmac('sha256', key).update(data).digest('hex');
  }

  /** Whether `mac` is the MAC of `data` under `keyId`; throws MissingAuditKeyError for a key not given. */
  verify(data: string, keyId: string, mac: string | null): boolean {
    if (mac === null || !/^[0-9a-f]{64}$/.test(mac)) {
      if (!this.byId.has(keyId)) throw new MissingAuditKeyError(keyId);
      return false;
    }
    return timingSafeEqual(Buffer.from(this.mac(data, keyId), 'hex'), Buffer.from(mac, 'hex'));
  }
}

/** Carries the audit keys on a database handle and the transactions made from it; changes no query. */
class AuditKeysPlugin implements KyselyPlugin {
  constructor(readonly keys: AuditKeys) {}

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

/** The same database, its audit events MACed under `keys` when written (recordAudit). */
export function withAuditKeys(db: Db, keys: AuditKeys): Db {
  return db.withPlugin(new AuditKeysPlugin(keys));
}

/** The audit keys the handle carries (the last given). */
export function auditKeysOf(db: Executor): AuditKeys {
  const plugins = db.getExecutor().plugins;
  for (let i = plugins.length - 1; i >= 0; i -= 1) {
    const plugin = plugins[i];
    if (plugin instanceof AuditKeysPlugin) return plugin.keys;
  }
  // A programming error, never a user's: an event written without its MAC would be sealed marked, as if
  // forged, and the Audit Log page could say nothing true of the head.
  throw new Error(
    'This database handle carries no audit keys: open it through buildDeps, or give it the keys with ' +
      'withAuditKeys(db, AuditKeys.fromKeyring(keyring)) before anything writes or checks the audit trail.',
  );
}
