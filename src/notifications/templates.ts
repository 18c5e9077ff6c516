// The emails the service sends (schools handbook §6, LA notes §4.2, §5.2, §6.2): each template names
// its payload -- the JSON facts other code writes to the outbox (outbox.ts) -- and turns it into
// content (email.ts). The payload is validated here, because it is read back from the database: a
// payload that does not fit is a TemplateError naming the template and what is wrong, never the values.
//
// No email holds pupil data (names, UPNs, dates of birth): payloads carry file names, organisation
// names and codes, counts, dates and reasons. A secure message's text is never in its email.
// Menu names are the handbooks' own ("Download CTF Files", "View / Remove Files", "View/Delete
// Messages", "School Maintenance", "Maintain LEA Details").
//
// Organisation names: some writers already put the code in the name ("Green Lane Primary (9165402)"),
// others give it separately; nameWithCode() shows the code once either way.
import { z } from 'zod';
import { formatDate, formatDateTime } from '../platform/dates.ts';
import { plural } from '../platform/words.ts';
import {
  type EmailBlock,
  type EmailContent,
  type EmailContext,
  isServicePath,
  type RenderedEmail,
  renderEmail,
} from './email.ts';

export interface Template<P> {
  description: string;
  payload: z.ZodType<P>;
  content(payload: P): EmailContent;
}

export class TemplateError extends Error {
  override name = 'TemplateError';
  constructor(
    message: string,
    readonly template: string,
  ) {
    super(message);
  }
}

/** At most this many files are listed in a weekly reminder; the rest are counted. */
export const REMINDER_FILE_LIMIT = 50;

// Paths on the service (src/auth/menu.ts).
const PATHS = {
  downloadCtf: '/download/ctf',
  sent: '/sent',
  rejected: '/sent?show=rejected',
  messages: '/messages/inbox',
  sendMessage: '/messages/send',
  schoolMaintenance: '/dba/schools',
  laDetails: '/dba/la',
  lostPupilMatches: '/lost-pupils/matches',
} as const;

// --- payloads ----------------------------------------------------------------------------------------

const text = z.string().trim().min(1);
/** Optional text; writers may give null for "none". */
const optionalText = z.string().trim().nullish();
const code = z.string().trim().min(1);
const timestamp = z.iso.datetime({ offset: true });
const count = z.number().int().nonnegative();
const servicePath = z.string().refine(isServicePath, 'must be a path on the service, starting with one /');

const transferPayload = z.object({
  filename: text,
  transferId: text,
  sender: code,
  senderName: text,
  destination: code,
  destinationName: text,
  pupils: count,
  /** The LA that forwarded the file to the right school. */
  forwardedBy: optionalText,
  /** The file's name before it was forwarded. */
  forwardedFrom: optionalText,
});

const censusReturnPayload = z.object({
  collectionName: text,
  schoolName: text,
  schoolCode: code,
  version: z.number().int().positive(),
  filename: text,
  /** Who acted: the school's or the LA's name. */
  byName: text,
  at: timestamp,
  path: servicePath,
});

