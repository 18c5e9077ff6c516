// A process that stores a file with no end on the S3 store, for a test to kill part-way through its
// multipart upload (s3-store.test.ts): `s3-put-process.ts CONFIG_JSON PART_SIZE_BYTES KEY`.
import { Readable } from 'node:stream';
import { S3FileStore } from '../../src/platform/storage/s3-store.ts';

const [config, partSize, key] = process.argv.slice(2) as [string, string, string];
const store = new S3FileStore(JSON.parse(config), { partSizeBytes: Number(partSize) });
const endless = new Readable({
  read() {
    this.push(Buffer.alloc(1024 * 1024, 1));
  },
});
await store.put(key, endless);
