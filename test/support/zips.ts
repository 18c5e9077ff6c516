// Zip files made in memory for tests (yazl, as the service's downloads make them).
import { ZipFile } from 'yazl';

/** A file in a zip: a name (with folders, or a folder itself when it ends in /) and its content. */
export type ZipItem = [name: string, content?: string | Buffer];

export async function zipOf(items: ZipItem[]): Promise<Buffer> {
  const zip = new ZipFile();
  for (const [name, content] of items) {
    if (name.endsWith('/')) zip.addEmptyDirectory(name);
    // The fastest compression: some tests zip hundreds of megabytes.
    else
      zip.addBuffer(Buffer.isBuffer(content) ? content : Buffer.from(content ?? ''), name, {
        compressionLevel: 1,
      });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The zip with every entry marked encrypted (bit 0 of its general purpose flags, in its local header
 * and in the central directory), as `zip -P` marks them: what a reader of the zip's structure sees of a
 * password-protected zip (its contents are not really encrypted).
 */
export function markedEncrypted(zip: Buffer): Buffer {
  const marked = Buffer.from(zip);
  const end = marked.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const entries = marked.readUInt16LE(end + 10);
  let at = marked.readUInt32LE(end + 16);
  for (let i = 0; i < entries; i += 1) {
    marked.writeUInt16LE(marked.readUInt16LE(at + 8) | 1, at + 8);
    const local = marked.readUInt32LE(at + 42);
    marked.writeUInt16LE(marked.readUInt16LE(local + 6) | 1, local + 6);
    at += 46 + marked.readUInt16LE(at + 28) + marked.readUInt16LE(at + 30) + marked.readUInt16LE(at + 32);
  }
  return marked;
}