const PAYLOADS = {
  'ctf-uploaded': transferPayload,
  'upload-confirmed': transferPayload,
  'upload-refused': z.object({
    // The name the user's browser sent, shortened by the upload: may be empty.
    filename: z.string(),
    menuItem: text,
    /** One reason a line. */
    reasons: text,
    whatToDo: text,
  }),
  'file-quarantined': z.object({
    filename: text,
    /** The name the scanner gave what it found ("Win.Test.EICAR_HDB-1"). */
    signature: text,
    destination: code,
    destinationName: text,
    uploadedAt: timestamp,
  }),
  'file-downloaded': z.object({
    filename: text,
    collectedBy: text,
    collectedByCode: code,
    collectedAt: timestamp,
  }),
  'file-rejected': z.object({
    filename: text,
    reason: text,
    rejectedBy: text,
    rejectedByCode: code,
    rejectedAt: timestamp,
  }),
  'file-removed': z.object({
    filename: text,
    removedBy: text,
    removedByCode: code,
    destinationName: text,
    destination: code,
    removedAt: timestamp,
  }),
  'weekly-reminder': z.object({
    recipientName: text,
    files: z
      .array(
        z.object({
          filename: text,
          kind: text,
          from: text,
          fromCode: code,
          to: text,
          toCode: code,
          uploadedAt: timestamp,
        }),
      )
      .min(1),
    /**
     * How many files wait in all: the payload lists only the first REMINDER_FILE_LIMIT. Absent from
     * reminders written before it was added, whose lists were whole.
     */
    total: z.number().int().positive().optional(),
    path: servicePath,
  }),
  'new-message': z.object({
    fromName: text,
    sentAt: timestamp,
  }),
  /** A message the sender chose to send as an email (handbook §11: "leaves the s2s system"). */
  'message-by-email': z.object({
    fromName: text,
    description: text,
    text: text,
  }),
  'lost-pupil-match': z.object({
    /** The lost-pupil file and who sent it to the database. */
    lostFilename: text,
    uploadedBy: text,
    uploadedByCode: code,
    uploadedAt: timestamp,
    /** Where the pupil has been seen, and in which file. */
    seenAt: text,
    seenAtCode: code,
    seenIn: z.enum(['CTF', 'school census return']),
    filename: text,
    matchedOn: z.enum(['upn', 'former-upn', 'name-dob']),
  }),
  'lost-pupils-to-review': z.object({
    laName: text,
    /** Records that fell due for removal in the month reviewed, and all those waiting now. */
    count: z.number().int().positive(),
    total: z.number().int().positive(),
    /** The month reviewed, in words: "June 2027". */
    period: text,
    path: servicePath,
  }),
  /** Census returns (COLLECT): to the LA when a school submits, to the school when the LA decides. */
  'census-return-submitted': censusReturnPayload,
  'census-return-returned': censusReturnPayload.extend({ note: text }),
  'census-return-approved': censusReturnPayload,
  'addresses-missing': z.object({
    laName: text,
    organisations: z
      .array(z.object({ code: code, name: text, notifications: z.number().int().positive() }))
      .min(1),
  }),
} as const;

export const TEMPLATE_NAMES = [
  'ctf-uploaded',
  'upload-confirmed',
  'upload-refused',
  'file-quarantined',
  'file-downloaded',
  'file-rejected',
  'file-removed',
  'weekly-reminder',
  'new-message',
  'message-by-email',
  'lost-pupil-match',
  'addresses-missing',
  'lost-pupils-to-review',
  'census-return-submitted',
  'census-return-returned',
  'census-return-approved',
] as const satisfies readonly (keyof typeof PAYLOADS)[];
export type TemplateName = (typeof TEMPLATE_NAMES)[number];
export type Payload<N extends TemplateName> = z.output<(typeof PAYLOADS)[N]>;

export function isTemplateName(name: string): name is TemplateName {
  return (TEMPLATE_NAMES as readonly string[]).includes(name);
}

// --- wording helpers ---------------------------------------------------------------------------------

/** "Green Lane Primary School (9165402)": the code once, whether or not the name already holds it. */
export function nameWithCode(name: string, organisationCode: string): string {
  return name.includes(organisationCode) ? name : `${name} (${organisationCode})`;
}

/** A sentence may start with a name written in lower case ("school 9165402"). */
function capitalise(sentence: string): string {
  return sentence.charAt(0).toUpperCase() + sentence.slice(1);
}

function isLostPupilsCode(destination: string): boolean {
  return /^(M{7,8}|X{7,8})$/.test(destination);
}

const paragraph = (t: string): EmailBlock => ({ kind: 'paragraph', text: t });

// --- the templates -----------------------------------------------------------------------------------

