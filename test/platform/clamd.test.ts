// The clamd client (src/platform/scanning/clamd.ts) against a real clamd with a test-made signature
// database (test/support/clamd.ts): the INSTREAM protocol, chunking, verdicts and an unreachable daemon.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { ClamdScanner, ScannerUnavailable, verdictOf } from '../../src/platform/scanning/clamd.ts';
import { EICAR, EICAR_SIGNATURE, TestClamd } from '../support/clamd.ts';

describe('clamd over its socket', () => {
  let clamd: TestClamd;
  let scanner: ClamdScanner;
  before(async () => {
    clamd = await TestClamd.start();
    scanner = new ClamdScanner({ socket: clamd.socket });
  });
  after(async () => {
    await clamd?.stop();
  });

  test('answers PING, and finds nothing in an ordinary file', async () => {
    assert.equal(await scanner.ping(), true);
    assert.deepEqual(await scanner.scan(Readable.from([Buffer.from('UPN,Surname\nA123,Smith\n')])), {
      clean: true,
    });
    assert.match(scanner.description, /^clamd at .*clamd\.sock$/);
  });

  test('names the signature of the EICAR test file, however the stream is cut into pieces', async () => {
    const bytes = Buffer.from(EICAR, 'latin1');
    const found = { clean: false, signature: EICAR_SIGNATURE };
    assert.deepEqual(await scanner.scan(Readable.from([bytes])), found);
    const pieces = [...bytes].map((byte) => Buffer.from([byte]));
    assert.deepEqual(await scanner.scan(Readable.from(pieces)), found);
  });

  test('streams a file larger than one chunk (several INSTREAM chunks)', async () => {
    const large = Buffer.alloc(3 * 1024 * 1024 + 17, 'a');
    assert.deepEqual(await scanner.scan(Readable.from([large])), { clean: true });
  });

  test('an error of the content being read is the content’s, not the scanner’s', async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error('the stored file failed its check'));
      },
    });
    await assert.rejects(scanner.scan(failing), (error: Error) => {
      assert.ok(!(error instanceof ScannerUnavailable));
      assert.match(error.message, /failed its check/);
      return true;
    });
  });

  test('no daemon at the address: ScannerUnavailable, and PING says false', async () => {
    const nowhere = new ClamdScanner({ socket: join(clamd.socket, '..', 'no-such.sock') });
    await assert.rejects(nowhere.scan(Readable.from([Buffer.from('x')])), ScannerUnavailable);
    assert.equal(await nowhere.ping(), false);
    const closedPort = new ClamdScanner({ host: '127.0.0.1', port: 1 });
    await assert.rejects(closedPort.scan(Readable.from([Buffer.from('x')])), ScannerUnavailable);
  });
});

test("clamd's answers: OK, FOUND with the signature, anything else no verdict", () => {
  assert.deepEqual(verdictOf('stream: OK'), { clean: true });
  assert.deepEqual(verdictOf('stream: Win.Test.EICAR_HDB-1 FOUND'), {
    clean: false,
    signature: 'Win.Test.EICAR_HDB-1',
  });
  assert.throws(() => verdictOf('INSTREAM size limit exceeded. ERROR'), ScannerUnavailable);
  assert.throws(() => verdictOf(''), ScannerUnavailable);
});
