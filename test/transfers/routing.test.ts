import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ClassifiedFilename, classifyFilename } from '../../src/transfers/filenames.ts';
import { checkParties } from '../../src/transfers/routing.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, nextLaNumber } from '../support/factories.ts';

function classified(name: string): ClassifiedFilename {
  const result = classifyFilename(name);
  if (!result.ok) assert.fail(`${name} was refused: ${result.problems.join('; ')}`);
  return result.file;
}

describeEachEngine('checking a file name against the directory', (database) => {
  test('a CTF between two open schools that use s2s can go', async () => {
    const { db } = database();
    const from = await makeLa(db);
    const to = await makeLa(db);
    const source = await makeSchool(db, from.number);
    const destination = await makeSchool(db, to.number);
    assert.deepEqual(
      await checkParties(db, classified(`${source.number}_CTF_${destination.number}_003.XML`)),
      [],
    );
    assert.deepEqual(await checkParties(db, classified(`${source.number}_CTF_${to.number}LLLL_004.XML`)), []);
    assert.deepEqual(
      await checkParties(db, classified(`${from.number}LLLL_CTF_${destination.number}_001.XML`)),
      [],
    );
    assert.deepEqual(
      await checkParties(db, classified(`${source.number}_${from.number}ADMS_Appeals.PDF`)),
      [],
      'LA inboxes belong to the LA',
    );
  });

  test('lost pupils destinations need no directory entry', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const source = await makeSchool(db, la.number);
    assert.deepEqual(await checkParties(db, classified(`${source.number}_CTF_XXXXXXXX_001.XML`)), []);
    assert.deepEqual(await checkParties(db, classified(`${source.number}_CTF_MMMMMMM_002.XML`)), []);
  });

  test('a destination school that does not exist', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const source = await makeSchool(db, la.number);
    const missing = `${la.number}9999`;
    assert.deepEqual(await checkParties(db, classified(`${source.number}_CTF_${missing}_003.XML`)), [
      `the destination school ${missing} does not exist: check its DfE number in the Establishment Finder`,
    ]);
  });

  test('a source school that does not exist', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const destination = await makeSchool(db, la.number);
    const missing = `${la.number}9998`;
    assert.deepEqual(await checkParties(db, classified(`${missing}_CTF_${destination.number}_003.XML`)), [
      `the source school ${missing} does not exist: check its DfE number in the Establishment Finder`,
    ]);
  });

  test('a closed destination school is refused, with advice', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const source = await makeSchool(db, la.number);
    const closed = await makeSchool(db, la.number, { status: 'closed', closed_on: '2025-08-31' });
    assert.deepEqual(await checkParties(db, classified(`${source.number}_CTF_${closed.number}_003.XML`)), [
      `the destination school ${closed.number} is closed: send the CTF to the school the pupil has moved to, or use XXXXXXXX as the destination if that is not known (handbook §9)`,
    ]);
    assert.deepEqual(await checkParties(db, classified(`${source.number}_${closed.number}_Notes.ZIP`)), [
      `the destination school ${closed.number} is closed: check the number of the school you mean in the Establishment Finder`,
    ]);
  });

  test('a closed source school may still send (it sends its pupils on when it closes)', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const closed = await makeSchool(db, la.number, { status: 'closed', closed_on: '2025-08-31' });
    const destination = await makeSchool(db, la.number);
    assert.deepEqual(
      await checkParties(db, classified(`${closed.number}_CTF_${destination.number}_003.XML`)),
      [],
    );
  });

  test('a destination school that does not use s2s: MMMMMMMM for a CTF (handbook §9)', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const source = await makeSchool(db, la.number);
    const offline = await makeSchool(db, la.number, { uses_s2s: 0 });
    assert.deepEqual(await checkParties(db, classified(`${source.number}_CTF_${offline.number}_003.XML`)), [
      `the destination school ${offline.number} does not use s2s: use MMMMMMMM as the destination (handbook §9)`,
    ]);
    assert.deepEqual(await checkParties(db, classified(`${source.number}_KS1_${offline.number}_003.XLS`)), [
      `the destination school ${offline.number} does not use s2s, so it cannot collect the file: agree another secure way to send it with the school`,
    ]);
  });

  test('a destination school whose account is inactive cannot collect files', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const source = await makeSchool(db, la.number);
    const inactive = await makeSchool(db, la.number, { active: 0 });
    assert.deepEqual(await checkParties(db, classified(`${source.number}_CTF_${inactive.number}_003.XML`)), [
      `the destination school ${inactive.number} cannot collect files because its s2s account is inactive: ask LA ${la.number} to make it active again`,
    ]);
  });

  test('an LA that does not exist, as destination, source or census collector', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const school = await makeSchool(db, la.number);
    const unknownLa = nextLaNumber(); // never inserted
    assert.deepEqual(await checkParties(db, classified(`${school.number}_CTF_${unknownLa}LLLL_007.XML`)), [
      `the destination LA ${unknownLa} does not exist: check the LA number (the first 3 digits)`,
    ]);
    assert.deepEqual(await checkParties(db, classified(`${unknownLa}ADMS_ATF_${school.number}_001.XML`)), [
      `the source LA ${unknownLa} does not exist: check the LA number (the first 3 digits)`,
    ]);
    const orphan = `${unknownLa}1234`;
    assert.deepEqual(await checkParties(db, classified(`${orphan}_SC1_${unknownLa}LL26_001.XML`)), [
      `the source school ${orphan} does not exist: check its DfE number in the Establishment Finder`,
      `the destination LA ${unknownLa} does not exist: check the LA number (the first 3 digits)`,
    ]);
    assert.deepEqual(await checkParties(db, classified(`${school.number}_SC1_${la.number}LL26_001.XML`)), []);
  });
});