const ctfUploaded: Template<Payload<'ctf-uploaded'>> = {
  description: 'To the destination school or LA: a CTF is waiting to be downloaded.',
  payload: PAYLOADS['ctf-uploaded'],
  content(p) {
    const sender = nameWithCode(p.senderName, p.sender);
    const blocks: EmailBlock[] = [
      paragraph(`${capitalise(sender)} has sent you a common transfer file (CTF).`),
    ];
    if (p.forwardedBy) {
      blocks.push(
        paragraph(
          p.forwardedFrom
            ? `${capitalise(p.forwardedBy)} forwarded it to you. It was first sent to them as ${p.forwardedFrom}.`
            : `${capitalise(p.forwardedBy)} forwarded it to you.`,
        ),
      );
    } else if (p.forwardedFrom) {
      blocks.push(paragraph(`It was forwarded to you. Its original name was ${p.forwardedFrom}.`));
    }
    blocks.push(
      {
        kind: 'list',
        items: [
          `File name: ${p.filename}`,
          `From: ${sender}`,
          `To: ${nameWithCode(p.destinationName, p.destination)}`,
          `Pupils in the file: ${p.pupils}`,
        ],
      },
      paragraph(
        'Sign in and go to Download, then Download CTF Files. Check the pupils in the file, then Accept it to download it, or Reject it if it is not for you, saying why.',
      ),
      { kind: 'link', text: 'Download CTF Files:', path: PATHS.downloadCtf },
    );
    return { subject: `CTF from ${sender} ready to download: ${p.filename}`, blocks };
  },
};

const uploadConfirmed: Template<Payload<'upload-confirmed'>> = {
  description: 'To the sender of a CTF: the upload succeeded.',
  payload: PAYLOADS['upload-confirmed'],
  content(p) {
    const pupils = plural(p.pupils, 'pupil');
    const blocks: EmailBlock[] = isLostPupilsCode(p.destination)
      ? [
          paragraph(
            `Your file ${p.filename} was uploaded successfully. It holds ${pupils} and was sent to the Lost Pupils Database (${p.destination}).`,
          ),
          paragraph(
            'It is kept there securely, where local authorities can find it if the pupil joins a school. You do not need to do anything else.',
          ),
        ]
      : [
          paragraph(
            `Your file ${p.filename} was uploaded successfully and sent to ${nameWithCode(p.destinationName, p.destination)}. It holds ${pupils}.`,
          ),
          paragraph(`You will get another email when ${p.destinationName} downloads the file or rejects it.`),
        ];
    blocks.push({ kind: 'link', text: 'You can follow the file in View / Remove Files:', path: PATHS.sent });
    return { subject: `CTF sent: ${p.filename}`, blocks };
  },
};

const uploadRefused: Template<Payload<'upload-refused'>> = {
  description: 'To the user who tried to upload a file: it was refused, why, and what to do.',
  payload: PAYLOADS['upload-refused'],
  content(p) {
    const name = p.filename.trim() === '' ? 'a file with no name' : p.filename;
    const reasons = p.reasons
      .split(/\r?\n/)
      .map((r) => r.trim())
      .filter((r) => r !== '');
    return {
      subject: `Your file was not uploaded: ${name}`,
      blocks: [
        paragraph(`You tried to send ${name} with Upload, then ${p.menuItem}. It was not uploaded, because:`),
        { kind: 'list', items: reasons },
        paragraph('What to do:'),
        { kind: 'inset', text: p.whatToDo },
        paragraph('Nothing was sent: the file was not kept.'),
      ],
    };
  },
};

