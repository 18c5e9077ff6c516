import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type EmailContext,
  type EmailLanguage,
  MAX_SUBJECT_LENGTH,
  type RenderedEmail,
} from '../../src/notifications/email.ts';
import {
  composeEmail,
  nameWithCode,
  REMINDER_FILE_LIMIT,
  TEMPLATE_NAMES,
  TEMPLATES,
  TemplateError,
  type TemplateName,
} from '../../src/notifications/templates.ts';
import { translateMessage } from '../../src/platform/i18n/catalogue.ts';

const context: EmailContext = {
  serviceName: 's2s secure data transfer',
  serviceUrl: 'https://s2s.test.example/app',
  serviceDesk: { email: 'desk@example.gov.uk', telephone: '0300 123 4567' },
};

// 23 November 2026 14:05 UTC is 2:05pm in London (GMT); 1 July 2026 08:30 UTC is 9:30am (BST).
const WINTER = '2026-11-23T14:05:00.000Z';
const SUMMER = '2026-07-01T08:30:00.000Z';

function compose(template: string, payload: unknown, language: EmailLanguage = 'en'): RenderedEmail {
  return composeEmail(template, JSON.stringify(payload), context, language);
}

/** The HTML's words as a reader sees them: no tags, entities decoded, spaces collapsed. */
function htmlWords(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

function textWords(text: string): string {
  return text.replace(/\s+/g, ' ');
}

/** Each fact is in the text and HTML versions (and the subject, for those given as subjectFacts). */
function assertFacts(email: RenderedEmail, facts: string[], subjectFacts: string[] = []): void {
  const text = textWords(email.text);
  const html = htmlWords(email.html);
  for (const fact of facts) {
    assert.ok(text.includes(fact), `text lacks ${JSON.stringify(fact)}:\n${email.text}`);
    assert.ok(html.includes(fact), `HTML lacks ${JSON.stringify(fact)}`);
  }
  for (const fact of subjectFacts) {
    assert.ok(email.subject.includes(fact), `subject lacks ${JSON.stringify(fact)}: ${email.subject}`);
  }
}

function link(path: string): string {
  return `https://s2s.test.example/app${path}`;
}

/** The link is written out in the text and is an href in the HTML. */
function assertLink(email: RenderedEmail, path: string): void {
  assert.ok(email.text.split('\n').includes(link(path)), `text lacks the link ${path}`);
  const href = `href="${link(path).replace(/&/g, '&amp;')}"`;
  assert.ok(email.html.includes(href), `HTML lacks ${href}`);
}

const transfer = {
  filename: '9165402_CTF_8171234_003.XML',
  transferId: '0b7d4c1e-5f7a-4d7e-9a61-2f1f3c9e8a10',
  sender: '9165402',
  senderName: 'Green Lane Primary School (9165402)',
  destination: '8171234',
  destinationName: 'St Martha Primary School (8171234)',
  pupils: 3,
};

function reminderFile(i: number, toCode = '8171234') {
  return {
    filename: `9165402_CTF_${toCode}_${String(i).padStart(3, '0')}.XML`,
    kind: 'CTF',
    from: 'Green Lane Primary School',
    fromCode: '9165402',
    to: toCode === '8171234' ? 'St Martha Primary School' : 'Hill Top Academy',
    toCode,
    uploadedAt: WINTER,
  };
}

const censusReturn = {
  collectionName: 'School Census 2026 Autumn',
  schoolName: 'St Martha Primary School',
  schoolCode: '8171234',
  version: 2,
  filename: '8171234_SC3_817LL26_002.XML',
  byName: 'St Martha Primary School',
  at: WINTER,
  path: '/collect/returns/5f0c6a3e-9d1b-4c58-a6f2-0b7e8d9c1a23',
};

/** A valid payload for every template. */
const SAMPLES: { [N in TemplateName]: Record<string, unknown> } = {
  'ctf-uploaded': transfer,
  'upload-confirmed': transfer,
  'upload-refused': {
    filename: '9165402_CTF_8171234.XML',
    menuItem: 'Upload CTF File',
    reasons: 'The name has no file number.\nThe file is not a CTF: it has no header.',
    whatToDo: 'Create the file again in your MIS and upload it.',
  },
  'file-quarantined': {
    filename: transfer.filename,
    signature: 'Win.Test.EICAR_HDB-1',
    destination: '8171234',
    destinationName: 'St Martha Primary School',
    uploadedAt: WINTER,
  },
  'file-downloaded': {
    filename: transfer.filename,
    collectedBy: 'St Martha Primary School',
    collectedByCode: '8171234',
    collectedAt: WINTER,
  },
  'file-rejected': {
    filename: transfer.filename,
    reason: 'We have no pupils of these names: please check the destination.',
    rejectedBy: 'St Martha Primary School',
    rejectedByCode: '8171234',
    rejectedAt: SUMMER,
  },
  'forwarded-file-downloaded': {
    filename: '9165402_CTF_8175555_003.XML',
    originalFilename: transfer.filename,
    sentBy: 'Green Lane Primary School',
    sentByCode: '9165402',
    senderTold: true,
    collectedBy: 'Hill Top Academy',
    collectedByCode: '8175555',
    collectedAt: WINTER,
  },
  'forwarded-file-rejected': {
    filename: '9165402_CTF_8175555_003.XML',
    originalFilename: transfer.filename,
    sentBy: 'Green Lane Primary School',
    sentByCode: '9165402',
    senderTold: true,
    reason: 'This pupil has not joined us: try 8176001.',
    rejectedBy: 'Hill Top Academy',
    rejectedByCode: '8175555',
    rejectedAt: SUMMER,
  },
  'file-removed': {
    filename: transfer.filename,
    removedBy: 'Northshire LA',
    removedByCode: '817LLLL',
    destinationName: 'St Martha Primary School',
    destination: '8171234',
    removedAt: WINTER,
  },
  'waiting-file-removed': {
    filename: transfer.filename,
    removedBy: 'Northshire LA',
    removedByCode: '817LLLL',
    removedAt: WINTER,
    sentBy: 'Green Lane Primary School',
    sentByCode: '9165402',
  },
  'waiting-file-forwarded': {
    filename: transfer.filename,
    forwardedBy: 'Northshire LA',
    forwardedByCode: '817LLLL',
    forwardedAt: WINTER,
    sentBy: 'Green Lane Primary School',
    sentByCode: '9165402',
  },
  'forwarded-file-removed': {
    filename: '9165402_CTF_8175555_003.XML',
    originalFilename: transfer.filename,
    sentBy: 'Green Lane Primary School',
    sentByCode: '9165402',
    senderTold: true,
    removedBy: 'Northshire LA',
    removedByCode: '817LLLL',
    destinationName: 'Hill Top Academy',
    destination: '8175555',
    removedAt: WINTER,
  },
  'weekly-reminder': {
    recipientName: 'St Martha Primary School',
    files: [reminderFile(1), reminderFile(2)],
    path: '/download/ctf',
  },
  'new-message': { fromName: 'Northshire LA – LEA Administrator', sentAt: WINTER },
  'message-by-email': {
    fromName: '817 Northshire - LEA User',
    organisation: 'Northshire LA (817)',
    description: 'Term dates for 2027',
    text: 'Dear colleagues,\n\nThe term dates are on our website.\nThank you.',
  },
  'lost-pupil-match': {
    lostFilename: '9165402_CTF_XXXXXXXX_004.XML',
    uploadedBy: 'Cotswold Edge Primary School',
    uploadedByCode: '9165402',
    uploadedAt: WINTER,
    seenAt: 'St Martha Primary School',
    seenAtCode: '8171234',
    seenIn: 'CTF',
    filename: transfer.filename,
    matchedOn: 'name-dob',
  },
  'lost-pupil-forwarded': {
    lostFilename: '9165402_CTF_XXXXXXXX_004.XML',
    uploadedBy: 'Cotswold Edge Primary School',
    uploadedByCode: '9165402',
    uploadedAt: SUMMER,
    forwardedBy: 'Northshire LA',
    forwardedByCode: '817LLLL',
    school: 'St Martha Primary School',
    schoolCode: '8171234',
    forwardedAt: WINTER,
    path: '/lost-pupils/review',
  },
  'lost-pupil-forwarded-collected': {
    lostFilename: '9165402_CTF_XXXXXXXX_004.XML',
    uploadedBy: 'Cotswold Edge Primary School',
    uploadedByCode: '9165402',
    uploadedAt: SUMMER,
    forwardedBy: 'Northshire LA',
    forwardedByCode: '817LLLL',
    school: 'St Martha Primary School',
    schoolCode: '8171234',
    collectedAt: WINTER,
    path: '/lost-pupils/review',
  },
  'lost-pupil-found': {
    lostFilename: '9165402_CTF_XXXXXXXX_004.XML',
    uploadedBy: 'Cotswold Edge Primary School',
    uploadedByCode: '9165402',
    uploadedAt: SUMMER,
    foundBy: 'Cardiff LA',
    foundByCode: '681LLLL',
    foundAt: WINTER,
    path: '/lost-pupils/review',
  },
  'lost-pupil-lost-again': {
    lostFilename: '9165402_CTF_XXXXXXXX_004.XML',
    uploadedBy: 'Cotswold Edge Primary School',
    uploadedByCode: '9165402',
    uploadedAt: SUMMER,
    forwardedBy: 'Northshire LA',
    forwardedByCode: '817LLLL',
    school: 'St Martha Primary School',
    schoolCode: '8171234',
    rejectedAt: WINTER,
    path: '/lost-pupils/search/5b0e1c1e-0d5f-4a57-9a3c-1f1f6b0a9e11',
  },
  'addresses-missing': {
    laName: 'Northshire',
    organisations: [
      { code: '8171234', name: 'St Martha Primary School', notifications: 3 },
      { code: '8172001', name: 'Hill Top Academy', notifications: 1 },
    ],
  },
  'lost-pupils-to-review': {
    laName: 'Northshire',
    count: 3,
    total: 5,
    period: 'June 2027',
    path: '/lost-pupils/review',
  },
  'census-return-submitted': censusReturn,
  'census-return-returned': {
    ...censusReturn,
    byName: 'Northshire LA',
    note: 'Pupil 3 is in year 7: check.',
  },
  'census-return-approved': { ...censusReturn, byName: 'Northshire LA' },
  'census-return-reloaded': {
    ...censusReturn,
    version: 3,
    filename: '8171234_SC3_817LL26_003.XML',
    path: '/collect/collections/4d7b0b7e-2f6b-4a55-9f0e-3c1c7a2b9d10',
    approvedVersion: 2,
  },
  'account-changed': {
    change: 'password-issued',
    username: '916bjones',
    at: WINTER,
    by: 'la-administrator',
    ask: 'la-administrator',
    tokensRevoked: 2,
  },
};

describe('the template registry', () => {
  test('names every template once, each with a description and a sample here', () => {
    assert.deepEqual(Object.keys(TEMPLATES).sort(), [...TEMPLATE_NAMES].sort());
    assert.equal(new Set(TEMPLATE_NAMES).size, TEMPLATE_NAMES.length);
    for (const name of TEMPLATE_NAMES) {
      assert.ok(translateMessage('en', TEMPLATES[name].description).length > 10, name);
      assert.ok(SAMPLES[name], name);
    }
  });

  for (const name of TEMPLATE_NAMES) {
    test(`${name}: renders a plain, safe email of one short subject line`, () => {
      const email = compose(name, SAMPLES[name]);
      assert.ok(email.subject.length > 10 && email.subject.length <= MAX_SUBJECT_LENGTH, email.subject);
      assert.doesNotMatch(email.subject, /[\r\n]/);
      assert.match(email.html, /^<!DOCTYPE html>\n<html lang="en">/);
      assert.match(email.text, /automatic email from s2s secure data transfer/);
      for (const line of email.text.split('\n')) {
        assert.ok(line.length <= 72 || !line.includes(' '), `long line: ${line}`);
      }
      // No link leaves the service.
      for (const href of email.html.match(/href="[^"]*"/g) ?? []) {
        assert.ok(href.startsWith(`href="${link('/')}`) || href.startsWith('href="mailto:'), href);
      }
    });
  }
});

describe('ctf-uploaded (to the destination)', () => {
  test('says who sent which file with how many pupils, and to check and accept or reject it', () => {
    const email = compose('ctf-uploaded', transfer);
    assertFacts(
      email,
      [
        'Green Lane Primary School (9165402) has sent you a common transfer file (CTF)',
        'File name: 9165402_CTF_8171234_003.XML',
        'To: St Martha Primary School (8171234)',
        'Pupils in the file: 3',
        'Download, then Download CTF Files',
        'Accept',
        'Reject',
      ],
      ['Green Lane Primary School (9165402)', '9165402_CTF_8171234_003.XML'],
    );
    assertLink(email, '/download/ctf');
    assert.doesNotMatch(email.text, /forward/i);
  });

  test('shows an organisation code once, whether or not the name already holds it', () => {
    const email = compose('ctf-uploaded', { ...transfer, senderName: 'Green Lane Primary School' });
    assert.equal(email.text.split('(9165402)').length - 1, 2, 'the sentence and the From line');
    assert.equal(compose('ctf-uploaded', transfer).text, email.text);
    assert.equal(nameWithCode('Kent LA (886LLLL)', '886LLLL'), 'Kent LA (886LLLL)');
    assert.equal(nameWithCode('Kent LA', '886LLLL'), 'Kent LA (886LLLL)');
  });

  test('a forwarded file says which LA forwarded it and its original name', () => {
    const email = compose('ctf-uploaded', {
      ...transfer,
      forwardedBy: 'Northshire LA (817LLLL)',
      forwardedFrom: '9165402_CTF_817LLLL_002.XML',
    });
    assertFacts(email, [
      'Northshire LA (817LLLL) forwarded it to you',
      'It was first sent to them as 9165402_CTF_817LLLL_002.XML',
    ]);
  });

  test('a file forwarded out of the Lost Pupils Database says it was sent to the database, not to the LA', () => {
    const lost = {
      ...transfer,
      forwardedBy: 'Northshire LA (817LLLL)',
      forwardedFrom: '9165402_CTF_MMMMMMMM_002.XML',
      forwardedFromLostPupils: true,
    };
    const email = compose('ctf-uploaded', lost);
    assertFacts(email, [
      'Northshire LA (817LLLL) forwarded it to you from the Lost Pupils Database, where it was first sent as 9165402_CTF_MMMMMMMM_002.XML',
    ]);
    assert.doesNotMatch(email.text, /first sent to them/);
    assertFacts(compose('ctf-uploaded', lost, 'cy'), [
      'o’r Gronfa Ddata Disgyblion Coll, lle cafodd ei hanfon yn gyntaf fel 9165402_CTF_MMMMMMMM_002.XML',
    ]);
  });

  test('a name s2s makes up or words around one is a message, written in the recipient’s language', () => {
    const made = {
      ...transfer,
      senderName: { key: 'directory.name.school', params: { number: '9165402' } },
      forwardedBy: {
        key: 'directory.name.with-code',
        params: { name: { key: 'directory.name.la', params: { name: 'Northshire' } }, code: '817LLLL' },
      },
    };
    assertFacts(compose('ctf-uploaded', made), ['School 9165402 has sent you', 'Northshire LA (817LLLL)']);
    const welsh = compose('ctf-uploaded', made, 'cy');
    assertFacts(
      welsh,
      ['Mae Ysgol 9165402 wedi anfon', 'Awdurdod lleol Northshire (817LLLL)'],
      ['Ysgol 9165402'],
    );
    assert.doesNotMatch(welsh.text, /School 9165402|Northshire LA/);
    assert.throws(
      () => compose('ctf-uploaded', { ...transfer, senderName: { key: 'directory.name.no-such-name' } }),
      (e: unknown) =>
        e instanceof TemplateError &&
        /senderName: .*expected string, or a message of the catalogue/.test(e.message),
    );
  });

  test('null for "not forwarded" is accepted, as the outbox payload type allows it', () => {
    const email = compose('ctf-uploaded', { ...transfer, forwardedBy: null, forwardedFrom: null });
    assert.equal(email.text, compose('ctf-uploaded', transfer).text);
  });
});

describe('upload-confirmed (to the sender)', () => {
  test('says where it went, that another email follows, and where to follow it', () => {
    const email = compose('upload-confirmed', transfer);
    assertFacts(
      email,
      [
        'Your file 9165402_CTF_8171234_003.XML was uploaded successfully and sent to St Martha Primary School (8171234)',
        'It holds 3 pupils',
        'another email when St Martha Primary School (8171234) downloads the file or rejects it',
        'View / Remove Files',
      ],
      ['9165402_CTF_8171234_003.XML'],
    );
    assertLink(email, '/sent');
  });

  test('a file for the Lost Pupils Database promises no download email', () => {
    const email = compose('upload-confirmed', {
      ...transfer,
      filename: '9165402_CTF_XXXXXXXX_004.XML',
      destination: 'XXXXXXXX',
      destinationName: 'the lost pupils database (destination unknown)',
      pupils: 1,
    });
    assertFacts(email, ['It holds 1 pupil and was sent to the Lost Pupils Database (XXXXXXXX)']);
    assert.doesNotMatch(email.text, /another email/);
  });
});

describe('upload-refused (to the user who tried)', () => {
  test('lists each reason, then what to do', () => {
    const email = compose('upload-refused', SAMPLES['upload-refused']);
    assertFacts(
      email,
      [
        'You tried to send 9165402_CTF_8171234.XML with Upload, then Upload CTF File',
        'Create the file again in your MIS and upload it.',
      ],
      ['9165402_CTF_8171234.XML'],
    );
    assert.match(email.text, /^• The name has no file number\.$/m);
    assert.match(email.text, /^• The file is not a CTF: it has no header\.$/m);
    assert.deepEqual(
      email.html.match(/<li[^>]*>[^<]*<\/li>/g)?.map((li) => li.replace(/<[^>]+>/g, '')),
      ['The name has no file number.', 'The file is not a CTF: it has no header.'],
    );
    assert.ok(email.text.indexOf('no header') < email.text.indexOf('Create the file again'));
  });

  test('a hostile file name from the browser is escaped and cannot add a mail header', () => {
    const email = compose('upload-refused', {
      ...SAMPLES['upload-refused'],
      filename: 'a<script>alert(1)</script>&b.XML\r\nBcc: victim@example.com',
    });
    assert.doesNotMatch(email.subject, /[\r\n]/);
    assert.match(email.subject, /a<script>alert\(1\)<\/script>&b\.XML Bcc: victim@example\.com$/);
    assert.doesNotMatch(email.html, /<script/);
    assert.match(email.html, /a&lt;script&gt;alert\(1\)&lt;\/script&gt;&amp;b\.XML/);
  });

  test('a very long name keeps the subject within its limit', () => {
    const email = compose('upload-refused', { ...SAMPLES['upload-refused'], filename: 'N'.repeat(300) });
    assert.ok(email.subject.length <= MAX_SUBJECT_LENGTH);
    assert.ok(email.text.includes('N'.repeat(300)), 'the body keeps the whole name');
  });

  test('a file with no name is still reported', () => {
    const email = compose('upload-refused', { ...SAMPLES['upload-refused'], filename: '' });
    assertFacts(email, ['You tried to send a file with no name']);
  });

  /** A payload as the upload writes it now: the English, and the same as messages. */
  const keyed = {
    ...SAMPLES['upload-refused'],
    reasons: "The file number '01' must be 3 digits, like 001.\nThe file is empty.",
    whatToDo: 'Check you chose the right file.',
    reasonMessages: [
      { key: 'transfer.filename.sequence.digits', params: { sequence: '01' }, sentence: true },
      { key: 'transfer.upload.reason.empty', sentence: true },
    ],
    whatToDoMessage: { key: 'transfer.upload.what-to-do.content' },
  };

  test("its reasons and what to do are written in the recipient's language, from the messages the upload stored", () => {
    const welsh = compose('upload-refused', keyed, 'cy');
    assert.match(welsh.text, /^• Rhaid i rif y ffeil '01' fod yn 3 digid, fel 001\.$/m);
    assert.match(welsh.text, /^• Mae’r ffeil yn wag\.$/m);
    assert.match(welsh.text, /Gwiriwch eich bod wedi dewis y ffeil gywir\. Os cafodd ei gwneud gan/);
    assert.doesNotMatch(welsh.text, /must be 3 digits|The file is empty|Check you chose/);
    const english = compose('upload-refused', keyed, 'en');
    assert.match(english.text, /^• The file number '01' must be 3 digits, like 001\.$/m);
    assert.match(english.text, /Check you chose the right file\./);
    const both = compose('upload-refused', keyed, 'bilingual');
    assert.ok(both.text.indexOf('Mae’r ffeil yn wag.') < both.text.indexOf('The file is empty.'));
  });

  test('a payload written before reasons had keys, or naming a key no longer in the catalogue, gives its English', () => {
    const old = compose('upload-refused', SAMPLES['upload-refused'], 'cy');
    assert.match(old.text, /Fe geisioch chi anfon 9165402_CTF_8171234\.XML/);
    assert.match(old.text, /^• The name has no file number\.$/m);
    const stale = compose(
      'upload-refused',
      { ...keyed, reasonMessages: [{ key: 'transfer.no-such-reason' }] },
      'cy',
    );
    assert.match(stale.text, /^• The file number '01' must be 3 digits, like 001\.$/m);
    assert.match(stale.text, /Check you chose the right file\./);
  });
});

describe('forwarded-file-downloaded, forwarded-file-rejected (to the LA that forwarded a CTF)', () => {
  test('forwarded-file-downloaded: who collected it, the original and its sender, nothing to do', () => {
    const email = compose('forwarded-file-downloaded', SAMPLES['forwarded-file-downloaded']);
    assertFacts(
      email,
      [
        'Hill Top Academy (8175555) downloaded 9165402_CTF_8175555_003.XML on 23 November 2026 at 2:05pm, a CTF your LA forwarded to them.',
        'You forwarded it from 9165402_CTF_8171234_003.XML, the file Green Lane Primary School (9165402) sent.',
        'Green Lane Primary School has been told too. The transfer is complete',
      ],
      ['9165402_CTF_8175555_003.XML', 'forwarded', 'downloaded'],
    );
    const ownName = compose('forwarded-file-downloaded', {
      ...SAMPLES['forwarded-file-downloaded'],
      senderTold: false,
    });
    assert.doesNotMatch(ownName.text, /told too/);
    assertFacts(ownName, ['The transfer is complete: you do not need to do anything.']);
  });

  test('forwarded-file-rejected: the reason in an inset, that the sender was told, what the LA can do, a link to its monitoring page', () => {
    const email = compose('forwarded-file-rejected', SAMPLES['forwarded-file-rejected']);
    assertFacts(
      email,
      [
        'Hill Top Academy (8175555) rejected 9165402_CTF_8175555_003.XML on 1 July 2026 at 9:30am, a CTF your LA forwarded to them.',
        'You forwarded it from 9165402_CTF_8171234_003.XML, the file Green Lane Primary School (9165402) sent.',
        'Green Lane Primary School has been emailed this reason too',
        'For 7 days after the rejection you can forward the rejected file to another school, from Monitor CTF Files',
        'Find out where the pupil is now',
        'tell Green Lane Primary School, so that it sends a new CTF to that school',
        'Lost Pupils Database (XXXXXXXX)',
        'contact Hill Top Academy',
        'Monitor CTF Files',
      ],
      ['9165402_CTF_8175555_003.XML', 'rejected'],
    );
    assert.match(email.html, /<blockquote[^>]*>This pupil has not joined us: try 8176001\.<\/blockquote>/);
    assertLink(email, '/download/ctf/monitor');
  });

  test('forwarded-file-rejected in the LA’s own name (a lost pupil’s file): no sender to tell, ask the school that made it', () => {
    const email = compose('forwarded-file-rejected', {
      ...SAMPLES['forwarded-file-rejected'],
      filename: '916LLLL_CTF_9163001_021.XML',
      originalFilename: '9165402_CTF_XXXXXXXX_021.XML',
      senderTold: false,
    });
    assert.doesNotMatch(email.text, /emailed this reason too|so that it sends/);
    assertFacts(email, [
      'You forwarded it from 9165402_CTF_XXXXXXXX_021.XML',
      'ask Green Lane Primary School, which sent the pupil’s file to the Lost Pupils Database, to send a new CTF to that school',
    ]);
  });

  test('forwarded-file-rejected when the lost pupil is lost again: the record keeps the file, forward it from there', () => {
    const path = '/lost-pupils/search/5b0e1c1e-0d5f-4a57-9a3c-1f1f6b0a9e11';
    const email = compose('forwarded-file-rejected', {
      ...SAMPLES['forwarded-file-rejected'],
      filename: '916LLLL_CTF_9163001_021.XML',
      originalFilename: '9165402_CTF_XXXXXXXX_021.XML',
      senderTold: false,
      lostPupilPath: path,
    });
    assertFacts(email, [
      'It is lost again in the Lost Pupils Database, where its file is kept',
      'forward the file to it from the record',
      'contact Hill Top Academy',
    ]);
    assert.doesNotMatch(email.text, /from Monitor CTF Files|to send a new CTF/);
    assertLink(email, path);
    const welsh = compose(
      'forwarded-file-rejected',
      { ...SAMPLES['forwarded-file-rejected'], senderTold: false, lostPupilPath: path },
      'cy',
    );
    assertFacts(welsh, ['Mae ar goll eto yn y Gronfa Ddata Disgyblion Coll']);
  });

  test('no pupil data reaches them: facts not in the payload’s fields are not written', () => {
    const payload = { ...SAMPLES['forwarded-file-rejected'], surname: 'Secretsurname', upn: 'A123456789012' };
    for (const language of ['en', 'cy', 'bilingual'] as const) {
      const email = compose('forwarded-file-rejected', payload, language);
      for (const part of [email.subject, email.text, email.html]) {
        assert.doesNotMatch(part, /Secretsurname|A123456789012/);
      }
    }
  });
});

describe('file-downloaded, file-rejected, file-removed (to the sender)', () => {
  test('file-downloaded: who collected which file, and when, in London time', () => {
    const email = compose('file-downloaded', SAMPLES['file-downloaded']);
    assertFacts(
      email,
      [
        'St Martha Primary School (8171234) downloaded your file 9165402_CTF_8171234_003.XML on 23 November 2026 at 2:05pm',
      ],
      ['9165402_CTF_8171234_003.XML', 'downloaded'],
    );
  });

  test('file-rejected: the reason in an inset, what to do (handbook §9), a link to Rejected Files', () => {
    const email = compose('file-rejected', SAMPLES['file-rejected']);
    assertFacts(
      email,
      [
        'St Martha Primary School (8171234) rejected your file 9165402_CTF_8171234_003.XML on 1 July 2026 at 9:30am',
        'XXXXXXXX',
        'MMMMMMMM',
        'Lost Pupils Database',
        'only one pupil',
        'View / Remove Files, under Rejected Files',
      ],
      ['rejected', '9165402_CTF_8171234_003.XML'],
    );
    assert.match(
      email.html,
      /<blockquote[^>]*>We have no pupils of these names: please check the destination\.<\/blockquote>/,
    );
    assert.match(email.text, /^ {4}We have no pupils of these names: please check the destination\.$/m);
    assertLink(email, '/sent?show=rejected');
  });

  test('file-rejected: a reason with markup and line breaks is escaped and kept as typed', () => {
    const email = compose('file-rejected', {
      ...SAMPLES['file-rejected'],
      reason: 'Wrong school <script>x</script> & wrong LA\nSend it to 8179999',
    });
    assert.match(
      email.html,
      /<blockquote[^>]*>Wrong school &lt;script&gt;x&lt;\/script&gt; &amp; wrong LA<br>Send it to 8179999<\/blockquote>/,
    );
    assert.doesNotMatch(email.html, /<script/);
  });

  test('file-removed: which LA removed it, when, and where it had been sent', () => {
    const email = compose('file-removed', SAMPLES['file-removed']);
    assertFacts(
      email,
      [
        'Northshire LA (817LLLL) removed your file 9165402_CTF_8171234_003.XML on 23 November 2026 at 2:05pm',
        'It was sent to St Martha Primary School (8171234), which had not downloaded it',
        'contact Northshire LA',
      ],
      ['removed', '9165402_CTF_8171234_003.XML'],
    );
  });
});

describe('waiting-file-removed (to the destination), forwarded-file-removed (to the forwarding LA)', () => {
  test('waiting-file-removed: who removed which file, whose it was, and that nothing need be done', () => {
    const email = compose('waiting-file-removed', SAMPLES['waiting-file-removed']);
    assertFacts(
      email,
      [
        'Northshire LA (817LLLL) removed 9165402_CTF_8171234_003.XML on 23 November 2026 at 2:05pm, a CTF Green Lane Primary School (9165402) had sent to you, before you collected it.',
        'It is no longer in Download CTF Files',
        'You do not need to do anything. If the pupil’s record still needs to reach you, Green Lane Primary School will send it again.',
      ],
      ['removed before you collected it', '9165402_CTF_8171234_003.XML'],
    );
    const bySender = compose('waiting-file-removed', {
      ...SAMPLES['waiting-file-removed'],
      removedBy: 'Green Lane Primary School',
      removedByCode: '9165402',
    });
    assertFacts(bySender, [
      'Green Lane Primary School (9165402) removed 9165402_CTF_8171234_003.XML on 23 November 2026 at 2:05pm, a CTF it had sent to you, before you collected it.',
    ]);
    const welsh = compose('waiting-file-removed', SAMPLES['waiting-file-removed'], 'cy');
    assert.equal(welsh.subject, 'CTF wedi’i thynnu cyn i chi ei chasglu: 9165402_CTF_8171234_003.XML');
    assertFacts(welsh, ['Nid oes angen i chi wneud dim.', 'Nid yw yn Lawrlwytho Ffeiliau CTF mwyach']);
  });

  test('waiting-file-removed to a destination that downloaded the file without confirming it: says so, and what to do with its copy', () => {
    const downloaded = { ...SAMPLES['waiting-file-removed'], downloadedAt: SUMMER };
    const email = compose('waiting-file-removed', downloaded);
    assert.equal(email.subject, 'CTF you downloaded has been removed: 9165402_CTF_8171234_003.XML');
    assertFacts(email, [
      'Northshire LA (817LLLL) removed 9165402_CTF_8171234_003.XML on 23 November 2026 at 2:05pm, a CTF Green Lane Primary School (9165402) had sent to you.',
      'You downloaded it on 1 July 2026 at 9:30am, but did not confirm that it was downloaded correctly, so it had not been collected.',
      'It is no longer in Download CTF Files',
      'Do not load the copy you downloaded into your MIS, and delete it: it was withdrawn before it was collected. If you have loaded it already, contact Northshire LA. If the pupil’s record still needs to reach you, Green Lane Primary School will send it again.',
    ]);
    assert.doesNotMatch(email.text, /before you collected it|You do not need to do anything/);
    const bySender = compose('waiting-file-removed', {
      ...downloaded,
      removedBy: 'Green Lane Primary School',
      removedByCode: '9165402',
    });
    assertFacts(bySender, [
      'Green Lane Primary School (9165402) removed 9165402_CTF_8171234_003.XML on 23 November 2026 at 2:05pm, a CTF it had sent to you.',
    ]);
    const welsh = compose('waiting-file-removed', downloaded, 'cy');
    assert.equal(welsh.subject, 'CTF a lawrlwythwyd gennych wedi’i thynnu: 9165402_CTF_8171234_003.XML');
    assertFacts(welsh, [
      'Fe wnaethoch chi ei lawrlwytho ar 1 Gorffennaf 2026 am 9:30yb, ond ni wnaethoch gadarnhau ei bod wedi’i lawrlwytho’n gywir, felly nid oedd wedi’i chasglu.',
      'Peidiwch â llwytho’r copi a lawrlwythwyd gennych i’ch system MIS, a dilëwch ef',
    ]);
    // Queued before the field was known: the text as it was.
    assert.equal(
      compose('waiting-file-removed', SAMPLES['waiting-file-removed']).text,
      compose('waiting-file-removed', { ...SAMPLES['waiting-file-removed'], downloadedAt: undefined }).text,
    );
  });

  test('waiting-file-forwarded: its LA passed the file on to the school it was meant for, unnamed; nothing to do, or delete the copy downloaded', () => {
    const email = compose('waiting-file-forwarded', SAMPLES['waiting-file-forwarded']);
    assert.equal(email.subject, 'CTF passed on to another school: 9165402_CTF_8171234_003.XML');
    assertFacts(email, [
      'Northshire LA (817LLLL) forwarded 9165402_CTF_8171234_003.XML on 23 November 2026 at 2:05pm, a CTF Green Lane Primary School (9165402) had sent to you, to the school it was meant for, before you collected it.',
      'It is no longer in Download CTF Files',
      'You do not need to do anything: the file was meant for another school, and Northshire LA has sent it there.',
    ]);
    const downloaded = compose('waiting-file-forwarded', {
      ...SAMPLES['waiting-file-forwarded'],
      downloadedAt: SUMMER,
    });
    assertFacts(downloaded, [
      'Northshire LA (817LLLL) forwarded 9165402_CTF_8171234_003.XML on 23 November 2026 at 2:05pm, a CTF Green Lane Primary School (9165402) had sent to you, to the school it was meant for.',
      'You downloaded it on 1 July 2026 at 9:30am, but did not confirm that it was downloaded correctly, so it had not been collected.',
      'The file was meant for another school: delete the copy you downloaded and do not load it into your MIS. If you have loaded it already, contact Northshire LA.',
    ]);
    assert.doesNotMatch(downloaded.text, /You do not need to do anything/);
    const welsh = compose('waiting-file-forwarded', SAMPLES['waiting-file-forwarded'], 'cy');
    assert.equal(welsh.subject, 'CTF wedi’i hanfon ymlaen at ysgol arall: 9165402_CTF_8171234_003.XML');
    assertFacts(welsh, [
      'Anfonodd Northshire LA (817LLLL) 9165402_CTF_8171234_003.XML ymlaen ar 23 Tachwedd 2026 am 2:05yh',
      'Nid oes angen i chi wneud dim: roedd y ffeil wedi’i bwriadu ar gyfer ysgol arall',
    ]);
  });

  test('forwarded-file-removed: the copy, who removed it, the file it was forwarded from and its sender', () => {
    const email = compose('forwarded-file-removed', SAMPLES['forwarded-file-removed']);
    assertFacts(
      email,
      [
        'Northshire LA (817LLLL) removed 9165402_CTF_8175555_003.XML on 23 November 2026 at 2:05pm, a CTF your LA forwarded to Hill Top Academy (8175555), before it was collected.',
        'You forwarded it from 9165402_CTF_8171234_003.XML, the file Green Lane Primary School (9165402) sent.',
        'Green Lane Primary School has been emailed too, as the sender of the file.',
        'contact Northshire LA.',
      ],
      ['CTF you forwarded was removed', '9165402_CTF_8175555_003.XML'],
    );
    const bySender = compose('forwarded-file-removed', {
      ...SAMPLES['forwarded-file-removed'],
      senderTold: false,
    });
    assert.doesNotMatch(bySender.text, /emailed too/);
    const welsh = compose('forwarded-file-removed', SAMPLES['forwarded-file-removed'], 'cy');
    assert.equal(welsh.subject, 'CTF a anfonwyd ymlaen gennych wedi’i thynnu: 9165402_CTF_8175555_003.XML');
    assertFacts(welsh, ['Fe wnaethoch chi ei hanfon ymlaen o 9165402_CTF_8171234_003.XML']);
  });
});

describe('weekly-reminder', () => {
  function tableRows(html: string): string[][] {
    const body = html.slice(html.indexOf('<tbody>'), html.indexOf('</tbody>'));
    return (body.match(/<tr>.*?<\/tr>/g) ?? []).map((tr) =>
      (tr.match(/<td[^>]*>(.*?)<\/td>/g) ?? []).map((td) => td.replace(/<[^>]+>/g, '')),
    );
  }

  test("a school's reminder: a table of its files, without a To column, and where to download them", () => {
    const email = compose('weekly-reminder', SAMPLES['weekly-reminder']);
    assertFacts(
      email,
      [
        'This is the weekly reminder for St Martha Primary School',
        '2 files sent to St Martha Primary School (8171234) have not been downloaded yet',
        'Files not downloaded',
      ],
      ['2 files'],
    );
    // Too wide for columns in the text version: "Label: value" lines.
    assert.match(
      email.text,
      /^File: 9165402_CTF_8171234_001\.XML\nType: CTF\nFrom: Green Lane Primary School \(9165402\)\nUploaded: 23 November 2026$/m,
    );
    assert.deepEqual(
      email.html.match(/<th scope="col"[^>]*>([^<]*)<\/th>/g)?.map((th) => th.replace(/<[^>]+>/g, '')),
      ['File', 'Type', 'From', 'Uploaded'],
    );
    assert.deepEqual(tableRows(email.html)[1], [
      '9165402_CTF_8171234_002.XML',
      'CTF',
      'Green Lane Primary School (9165402)',
      '23 November 2026',
    ]);
    assertLink(email, '/download/ctf');
  });

  test("an LA's reminder for files at several schools has a To column", () => {
    const email = compose('weekly-reminder', {
      recipientName: 'Northshire LA',
      files: [reminderFile(1, '8171234'), reminderFile(2, '8172001')],
      path: '/',
    });
    assert.equal(email.html.match(/<th scope="col"/g)?.length, 5);
    assert.equal(tableRows(email.html)[1]?.[3], 'Hill Top Academy (8172001)');
    assertFacts(email, ['The To column shows who each file was sent to']);
    assert.match(email.text, /^To: Hill Top Academy \(8172001\)$/m);
    assertLink(email, '/');
  });

  test("an LA's reminder for files at one of its schools asks the school, not the LA, to download them", () => {
    const email = compose('weekly-reminder', {
      recipientName: 'Northshire LA',
      files: [reminderFile(1, '8171234'), reminderFile(2, '8171234')],
      path: '/download/ctf/uncollected',
    });
    assertFacts(email, [
      '2 files sent to St Martha Primary School (8171234) have not been downloaded yet',
      'Each file should be downloaded by the school or team it was sent to',
    ]);
    assert.doesNotMatch(email.text, /Please download each file/);
    // The school's own reminder asks it.
    assert.match(compose('weekly-reminder', SAMPLES['weekly-reminder']).text, /Please download each file/);
  });

  test(`lists at most ${REMINDER_FILE_LIMIT} files and says how many more there are`, () => {
    const files = Array.from({ length: 63 }, (_, i) => reminderFile(i + 1));
    const email = compose('weekly-reminder', { ...SAMPLES['weekly-reminder'], files });
    const rows = tableRows(email.html);
    assert.equal(rows.length, REMINDER_FILE_LIMIT);
    assert.equal(rows.at(-1)?.[0], '9165402_CTF_8171234_050.XML');
    assert.ok(!email.text.includes('_051.XML') && !email.html.includes('_051.XML'));
    assert.match(email.subject, /63 files/);
    assertFacts(email, ['63 files sent to', 'There are 13 more files not listed here']);

    const exactly = compose('weekly-reminder', { ...SAMPLES['weekly-reminder'], files: files.slice(0, 50) });
    assert.equal(tableRows(exactly.html).length, 50);
    assert.doesNotMatch(exactly.text, /more file/);

    const one = compose('weekly-reminder', { ...SAMPLES['weekly-reminder'], files: files.slice(0, 51) });
    assertFacts(one, ['There is 1 more file not listed here']);

    // As the reminder job writes it: the first 50 files and the total.
    const written = compose('weekly-reminder', {
      ...SAMPLES['weekly-reminder'],
      files: files.slice(0, REMINDER_FILE_LIMIT),
      total: 63,
    });
    assert.deepEqual(written, email);
  });

  /** Each table's caption and rows, in order. */
  function tables(html: string): { caption: string; rows: string[][] }[] {
    // The data tables: those with a caption (the layout's tables have none).
    return (html.match(/<table(?:(?!<table).)*?<caption.*?<\/table>/gs) ?? []).map((table) => ({
      caption: (table.match(/<caption[^>]*>(.*?)<\/caption>/s)?.[1] ?? '').replace(/<[^>]+>/g, '').trim(),
      rows: tableRows(table),
    }));
  }

  const downloadedFile = { ...reminderFile(2), downloadedAt: '2026-11-19T10:00:00.000Z' };

  test("a file downloaded but not yet confirmed is listed apart, with its download's date and what to do, never as not downloaded", () => {
    const email = compose('weekly-reminder', {
      ...SAMPLES['weekly-reminder'],
      files: [reminderFile(1), downloadedFile],
      unconfirmed: 1,
    });
    assert.equal(email.subject, 'Weekly reminder: 2 files not yet downloaded or confirmed');
    assertFacts(email, [
      'This is the weekly reminder for St Martha Primary School',
      '1 file sent to St Martha Primary School (8171234) has not been downloaded yet',
      'Please download each file',
      '1 file sent to St Martha Primary School (8171234) has been downloaded, but nobody has said yet that it was downloaded correctly',
      'A file stays in your list until you answer Yes to “Was the file downloaded correctly?”',
      'Download each file again and answer Yes once it has downloaded correctly, or reject it if it is not for you',
    ]);
    assert.deepEqual(tables(email.html), [
      {
        caption: 'Files not downloaded',
        rows: [
          ['9165402_CTF_8171234_001.XML', 'CTF', 'Green Lane Primary School (9165402)', '23 November 2026'],
        ],
      },
      {
        caption: 'Files downloaded but not confirmed',
        rows: [
          ['9165402_CTF_8171234_002.XML', 'CTF', 'Green Lane Primary School (9165402)', '19 November 2026'],
        ],
      },
    ]);
    assert.match(
      email.text,
      /^File: 9165402_CTF_8171234_002\.XML\nType: CTF\nFrom: Green Lane Primary School \(9165402\)\nDownloaded: 19 November 2026$/m,
    );
    const welsh = compose(
      'weekly-reminder',
      { ...SAMPLES['weekly-reminder'], files: [reminderFile(1), downloadedFile], unconfirmed: 1 },
      'cy',
    );
    assertFacts(welsh, [
      'Ffeiliau heb eu lawrlwytho',
      'Ffeiliau wedi’u lawrlwytho ond heb eu cadarnhau',
      'ond nid oes neb wedi dweud eto ei bod wedi’i lawrlwytho’n gywir',
    ]);
  });

  test('only files downloaded but not confirmed: nothing says they were not downloaded; an LA asks the school to confirm them', () => {
    const school = compose('weekly-reminder', {
      ...SAMPLES['weekly-reminder'],
      files: [downloadedFile],
      unconfirmed: 1,
    });
    assert.equal(school.subject, 'Weekly reminder: 1 file not yet downloaded or confirmed');
    assertFacts(school, [
      'This is the weekly reminder for St Martha Primary School.',
      '1 file sent to St Martha Primary School (8171234) has been downloaded',
      'Download each file again and answer Yes',
    ]);
    assert.doesNotMatch(school.text, /not been downloaded|Files not downloaded|Please download each file/);
    assert.deepEqual(
      tables(school.html).map((table) => table.caption),
      ['Files downloaded but not confirmed'],
    );

    const laReminder = compose('weekly-reminder', {
      recipientName: 'Northshire LA',
      files: [{ ...reminderFile(1, '8172001'), downloadedAt: '2026-11-18T10:00:00.000Z' }, downloadedFile],
      unconfirmed: 2,
      path: '/',
    });
    assertFacts(laReminder, [
      '2 files have been downloaded, but nobody has said yet that they were downloaded correctly',
      'A file stays in the list of the school or team it was sent to until they answer Yes',
    ]);
    assert.doesNotMatch(laReminder.text, /not been downloaded|Files not downloaded|Download each file again/);
    assert.equal(tables(laReminder.html)[0]?.rows[1]?.[3], 'St Martha Primary School (8171234)');
  });

  test('past the files listed, the count of those downloaded but not confirmed still says so', () => {
    const files = Array.from({ length: REMINDER_FILE_LIMIT }, (_, i) => reminderFile(i + 1));
    const email = compose('weekly-reminder', {
      ...SAMPLES['weekly-reminder'],
      files,
      total: REMINDER_FILE_LIMIT + 3,
      unconfirmed: 3,
    });
    assertFacts(email, [
      `${REMINDER_FILE_LIMIT} files sent to St Martha Primary School (8171234) have not been downloaded yet`,
      '3 files sent to St Martha Primary School (8171234) have been downloaded',
      'There are 3 more files not listed here',
    ]);
    assert.deepEqual(
      tables(email.html).map((table) => table.caption),
      ['Files not downloaded'],
    );
  });

  test('the path must be on the service', () => {
    assert.throws(
      () => compose('weekly-reminder', { ...SAMPLES['weekly-reminder'], path: '//evil.example/x' }),
      (e: unknown) =>
        e instanceof TemplateError && /weekly-reminder/.test(e.message) && /path/.test(e.message),
    );
  });
});

describe('new-message', () => {
  test('says who sent a secure message and when, where to read it, and the 31-day rule', () => {
    const email = compose('new-message', SAMPLES['new-message']);
    assertFacts(
      email,
      [
        'Northshire LA – LEA Administrator sent you a secure message on 23 November 2026 at 2:05pm',
        'Messages, then View/Delete Messages',
        'Messages that are not read are deleted after 31 days',
      ],
      ['Northshire LA – LEA Administrator'],
    );
    assertLink(email, '/messages/inbox');
  });

  test("to an LA's own address, it says which type of the LA's users the message is for", () => {
    const email = compose('new-message', {
      ...SAMPLES['new-message'],
      forMailbox: '916 Gloucestershire - LEA Lost Pupil User',
    });
    assertFacts(email, [
      'It is for 916 Gloucestershire - LEA Lost Pupil User: only a user of that type can read it',
    ]);
    assert.doesNotMatch(compose('new-message', SAMPLES['new-message']).text, /It is for/);
  });

  test('never shows anything beyond its fields, whatever else a payload holds', () => {
    const secret = 'Pupil Jane Doe A123456789012 born 2016-03-02';
    const leaky = {
      ...SAMPLES['new-message'],
      text: secret,
      description: secret,
      subject: secret,
      body: secret,
      messageText: secret,
    };
    const email = compose('new-message', leaky);
    for (const part of [email.subject, email.text, email.html]) {
      assert.doesNotMatch(part, /Jane|Doe|A123456789012|2016/);
    }
    assert.deepEqual(email, compose('new-message', SAMPLES['new-message']));
  });
});

describe('message-by-email', () => {
  test('says in its subject and first lines that a user at an organisation wrote it, not s2s, then the text a paragraph at a time, with how to reply securely', () => {
    const email = compose('message-by-email', SAMPLES['message-by-email']);
    assert.equal(email.subject, 'Message from a user at Northshire LA (817): Term dates for 2027');
    assertFacts(email, [
      'A user at Northshire LA (817) wrote this message and sent it to you as an email through s2s. It is their message, not one from s2s.',
      's2s never asks for your password by email.',
      'Description: Term dates for 2027',
      'Dear colleagues,',
      'The term dates are on our website.',
      'To reply securely, sign in to s2s',
    ]);
    // The user's words come after the service's: the opening is s2s's, never theirs.
    const words = textWords(email.text);
    assert.ok(words.indexOf('A user at Northshire LA') < words.indexOf('Dear colleagues'), email.text);
    assertLink(email, '/messages/send');
  });

  test('in Welsh and in both: the subject says who wrote it in each language, the description once', () => {
    const welsh = compose('message-by-email', SAMPLES['message-by-email'], 'cy');
    assert.equal(welsh.subject, 'Neges gan ddefnyddiwr yn Northshire LA (817): Term dates for 2027');
    assertFacts(welsh, [
      'Ysgrifennodd defnyddiwr yn Northshire LA (817) y neges hon',
      'Nid yw s2s byth yn gofyn am eich cyfrinair drwy e-bost.',
      'Disgrifiad: Term dates for 2027',
    ]);
    const both = compose('message-by-email', SAMPLES['message-by-email'], 'bilingual');
    assert.equal(
      both.subject,
      'Neges gan ddefnyddiwr yn Northshire LA (817) / Message from a user at Northshire LA (817): Term dates for 2027',
    );
  });

  test('one written to the outbox before it named the organisation (no `organisation`) names the sender’s mailbox instead', () => {
    const { organisation: _, ...older } = SAMPLES['message-by-email'];
    const email = compose('message-by-email', older);
    assert.equal(email.subject, 'Message from a user at 817 Northshire - LEA User: Term dates for 2027');
    assertFacts(email, [
      'A user at 817 Northshire - LEA User wrote this message',
      's2s never asks for your password by email.',
      'Dear colleagues,',
    ]);
  });

  test('a description made to look like the service’s own still follows who wrote it, whole', () => {
    const email = compose('message-by-email', {
      ...SAMPLES['message-by-email'],
      description: 's2s: your password expires today',
    });
    assert.equal(
      email.subject,
      'Message from a user at Northshire LA (817): s2s: your password expires today',
    );
  });
});

describe('addresses-missing', () => {
  test("tells the LA's administrator which organisations have no address and where to add one", () => {
    const email = compose('addresses-missing', SAMPLES['addresses-missing']);
    assertFacts(
      email,
      [
        'could not be sent to these schools or teams in Northshire, because they have no email address',
        '8171234',
        'St Martha Primary School',
        'Hill Top Academy',
        'DBA, then School Maintenance',
        'DBA, then Maintain LEA Details',
      ],
      ['2 organisations', 'Northshire'],
    );
    assert.match(email.text, /^8172001 +Hill Top Academy +1$/m);
    assertLink(email, '/dba/schools');
    assertLink(email, '/dba/la');
  });
});

describe('lost-pupil-lost-again', () => {
  test('tells the LA that uploaded the record that the school rejected the file another LA forwarded, and not to close its case', () => {
    const email = compose('lost-pupil-lost-again', SAMPLES['lost-pupil-lost-again']);
    assertFacts(
      email,
      [
        'St Martha Primary School (8171234) rejected the CTF that Northshire LA (817LLLL) forwarded to it from the Lost Pupils Database file 9165402_CTF_XXXXXXXX_004.XML, on 23 November 2026 at 2:05pm',
        'was sent to the database by Cotswold Edge Primary School (9165402) on 1 July 2026',
        "The pupil's record is lost again in the Lost Pupils Database",
        'Do not close your case for this pupil',
      ],
      ['9165402_CTF_XXXXXXXX_004.XML'],
    );
    assertLink(email, '/lost-pupils/search/5b0e1c1e-0d5f-4a57-9a3c-1f1f6b0a9e11');
    const welsh = compose('lost-pupil-lost-again', SAMPLES['lost-pupil-lost-again'], 'cy');
    assertFacts(welsh, ['Gwrthododd St Martha Primary School (8171234)', 'ar goll eto']);
  });

  test('tells it too when the LA that forwarded the file removed it before the school collected it, and says so, not that the school rejected it', () => {
    const removed = { ...SAMPLES['lost-pupil-lost-again'], how: 'removed' };
    const email = compose('lost-pupil-lost-again', removed);
    assertFacts(
      email,
      [
        'Northshire LA (817LLLL) removed the CTF it had forwarded to St Martha Primary School (8171234) from the Lost Pupils Database file 9165402_CTF_XXXXXXXX_004.XML, on 23 November 2026 at 2:05pm, before the school collected it',
        "The pupil's record is lost again in the Lost Pupils Database",
        'Do not close your case for this pupil',
      ],
      ['9165402_CTF_XXXXXXXX_004.XML'],
    );
    assert.ok(!email.text.includes('rejected'), email.text);
    assert.match(email.subject, /removed before the school collected it/);
    const welsh = compose('lost-pupil-lost-again', removed, 'cy');
    assertFacts(welsh, ['Tynnodd Northshire LA (817LLLL) y CTF', 'ar goll eto']);
    assert.ok(!welsh.text.includes('Gwrthododd'), welsh.text);
  });
});

describe('lost-pupil-forwarded', () => {
  test('tells the LA that uploaded the record who forwarded its file where, that it waits for the school, and to wait before closing its case', () => {
    const email = compose('lost-pupil-forwarded', SAMPLES['lost-pupil-forwarded']);
    assertFacts(
      email,
      [
        'Northshire LA (817LLLL) forwarded the Lost Pupils Database file 9165402_CTF_XXXXXXXX_004.XML to St Martha Primary School (8171234) on 23 November 2026 at 2:05pm',
        'was sent to the database by Cotswold Edge Primary School (9165402) on 1 July 2026',
        'The forwarded file is waiting for St Martha Primary School to collect it',
        'Wait until the school has collected the file before you close any case you have open for this pupil',
        'you will be emailed when it collects it',
        'If the school rejects it, you will be told',
        'Lost Pupils Past Leaving Age',
      ],
      ['9165402_CTF_XXXXXXXX_004.XML'],
    );
    // Not yet: the record cannot be removed while the copy waits, and a rejection makes the pupil lost again.
    assert.doesNotMatch(email.text, /school is now known|^Close any case/m);
    assertLink(email, '/lost-pupils/review');
    const welsh = compose('lost-pupil-forwarded', SAMPLES['lost-pupil-forwarded'], 'cy');
    assertFacts(welsh, [
      'Anfonodd Northshire LA (817LLLL) ffeil 9165402_CTF_XXXXXXXX_004.XML',
      'Arhoswch nes bod yr ysgol wedi casglu’r ffeil',
      'Disgyblion Coll Dros yr Oedran Gadael Ysgol',
    ]);
  });
});

describe('lost-pupil-forwarded-collected', () => {
  test('tells the LA that uploaded the record that the school collected the file another LA forwarded: close the case, remove the record', () => {
    const email = compose('lost-pupil-forwarded-collected', SAMPLES['lost-pupil-forwarded-collected']);
    assertFacts(
      email,
      [
        'St Martha Primary School (8171234) collected the CTF that Northshire LA (817LLLL) forwarded to it from the Lost Pupils Database file 9165402_CTF_XXXXXXXX_004.XML, on 23 November 2026 at 2:05pm',
        'was sent to the database by Cotswold Edge Primary School (9165402) on 1 July 2026',
        'You can now close any case you have open for this pupil',
        'remove the record under Lost Pupils Past Leaving Age',
      ],
      ['9165402_CTF_XXXXXXXX_004.XML'],
    );
    assertLink(email, '/lost-pupils/review');
    const welsh = compose('lost-pupil-forwarded-collected', SAMPLES['lost-pupil-forwarded-collected'], 'cy');
    assertFacts(welsh, [
      'Casglodd St Martha Primary School (8171234) y CTF',
      'Disgyblion Coll Dros yr Oedran Gadael Ysgol',
    ]);
  });
});

describe('lost-pupil-found', () => {
  test('tells the LA that uploaded the record which LA found the pupil by downloading the file, and to close its case and remove the record', () => {
    const email = compose('lost-pupil-found', SAMPLES['lost-pupil-found']);
    assertFacts(
      email,
      [
        'Cardiff LA (681LLLL) downloaded the Lost Pupils Database file 9165402_CTF_XXXXXXXX_004.XML and confirmed, on 23 November 2026 at 2:05pm, that the pupil is on roll at one of its schools',
        'was sent to the database by Cotswold Edge Primary School (9165402) on 1 July 2026',
        'Close any case you have open for this pupil',
        'to know which school, ask Cardiff LA by secure message',
        'remove the record under Lost Pupils Past Leaving Age',
      ],
      ['9165402_CTF_XXXXXXXX_004.XML'],
    );
    assertLink(email, '/lost-pupils/review');
    const welsh = compose('lost-pupil-found', SAMPLES['lost-pupil-found'], 'cy');
    assertFacts(welsh, [
      'Lawrlwythodd Cardiff LA (681LLLL) ffeil 9165402_CTF_XXXXXXXX_004.XML',
      'Disgyblion Coll Dros yr Oedran Gadael Ysgol',
    ]);
  });
});

describe('lost-pupils-to-review', () => {
  test('tells the LA how many records fell due in the month, how many wait, and where to review them', () => {
    const email = compose('lost-pupils-to-review', SAMPLES['lost-pupils-to-review']);
    assertFacts(
      email,
      [
        'In June 2027, 3 records that schools in Northshire, or the LA itself, uploaded to the Lost Pupils Database became due for removal',
        'passed statutory school-leaving age',
        'In all, 5 records are waiting for your review',
        'Lost Pupils Past Leaving Age',
        'Nothing is removed until you do',
      ],
      ['3 records', 'Northshire'],
    );
    assertLink(email, '/lost-pupils/review');
  });

  test('one record is one record, and the path must be on the service', () => {
    const one = compose('lost-pupils-to-review', { ...SAMPLES['lost-pupils-to-review'], count: 1, total: 1 });
    assertFacts(
      one,
      ['1 record that schools', 'the pupil has passed', 'In all, 1 record is waiting'],
      ['1 record '],
    );
    assert.throws(
      () =>
        compose('lost-pupils-to-review', {
          ...SAMPLES['lost-pupils-to-review'],
          path: 'https://evil.example/',
        }),
      (e: unknown) => e instanceof TemplateError && /path/.test(e.message),
    );
    assert.throws(
      () => compose('lost-pupils-to-review', { ...SAMPLES['lost-pupils-to-review'], count: 0 }),
      (e: unknown) => e instanceof TemplateError && /count/.test(e.message),
    );
  });

  test('never shows anything beyond its fields, whatever else a payload holds', () => {
    const leaky = {
      ...SAMPLES['lost-pupils-to-review'],
      surname: 'Doe',
      upn: 'A123456789012',
      dob: '2010-05-01',
    };
    const email = compose('lost-pupils-to-review', leaky);
    for (const part of [email.subject, email.text, email.html]) {
      assert.doesNotMatch(part, /Doe|A123456789012|2010-05-01/);
    }
  });
});

describe('composeEmail errors', () => {
  function templateError(template: string, payloadJson: string): TemplateError {
    try {
      composeEmail(template, payloadJson, context);
    } catch (error) {
      assert.ok(error instanceof TemplateError, `not a TemplateError: ${error}`);
      return error;
    }
    assert.fail('no error');
  }

  test('an unknown template is named, with the templates there are', () => {
    const error = templateError('ctf-upload', '{}');
    assert.match(error.message, /Unknown email template "ctf-upload"/);
    assert.match(error.message, /ctf-uploaded/);
    assert.equal(error.template, 'ctf-upload');
  });

  test('a payload that does not fit names the template and the fields, never the values', () => {
    const { pupils: _, ...withoutPupils } = transfer;
    const error = templateError(
      'ctf-uploaded',
      JSON.stringify({ ...withoutPupils, senderName: 42, destinationName: 'Jane Smith', forwardedBy: 7 }),
    );
    assert.match(error.message, /email template "ctf-uploaded" does not fit/);
    assert.match(error.message, /pupils: .*expected number/);
    assert.match(error.message, /senderName: .*expected string/);
    assert.match(error.message, /forwardedBy: /);
    assert.doesNotMatch(error.message, /destinationName|Jane|42|9165402/);
    assert.equal(error.template, 'ctf-uploaded');
  });

  test('a bad value is reported by its field without repeating the value', () => {
    const cases: [TemplateName, Record<string, unknown>, RegExp][] = [
      [
        'file-downloaded',
        { ...SAMPLES['file-downloaded'], collectedAt: '23/11/2026 Jane Smith' },
        /collectedAt/,
      ],
      ['ctf-uploaded', { ...transfer, pupils: -1 }, /pupils/],
      ['ctf-uploaded', { ...transfer, pupils: 2.5 }, /pupils/],
      ['upload-refused', { ...SAMPLES['upload-refused'], reasons: '   ' }, /reasons/],
      ['weekly-reminder', { ...SAMPLES['weekly-reminder'], files: [] }, /files/],
      [
        'weekly-reminder',
        { ...SAMPLES['weekly-reminder'], files: [{ ...reminderFile(1), uploadedAt: 'Jane Smith' }] },
        /files\.0\.uploadedAt/,
      ],
      [
        'addresses-missing',
        { laName: 'Northshire', organisations: [{ code: '8171234', name: 'X' }] },
        /notifications/,
      ],
    ];
    for (const [name, payload, field] of cases) {
      const error = templateError(name, JSON.stringify(payload));
      assert.match(error.message, field, name);
      assert.match(error.message, new RegExp(`"${name}"`));
      assert.doesNotMatch(error.message, /Jane Smith|2\.5/);
    }
  });

  test('a payload that is not a JSON object says so, without quoting it', () => {
    const notJson = templateError('new-message', 'Jane Smith sent you {');
    assert.match(notJson.message, /"new-message" is not valid JSON/);
    assert.doesNotMatch(notJson.message, /Jane/);
    for (const json of ['null', '[]', '"Jane Smith"', '3']) {
      const error = templateError('new-message', json);
      assert.match(error.message, /"new-message" does not fit: .*expected object/);
      assert.doesNotMatch(error.message, /Jane/);
    }
  });
});

describe('census returns (COLLECT)', () => {
  test('census-return-submitted: to the LA, which school, which collection and version, what to do', () => {
    const email = compose('census-return-submitted', censusReturn);
    assertFacts(
      email,
      [
        'The census return of St Martha Primary School (8171234) for School Census 2026 Autumn (version 2, 8171234_SC3_817LL26_002.XML) was submitted by St Martha Primary School',
        '23 November 2026 at 2:05pm',
        'approve it',
        'return it to the school with a note',
        link(censusReturn.path),
      ],
      ['St Martha Primary School (8171234)', 'School Census 2026 Autumn'],
    );
  });

  test("census-return-returned: the LA's note, kept as typed and escaped, and what the school does next", () => {
    const email = compose('census-return-returned', {
      ...censusReturn,
      byName: 'Northshire LA',
      note: 'Pupils <b>3</b> & 4: check their year group.',
    });
    assertFacts(email, [
      'Northshire LA returned your census return',
      'Pupils <b>3</b> & 4: check their year group.',
      'upload and submit it',
      link(censusReturn.path),
    ]);
    assert.ok(!email.html.includes('<b>3</b>'), 'the note is escaped in the HTML');
  });

  test('census-return-returned for a note added after the return: the note, that the return is still with the school, and in Welsh', () => {
    const added = {
      ...SAMPLES['census-return-returned'],
      note: 'And the leavers: check their dates.',
      how: 'note-added',
    };
    const email = compose('census-return-returned', added);
    assertFacts(
      email,
      [
        'Northshire LA added a note to your census return for School Census 2026 Autumn (version 2, 8171234_SC3_817LL26_002.XML) on 23 November 2026 at 2:05pm. It returned that version to you earlier; this note adds to what it asked you to correct:',
        'And the leavers: check their dates.',
        'Every note your LA has written on the return is at the top of its page.',
        'upload and submit it',
        link(censusReturn.path),
      ],
      ['Note from your LA on your returned census return', 'School Census 2026 Autumn'],
    );
    assert.ok(!email.text.includes('returned your census return'), email.text);
    const welsh = compose('census-return-returned', added, 'cy');
    assertFacts(welsh, [
      'Ychwanegodd Northshire LA nodyn at eich ffurflen cyfrifiad',
      'And the leavers: check their dates.',
    ]);
    assert.match(welsh.subject, /Nodyn gan eich awdurdod lleol ar eich ffurflen cyfrifiad a ddychwelwyd/);
  });

  test('census-return-reloaded: to the LA, the new version and the approved one the DfE keeps', () => {
    const email = compose('census-return-reloaded', SAMPLES['census-return-reloaded']);
    assertFacts(
      email,
      [
        'St Martha Primary School loaded a new version of the census return of St Martha Primary School (8171234) for School Census 2026 Autumn (version 3, 8171234_SC3_817LL26_003.XML)',
        'after you approved version 2',
        'Version 2 stays approved, and the DfE keeps it, until you approve a later version.',
        link('/collect/collections/4d7b0b7e-2f6b-4a55-9f0e-3c1c7a2b9d10'),
      ],
      ['St Martha Primary School (8171234)', 'School Census 2026 Autumn'],
    );
  });

  test('census-return-approved: the DfE can now see it', () => {
    const email = compose('census-return-approved', { ...censusReturn, byName: 'Northshire LA' });
    assertFacts(
      email,
      ['Northshire LA approved your census return', 'The DfE can now see it.'],
      ['approved'],
    );
  });
});

describe('account-changed (to the user whose account it is: decision 70)', () => {
  const changed = (payload: Record<string, unknown>, language: EmailLanguage = 'en') =>
    compose('account-changed', { username: '916bjones', at: WINTER, ...payload }, language);

  test('a password issued by the LA administrator: what, when in London time, by whom, the tokens revoked, whom to ask', () => {
    const email = compose('account-changed', SAMPLES['account-changed']);
    assert.equal(email.subject, 'A new password was issued for your s2s account');
    assertFacts(email, [
      'A new password was issued for your s2s account 916bjones.',
      'You must choose your own when you next sign in with it.',
      'When: 23 November 2026 at 2:05pm (UK time)',
      'Changed by: your LA s2s administrator',
      'You have been signed out of s2s everywhere.',
      'Your 2 API tokens were revoked',
      'If you did not expect this change, contact your LA s2s administrator straight away',
    ]);
  });

  test('in summer the time is British Summer Time, still London time', () => {
    const email = changed({ change: 'password-changed', at: SUMMER, by: 'you', ask: 'la-administrator' });
    assertFacts(email, ['When: 1 July 2026 at 9:30am (UK time)', 'Changed by: you']);
  });

  const cases: [Record<string, unknown>, string, string[]][] = [
    [
      { change: 'password-changed', by: 'you', ask: 'la-administrator' },
      'The password of your s2s account was changed',
      [
        'The password of your s2s account 916bjones was changed.',
        'Every other browser signed in to your account has been signed out.',
        'If you did not make this change, contact your LA s2s administrator straight away',
      ],
    ],
    [
      { change: 'two-factor-turned-off', by: 'you', ask: 'service-desk' },
      'Two-factor sign-in was turned off for your s2s account',
      [
        'Two-factor sign-in was turned off for your s2s account 916bjones.',
        'Signing in now asks only for your password.',
        'If you did not make this change, contact the s2s service desk straight away',
      ],
    ],
    [
      { change: 'two-factor-reset', by: 'service-desk', ask: 'service-desk' },
      'Two-factor sign-in was reset for your s2s account',
      [
        'Two-factor sign-in was reset for your s2s account 916bjones.',
        'Changed by: the s2s service desk',
        'Your authenticator app and recovery codes no longer sign you in.',
        'If you did not expect this change, contact the s2s service desk straight away',
      ],
    ],
    [
      { change: 'recovery-codes-replaced', by: 'you', ask: 'la-administrator' },
      'New recovery codes were made for your s2s account',
      [
        'New recovery codes were made for your s2s account 916bjones.',
        'Your earlier recovery codes no longer work.',
      ],
    ],
    [
      {
        change: 'role-changed',
        by: 'la-administrator',
        ask: 'la-administrator',
        fromRole: 'la_user',
        toRole: 'la_lost_pupil',
      },
      'The role of your s2s account was changed',
      [
        'The role of your s2s account 916bjones was changed from LEA User to LEA Lost Pupil.',
        'Changed by: your LA s2s administrator',
        'You have been signed out of s2s everywhere.',
      ],
    ],
    [
      { change: 'single-sign-on-linked', by: 'you', ask: 'la-administrator' },
      'Your s2s account was linked to single sign-on',
      [
        'Your s2s account 916bjones was linked to your account at your organisation’s sign-in service',
        'Changed by: you, signing in to s2s through single sign-on',
      ],
    ],
    [
      { change: 'single-sign-on-unlinked', by: 'la-administrator', ask: 'la-administrator' },
      'Single sign-on was unlinked from your s2s account',
      [
        'Single sign-on was unlinked from your s2s account 916bjones.',
        'You have been signed out of s2s everywhere.',
      ],
    ],
  ];
  for (const [payload, subject, facts] of cases) {
    test(`${String(payload.change)}: says what changed, by whom, and whom to ask`, () => {
      const email = changed(payload);
      assert.equal(email.subject, subject);
      assertFacts(email, facts);
      assert.doesNotMatch(email.text, /API token/, 'no tokens were revoked');
    });
  }

  test('never holds a password, code or token, whatever else a payload holds', () => {
    const email = changed({
      change: 'password-issued',
      by: 'la-administrator',
      ask: 'la-administrator',
      password: 'lantern-orbit-meadow',
      codes: ['ABCD-EFGH'],
      token: 's2s_secret',
    });
    for (const secret of ['lantern-orbit-meadow', 'ABCD-EFGH', 's2s_secret']) {
      assert.ok(!email.text.includes(secret) && !email.html.includes(secret), secret);
    }
  });

  test('in Welsh: the role names, who changed it and whom to ask in Welsh', () => {
    const email = changed(
      {
        change: 'role-changed',
        by: 'service-desk',
        ask: 'service-desk',
        fromRole: 'la_user',
        toRole: 'la_dba',
      },
      'cy',
    );
    assert.equal(email.subject, 'Cafodd rôl eich cyfrif s2s ei newid');
    assertFacts(email, [
      'Cafodd rôl eich cyfrif s2s 916bjones ei newid o Defnyddiwr AALl i Gweinyddwr AALl (DBA).',
      'Pryd: 23 Tachwedd 2026 am 2:05yh (amser y DU)',
      'Newidiwyd gan: desg wasanaeth s2s',
      'cysylltwch â desg wasanaeth s2s ar unwaith',
    ]);
  });

  test('an email address changed (decision 78): the copy to the old address and to the new say which they are; added and removed', () => {
    const facts = {
      change: 'email-changed',
      by: 'la-administrator',
      ask: 'la-administrator',
      fromEmail: 'b.jones@old.sch.uk',
      toEmail: 'b.jones@new.sch.uk',
    };
    const toOld = changed({ ...facts, sentTo: 'old', address: facts.fromEmail });
    assert.equal(toOld.subject, 'The email address of your s2s account was changed');
    assertFacts(toOld, [
      'The email address of your s2s account 916bjones was changed from this address, b.jones@old.sch.uk, to b.jones@new.sch.uk.',
      'this is the last one sent here',
      'Changed by: your LA s2s administrator',
      'If you did not expect this change, contact your LA s2s administrator straight away',
    ]);
    const toNew = changed({ ...facts, sentTo: 'new', address: facts.toEmail }, 'cy');
    assert.equal(toNew.subject, 'Cafodd cyfeiriad e-bost eich cyfrif s2s ei newid');
    assertFacts(toNew, [
      'Cafodd cyfeiriad e-bost eich cyfrif s2s 916bjones ei newid o b.jones@old.sch.uk i’r cyfeiriad hwn, b.jones@new.sch.uk.',
    ]);
    const added = changed({ ...facts, fromEmail: null, sentTo: 'new', address: facts.toEmail });
    assertFacts(added, [
      'This address, b.jones@new.sch.uk, was added to your s2s account 916bjones as its email address.',
    ]);
    const removed = changed({ ...facts, toEmail: null, sentTo: 'old', address: facts.fromEmail });
    assertFacts(removed, [
      'This address, b.jones@old.sch.uk, was removed from your s2s account 916bjones: s2s sends no more emails about your account here.',
    ]);
    assert.doesNotMatch(JSON.stringify(removed), /signed out/, 'nobody is signed out by it');
  });

  test('a change or a teller not known is refused, naming the field', () => {
    assert.throws(
      () => changed({ change: 'name-changed', by: 'you', ask: 'la-administrator' }),
      (e: unknown) => e instanceof TemplateError && /change/.test(e.message),
    );
    assert.throws(
      () => changed({ change: 'password-changed', by: 'someone', ask: 'la-administrator' }),
      (e: unknown) => e instanceof TemplateError && /by/.test(e.message),
    );
  });
});

describe('in Welsh, and in Welsh then English (issue 13)', () => {
  for (const name of TEMPLATE_NAMES) {
    test(`${name}: in Welsh, a Welsh subject, body and footer, lang="cy"`, () => {
      const english = compose(name, SAMPLES[name]);
      const welsh = compose(name, SAMPLES[name], 'cy');
      assert.equal(welsh.language, 'cy');
      assert.match(welsh.html, /^<!DOCTYPE html>\n<html lang="cy">/);
      const words = textWords(welsh.text);
      assert.match(words, /Neges e-bost awtomatig gan s2s secure data transfer yw hon\./);
      assert.match(
        words,
        /cysylltwch â desg wasanaeth s2s secure data transfer: e-bost desk@example\.gov\.uk/,
      );
      assert.match(htmlWords(welsh.html), /e-bost desk@example\.gov\.uk ?, ffôn 0300 123 4567\./);
      assert.doesNotMatch(words, /automatic email|service desk/);
      assert.ok(welsh.subject.length > 10 && welsh.subject.length <= MAX_SUBJECT_LENGTH, welsh.subject);
      assert.notEqual(welsh.subject, english.subject);
      for (const line of welsh.text.split('\n')) {
        assert.ok(line.length <= 72 || !line.includes(' '), `long line: ${line}`);
      }
    });

    test(`${name}: in both, Welsh first then English, each whole, the subject "Welsh / English"`, () => {
      const english = compose(name, SAMPLES[name]);
      const welsh = compose(name, SAMPLES[name], 'cy');
      const both = compose(name, SAMPLES[name], 'bilingual');
      assert.equal(both.language, 'cy, en');
      assert.match(both.html, /^<!DOCTYPE html>\n<html lang="cy">/);
      assert.match(both.html, /<div lang="en">/);
      // A message sent as an email says its sender's description once, after both languages' words.
      const joined =
        name === 'message-by-email'
          ? `${welsh.subject.replace(/: Term dates for 2027$/, '')} / ${english.subject}`
          : `${welsh.subject} / ${english.subject}`;
      if (joined.length <= MAX_SUBJECT_LENGTH) assert.equal(both.subject, joined);
      else assert.ok(both.subject.startsWith(welsh.subject) && both.subject.endsWith('…'), both.subject);
      const text = both.text;
      assert.ok(
        text.startsWith('Mae’r fersiwn Saesneg o’r neges e-bost hon isod.\nThe English version'),
        text,
      );
      const welshFooter = text.indexOf('Neges e-bost awtomatig');
      const englishFooter = text.indexOf('This is an automatic email');
      assert.ok(welshFooter > 0 && englishFooter > welshFooter, 'the Welsh part, then the English part');
      assert.ok(text.includes(welsh.text.trimEnd()), 'the Welsh email whole');
      assert.ok(text.endsWith(english.text), 'the English email whole');
    });
  }

  test('ctf-uploaded in Welsh: who sent it, the facts, and the menu names in Welsh', () => {
    const email = compose('ctf-uploaded', SAMPLES['ctf-uploaded'], 'cy');
    assert.equal(
      email.subject,
      'CTF oddi wrth Green Lane Primary School (9165402) yn barod i’w lawrlwytho: 9165402_CTF_8171234_003.XML',
    );
    assertFacts(email, [
      'Mae Green Lane Primary School (9165402) wedi anfon ffeil trosglwyddo gyffredin (CTF) atoch.',
      'Enw’r ffeil: 9165402_CTF_8171234_003.XML',
      'Disgyblion yn y ffeil: 3',
      'Mewngofnodwch ac ewch i’r ddewislen Lawrlwytho, yna Lawrlwytho Ffeiliau CTF.',
      'Lawrlwytho Ffeiliau CTF:',
    ]);
    assertLink(email, '/download/ctf');
  });

  test('dates in Welsh emails have Welsh month names; a month in words too', () => {
    const downloaded = compose('file-downloaded', SAMPLES['file-downloaded'], 'cy');
    assertFacts(downloaded, [
      'Lawrlwythodd St Martha Primary School (8171234) eich ffeil 9165402_CTF_8171234_003.XML ar 23 Tachwedd 2026 am 2:05yh.',
    ]);
    const rejected = compose('file-rejected', SAMPLES['file-rejected'], 'cy');
    assertFacts(rejected, ['ar 1 Gorffennaf 2026 am 9:30yb', 'gofynnwch i St Martha Primary School.']);
    const review = compose('lost-pupils-to-review', SAMPLES['lost-pupils-to-review'], 'cy');
    assertFacts(review, ['Ym mis Mehefin 2027, daeth 3 cofnod', 'mae 5 cofnod yn aros i chi eu hadolygu']);
    const match = compose('lost-pupil-match', SAMPLES['lost-pupil-match'], 'cy');
    assertFacts(match, ['yr un cyfenw, enw cyntaf a dyddiad geni', 'ar 23 Tachwedd 2026.']);
  });

  test('the emails to the LA that forwarded a CTF, in Welsh', () => {
    const downloaded = compose('forwarded-file-downloaded', SAMPLES['forwarded-file-downloaded'], 'cy');
    assert.equal(
      downloaded.subject,
      'CTF a anfonwyd ymlaen gennych wedi’i lawrlwytho: 9165402_CTF_8175555_003.XML',
    );
    assertFacts(downloaded, [
      'Lawrlwythodd Hill Top Academy (8175555) 9165402_CTF_8175555_003.XML ar 23 Tachwedd 2026 am 2:05yh, CTF a anfonodd eich awdurdod lleol ymlaen atyn nhw.',
      'Fe wnaethoch chi ei hanfon ymlaen o 9165402_CTF_8171234_003.XML, y ffeil a anfonodd Green Lane Primary School (9165402).',
      'Mae Green Lane Primary School wedi cael gwybod hefyd.',
    ]);
    const rejected = compose('forwarded-file-rejected', SAMPLES['forwarded-file-rejected'], 'cy');
    assert.equal(
      rejected.subject,
      'CTF a anfonwyd ymlaen gennych wedi’i gwrthod: 9165402_CTF_8175555_003.XML',
    );
    assertFacts(rejected, [
      'Gwrthododd Hill Top Academy (8175555) 9165402_CTF_8175555_003.XML ar 1 Gorffennaf 2026 am 9:30yb',
      'Dyma’r rheswm a roddwyd:',
      'This pupil has not joined us: try 8176001.',
      'Mae Green Lane Primary School wedi cael y rheswm hwn mewn neges e-bost hefyd',
      'rhowch wybod i Green Lane Primary School',
      'gofynnwch i Hill Top Academy.',
      'Monitro Ffeiliau CTF',
    ]);
    assertLink(rejected, '/download/ctf/monitor');
    const ownName = compose(
      'forwarded-file-rejected',
      { ...SAMPLES['forwarded-file-rejected'], senderTold: false },
      'cy',
    );
    assertFacts(ownName, [
      'gofynnwch i Green Lane Primary School, a anfonodd ffeil y disgybl i’r Gronfa Ddata Disgyblion Coll',
    ]);
  });

  test('counted texts take their Welsh form; the weekly reminder names the kinds of file in Welsh', () => {
    const one = compose(
      'weekly-reminder',
      { ...SAMPLES['weekly-reminder'], files: [{ ...reminderFile(1), kind: 'Generic' }] },
      'cy',
    );
    assert.equal(one.subject, 'Nodyn atgoffa wythnosol: 1 ffeil heb ei lawrlwytho eto');
    assertFacts(one, ['Ffeiliau heb eu lawrlwytho', 'Cyffredinol', '23 Tachwedd 2026']);
    const two = compose('weekly-reminder', SAMPLES['weekly-reminder'], 'cy');
    assert.equal(two.subject, 'Nodyn atgoffa wythnosol: 2 ffeil heb eu lawrlwytho eto');
    assert.match(two.html, /<th scope="col"[^>]*>Ffeil<\/th>/);
  });

  test('upload-refused in Welsh names the Upload menu item in Welsh; the upload’s own reasons are kept', () => {
    const email = compose('upload-refused', SAMPLES['upload-refused'], 'cy');
    assertFacts(email, [
      'Fe geisioch chi anfon 9165402_CTF_8171234.XML drwy’r ddewislen Lanlwytho, yna Lanlwytho Ffeil CTF.',
      'The name has no file number.',
      'Beth i’w wneud:',
    ]);
    const unnamed = compose('upload-refused', { ...SAMPLES['upload-refused'], filename: '' }, 'cy');
    assert.equal(unnamed.subject, 'Ni chafodd eich ffeil ei lanlwytho: ffeil heb enw');
  });

  test('no language adds facts: a Welsh or bilingual new-message email still holds only its two fields', () => {
    const payload = { ...SAMPLES['new-message'], text: 'SECRET TEXT', upn: 'A123456789012' };
    for (const language of ['cy', 'bilingual'] as const) {
      const email = compose('new-message', payload, language);
      for (const part of [email.subject, email.text, email.html]) {
        assert.doesNotMatch(part, /SECRET TEXT|A123456789012/);
      }
    }
  });

  test('escaping holds in Welsh and bilingual emails too', () => {
    const payload = { ...SAMPLES['file-rejected'], reason: '<script>alert(1)</script>' };
    for (const language of ['cy', 'bilingual'] as const) {
      const email = compose('file-rejected', payload, language);
      assert.doesNotMatch(email.html, /<script>/);
      assert.match(email.html, /&lt;script&gt;/);
    }
  });
});
