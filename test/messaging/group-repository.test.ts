// The SQL of Message Address Groups on both engines: a user's groups by name with their member counts,
// each lookup limited to the owner, members replaced on update and removed with their group.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, test } from 'node:test';
import {
  deleteGroup,
  findGroupNamed,
  findOwnedGroup,
  groupMemberKeys,
  groupsOwnedBy,
  insertGroup,
  updateGroup,
} from '../../src/messaging/group-repository.ts';
import type { Db, UserRow } from '../../src/platform/db/schema.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeUser } from '../support/factories.ts';

const AT = '2026-11-23T09:00:00.000Z';

describeEachEngine('message group repository', (database) => {
  let db: Db;
  let laNumber: string;

  before(async () => {
    db = database().db;
    laNumber = (await makeLa(db)).number;
  });

  const user = (): Promise<UserRow> => makeUser(db, 'la_user', { laNumber });

  async function group(owner: UserRow, name: string, members: string[]): Promise<string> {
    const id = randomUUID();
    assert.equal(await insertGroup(db, { id, ownerUserId: owner.id, name, at: AT, members }), true);
    return id;
  }

  test("groupsOwnedBy: the user's groups only, by name whatever the case, each with its member count", async () => {
    const owner = await user();
    const other = await user();
    const b = await group(owner, 'beta', ['school:9161001', 'school:9161002', 'la:916:la_user']);
    const a = await group(owner, 'Alpha', ['national']);
    const empty = await group(owner, 'Gamma 10', []);
    const nine = await group(owner, 'Gamma 9', ['school:9161003']);
    await group(other, 'Aardvark', ['school:9161001']);

    const groups = await groupsOwnedBy(db, owner.id);
    assert.deepEqual(
      groups.map((g) => [g.id, g.name, g.members]),
      [
        [a, 'Alpha', 1],
        [b, 'beta', 3],
        [nine, 'Gamma 9', 1],
        [empty, 'Gamma 10', 0],
      ],
    );
    assert.equal(typeof groups[0]?.members, 'number');
    assert.equal(groups[0]?.owner_user_id, owner.id);
    assert.equal(groups[0]?.created_at, AT);
    assert.deepEqual(await groupsOwnedBy(db, randomUUID()), []);
  });

  test('groupMemberKeys: the mailbox keys of the group, each once, in key order', async () => {
    const owner = await user();
    const id = await group(owner, 'Members', [
      'school:9161002',
      'la:916:la_user',
      'school:9161001',
      'school:9161002',
    ]);
    assert.deepEqual(await groupMemberKeys(db, id), ['la:916:la_user', 'school:9161001', 'school:9161002']);
    assert.deepEqual(await groupMemberKeys(db, randomUUID()), []);
  });

  test('findOwnedGroup: only for its owner', async () => {
    const owner = await user();
    const colleague = await user();
    const id = await group(owner, 'Private', ['school:9161001']);
    assert.equal((await findOwnedGroup(db, id, owner.id))?.name, 'Private');
    assert.equal(await findOwnedGroup(db, id, colleague.id), undefined);
    assert.equal(await findOwnedGroup(db, randomUUID(), owner.id), undefined);
  });

  test("findGroupNamed: the owner's group of that name, whatever the case, other than the one changed", async () => {
    const owner = await user();
    const colleague = await user();
    const id = await group(owner, 'Year 7 Feeders', []);
    assert.equal((await findGroupNamed(db, owner.id, 'year 7 FEEDERS'))?.id, id);
    assert.equal(await findGroupNamed(db, owner.id, 'year 7 FEEDERS', id), undefined, 'its own name');
    assert.equal(await findGroupNamed(db, colleague.id, 'Year 7 Feeders'), undefined);
    assert.equal(await findGroupNamed(db, owner.id, 'Year 8 Feeders'), undefined);
    await group(owner, 'Écoles', []);
    assert.ok(await findGroupNamed(db, owner.id, 'écoles'));
    assert.equal(await findGroupNamed(db, owner.id, 'Ecoles'), undefined, 'accents count');
  });

  test('the same name twice for one owner is not saved (false, no members); two owners may share it', async () => {
    const owner = await user();
    const other = await user();
    await group(owner, 'Twice', []);
    const id = randomUUID();
    const again = { id, ownerUserId: owner.id, name: 'Twice', at: AT, members: ['school:9161001'] };
    assert.equal(await insertGroup(db, again), false);
    assert.equal(await findOwnedGroup(db, id, owner.id), undefined);
    assert.deepEqual(await groupMemberKeys(db, id), []);
    await group(other, 'Twice', []);
  });

  test('updateGroup: renames and replaces the members, for the owner only', async () => {
    const owner = await user();
    const colleague = await user();
    const id = await group(owner, 'Before', ['school:9161001', 'school:9161002']);
    const later = '2026-11-24T10:00:00.000Z';
    assert.equal(
      await updateGroup(db, { id, ownerUserId: colleague.id, name: 'Hijacked', at: later, members: [] }),
      false,
    );
    assert.equal((await findOwnedGroup(db, id, owner.id))?.name, 'Before');
    assert.deepEqual(await groupMemberKeys(db, id), ['school:9161001', 'school:9161002']);

    assert.equal(
      await updateGroup(db, {
        id,
        ownerUserId: owner.id,
        name: 'After',
        at: later,
        members: ['school:9161002', 'la:916:la_lost_pupil'],
      }),
      true,
    );
    const row = await findOwnedGroup(db, id, owner.id);
    assert.equal(row?.name, 'After');
    assert.equal(row?.created_at, AT);
    assert.equal(row?.updated_at, later);
    assert.deepEqual(await groupMemberKeys(db, id), ['la:916:la_lost_pupil', 'school:9161002']);
    assert.equal(
      await updateGroup(db, { id: randomUUID(), ownerUserId: owner.id, name: 'X', at: later, members: [] }),
      false,
    );
  });

  test('deleteGroup: the group and its members, for the owner only, once', async () => {
    const owner = await user();
    const colleague = await user();
    const id = await group(owner, 'Doomed', ['school:9161001', 'la:916:la_user']);
    const kept = await group(owner, 'Kept', ['school:9161001']);
    assert.equal(await deleteGroup(db, id, colleague.id), false);
    assert.ok(await findOwnedGroup(db, id, owner.id));
    assert.equal(await deleteGroup(db, id, owner.id), true);
    assert.equal(await findOwnedGroup(db, id, owner.id), undefined);
    assert.deepEqual(await groupMemberKeys(db, id), []);
    assert.deepEqual(await groupMemberKeys(db, kept), ['school:9161001']);
    assert.equal(await deleteGroup(db, id, owner.id), false);
  });

  test('a transaction that fails leaves no group behind', async () => {
    const owner = await user();
    const id = randomUUID();
    await assert.rejects(
      db.transaction().execute(async (tx) => {
        await insertGroup(tx, {
          id,
          ownerUserId: owner.id,
          name: 'Rolled back',
          at: AT,
          members: ['national'],
        });
        throw new Error('stop');
      }),
    );
    assert.equal(await findOwnedGroup(db, id, owner.id), undefined);
    assert.deepEqual(await groupMemberKeys(db, id), []);
  });
});