const fileQuarantined: Template<Payload<'file-quarantined'>> = {
  description:
    'To the user who uploaded a file: the virus scan found malware in it, so it was not sent and was deleted.',
  payload: PAYLOADS['file-quarantined'],
  content(p) {
    return {
      subject: `A virus was found in your file, which was not sent: ${p.filename}`,
      blocks: [
        paragraph(
          `You uploaded ${p.filename} for ${nameWithCode(p.destinationName, p.destination)} on ${formatDateTime(p.uploadedAt)}. s2s scans every file for viruses before it is offered, and found one in this file: ${p.signature}.`,
        ),
        paragraph(
          `The file has been quarantined: it was not sent, ${p.destinationName} was not told of it, and s2s has deleted it.`,
        ),
        paragraph('What to do:'),
        {
          kind: 'inset',
          text: 'Tell your IT support at once: the computer the file came from may be infected. When they have checked it, make the file again and upload it.',
        },
        { kind: 'link', text: 'The file is shown as quarantined in View / Remove Files:', path: PATHS.sent },
      ],
    };
  },
};

const fileDownloaded: Template<Payload<'file-downloaded'>> = {
  description: 'To the sender: the destination downloaded its CTF.',
  payload: PAYLOADS['file-downloaded'],
  content(p) {
    const by = nameWithCode(p.collectedBy, p.collectedByCode);
    return {
      subject: `CTF downloaded: ${p.filename}`,
      blocks: [
        paragraph(
          `${capitalise(by)} downloaded your file ${p.filename} on ${formatDateTime(p.collectedAt)}.`,
        ),
        paragraph('The transfer is complete. You do not need to do anything.'),
      ],
    };
  },
};

const fileRejected: Template<Payload<'file-rejected'>> = {
  description: 'To the sender: the destination rejected its CTF, why, and what to do (handbook §9).',
  payload: PAYLOADS['file-rejected'],
  content(p) {
    const by = nameWithCode(p.rejectedBy, p.rejectedByCode);
    return {
      subject: `CTF rejected: ${p.filename}`,
      blocks: [
        paragraph(
          `${capitalise(by)} rejected your file ${p.filename} on ${formatDateTime(p.rejectedAt)}. They gave this reason:`,
        ),
        { kind: 'inset', text: p.reason },
        paragraph('What to do:'),
        {
          kind: 'list',
          items: [
            'Check the destination: the second number in the file name is the school or LA the file was sent to.',
            'If the file was wrong, or went to the wrong school, create it again in your MIS for the right school and upload it.',
            'If you do not know which school the pupil has gone to, send the CTF with XXXXXXXX as the destination. If the pupil has left the maintained sector or moved outside England and Wales, use MMMMMMMM. The file goes to the Lost Pupils Database; it must hold only one pupil.',
            `If you are not sure why the file was rejected, contact ${p.rejectedBy}.`,
          ],
        },
        {
          kind: 'link',
          text: 'Your rejected files are in View / Remove Files, under Rejected Files:',
          path: PATHS.rejected,
        },
      ],
    };
  },
};

const MATCHED_ON: Record<Payload<'lost-pupil-match'>['matchedOn'], string> = {
  upn: 'the same UPN',
  'former-upn': 'the same former UPN',
  'name-dob': 'the same surname, forename and date of birth',
};

const lostPupilMatch: Template<Payload<'lost-pupil-match'>> = {
  description:
    "To the lost-pupil users of the LA that sent a pupil to the Lost Pupils Database: a file has arrived holding a pupil who matches the record (never the pupil's details).",
  payload: PAYLOADS['lost-pupil-match'],
  content(p) {
    const uploadedBy = nameWithCode(p.uploadedBy, p.uploadedByCode);
    const seenAt = nameWithCode(p.seenAt, p.seenAtCode);
    return {
      subject: 'A pupil in the Lost Pupils Database may have been found',
      blocks: [
        paragraph(
          `A ${p.seenIn} (${p.filename}) involving ${seenAt} holds a pupil with ${MATCHED_ON[p.matchedOn]} as a pupil in the Lost Pupils Database.`,
        ),
        paragraph(
          `That pupil's file, ${p.lostFilename}, was sent to the database by ${uploadedBy} on ${formatDate(p.uploadedAt)}.`,
        ),
        paragraph(
          'Sign in and go to Lost Pupil Matches to see both records, check whether it is the same pupil, and close the case.',
        ),
        { kind: 'link', text: 'Lost Pupil Matches:', path: PATHS.lostPupilMatches },
      ],
    };
  },
};

