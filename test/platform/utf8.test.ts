import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isUtf8Pieces } from '../../src/platform/utf8.ts';

/** `bytes` in pieces of `size` bytes. */
async function* inPieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let start = 0; start < bytes.length; start += size) yield bytes.subarray(start, start + size);
}

test('UTF-8 is valid however the pieces cut its characters of 2, 3 and 4 bytes', async () => {
  const text = Buffer.from('Ysgol Gymraeg – Ŵyr, Ŷd, Tâf, École, Łódź, 𝔸𝔹 and ASCII.');
  for (let size = 1; size <= text.length; size++) {
    assert.equal(await isUtf8Pieces(inPieces(text, size)), true, `pieces of ${size}`);
  }
  assert.equal(await isUtf8Pieces(inPieces(new Uint8Array(0), 1)), true, 'nothing at all');
});

test('Windows-1252 and broken sequences are not UTF-8, wherever the pieces end', async () => {
  const cases: [string, number[]][] = [
    ['cp1252 é then ASCII', [0x43, 0x61, 0x66, 0xe9, 0x20, 0x41]],
    ['cp1252 en dash', [0x41, 0x96, 0x42]],
    ['cp1252 ô at the very end', [0x41, 0x42, 0xf4]],
    ['a 3-byte sequence cut short at the end', [0x41, 0xe2, 0x80]],
    ['a lone continuation byte', [0x41, 0x80, 0x42]],
    ['an overlong /', [0xc0, 0xaf]],
    ['a surrogate', [0xed, 0xa0, 0x80]],
  ];
  for (const [what, bytes] of cases) {
    for (let size = 1; size <= bytes.length; size++) {
      assert.equal(
        await isUtf8Pieces(inPieces(Uint8Array.from(bytes), size)),
        false,
        `${what}, pieces of ${size}`,
      );
    }
  }
});
