// The SQL of two-factor sign-in: secrets (sealed) and recovery codes (hashed).
import { randomUUID } from 'node:crypto';
import type { Executor, TwoFactorSecretRow } from '../platform/db/schema.ts';

export type { TwoFactorSecretRow };

export async function getTwoFactorSecret(
  db: Executor,
  userId: string,
): Promise<TwoFactorSecretRow | undefined> {
  return db.selectFrom('two_factor_secrets').selectAll().where('user_id', '=', userId).executeTakeFirst();
}

/** Whether the user has a confirmed secret (has set up two-factor sign-in). */
export async function hasTwoFactor(db: Executor, userId: string): Promise<boolean> {
  const row = await db
    .selectFrom('two_factor_secrets')
    .select('user_id')
    .where('user_id', '=', userId)
    .where('confirmed_at', 'is not', null)
    .executeTakeFirst();
  return row !== undefined;
}

/** A new secret being set up, replacing any earlier one not yet confirmed. */
export async function insertPendingSecret(
  db: Executor,
  row: Omit<TwoFactorSecretRow, 'confirmed_at' | 'last_used_step'>,
): Promise<void> {
  await db
    .deleteFrom('two_factor_secrets')
    .where('user_id', '=', row.user_id)
    .where('confirmed_at', 'is', null)
    .execute();
  await db
    .insertInto('two_factor_secrets')
    .values({ ...row, confirmed_at: null, last_used_step: null })
    .execute();
}

export async function confirmSecret(
  db: Executor,
  userId: string,
  at: string,
  step: number,
): Promise<boolean> {
  const result = await db
    .updateTable('two_factor_secrets')
    .set({ confirmed_at: at, last_used_step: step })
    .where('user_id', '=', userId)
    .where('confirmed_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Records that a code of this time step was used. False when a code of this step or a later one was
 * used meanwhile (another request with the same code): the caller then refuses the code.
 */
export async function useTimeStep(db: Executor, userId: string, step: number): Promise<boolean> {
  const result = await db
    .updateTable('two_factor_secrets')
    .set({ last_used_step: step })
    .where('user_id', '=', userId)
    .where('confirmed_at', 'is not', null)
    .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Removes the user's secret (confirmed or not) and recovery codes. True when there was a secret. */
export async function deleteTwoFactor(db: Executor, userId: string): Promise<boolean> {
  await db.deleteFrom('two_factor_recovery_codes').where('user_id', '=', userId).execute();
  const result = await db.deleteFrom('two_factor_secrets').where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/**
 * Removes the user's two-factor set-up only if it is the one confirmed at `confirmedAt` (false when it is
 * gone, or was set up again since): on PostgreSQL a delete made at once with another waits for it, then
 * removes nothing.
 */
export async function deleteTwoFactorConfirmedAt(
  db: Executor,
  userId: string,
  confirmedAt: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom('two_factor_secrets')
    .where('user_id', '=', userId)
    .where('confirmed_at', '=', confirmedAt)
    .executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) return false;
  await db.deleteFrom('two_factor_recovery_codes').where('user_id', '=', userId).execute();
  return true;
}

/** Replaces every recovery code of the user with these (hashes). */
export async function replaceRecoveryCodes(
  db: Executor,
  userId: string,
  hashes: string[],
  at: string,
): Promise<void> {
  await db.deleteFrom('two_factor_recovery_codes').where('user_id', '=', userId).execute();
  await db
    .insertInto('two_factor_recovery_codes')
    .values(hashes.map((code_hash) => ({ id: randomUUID(), user_id: userId, code_hash, created_at: at })))
    .execute();
}

/** When the user's recovery codes were made (null: they have none). */
export async function recoveryCodesMadeAt(db: Executor, userId: string): Promise<string | null> {
  const row = await db
    .selectFrom('two_factor_recovery_codes')
    .select((eb) => eb.fn.max('created_at').as('at'))
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row?.at ?? null;
}

/** Marks an unused code used. False when there is no such unused code (wrong, or used meanwhile). */
export async function useRecoveryCode(
  db: Executor,
  userId: string,
  codeHash: string,
  at: string,
): Promise<boolean> {
  const result = await db
    .updateTable('two_factor_recovery_codes')
    .set({ used_at: at })
    .where('user_id', '=', userId)
    .where('code_hash', '=', codeHash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function countUnusedRecoveryCodes(db: Executor, userId: string): Promise<number> {
  const row = await db
    .selectFrom('two_factor_recovery_codes')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