const fileRemoved: Template<Payload<'file-removed'>> = {
  description: 'To the sender: an LA deleted a CTF that its school never collected.',
  payload: PAYLOADS['file-removed'],
  content(p) {
    const by = nameWithCode(p.removedBy, p.removedByCode);
    const destination = nameWithCode(p.destinationName, p.destination);
    return {
      subject: `CTF removed before it was collected: ${p.filename}`,
      blocks: [
        paragraph(
          `${capitalise(by)} removed your file ${p.filename} on ${formatDateTime(p.removedAt)}. It was sent to ${destination}, which had not downloaded it.`,
        ),
        paragraph(
          `The file can no longer be downloaded. If the pupil's record still needs to reach a school, contact ${p.removedBy} to find out where to send it, then send it again.`,
        ),
      ],
    };
  },
};

const weeklyReminder: Template<Payload<'weekly-reminder'>> = {
  description: 'To a school or LA, each week: files sent to it (or its schools) not yet downloaded.',
  payload: PAYLOADS['weekly-reminder'],
  content(p) {
    const total = Math.max(p.total ?? 0, p.files.length);
    const shown = p.files.slice(0, REMINDER_FILE_LIMIT);
    // The To column only when the files are not all for the same place (an LA's reminder).
    const showTo = new Set(p.files.map((f) => f.toCode)).size > 1;
    const head = ['File', 'Type', 'From', ...(showTo ? ['To'] : []), 'Uploaded'];
    const rows = shown.map((f) => [
      f.filename,
      f.kind,
      nameWithCode(f.from, f.fromCode),
      ...(showTo ? [nameWithCode(f.to, f.toCode)] : []),
      formatDate(f.uploadedAt),
    ]);
    const files = plural(total, 'file');
    const have = total === 1 ? 'has' : 'have';
    const only = p.files[0];
    const intro =
      showTo || !only
        ? `This is the weekly reminder for ${p.recipientName}. ${files} ${have} not been downloaded yet. The To column shows who each file was sent to.`
        : `This is the weekly reminder for ${p.recipientName}. ${files} sent to ${nameWithCode(only.to, only.toCode)} ${have} not been downloaded yet.`;
    const blocks: EmailBlock[] = [
      paragraph(intro),
      { kind: 'table', caption: 'Files not downloaded', head, rows },
    ];
    if (total > shown.length) {
      blocks.push(
        paragraph(
          `There ${total - shown.length === 1 ? 'is' : 'are'} ${plural(total - shown.length, 'more file')} not listed here. Sign in to see them all.`,
        ),
      );
    }
    blocks.push(
      paragraph(
        showTo
          ? 'Each file should be downloaded by the school or team it was sent to, or rejected if it is not for them, so that the sender knows what has happened to it.'
          : 'Please download each file, or reject it if it is not for you, so that the sender knows what has happened to it.',
      ),
      { kind: 'link', text: 'Sign in to see the files:', path: p.path },
    );
    return { subject: `Weekly reminder: ${files} not downloaded yet`, blocks };
  },
};

const newMessage: Template<Payload<'new-message'>> = {
  description: 'To a user or organisation: a secure message arrived (never its text or description).',
  payload: PAYLOADS['new-message'],
  content(p) {
    return {
      subject: `New secure message from ${p.fromName}`,
      blocks: [
        paragraph(`${capitalise(p.fromName)} sent you a secure message on ${formatDateTime(p.sentAt)}.`),
        paragraph(
          'To keep it secure, the message is not in this email. Sign in and go to Messages, then View/Delete Messages, to read it.',
        ),
        { kind: 'link', text: 'View/Delete Messages:', path: PATHS.messages },
        paragraph('Messages that are not read are deleted after 31 days.'),
      ],
    };
  },
};

