// The Upload pages' example names: made from the signed-in organisation's numbers, and only names the
// upload would take from it through that menu item.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Actor } from '../../src/auth/actor.ts';
import { can, ROLES } from '../../src/auth/permissions.ts';
import { CATEGORIES, CATEGORY_INFO, uploadCapability } from '../../src/transfers/categories.ts';
import { classifyFilename, partyCode } from '../../src/transfers/filenames.ts';
import { actorParty, collectable } from '../../src/transfers/parties.ts';
import { uploadExamples } from '../../src/transfers/upload-examples.ts';

const NOW = new Date('2026-11-23T10:00:00.000Z');

const actorFor = (role: Actor['role'], establishmentNumber: string): Actor => ({
  userId: 'u',
  username: 'u',
  role,
  laNumber: establishmentNumber.slice(0, 3),
  establishmentNumber: role === 'school' ? establishmentNumber : null,
});

test('every example is a name the organisation could send with that menu item', () => {
  for (const establishment of ['9165402', '8171234', '8175402']) {
    for (const role of ROLES) {
      const party = actorParty(actorFor(role, establishment));
      for (const category of CATEGORIES.filter((c) => can(role, uploadCapability(c)))) {
        assert.ok(party, role);
        const names = uploadExamples(party, category, NOW);
        const where = `${role} of ${establishment}, ${category}`;
        // Census returns come from schools only: an LA has no name to send there.
        if (category === 'plasc' && party.kind !== 'school') assert.deepEqual(names, [], where);
        else assert.ok(names.length > 0, where);
        for (const name of names) {
          const classified = classifyFilename(name);
          assert.ok(classified.ok, `${where}: ${name}`);
          const { file } = classified;
          assert.equal(partyCode(file.source), partyCode(party), `${where}: ${name}`);
          assert.ok(CATEGORY_INFO[category].kinds.includes(file.kind), `${where}: ${name}`);
          assert.ok(collectable(category, file.kind, file.destination), `${where}: ${name}`);
        }
      }
    }
  }
});

test("a school's examples start with its own number and never go to itself or another school's admissions", () => {
  const party = actorParty(actorFor('school', '8171234'));
  assert.ok(party);
  assert.deepEqual(uploadExamples(party, 'ctf', NOW), [
    '8171234_CTF_9165402_003.XML',
    '8171234_CTF_8175402_004.XML',
    '8171234_CTF_817LLLL_007.XML',
  ]);
  assert.deepEqual(uploadExamples(party, 'admissions', NOW), [
    '8171234_ADT_817ADMS_001.XML',
    '8171234_ADT_817LLLL_002.XML',
  ]);
  assert.deepEqual(uploadExamples(party, 'plasc', NOW), [
    '8171234_SC2_817LL26_001.XML',
    '8171234_ASC_817LL26_001.XML',
  ]);
  assert.deepEqual(uploadExamples(party, 'cfr', NOW), [
    '8171234_817LLLL_CFR2026.XLS',
    '8171234_CFR_817LLLL_001.XLS',
  ]);
  // The admissions inbox sends the ATF to a school.
  const inbox = actorParty(actorFor('la_admissions', '9165402'));
  assert.ok(inbox);
  assert.deepEqual(uploadExamples(inbox, 'admissions', NOW), [
    '916ADMS_ATF_9165402_26001.XML',
    '916ADMS_ADT_916LLLL_002.XML',
  ]);
});
