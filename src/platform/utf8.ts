// Whether bytes read a piece at a time are UTF-8: for files whose encoding is not declared (a GIAS extract
// is Windows-1252 as a rule, UTF-8 when saved again by a spreadsheet), decided before they are decoded.

/**
 * True when the bytes of `pieces`, taken together, are valid UTF-8 (overlong forms, surrogates and stray
 * continuation bytes refused), however the pieces split a character: a fatal TextDecoder in streaming
 * mode carries a character cut short to the next piece. Stops reading at the first invalid byte. No
 * bytes at all are valid.
 */
export async function isUtf8Pieces(pieces: AsyncIterable<Uint8Array>): Promise<boolean> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    for await (const piece of pieces) decoder.decode(piece, { stream: true });
    decoder.decode();
    return true;
  } catch (error) {
    if (error instanceof TypeError) return false;
    throw error;
  }
}