const messageByEmail: Template<Payload<'message-by-email'>> = {
  description: 'To a user or organisation: a message its sender chose to send as an ordinary email.',
  payload: PAYLOADS['message-by-email'],
  content(p) {
    return {
      subject: p.description,
      blocks: [
        paragraph(`${capitalise(p.fromName)} sent you this message through s2s, as an email.`),
        ...p.text
          .split(/\n\s*\n/)
          .map((part) => part.trim())
          .filter((part) => part !== '')
          .map((part) => ({ kind: 'inset' as const, text: part })),
        paragraph('To reply securely, sign in to s2s and send a message from Messages, then Send Message.'),
        { kind: 'link', text: 'Send Message:', path: PATHS.sendMessage },
      ],
    };
  },
};

const addressesMissing: Template<Payload<'addresses-missing'>> = {
  description: "To an LA's administrator: emails could not be sent to organisations with no email address.",
  payload: PAYLOADS['addresses-missing'],
  content(p) {
    const n = p.organisations.length;
    return {
      subject: `Emails could not be sent to ${plural(n, 'organisation')} in ${p.laName}: no email address`,
      blocks: [
        paragraph(
          `Emails about files and messages could not be sent to ${n === 1 ? 'this school or team' : 'these schools or teams'} in ${p.laName}, because ${n === 1 ? 'it has' : 'they have'} no email address:`,
        ),
        {
          kind: 'table',
          head: ['Number', 'Name', 'Emails not sent'],
          rows: p.organisations.map((o) => [o.code, o.name, String(o.notifications)]),
        },
        paragraph(
          'Please add an email address for each of them. For a school, go to DBA, then School Maintenance. For the LA itself, go to DBA, then Maintain LEA Details.',
        ),
        { kind: 'link', text: 'School Maintenance:', path: PATHS.schoolMaintenance },
        { kind: 'link', text: 'Maintain LEA Details:', path: PATHS.laDetails },
      ],
    };
  },
};

const lostPupilsToReview: Template<Payload<'lost-pupils-to-review'>> = {
  description:
    "To an LA, after the month's review: records its schools uploaded to the Lost Pupils Database are past school-leaving age, for it to remove (never the pupils' details).",
  payload: PAYLOADS['lost-pupils-to-review'],
  content(p) {
    const records = plural(p.count, 'record');
    return {
      subject: `Lost Pupils Database: ${records} past school-leaving age to review in ${p.laName}`,
      blocks: [
        paragraph(
          `In ${p.period}, ${records} that schools in ${p.laName}, or the LA itself, uploaded to the Lost Pupils Database became due for removal: the ${p.count === 1 ? 'pupil has' : 'pupils have'} passed statutory school-leaving age.`,
        ),
        paragraph(
          `${p.total === 1 ? 'In all, 1 record is' : `In all, ${p.total} records are`} waiting for your review. The LA is responsible for removing the records its schools uploaded once the pupils reach school-leaving age.`,
        ),
        paragraph(
          'Sign in and go to Lost Pupils Past Leaving Age to check the records and remove them. Nothing is removed until you do.',
        ),
        { kind: 'link', text: 'Lost Pupils Past Leaving Age:', path: p.path },
      ],
    };
  },
};

const censusReturnSubmitted: Template<Payload<'census-return-submitted'>> = {
  description: "To the school's LA (the agent): a school submitted its census return for the LA to check.",
  payload: PAYLOADS['census-return-submitted'],
  content(p) {
    const school = nameWithCode(p.schoolName, p.schoolCode);
    return {
      subject: `Census return submitted: ${school}, ${p.collectionName}`,
      blocks: [
        paragraph(
          `The census return of ${school} for ${p.collectionName} (version ${p.version}, ${p.filename}) was submitted by ${p.byName} on ${formatDateTime(p.at)}.`,
        ),
        paragraph(
          'Please check it and either approve it, which lets the DfE see it, or return it to the school with a note saying what to correct.',
        ),
        { kind: 'link', text: 'Open the return:', path: p.path },
      ],
    };
  },
};

