// Text sealed for an address (platform/web/sealed-text.ts): only this secret and purpose open it, and
// nothing changed or cut short opens.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SealedText } from '../../src/platform/web/sealed-text.ts';

const SECRET = 'a cookie secret of at least thirty-two characters';

test('sealed text opens as it was, and reads as nothing of it', () => {
  const sealer = new SealedText(SECRET, 'lost pupils search');
  const text = 'surname=Quillfeather&dob-day=2&dob-month=3&dob-year=2014';
  const sealed = sealer.seal(text);
  assert.match(sealed, /^[A-Za-z0-9_-]+$/, 'safe in an address as it is');
  assert.doesNotMatch(sealed, /Quillfeather|2014/);
  assert.equal(sealer.open(sealed), text);
  assert.equal(sealer.seal(text), sealed, 'the same text seals the same');
  assert.notEqual(sealer.seal(`${text}&sort=dob`), sealed);
  assert.equal(sealer.open(sealer.seal('')), '');
});

test('another secret or purpose, a changed or shortened seal, or no seal at all opens as null', () => {
  const sealer = new SealedText(SECRET, 'lost pupils search');
  const sealed = sealer.seal('surname=Jones');
  assert.equal(new SealedText(`${SECRET}!`, 'lost pupils search').open(sealed), null);
  assert.equal(new SealedText(SECRET, 'another purpose').open(sealed), null);
  const changed = `${sealed.slice(0, 20)}${sealed[20] === 'A' ? 'B' : 'A'}${sealed.slice(21)}`;
  assert.equal(sealer.open(changed), null);
  assert.equal(sealer.open(sealed.slice(0, -1)), null);
  for (const nonsense of ['', 'x', 'surname=Jones', '%%%']) assert.equal(sealer.open(nonsense), null);
});
