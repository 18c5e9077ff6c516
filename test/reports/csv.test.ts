import assert from 'node:assert/strict';
import { test } from 'node:test';
import { csvDate, csvDateTime, csvFilename, csvStream } from '../../src/reports/csv.ts';

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

test('a CSV has a byte-order mark, CRLF lines, quoted commas and quotes, and no cell a spreadsheet would run', async () => {
  async function* rows() {
    yield ['9165402', 'St Mary’s, "Upper" School', 3];
    yield ['=HYPERLINK("http://example.com")', '+1', -2];
    yield ['@SUM(A1)', '-x', null];
  }
  const csv = await text(csvStream(['Number', 'Name', 'Files'], rows()));
  assert.equal(
    csv,
    '\uFEFFNumber,Name,Files\r\n' +
      '9165402,"St Mary’s, ""Upper"" School",3\r\n' +
      `"'=HYPERLINK(""http://example.com"")",'+1,-2\r\n` +
      "'@SUM(A1),'-x,\r\n",
  );
});

test('the full-width forms of =, +, - and @ are guarded too (a spreadsheet may read them as their ASCII forms)', async () => {
  const csv = await text(
    csvStream(
      ['Name'],
      [['\uFF1DHYPERLINK("http://example.com")'], ['\uFF0B1'], ['\uFF0D1'], ['\uFF20A1'], ['Ｏak']],
    ),
  );
  assert.equal(
    csv,
    '\uFEFFName\r\n' +
      `"'\uFF1DHYPERLINK(""http://example.com"")"\r\n` +
      "'\uFF0B1\r\n'\uFF0D1\r\n'\uFF20A1\r\nＯak\r\n",
  );
});

test('a value holding a line break is quoted, so it stays in its cell', async () => {
  const csv = await text(
    csvStream(
      ['Name', 'N'],
      [
        ['Ash\nBrook', 1],
        ['Elm\rOak', 2],
        ['Yew\r\nFir', 3],
      ],
    ),
  );
  assert.equal(csv, '\uFEFFName,N\r\n"Ash\nBrook",1\r\n"Elm\rOak",2\r\n"Yew\r\nFir",3\r\n');
});

test('a failure while reading rows ends the CSV with an error instead of leaving it open', async () => {
  async function* rows(): AsyncGenerator<string[]> {
    yield ['one'];
    throw new Error('the database went away');
  }
  await assert.rejects(text(csvStream(['A'], rows())), /the database went away/);
});

test('the file is named after the report and its dates', () => {
  assert.equal(csvFilename('general-usage', null, '2026-11-23'), 'general-usage-all-to-2026-11-23.csv');
  assert.equal(csvFilename('school', '2026-09-01', '2026-11-23'), 'school-2026-09-01-to-2026-11-23.csv');
});

test('a CSV writes dates as 2026-11-23 and times as 2026-11-23 14:05, in London time, for any spreadsheet', () => {
  // British Summer Time: 23:30 UTC on 30 April is 00:30 on 1 May in London.
  assert.equal(csvDate('2026-04-30T23:30:00.000Z'), '2026-05-01');
  assert.equal(csvDateTime('2026-04-30T23:30:00.000Z'), '2026-05-01 00:30');
  assert.equal(csvDateTime('2026-04-30T22:59:59.999Z'), '2026-04-30 23:59');
  // Greenwich Mean Time: London is UTC.
  assert.equal(csvDate('2026-11-30T23:59:00.000Z'), '2026-11-30');
  assert.equal(csvDateTime('2026-11-01T00:30:00.000Z'), '2026-11-01 00:30');
  assert.equal(csvDateTime('2026-11-20T14:05:59.000Z'), '2026-11-20 14:05');
  assert.equal(csvDate(null), '');
  assert.equal(csvDateTime(null), '');
});