const censusReturnReturned: Template<Payload<'census-return-returned'>> = {
  description: 'To a school: its LA returned its census return, with a note saying what to correct.',
  payload: PAYLOADS['census-return-returned'],
  content(p) {
    return {
      subject: `Census return returned by your LA: ${p.collectionName}`,
      blocks: [
        paragraph(
          `${capitalise(p.byName)} returned your census return for ${p.collectionName} (version ${p.version}, ${p.filename}) on ${formatDateTime(p.at)}, with this note:`,
        ),
        { kind: 'inset', text: p.note },
        paragraph(
          'Please correct the data in your MIS, make the return again, and once your headteacher has approved it, upload and submit it.',
        ),
        { kind: 'link', text: 'Open the return:', path: p.path },
      ],
    };
  },
};

const censusReturnApproved: Template<Payload<'census-return-approved'>> = {
  description: 'To a school: its LA approved its census return, which the DfE can now see.',
  payload: PAYLOADS['census-return-approved'],
  content(p) {
    return {
      subject: `Census return approved: ${p.collectionName}`,
      blocks: [
        paragraph(
          `${capitalise(p.byName)} approved your census return for ${p.collectionName} (version ${p.version}, ${p.filename}) on ${formatDateTime(p.at)}. The DfE can now see it.`,
        ),
        paragraph('There is nothing more to do unless your LA or the DfE asks you to correct something.'),
        { kind: 'link', text: 'Open the return:', path: p.path },
      ],
    };
  },
};

export const TEMPLATES: { [N in TemplateName]: Template<Payload<N>> } = {
  'ctf-uploaded': ctfUploaded,
  'upload-confirmed': uploadConfirmed,
  'upload-refused': uploadRefused,
  'file-quarantined': fileQuarantined,
  'file-downloaded': fileDownloaded,
  'file-rejected': fileRejected,
  'file-removed': fileRemoved,
  'weekly-reminder': weeklyReminder,
  'new-message': newMessage,
  'message-by-email': messageByEmail,
  'lost-pupil-match': lostPupilMatch,
  'addresses-missing': addressesMissing,
  'lost-pupils-to-review': lostPupilsToReview,
  'census-return-submitted': censusReturnSubmitted,
  'census-return-returned': censusReturnReturned,
  'census-return-approved': censusReturnApproved,
};

// --- composing ---------------------------------------------------------------------------------------

/**
 * The email for an outbox row: its template name and JSON payload. Throws TemplateError for an unknown
 * template, a payload that is not JSON, or one that does not fit the template.
 */
export function composeEmail(template: string, payloadJson: string, context: EmailContext): RenderedEmail {
  if (!isTemplateName(template)) {
    throw new TemplateError(
      `Unknown email template ${JSON.stringify(template.slice(0, 60))}: expected one of ${TEMPLATE_NAMES.join(', ')}`,
      template,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(payloadJson);
  } catch {
    // JSON.parse's own message quotes the input: not repeated here.
    throw new TemplateError(`The payload for email template "${template}" is not valid JSON`, template);
  }
  return renderEmail(contentOf(TEMPLATES[template] as Template<unknown>, template, raw), context);
}

function contentOf<P>(template: Template<P>, name: TemplateName, raw: unknown): EmailContent {
  const parsed = template.payload.safeParse(raw);
  if (!parsed.success) {
    // Paths and zod's messages ("expected number, received string"), never the values.
    const problems = parsed.error.issues.map((issue) => {
      const path = issue.path.map(String).join('.');
      return path === '' ? issue.message : `${path}: ${issue.message}`;
    });
    throw new TemplateError(
      `The payload for email template "${name}" does not fit: ${problems.join('; ')}`,
      name,
    );
  }
  return template.content(parsed.data);
}
