// Zip files made in memory for tests (yazl, as the service's downloads make them).
import { crc32 } from 'node:zlib';
import { ZipFile } from 'yazl';

/** A file in a zip: a name (with folders, or a folder itself when it ends in /) and its content. */
export type ZipItem = [name: string, content?: string | Buffer];

/**
 * A zip of the items, deflated (or stored, as `zip -0` and some tools store a zip inside a zip, with
 * `{ compress: false }`).
 */
export async function zipOf(items: ZipItem[], options: { compress?: boolean } = {}): Promise<Buffer> {
  const zip = new ZipFile();
  for (const [name, content] of items) {
    if (name.endsWith('/')) zip.addEmptyDirectory(name);
    // The fastest compression: some tests zip hundreds of megabytes.
    else
      zip.addBuffer(Buffer.isBuffer(content) ? content : Buffer.from(content ?? ''), name, {
        compressionLevel: options.compress === false ? 0 : 1,
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

/** The zip nested in zips, `levels` of them: each a zip of one file, `level-N.zip`, the innermost `zip`. */
export async function nestedIn(zip: Buffer, levels: number): Promise<Buffer> {
  let nested = zip;
  for (let level = levels; level >= 1; level -= 1) nested = await zipOf([[`level-${level}.zip`, nested]]);
  return nested;
}

/**
 * The zip with its entries renamed, in its central directory and in each local header: `names` in the
 * entries' order, each as many bytes as the name it replaces (pad with "/" or "x"). yazl refuses to write
 * a name that leads out of its folder (`../x`, `C:\x`), which is what a hostile zip holds.
 */
export function renamed(zip: Buffer, names: string[]): Buffer {
  const out = Buffer.from(zip);
  const end = out.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  let at = out.readUInt32LE(end + 16);
  names.forEach((name, i) => {
    const length = out.readUInt16LE(at + 28);
    const bytes = Buffer.from(name, 'latin1');
    if (bytes.length !== length) throw new Error(`entry ${i}: ${name} is not ${length} bytes long`);
    bytes.copy(out, at + 46);
    bytes.copy(out, out.readUInt32LE(at + 42) + 30);
    at += 46 + length + out.readUInt16LE(at + 30) + out.readUInt16LE(at + 32);
  });
  return out;
}

/**
 * A real zip of exactly `size` bytes (100 at least), made at once: one stored file, `a`, of letters.
 * For tests that need a .ZIP the upload accepts but never look inside it (decision 83 refuses bytes that
 * only start like a zip).
 */
export function zipOfSize(size: number): Buffer {
  const content = Buffer.alloc(size - 100, 0x61);
  const crc = crc32(content) >>> 0;
  const local = Buffer.alloc(31);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(10, 4);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(content.length, 18);
  local.writeUInt32LE(content.length, 22);
  local.writeUInt16LE(1, 26);
  local.write('a', 30, 'latin1');
  const central = Buffer.alloc(47);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(10, 4);
  central.writeUInt16LE(10, 6);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(content.length, 20);
  central.writeUInt32LE(content.length, 24);
  central.writeUInt16LE(1, 28);
  central.write('a', 46, 'latin1');
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length, 12);
  end.writeUInt32LE(local.length + content.length, 16);
  return Buffer.concat([local, content, central, end]);
}

/** Where a zip's central directory starts, and its end record (a zip with no comment, as yazl writes). */
function directoryOf(zip: Buffer): { start: number; end: number } {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  return { start: zip.readUInt32LE(end + 16), end };
}

/**
 * The zip with the entries of `hidden` (their local headers and data) put before its central directory,
 * which does not list them: a program reading the zip from its start (Java's ZipInputStream, libarchive
 * from a pipe) unzips them all the same, as the security review found.
 */
export function withUnlisted(zip: Buffer, hidden: Buffer): Buffer {
  const locals = hidden.subarray(0, directoryOf(hidden).start);
  const { start, end } = directoryOf(zip);
  const out = Buffer.concat([zip.subarray(0, start), locals, zip.subarray(start)]);
  out.writeUInt32LE(start + locals.length, end + locals.length + 16);
  return out;
}

/**
 * The zip with its entries made by Unix (in "version made by") with these file modes in their external
 * attributes, in the entries' order: `0o120777` is a symbolic link, whose content is where it points.
 */
export function withUnixModes(zip: Buffer, modes: number[]): Buffer {
  const out = Buffer.from(zip);
  let at = directoryOf(out).start;
  for (const mode of modes) {
    out.writeUInt16LE((3 << 8) | (out.readUInt16LE(at + 4) & 0xff), at + 4);
    out.writeUInt32LE((mode << 16) >>> 0, at + 38);
    at += 46 + out.readUInt16LE(at + 28) + out.readUInt16LE(at + 30) + out.readUInt16LE(at + 32);
  }
  return out;
}

/**
 * A zip of one entry as a program writing to a stream writes it: bit 3 set, no CRC or sizes in the local
 * header, a data descriptor (with its signature) after the data. `data` is the entry's bytes as stored
 * (a raw deflate stream when `method` is 8); the directory and descriptor give `unzipped`'s CRC and size.
 */
export function zipWithDescriptor(name: string, method: 0 | 8, data: Buffer, unzipped: Buffer): Buffer {
  const nameBytes = Buffer.from(name, 'latin1');
  const crc = crc32(unzipped) >>> 0;
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 6);
  local.writeUInt16LE(method, 8);
  local.writeUInt16LE(nameBytes.length, 26);
  const descriptor = Buffer.alloc(16);
  descriptor.writeUInt32LE(0x08074b50, 0);
  descriptor.writeUInt32LE(crc, 4);
  descriptor.writeUInt32LE(data.length, 8);
  descriptor.writeUInt32LE(unzipped.length, 12);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 8);
  central.writeUInt16LE(method, 10);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(unzipped.length, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  const entry = Buffer.concat([local, nameBytes, data, descriptor]);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + nameBytes.length, 12);
  end.writeUInt32LE(entry.length, 16);
  return Buffer.concat([entry, central, nameBytes, end]);
}
