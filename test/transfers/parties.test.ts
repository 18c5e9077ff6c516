import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Actor } from '../../src/auth/actor.ts';
import type { Role } from '../../src/auth/permissions.ts';
import type { TransferRow } from '../../src/platform/db/schema.ts';
import type { Category } from '../../src/transfers/categories.ts';
import type { FileKind, Party } from '../../src/transfers/filenames.ts';
import { actorParty, collectable, isRecipient, isSender } from '../../src/transfers/parties.ts';

const actor = (role: Role, laNumber: string | null, establishmentNumber: string | null = null): Actor => ({
  userId: 'u',
  username: 'u',
  role,
  laNumber,
  establishmentNumber,
});

type Ends = Pick<
  TransferRow,
  | 'kind'
  | 'source_la'
  | 'source_school'
  | 'source_inbox'
  | 'dest_kind'
  | 'dest_la'
  | 'dest_school'
  | 'dest_inbox'
>;
const schoolToSchool: Ends = {
  kind: 'ctf',
  source_la: '916',
  source_school: '9165402',
  source_inbox: null,
  dest_kind: 'school',
  dest_la: '817',
  dest_school: '8171234',
  dest_inbox: null,
};
const schoolToLa: Ends = { ...schoolToSchool, dest_kind: 'la', dest_la: '916', dest_school: null };
const laToPlasInbox: Ends = {
  kind: 'generic',
  source_la: '817',
  source_school: null,
  source_inbox: null,
  dest_kind: 'la-inbox',
  dest_la: '916',
  dest_school: null,
  dest_inbox: 'PLAS',
};

test('a school sends and receives as its establishment; an LA as LEALLLL; PLASC and admissions roles as inboxes', () => {
  assert.deepEqual(actorParty(actor('school', '916', '9165402')), {
    kind: 'school',
    establishmentNumber: '9165402',
    laNumber: '916',
  });
  assert.deepEqual(actorParty(actor('la_user', '916')), { kind: 'la', laNumber: '916' });
  assert.deepEqual(actorParty(actor('la_plasc', '916')), {
    kind: 'la-inbox',
    laNumber: '916',
    inbox: 'PLAS',
  });
  assert.deepEqual(actorParty(actor('la_admissions', '916')), {
    kind: 'la-inbox',
    laNumber: '916',
    inbox: 'ADMS',
  });
  assert.equal(actorParty(actor('national_admin', null)), null);
});

test('only the two ends of a transfer are its sender and recipient', () => {
  const sender = actorParty(actor('school', '916', '9165402'));
  const recipient = actorParty(actor('school', '817', '8171234'));
  const stranger = actorParty(actor('school', '916', '9164001'));
  assert.equal(isSender(sender, schoolToSchool), true);
  assert.equal(isRecipient(recipient, schoolToSchool), true);
  assert.equal(isRecipient(sender, schoolToSchool), false);
  assert.equal(isSender(stranger, schoolToSchool), false);
  assert.equal(isRecipient(stranger, schoolToSchool), false);
  // The sender's LA is not the recipient of a school-to-school file (monitoring is a separate rule).
  assert.equal(isRecipient(actorParty(actor('la_user', '916')), schoolToSchool), false);
});

test("an LA's general roles receive LEALLLL files; its inboxes only their own", () => {
  assert.equal(isRecipient(actorParty(actor('la_user', '916')), schoolToLa), true);
  assert.equal(isRecipient(actorParty(actor('la_plasc', '916')), schoolToLa), false);
  assert.equal(isRecipient(actorParty(actor('la_plasc', '916')), laToPlasInbox), true);
  assert.equal(isRecipient(actorParty(actor('la_admissions', '916')), laToPlasInbox), false);
  assert.equal(isRecipient(actorParty(actor('la_user', '916')), laToPlasInbox), false);
  assert.equal(isSender(actorParty(actor('la_user', '817')), laToPlasInbox), true);
  assert.equal(isSender(actorParty(actor('la_plasc', '817')), laToPlasInbox), false);
  // Census returns go to LEALLyy, which the LA's PLASC role collects (as do its general roles).
  const census: Ends = { ...schoolToLa, kind: 'census' };
  assert.equal(isRecipient(actorParty(actor('la_plasc', '916')), census), true);
  assert.equal(isRecipient(actorParty(actor('la_user', '916')), census), true);
  assert.equal(isRecipient(actorParty(actor('la_admissions', '916')), census), false);
  assert.equal(isRecipient(actorParty(actor('la_plasc', '817')), census), false);
});

test('who can collect what: every Upload menu item against every kind of destination its names allow', () => {
  const school: Party = { kind: 'school', establishmentNumber: '8171234', laNumber: '817' };
  const la: Party = { kind: 'la', laNumber: '817' };
  const plas: Party = { kind: 'la-inbox', laNumber: '817', inbox: 'PLAS' };
  const adms: Party = { kind: 'la-inbox', laNumber: '817', inbox: 'ADMS' };
  const lost: Party = { kind: 'lost-pupils', reason: 'destination-unknown' };
  // [menu item, kind of name, destination, collectable]: the destinations filenames.ts lets each name have.
  const matrix: [Category, FileKind, Party, boolean][] = [
    ['ctf', 'ctf', school, true],
    ['ctf', 'ctf', la, true],
    ['ctf', 'ctf', lost, true],
    ['plasc', 'census', la, true],
    ['admissions', 'admissions', school, true],
    ['admissions', 'admissions', la, true],
    ['admissions', 'admissions', adms, true],
    ['generic', 'generic', school, true],
    ['generic', 'other', la, true],
    ['generic', 'generic', plas, true],
    ['generic', 'other', adms, true],
    // Only the LA has Download CFR Files and Download Exclusion Files (schools handbook §4).
    ['cfr', 'other', la, true],
    ['cfr', 'generic', la, true],
    ['exclusion', 'generic', la, true],
    ['exclusion', 'other', la, true],
    ['cfr', 'other', school, false],
    ['cfr', 'generic', school, false],
    ['cfr', 'generic', plas, false],
    ['cfr', 'other', adms, false],
    ['exclusion', 'generic', school, false],
    ['exclusion', 'other', school, false],
    ['exclusion', 'other', plas, false],
    ['exclusion', 'generic', adms, false],
  ];
  for (const [category, kind, destination, expected] of matrix) {
    assert.equal(
      collectable(category, kind, destination),
      expected,
      `${category} (${kind}) to ${JSON.stringify(destination)}`,
    );
  }
});
