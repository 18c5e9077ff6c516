// An upload whose connection stalls part way through its file (REQUEST_IDLE_SECONDS with nothing sent)
// loses its connection; nothing of it is kept, neither a record nor a stored piece, and the same file
// uploaded again is accepted.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import type { Db, EstablishmentRow } from '../../src/platform/db/schema.ts';
import { ctfBetween, syntheticPupil } from '../fixtures/ctf/generate.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool } from '../support/factories.ts';
import { createTestApp, signedInUser, type TestApp, textOf } from '../support/web.ts';

describeEachEngine('an upload whose client stalls', (database) => {
  let t: TestApp;
  let db: Db;
  let school: EstablishmentRow;
  let dest: EstablishmentRow;
  let address: string;

  before(async () => {
    db = database().db;
    t = await createTestApp(db, { REQUEST_IDLE_SECONDS: '1' });
    const la = await makeLa(db);
    school = await makeSchool(db, la.number);
    dest = await makeSchool(db, la.number);
    address = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await t.app.close();
  });

  const stored = async () => {
    const objects = [];
    for await (const object of t.deps.fileStore.list()) objects.push(object);
    return objects;
  };

  // The give-up time only stops a hang: without the idle limit the node holds the upload for ever.
  test('loses its connection, keeps nothing, and the same file is taken when sent again', {
    timeout: 60_000,
  }, async () => {
    const { agent } = await signedInUser(t, 'school', {
      laNumber: school.number.slice(0, 3),
      establishmentNumber: school.number,
    });
    await agent.get('/upload/ctf');
    const { cookie, csrfToken } = agent.session();
    const filename = `${school.number}_CTF_${dest.number}_001.XML`;
    const content = Buffer.from(
      ctfBetween(school.number, dest.number, [
        syntheticPupil(0, { lea: school.number.slice(0, 3), estab: school.number.slice(3) }, false),
      ]),
    );
    const boundary = '----s2sStalledUpload';
    const body = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrfToken}\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${filename}"\r\n` +
          'Content-Type: application/xml\r\n\r\n',
      ),
      content,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const { hostname, port } = new URL(address);
    const socket = connect(Number(port), hostname);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.on('error', () => {});
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
    });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(
      `POST /upload/ctf HTTP/1.1\r\nHost: localhost\r\nCookie: ${cookie}\r\n` +
        `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    // The form's token and half the file, then nothing more.
    socket.write(body.subarray(0, body.length - Math.floor(content.length / 2)));
    let gaveUp = false;
    const giveUp = setTimeout(() => {
      gaveUp = true;
      socket.destroy();
    }, 30_000);
    await closed;
    clearTimeout(giveUp);
    assert.equal(gaveUp, false, 'the node still held the stalled upload 30 s later');
    assert.equal(answer, '', 'no page was sent for the upload');

    const kept = await db
      .selectFrom('transfers')
      .select('id')
      .where('source_school', '=', school.number)
      .execute();
    assert.deepEqual(kept, [], 'no transfer recorded');
    assert.deepEqual(await stored(), [], 'nothing stored, not even a partial piece');

    await agent.get('/upload/ctf');
    const again = await agent.postMultipart('/upload/ctf', [{ filename, content }]);
    assert.match(textOf(again.body), new RegExp(`${filename} Uploaded`));
    assert.equal(
      (await db.selectFrom('transfers').select('id').where('source_school', '=', school.number).execute())
        .length,
      1,
    );
  });
});
