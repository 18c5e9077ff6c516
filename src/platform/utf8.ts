// Whether bytes read a piece at a time are UTF-8: for files whose encoding is not declared (a GIAS extract
// is Windows-1252 as a rule, UTF-8 when saved again by a spreadsheet), decided before they are decoded.
import { isUtf8 } from 'node:buffer';

/**
 * How many bytes at the end of `bytes` are a multi-byte sequence cut short (its lead byte and fewer
 * continuation bytes than it announces), to be checked with the piece that follows: 0 to 3.
 */
function cutShort(bytes: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back] ?? 0;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back for its lead
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? back : 0;
  }
  return 0;
}

/**
 * True when the bytes of `pieces`, taken together, are valid UTF-8 (Node's isUtf8, which refuses
 * overlong forms, surrogates and stray continuation bytes), however the pieces split a character. Stops
 * reading at the first invalid byte. No bytes at all are valid.
 */
export async function isUtf8Pieces(pieces: AsyncIterable<Uint8Array>): Promise<boolean> {
  let carried: Uint8Array = new Uint8Array(0);
  for await (const piece of pieces) {
    const bytes = carried.length > 0 ? Buffer.concat([carried, piece]) : piece;
    const end = bytes.length - cutShort(bytes);
    if (!isUtf8(bytes.subarray(0, end))) return false;
    carried = Buffer.from(bytes.subarray(end));
  }
  return carried.length === 0;
}
