// The emails the service sends (schools handbook §6, LA notes §4.2, §5.2, §6.2): each template names
// its payload -- the JSON facts other code writes to the outbox (outbox.ts) -- and turns it into
// content (email.ts). The payload is validated here, because it is read back from the database: a
// payload that does not fit is a TemplateError naming the template and what is wrong, never the values.
//
// No email holds pupil data (names, UPNs, dates of birth): payloads carry file names, organisation
// names and codes, counts, dates and reasons. A secure message's text is never in its email.
// Menu names are the catalogue's (menu.*: in English the handbooks' own, "Download CTF Files", "View /
// Remove Files", "View/Delete Messages", "School Maintenance", "Maintain LEA Details").
// Every text is in the catalogue (translations.json, `email.`), in English and Welsh; an email is
// written in the recipient's language (recipients.ts, decision 30). Facts in a payload stay as written:
// names, file names, reasons given by people. Texts other code works out (an upload's reasons) come as
// catalogue messages, written in the recipient's language too, beside their English for older payloads.
//
// Organisation names: some writers already put the code in the name ("Green Lane Primary (9165402)"),
// others give it separately; nameWithCode() shows the code once either way.
import { z } from 'zod';
import { MENU, menuLabelKey } from '../auth/menu.ts';
import { isRole, ROLE_LABEL_KEYS } from '../auth/permissions.ts';
import { formatDate, formatDateTime, monthInWords } from '../platform/dates.ts';
import {
  isMessage,
  type Language,
  type Message,
  type MessageParams,
  message,
  translate,
  type Written,
  writtenIn,
} from '../platform/i18n/catalogue.ts';
import {
  type EmailBlock,
  type EmailContent,
  type EmailContext,
  type EmailLanguage,
  isServicePath,
  type RenderedEmail,
  renderBilingualEmail,
  renderEmail,
} from './email.ts';

export interface Template<P> {
  /** What the email is for, for the Notifications page. */
  description: Message;
  payload: z.ZodType<P>;
  /**
   * The email in one language; its texts are in the catalogue (translations.json, `email.`), the
   * payload's messages (names s2s made up) already written in that language.
   */
  content(payload: Written<P>, language: Language): EmailContent;
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
  laMonitor: '/download/ctf/monitor',
} as const;

// --- payloads ----------------------------------------------------------------------------------------

const text = z.string().trim().min(1);
/** Optional text; writers may give null for "none". */
const optionalText = z.string().trim().nullish();
const code = z.string().trim().min(1);
const timestamp = z.iso.datetime({ offset: true });
const count = z.number().int().nonnegative();
const servicePath = z.string().refine(isServicePath, 'must be a path on the service, starting with one /');
/** A message of the catalogue (platform/i18n), written in the recipient's language before content(). */
const catalogueMessage = z.custom<Message>(
  (value) => isMessage(value),
  'expected a message of the catalogue',
);
/**
 * A school's or an LA's name: as the directory has it, or a message where s2s made it up or added words to
 * it ("School 9165402", "Ashire LA"), written in the recipient's language.
 */
const organisationName = z.union(
  [text, catalogueMessage],
  'Invalid input: expected string, or a message of the catalogue',
);

const transferPayload = z.object({
  filename: text,
  transferId: text,
  sender: code,
  senderName: organisationName,
  destination: code,
  destinationName: organisationName,
  pupils: count,
  /** The LA that forwarded the file to the right school. */
  forwardedBy: organisationName.nullish(),
  /** The file's name before it was forwarded. */
  forwardedFrom: optionalText,
  /** The original was a Lost Pupils Database file (sent to the database, not to the LA that forwarded it). */
  forwardedFromLostPupils: z.boolean().optional(),
});

/** What the email to the LA that forwarded a CTF adds: the original, its sender, and who else was told. */
const forwardedPayload = z.object({
  /** The original's name, before the LA forwarded it. */
  originalFilename: text,
  /** The school (or LA) that made the file and sent the original. */
  sentBy: organisationName,
  sentByCode: code,
  /** Whether that sender was emailed too (not when the LA is the sender: a lost pupil's file). */
  senderTold: z.boolean(),
});

const censusReturnPayload = z.object({
  collectionName: text,
  schoolName: organisationName,
  schoolCode: code,
  version: z.number().int().positive(),
  filename: text,
  /** Who acted: the school's or the LA's name. */
  byName: organisationName,
  at: timestamp,
  path: servicePath,
});

/** The changes to a user's own account that are emailed to them (account-changed.ts, decision 70). */
export const ACCOUNT_CHANGES = [
  'password-changed',
  'password-issued',
  'two-factor-turned-off',
  'two-factor-reset',
  'recovery-codes-replaced',
  'role-changed',
  'single-sign-on-linked',
  'single-sign-on-unlinked',
  'email-changed',
] as const;
/**
 * Who made it, in general terms: the user, their LA's s2s administrator (its LEA Administrator), or the
 * s2s service desk (a national administrator, or the operator at the command line).
 */
export const ACCOUNT_CHANGERS = ['you', 'la-administrator', 'service-desk'] as const;
/** Whom the user asks if they did not expect it: their LA's administrator, or the desk for its own users. */
export const ACCOUNT_HELPERS = ['la-administrator', 'service-desk'] as const;

const PAYLOADS = {
  'ctf-uploaded': transferPayload,
  'upload-confirmed': transferPayload,
  'upload-refused': z.object({
    // The name the user's browser sent, shortened by the upload: may be empty.
    filename: z.string(),
    menuItem: text,
    /** One reason a line, in English (all that payloads written before the messages below hold). */
    reasons: text,
    whatToDo: text,
    /**
     * The same reasons and what to do as messages, written in the recipient's language; left out (the
     * English above is sent) when the catalogue no longer has one of them, for a payload of an older version.
     */
    reasonMessages: z.array(catalogueMessage).min(1).optional().catch(undefined),
    whatToDoMessage: catalogueMessage.optional().catch(undefined),
  }),
  'file-quarantined': z.object({
    filename: text,
    /** The name the scanner gave what it found ("Win.Test.EICAR_HDB-1"). */
    signature: text,
    destination: code,
    destinationName: organisationName,
    uploadedAt: timestamp,
  }),
  'file-downloaded': z.object({
    filename: text,
    collectedBy: organisationName,
    collectedByCode: code,
    collectedAt: timestamp,
  }),
  'file-rejected': z.object({
    filename: text,
    reason: text,
    rejectedBy: organisationName,
    rejectedByCode: code,
    rejectedAt: timestamp,
  }),
  /** To the LA that forwarded a CTF (forward-service.ts), when its destination collects it. */
  'forwarded-file-downloaded': forwardedPayload.extend({
    filename: text,
    collectedBy: organisationName,
    collectedByCode: code,
    collectedAt: timestamp,
  }),
  /** To the LA that forwarded a CTF, when its destination rejects it. */
  'forwarded-file-rejected': forwardedPayload.extend({
    filename: text,
    reason: text,
    rejectedBy: organisationName,
    rejectedByCode: code,
    rejectedAt: timestamp,
    /**
     * A lost pupil's record the rejection returned to "lost", its file still in the database (decision
     * 38): the record's page, from which the file is forwarded again.
     */
    lostPupilPath: servicePath.optional(),
  }),
  'file-removed': z.object({
    filename: text,
    removedBy: organisationName,
    removedByCode: code,
    destinationName: organisationName,
    destination: code,
    removedAt: timestamp,
  }),
  /**
   * To the destination of a CTF waiting for it to collect, when its sender or the school's LA removed it
   * (transfers/removal-told.ts): who removed it, and that nothing need be done.
   */
  'waiting-file-removed': z.object({
    filename: text,
    removedBy: organisationName,
    removedByCode: code,
    removedAt: timestamp,
    /** The file's sender: the remover itself, or the school (or LA) the LA deleted it from. */
    sentBy: organisationName,
    sentByCode: code,
    /**
     * When the destination last downloaded the file, never saying it was downloaded correctly (so it was
     * still waiting); absent when it never did, and from emails queued before downloads were said.
     */
    downloadedAt: timestamp.optional(),
    /**
     * A lost pupil's file its sender removed, to the LA that downloaded it from the Lost Pupils Database
     * without the pupil being found (decision 79): said as such, not as a CTF sent to it.
     */
    lostPupils: z.literal(true).optional(),
  }),
  /**
   * To the school a CTF waited for, when its LA forwarded it to the school it was meant for
   * (forward-service.ts, via transfers/removal-told.ts). Never that school: where the pupil went is not
   * the first school's to know.
   */
  'waiting-file-forwarded': z.object({
    filename: text,
    forwardedBy: organisationName,
    forwardedByCode: code,
    forwardedAt: timestamp,
    sentBy: organisationName,
    sentByCode: code,
    /** As waiting-file-removed's: the destination downloaded it without saying it was downloaded correctly. */
    downloadedAt: timestamp.optional(),
  }),
  /**
   * To the LA that forwarded a CTF, when its copy was removed before the school collected it, by its sender
   * or by the school's LA (transfers/removal-told.ts): with the file it forwarded and that file's sender.
   */
  'forwarded-file-removed': forwardedPayload.extend({
    filename: text,
    removedBy: organisationName,
    removedByCode: code,
    destinationName: organisationName,
    destination: code,
    removedAt: timestamp,
  }),
  'weekly-reminder': z.object({
    recipientName: organisationName,
    files: z
      .array(
        z.object({
          filename: text,
          kind: text,
          from: organisationName,
          fromCode: code,
          to: organisationName,
          toCode: code,
          uploadedAt: timestamp,
          /**
           * When it was last downloaded, for a file downloaded but not yet said to be downloaded
           * correctly: it is listed apart, as still to be confirmed, not as not downloaded.
           */
          downloadedAt: timestamp.optional(),
        }),
      )
      .min(1),
    /**
     * How many files wait in all: the payload lists only the first REMINDER_FILE_LIMIT. Absent from
     * reminders written before it was added, whose lists were whole.
     */
    total: z.number().int().positive().optional(),
    /**
     * How many of them were downloaded but not yet confirmed (listed after the others). Absent from
     * reminders written before it was added, which listed every file as not downloaded.
     */
    unconfirmed: z.number().int().nonnegative().optional(),
    path: servicePath,
  }),
  'new-message': z.object({
    /** The sender's mailbox: an LA's, with its type of user, is a message. */
    fromName: organisationName,
    sentAt: timestamp,
    /**
     * Sent to an LA's own address for a type of its users without addresses of their own: that mailbox
     * ("916 Gloucestershire - LEA User"), since only its users can read the message. Absent otherwise,
     * and from emails written before it was added.
     */
    forMailbox: organisationName.optional(),
  }),
  /** A message the sender chose to send as an email (handbook §11: "leaves the s2s system"). */
  'message-by-email': z.object({
    /** The sender's mailbox ("916 Ashire - LEA User"). */
    fromName: organisationName,
    /**
     * Who wrote it, in its subject and first line: "Ashire LA (916)", "Alder Primary (9165402)" (decision
     * 85). Absent from emails written before it was added: `fromName` stands in.
     */
    organisation: organisationName.optional(),
    description: text,
    text: text,
  }),
  'lost-pupil-match': z.object({
    /** The lost-pupil file and who sent it to the database. */
    lostFilename: text,
    uploadedBy: organisationName,
    uploadedByCode: code,
    uploadedAt: timestamp,
    /** Where the pupil has been seen, and in which file. */
    seenAt: organisationName,
    seenAtCode: code,
    seenIn: z.enum(['CTF', 'school census return']),
    filename: text,
    matchedOn: z.enum(['upn', 'former-upn', 'name-dob']),
  }),
  /**
   * To the lost-pupil users of the LA that uploaded a Lost Pupils Database record, when another LA
   * forwards its file to a school (lost-pupils/service.ts): the file stays for that LA to remove.
   */
  'lost-pupil-forwarded': z.object({
    lostFilename: text,
    uploadedBy: organisationName,
    uploadedByCode: code,
    uploadedAt: timestamp,
    forwardedBy: organisationName,
    forwardedByCode: code,
    school: organisationName,
    schoolCode: code,
    forwardedAt: timestamp,
    path: servicePath,
  }),
  /**
   * To the lost-pupil users of the LA that uploaded a Lost Pupils Database record, when the school another
   * LA forwarded its file to collects the copy (lost-pupils/forwarded-copies.ts): the case can be closed
   * and the record removed now.
   */
  'lost-pupil-forwarded-collected': z.object({
    lostFilename: text,
    uploadedBy: organisationName,
    uploadedByCode: code,
    uploadedAt: timestamp,
    forwardedBy: organisationName,
    forwardedByCode: code,
    school: organisationName,
    schoolCode: code,
    collectedAt: timestamp,
    path: servicePath,
  }),
  /**
   * To the lost-pupil users of the LA that uploaded a Lost Pupils Database record, when another LA
   * downloads its file and answers that it was downloaded correctly, marking the pupil found
   * (lost-pupils/service.ts): the case can be closed and the record removed.
   */
  'lost-pupil-found': z.object({
    lostFilename: text,
    uploadedBy: organisationName,
    uploadedByCode: code,
    uploadedAt: timestamp,
    foundBy: organisationName,
    foundByCode: code,
    foundAt: timestamp,
    path: servicePath,
  }),
  /**
   * To the lost-pupil users of the LA that uploaded a Lost Pupils Database record, when the school another
   * LA forwarded its file to rejects it, or that LA removes its copy before the school collects it
   * (lost-pupils/forwarded-copies.ts): the record is lost again.
   */
  'lost-pupil-lost-again': z.object({
    lostFilename: text,
    uploadedBy: organisationName,
    uploadedByCode: code,
    uploadedAt: timestamp,
    forwardedBy: organisationName,
    forwardedByCode: code,
    school: organisationName,
    schoolCode: code,
    /** When the school rejected the copy, or (how 'removed') when the forwarding LA removed it. */
    rejectedAt: timestamp,
    /** How the record was lost again; emails queued before removals told were all rejections. */
    how: z.enum(['rejected', 'removed']).default('rejected'),
    path: servicePath,
  }),
  'lost-pupils-to-review': z.object({
    laName: organisationName,
    /** Records that fell due for removal in the month reviewed, and all those waiting now. */
    count: z.number().int().positive(),
    total: z.number().int().positive(),
    /** The month reviewed, in words: "June 2027". */
    period: text,
    path: servicePath,
  }),
  /** Census returns (COLLECT): to the LA when a school submits, to the school when the LA decides. */
  'census-return-submitted': censusReturnPayload,
  /**
   * `how` 'note-added': a note the LA added to the version after returning it (`note`; `at` when it was
   * added); emails queued before notes were emailed were all returns.
   */
  'census-return-returned': censusReturnPayload.extend({
    note: text,
    how: z.enum(['returned', 'note-added']).default('returned'),
  }),
  'census-return-approved': censusReturnPayload,
  /** To the LA: a school loaded a later version of a return the LA approved, which the DfE keeps for now. */
  'census-return-reloaded': censusReturnPayload.extend({ approvedVersion: z.number().int().positive() }),
  'addresses-missing': z.object({
    laName: organisationName,
    organisations: z
      .array(z.object({ code: code, name: organisationName, notifications: z.number().int().positive() }))
      .min(1),
  }),
  /**
   * To a user, about a change to their own account that matters for its security. Never a password, a
   * code or a token: what changed, when, by whom in general terms, and whom to ask.
   */
  'account-changed': z.object({
    change: z.enum(ACCOUNT_CHANGES),
    username: text,
    at: timestamp,
    by: z.enum(ACCOUNT_CHANGERS),
    ask: z.enum(ACCOUNT_HELPERS),
    /** A role changed: from and to (role codes, named in the reader's language). */
    fromRole: code.optional(),
    toRole: code.optional(),
    /** The user's API tokens the change revoked; absent when none were. */
    tokensRevoked: z.number().int().positive().optional(),
    /** The email address changed (decision 78): from and to (null: none), and which of them this copy goes to. */
    fromEmail: optionalText,
    toEmail: optionalText,
    sentTo: z.enum(['old', 'new']).optional(),
    /** The address this copy goes to (the `user-at` recipient's: notifications/recipients.ts). */
    address: optionalText,
  }),
} as const;

export const TEMPLATE_NAMES = [
  'ctf-uploaded',
  'upload-confirmed',
  'upload-refused',
  'file-quarantined',
  'file-downloaded',
  'file-rejected',
  'forwarded-file-downloaded',
  'forwarded-file-rejected',
  'file-removed',
  'waiting-file-removed',
  'waiting-file-forwarded',
  'forwarded-file-removed',
  'weekly-reminder',
  'new-message',
  'message-by-email',
  'lost-pupil-match',
  'lost-pupil-forwarded',
  'lost-pupil-forwarded-collected',
  'lost-pupil-found',
  'lost-pupil-lost-again',
  'addresses-missing',
  'lost-pupils-to-review',
  'census-return-submitted',
  'census-return-returned',
  'census-return-approved',
  'census-return-reloaded',
  'account-changed',
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

/** A link to a page of the menu, introduced by the page's name. */
const menuLink = (t: Words, key: string, path: string): EmailBlock => ({
  kind: 'link',
  text: `${t(key)}:`,
  path,
});

/** Who uploaded a lost pupil's record to the Lost Pupils Database, and when: the emails about it say so. */
const lostPupilSentBy = (
  t: Words,
  p: { lostFilename: string; uploadedBy: string; uploadedByCode: string; uploadedAt: string },
  language: Language,
): EmailBlock =>
  paragraph(
    t('email.lost-pupil-match.sent-by', {
      lostFilename: p.lostFilename,
      uploadedBy: nameWithCode(p.uploadedBy, p.uploadedByCode),
      date: formatDate(p.uploadedAt, language),
    }),
  );

/** The catalogue in one language, for one email: t('email.new-message.subject', { from }). */
type Words = (key: string, params?: MessageParams) => string;
function wordsIn(language: Language): Words {
  return (key, params) => translate(language, key, params);
}

/** An Upload menu item named in English in a payload ("Upload CTF File"), in the reader's language. */
function menuItemIn(t: Words, label: string): string {
  const item = [...MENU, ...MENU.flatMap((i) => i.children ?? [])].find((i) => i.label === label);
  return item ? t(menuLabelKey(item.href)) : label;
}

// The kinds of file a weekly reminder lists, as written in its payload (reminders.ts: the Download
// menu's names); CTF, PLASC and CFR are the same in Welsh.
const FILE_KINDS: Record<string, string> = {
  Generic: 'email.file-kind.generic',
  Exclusion: 'email.file-kind.exclusion',
  Admissions: 'email.file-kind.admissions',
};

// --- the templates -----------------------------------------------------------------------------------

const ctfUploaded: Template<Payload<'ctf-uploaded'>> = {
  description: message('notifications.admin.purpose.ctf-uploaded'),
  payload: PAYLOADS['ctf-uploaded'],
  content(p, language) {
    const t = wordsIn(language);
    const sender = nameWithCode(p.senderName, p.sender);
    const blocks: EmailBlock[] = [paragraph(capitalise(t('email.ctf-uploaded.sent', { sender })))];
    if (p.forwardedBy) {
      blocks.push(
        paragraph(
          capitalise(
            p.forwardedFrom
              ? t(
                  p.forwardedFromLostPupils
                    ? 'email.ctf-uploaded.forwarded-by-from-lost-pupils'
                    : 'email.ctf-uploaded.forwarded-by-from',
                  {
                    forwardedBy: p.forwardedBy,
                    original: p.forwardedFrom,
                  },
                )
              : t('email.ctf-uploaded.forwarded-by', { forwardedBy: p.forwardedBy }),
          ),
        ),
      );
    } else if (p.forwardedFrom) {
      blocks.push(paragraph(t('email.ctf-uploaded.forwarded-from', { original: p.forwardedFrom })));
    }
    blocks.push(
      {
        kind: 'list',
        items: [
          t('email.ctf-uploaded.filename', { filename: p.filename }),
          t('email.ctf-uploaded.from', { sender }),
          t('email.ctf-uploaded.to', { destination: nameWithCode(p.destinationName, p.destination) }),
          t('email.ctf-uploaded.pupils', { pupils: p.pupils }),
        ],
      },
      paragraph(
        t('email.ctf-uploaded.what-next', {
          download: t('menu.download'),
          downloadCtf: t('menu.download.ctf'),
        }),
      ),
      menuLink(t, 'menu.download.ctf', PATHS.downloadCtf),
    );
    return { subject: t('email.ctf-uploaded.subject', { sender, filename: p.filename }), blocks };
  },
};

const uploadConfirmed: Template<Payload<'upload-confirmed'>> = {
  description: message('notifications.admin.purpose.upload-confirmed'),
  payload: PAYLOADS['upload-confirmed'],
  content(p, language) {
    const t = wordsIn(language);
    const blocks: EmailBlock[] = isLostPupilsCode(p.destination)
      ? [
          paragraph(
            t('email.upload-confirmed.lost-pupils', {
              filename: p.filename,
              count: p.pupils,
              destination: p.destination,
            }),
          ),
          paragraph(t('email.upload-confirmed.lost-pupils-kept')),
        ]
      : [
          paragraph(
            t('email.upload-confirmed.sent', {
              filename: p.filename,
              destination: nameWithCode(p.destinationName, p.destination),
              count: p.pupils,
            }),
          ),
          paragraph(t('email.upload-confirmed.next', { destinationName: p.destinationName })),
        ];
    blocks.push({
      kind: 'link',
      text: t('email.upload-confirmed.follow', { sent: t('menu.sent') }),
      path: PATHS.sent,
    });
    return { subject: t('email.upload-confirmed.subject', { filename: p.filename }), blocks };
  },
};

const uploadRefused: Template<Payload<'upload-refused'>> = {
  description: message('notifications.admin.purpose.upload-refused'),
  payload: PAYLOADS['upload-refused'],
  content(p, language) {
    const t = wordsIn(language);
    const name = p.filename.trim() === '' ? t('email.no-name') : p.filename;
    const english = {
      reasons: p.reasons
        .split(/\r?\n/)
        .map((r) => r.trim())
        .filter((r) => r !== ''),
      whatToDo: p.whatToDo,
    };
    const { reasons, whatToDo } =
      p.reasonMessages && p.whatToDoMessage
        ? { reasons: p.reasonMessages, whatToDo: p.whatToDoMessage }
        : english;
    return {
      subject: t('email.upload-refused.subject', { name }),
      blocks: [
        paragraph(
          t('email.upload-refused.tried', {
            name,
            upload: t('menu.upload'),
            menuItem: menuItemIn(t, p.menuItem),
          }),
        ),
        { kind: 'list', items: reasons },
        paragraph(t('email.what-to-do')),
        { kind: 'inset', text: whatToDo },
        paragraph(t('email.upload-refused.not-kept')),
      ],
    };
  },
};

const fileQuarantined: Template<Payload<'file-quarantined'>> = {
  description: message('notifications.admin.purpose.file-quarantined'),
  payload: PAYLOADS['file-quarantined'],
  content(p, language) {
    const t = wordsIn(language);
    return {
      subject: t('email.file-quarantined.subject', { filename: p.filename }),
      blocks: [
        paragraph(
          t('email.file-quarantined.found', {
            filename: p.filename,
            destination: nameWithCode(p.destinationName, p.destination),
            uploadedAt: formatDateTime(p.uploadedAt, language),
            signature: p.signature,
          }),
        ),
        paragraph(t('email.file-quarantined.quarantined', { destinationName: p.destinationName })),
        paragraph(t('email.what-to-do')),
        { kind: 'inset', text: t('email.file-quarantined.tell-it') },
        {
          kind: 'link',
          text: t('email.file-quarantined.shown', { sent: t('menu.sent') }),
          path: PATHS.sent,
        },
      ],
    };
  },
};

const fileDownloaded: Template<Payload<'file-downloaded'>> = {
  description: message('notifications.admin.purpose.file-downloaded'),
  payload: PAYLOADS['file-downloaded'],
  content(p, language) {
    const t = wordsIn(language);
    const by = nameWithCode(p.collectedBy, p.collectedByCode);
    return {
      subject: t('email.file-downloaded.subject', { filename: p.filename }),
      blocks: [
        paragraph(
          capitalise(
            t('email.file-downloaded.downloaded', {
              by,
              filename: p.filename,
              at: formatDateTime(p.collectedAt, language),
            }),
          ),
        ),
        paragraph(t('email.file-downloaded.complete')),
      ],
    };
  },
};

const fileRejected: Template<Payload<'file-rejected'>> = {
  description: message('notifications.admin.purpose.file-rejected'),
  payload: PAYLOADS['file-rejected'],
  content(p, language) {
    const t = wordsIn(language);
    const by = nameWithCode(p.rejectedBy, p.rejectedByCode);
    return {
      subject: t('email.file-rejected.subject', { filename: p.filename }),
      blocks: [
        paragraph(
          capitalise(
            t('email.file-rejected.rejected', {
              by,
              filename: p.filename,
              at: formatDateTime(p.rejectedAt, language),
            }),
          ),
        ),
        { kind: 'inset', text: p.reason },
        paragraph(t('email.what-to-do')),
        {
          kind: 'list',
          items: [
            t('email.file-rejected.check-destination'),
            t('email.file-rejected.create-again'),
            t('email.file-rejected.lost-pupils'),
            t('email.file-rejected.ask', { rejectedBy: p.rejectedBy }),
          ],
        },
        {
          kind: 'link',
          text: t('email.file-rejected.where', { sent: t('menu.sent') }),
          path: PATHS.rejected,
        },
      ],
    };
  },
};

const forwardedFileDownloaded: Template<Payload<'forwarded-file-downloaded'>> = {
  description: message('notifications.admin.purpose.forwarded-file-downloaded'),
  payload: PAYLOADS['forwarded-file-downloaded'],
  content(p, language) {
    const t = wordsIn(language);
    const by = nameWithCode(p.collectedBy, p.collectedByCode);
    const sentBy = nameWithCode(p.sentBy, p.sentByCode);
    return {
      subject: t('email.forwarded-file-downloaded.subject', { filename: p.filename }),
      blocks: [
        paragraph(
          capitalise(
            t('email.forwarded-file-downloaded.downloaded', {
              by,
              filename: p.filename,
              at: formatDateTime(p.collectedAt, language),
            }),
          ),
        ),
        paragraph(t('email.forwarded.original', { original: p.originalFilename, sentBy })),
        paragraph(
          p.senderTold
            ? t('email.forwarded-file-downloaded.complete-sender-told', { sentBy: p.sentBy })
            : t('email.forwarded-file-downloaded.complete'),
        ),
      ],
    };
  },
};

const forwardedFileRejected: Template<Payload<'forwarded-file-rejected'>> = {
  description: message('notifications.admin.purpose.forwarded-file-rejected'),
  payload: PAYLOADS['forwarded-file-rejected'],
  content(p, language) {
    const t = wordsIn(language);
    const by = nameWithCode(p.rejectedBy, p.rejectedByCode);
    const sentBy = nameWithCode(p.sentBy, p.sentByCode);
    return {
      subject: t('email.forwarded-file-rejected.subject', { filename: p.filename }),
      blocks: [
        paragraph(
          capitalise(
            t('email.forwarded-file-rejected.rejected', {
              by,
              filename: p.filename,
              at: formatDateTime(p.rejectedAt, language),
            }),
          ),
        ),
        paragraph(t('email.forwarded.original', { original: p.originalFilename, sentBy })),
        paragraph(t('email.forwarded-file-rejected.reason')),
        { kind: 'inset', text: p.reason },
        ...(p.senderTold
          ? [paragraph(t('email.forwarded-file-rejected.sender-told', { sentBy: p.sentBy }))]
          : []),
        ...(p.lostPupilPath
          ? [
              paragraph(t('email.forwarded-file-rejected.lost-again')),
              paragraph(t('email.what-to-do')),
              {
                kind: 'list' as const,
                items: [
                  t('email.forwarded-file-rejected.find-pupil'),
                  t('email.forwarded-file-rejected.ask', { rejectedBy: p.rejectedBy }),
                ],
              },
              menuLink(t, 'email.lost-pupil-lost-again.link', p.lostPupilPath),
            ]
          : [
              paragraph(t('email.forwarded-file-rejected.stuck')),
              paragraph(t('email.what-to-do')),
              {
                kind: 'list' as const,
                items: [
                  t('email.forwarded-file-rejected.find-pupil'),
                  p.senderTold
                    ? t('email.forwarded-file-rejected.tell-sender', { sentBy: p.sentBy })
                    : t('email.forwarded-file-rejected.ask-sender', { sentBy: p.sentBy }),
                  t('email.forwarded-file-rejected.ask', { rejectedBy: p.rejectedBy }),
                ],
              },
              {
                kind: 'link' as const,
                text: t('email.forwarded-file-rejected.where', { monitor: t('menu.download.ctf.monitor') }),
                path: PATHS.laMonitor,
              },
            ]),
      ],
    };
  },
};

const MATCHED_ON: Record<Payload<'lost-pupil-match'>['matchedOn'], string> = {
  upn: 'email.lost-pupil-match.matched-upn',
  'former-upn': 'email.lost-pupil-match.matched-former-upn',
  'name-dob': 'email.lost-pupil-match.matched-name-dob',
};

const lostPupilMatch: Template<Payload<'lost-pupil-match'>> = {
  description: message('notifications.admin.purpose.lost-pupil-match'),
  payload: PAYLOADS['lost-pupil-match'],
  content(p, language) {
    const t = wordsIn(language);
    const uploadedBy = nameWithCode(p.uploadedBy, p.uploadedByCode);
    const seenAt = nameWithCode(p.seenAt, p.seenAtCode);
    const seen = { filename: p.filename, seenAt, matched: t(MATCHED_ON[p.matchedOn]) };
    return {
      subject: t('email.lost-pupil-match.subject'),
      blocks: [
        paragraph(
          p.seenIn === 'CTF'
            ? t('email.lost-pupil-match.seen-in-ctf', seen)
            : t('email.lost-pupil-match.seen-in-census', seen),
        ),
        paragraph(
          t('email.lost-pupil-match.sent-by', {
            lostFilename: p.lostFilename,
            uploadedBy,
            date: formatDate(p.uploadedAt, language),
          }),
        ),
        paragraph(t('email.lost-pupil-match.what-next', { matches: t('menu.lost-pupils.matches') })),
        menuLink(t, 'menu.lost-pupils.matches', PATHS.lostPupilMatches),
      ],
    };
  },
};

const lostPupilForwarded: Template<Payload<'lost-pupil-forwarded'>> = {
  description: message('notifications.admin.purpose.lost-pupil-forwarded'),
  payload: PAYLOADS['lost-pupil-forwarded'],
  content(p, language) {
    const t = wordsIn(language);
    return {
      subject: t('email.lost-pupil-forwarded.subject', { filename: p.lostFilename }),
      blocks: [
        paragraph(
          t('email.lost-pupil-forwarded.forwarded', {
            by: nameWithCode(p.forwardedBy, p.forwardedByCode),
            lostFilename: p.lostFilename,
            school: nameWithCode(p.school, p.schoolCode),
            at: formatDateTime(p.forwardedAt, language),
          }),
        ),
        lostPupilSentBy(t, p, language),
        paragraph(t('email.lost-pupil-forwarded.waiting', { school: p.school })),
        paragraph(t('email.lost-pupil-forwarded.what-next', { review: t('menu.lost-pupils.review') })),
        menuLink(t, 'menu.lost-pupils.review', p.path),
      ],
    };
  },
};

const lostPupilForwardedCollected: Template<Payload<'lost-pupil-forwarded-collected'>> = {
  description: message('notifications.admin.purpose.lost-pupil-forwarded-collected'),
  payload: PAYLOADS['lost-pupil-forwarded-collected'],
  content(p, language) {
    const t = wordsIn(language);
    return {
      subject: t('email.lost-pupil-forwarded-collected.subject', { filename: p.lostFilename }),
      blocks: [
        paragraph(
          t('email.lost-pupil-forwarded-collected.collected', {
            school: nameWithCode(p.school, p.schoolCode),
            by: nameWithCode(p.forwardedBy, p.forwardedByCode),
            lostFilename: p.lostFilename,
            at: formatDateTime(p.collectedAt, language),
          }),
        ),
        lostPupilSentBy(t, p, language),
        paragraph(
          t('email.lost-pupil-forwarded-collected.what-next', { review: t('menu.lost-pupils.review') }),
        ),
        menuLink(t, 'menu.lost-pupils.review', p.path),
      ],
    };
  },
};

const lostPupilFound: Template<Payload<'lost-pupil-found'>> = {
  description: message('notifications.admin.purpose.lost-pupil-found'),
  payload: PAYLOADS['lost-pupil-found'],
  content(p, language) {
    const t = wordsIn(language);
    return {
      subject: t('email.lost-pupil-found.subject', { filename: p.lostFilename }),
      blocks: [
        paragraph(
          t('email.lost-pupil-found.found', {
            by: nameWithCode(p.foundBy, p.foundByCode),
            lostFilename: p.lostFilename,
            at: formatDateTime(p.foundAt, language),
          }),
        ),
        lostPupilSentBy(t, p, language),
        paragraph(
          t('email.lost-pupil-found.what-next', { by: p.foundBy, review: t('menu.lost-pupils.review') }),
        ),
        menuLink(t, 'menu.lost-pupils.review', p.path),
      ],
    };
  },
};

const lostPupilLostAgain: Template<Payload<'lost-pupil-lost-again'>> = {
  description: message('notifications.admin.purpose.lost-pupil-lost-again'),
  payload: PAYLOADS['lost-pupil-lost-again'],
  content(p, language) {
    const t = wordsIn(language);
    return {
      subject: t(
        p.how === 'removed'
          ? 'email.lost-pupil-lost-again.subject-removed'
          : 'email.lost-pupil-lost-again.subject',
        { filename: p.lostFilename },
      ),
      blocks: [
        paragraph(
          t(
            p.how === 'removed'
              ? 'email.lost-pupil-lost-again.removed'
              : 'email.lost-pupil-lost-again.rejected',
            {
              school: nameWithCode(p.school, p.schoolCode),
              by: nameWithCode(p.forwardedBy, p.forwardedByCode),
              lostFilename: p.lostFilename,
              at: formatDateTime(p.rejectedAt, language),
            },
          ),
        ),
        lostPupilSentBy(t, p, language),
        paragraph(t('email.lost-pupil-lost-again.lost')),
        menuLink(t, 'email.lost-pupil-lost-again.link', p.path),
      ],
    };
  },
};

const fileRemoved: Template<Payload<'file-removed'>> = {
  description: message('notifications.admin.purpose.file-removed'),
  payload: PAYLOADS['file-removed'],
  content(p, language) {
    const t = wordsIn(language);
    const by = nameWithCode(p.removedBy, p.removedByCode);
    const destination = nameWithCode(p.destinationName, p.destination);
    return {
      subject: t('email.file-removed.subject', { filename: p.filename }),
      blocks: [
        paragraph(
          capitalise(
            t('email.file-removed.removed', {
              by,
              filename: p.filename,
              at: formatDateTime(p.removedAt, language),
              destination,
            }),
          ),
        ),
        paragraph(t('email.file-removed.send-again', { removedBy: p.removedBy })),
      ],
    };
  },
};

/**
 * The destination downloaded the file but never said it was downloaded correctly (so it was still
 * waiting for collection): when, in a sentence; null when it did not download it.
 */
function downloadedSaid(t: Words, downloadedAt: string | undefined, language: Language): EmailBlock | null {
  return downloadedAt
    ? paragraph(t('email.waiting-file.downloaded', { at: formatDateTime(downloadedAt, language) }))
    : null;
}

const waitingFileRemoved: Template<Payload<'waiting-file-removed'>> = {
  description: message('notifications.admin.purpose.waiting-file-removed'),
  payload: PAYLOADS['waiting-file-removed'],
  content(p, language) {
    const t = wordsIn(language);
    const by = nameWithCode(p.removedBy, p.removedByCode);
    const params = {
      by,
      filename: p.filename,
      at: formatDateTime(p.removedAt, language),
      sender: nameWithCode(p.sentBy, p.sentByCode),
    };
    if (p.lostPupils) {
      // From the Lost Pupils Database (decision 79): downloaded by an LA, never sent to it.
      return {
        subject: t('email.waiting-file-removed.subject-lost-pupils', { filename: p.filename }),
        blocks: [
          paragraph(capitalise(t('email.waiting-file-removed.removed-lost-pupils', params))),
          ...(p.downloadedAt
            ? [
                paragraph(
                  t('email.waiting-file-removed.downloaded-lost-pupils', {
                    at: formatDateTime(p.downloadedAt, language),
                  }),
                ),
              ]
            : []),
          paragraph(t('email.waiting-file-removed.gone-lost-pupils')),
          paragraph(t('email.waiting-file-removed.copy-lost-pupils', { removedBy: p.removedBy })),
        ],
      };
    }
    const downloaded = downloadedSaid(t, p.downloadedAt, language);
    // Downloaded: not "before you collected it" alone, but that the download was never confirmed.
    const bySender = p.removedByCode === p.sentByCode;
    const removed = downloaded
      ? bySender
        ? 'email.waiting-file-removed.removed-by-sender-downloaded'
        : 'email.waiting-file-removed.removed-downloaded'
      : bySender
        ? 'email.waiting-file-removed.removed-by-sender'
        : 'email.waiting-file-removed.removed';
    return {
      subject: t(
        downloaded ? 'email.waiting-file-removed.subject-downloaded' : 'email.waiting-file-removed.subject',
        { filename: p.filename },
      ),
      blocks: [
        paragraph(capitalise(t(removed, params))),
        ...(downloaded ? [downloaded] : []),
        paragraph(t('email.waiting-file-removed.gone', { downloadCtf: t('menu.download.ctf') })),
        downloaded
          ? paragraph(
              t('email.waiting-file-removed.downloaded-copy', { removedBy: p.removedBy, sentBy: p.sentBy }),
            )
          : paragraph(t('email.waiting-file-removed.nothing-to-do', { sentBy: p.sentBy })),
      ],
    };
  },
};

const waitingFileForwarded: Template<Payload<'waiting-file-forwarded'>> = {
  description: message('notifications.admin.purpose.waiting-file-forwarded'),
  payload: PAYLOADS['waiting-file-forwarded'],
  content(p, language) {
    const t = wordsIn(language);
    const params = {
      by: nameWithCode(p.forwardedBy, p.forwardedByCode),
      filename: p.filename,
      at: formatDateTime(p.forwardedAt, language),
      sender: nameWithCode(p.sentBy, p.sentByCode),
    };
    const downloaded = downloadedSaid(t, p.downloadedAt, language);
    return {
      subject: t('email.waiting-file-forwarded.subject', { filename: p.filename }),
      blocks: [
        paragraph(
          capitalise(
            t(
              downloaded
                ? 'email.waiting-file-forwarded.forwarded-downloaded'
                : 'email.waiting-file-forwarded.forwarded',
              params,
            ),
          ),
        ),
        ...(downloaded ? [downloaded] : []),
        paragraph(t('email.waiting-file-removed.gone', { downloadCtf: t('menu.download.ctf') })),
        paragraph(
          t(
            downloaded
              ? 'email.waiting-file-forwarded.downloaded-copy'
              : 'email.waiting-file-forwarded.nothing-to-do',
            { forwardedBy: p.forwardedBy },
          ),
        ),
      ],
    };
  },
};

const forwardedFileRemoved: Template<Payload<'forwarded-file-removed'>> = {
  description: message('notifications.admin.purpose.forwarded-file-removed'),
  payload: PAYLOADS['forwarded-file-removed'],
  content(p, language) {
    const t = wordsIn(language);
    const sentBy = nameWithCode(p.sentBy, p.sentByCode);
    return {
      subject: t('email.forwarded-file-removed.subject', { filename: p.filename }),
      blocks: [
        paragraph(
          capitalise(
            t('email.forwarded-file-removed.removed', {
              by: nameWithCode(p.removedBy, p.removedByCode),
              filename: p.filename,
              at: formatDateTime(p.removedAt, language),
              destination: nameWithCode(p.destinationName, p.destination),
            }),
          ),
        ),
        paragraph(t('email.forwarded.original', { original: p.originalFilename, sentBy })),
        ...(p.senderTold
          ? [paragraph(t('email.forwarded-file-removed.sender-told', { sentBy: p.sentBy }))]
          : []),
        paragraph(t('email.forwarded-file-removed.what-next', { removedBy: p.removedBy })),
      ],
    };
  },
};

const weeklyReminder: Template<Payload<'weekly-reminder'>> = {
  description: message('notifications.admin.purpose.weekly-reminder'),
  payload: PAYLOADS['weekly-reminder'],
  content(p, language) {
    const t = wordsIn(language);
    const total = Math.max(p.total ?? 0, p.files.length);
    const shown = p.files.slice(0, REMINDER_FILE_LIMIT);
    // Downloaded but not yet said to be downloaded correctly: still to act on (confirm it, or download it
    // again), but not "not downloaded". Listed after the others, in a table of their own.
    const shownUnconfirmed = shown.flatMap((f) => (f.downloadedAt ? [{ f, at: f.downloadedAt }] : []));
    const shownNotDownloaded = shown.flatMap((f) => (f.downloadedAt ? [] : [{ f, at: f.uploadedAt }]));
    const unconfirmed = Math.max(p.unconfirmed ?? 0, shownUnconfirmed.length);
    const notDownloaded = total - unconfirmed;
    // The To column only when the files are not all for the same place (an LA's reminder).
    const showTo = new Set(p.files.map((f) => f.toCode)).size > 1;
    // Each file with the date its last column gives.
    const table = (caption: string, lastColumn: string, files: typeof shownUnconfirmed) => {
      const head = [
        t('email.weekly-reminder.file'),
        t('email.weekly-reminder.type'),
        t('email.weekly-reminder.from'),
        ...(showTo ? [t('email.weekly-reminder.to')] : []),
        lastColumn,
      ];
      const rows = files.map(({ f, at }) => {
        const kind = FILE_KINDS[f.kind];
        return [
          f.filename,
          kind ? t(kind) : f.kind,
          nameWithCode(f.from, f.fromCode),
          ...(showTo ? [nameWithCode(f.to, f.toCode)] : []),
          formatDate(at, language),
        ];
      });
      return { kind: 'table', caption, head, rows } satisfies EmailBlock;
    };
    const only = p.files[0];
    const onePlace = !showTo && only !== undefined;
    // "Please download each file" only when the files are the recipient's own to download: an LA told of
    // the files waiting at one of its schools (or its inbox) is asked to see that they are collected.
    const forRecipient = onePlace && JSON.stringify(only.to) === JSON.stringify(p.recipientName);
    const more =
      total > shown.length
        ? [paragraph(t('email.weekly-reminder.more', { count: total - shown.length }))]
        : [];
    const blocks: EmailBlock[] = [];
    if (notDownloaded > 0) {
      blocks.push(
        paragraph(
          onePlace
            ? t('email.weekly-reminder.intro-one-place', {
                recipient: p.recipientName,
                count: notDownloaded,
                to: nameWithCode(only.to, only.toCode),
              })
            : t('email.weekly-reminder.intro-many-places', {
                recipient: p.recipientName,
                count: notDownloaded,
              }),
        ),
        table(t('email.weekly-reminder.caption'), t('email.weekly-reminder.uploaded'), shownNotDownloaded),
        ...(unconfirmed > 0 ? [] : more),
        paragraph(
          forRecipient
            ? t('email.weekly-reminder.ask-one-place')
            : t('email.weekly-reminder.ask-many-places'),
        ),
      );
    } else {
      blocks.push(paragraph(t('email.weekly-reminder.opening', { recipient: p.recipientName })));
    }
    if (unconfirmed > 0) {
      blocks.push(
        paragraph(
          onePlace
            ? t('email.weekly-reminder.unconfirmed-one-place', {
                count: unconfirmed,
                to: nameWithCode(only.to, only.toCode),
              })
            : t('email.weekly-reminder.unconfirmed-many-places', { count: unconfirmed }),
        ),
        ...(shownUnconfirmed.length > 0
          ? [
              table(
                t('email.weekly-reminder.caption-unconfirmed'),
                t('email.weekly-reminder.downloaded'),
                shownUnconfirmed,
              ),
            ]
          : []),
        ...more,
        paragraph(
          forRecipient
            ? t('email.weekly-reminder.ask-unconfirmed-one-place')
            : t('email.weekly-reminder.ask-unconfirmed-many-places'),
        ),
      );
    }
    blocks.push({ kind: 'link', text: t('email.weekly-reminder.link'), path: p.path });
    const subject =
      unconfirmed > 0 ? 'email.weekly-reminder.subject-unconfirmed' : 'email.weekly-reminder.subject';
    return { subject: t(subject, { count: total }), blocks };
  },
};

const newMessage: Template<Payload<'new-message'>> = {
  description: message('notifications.admin.purpose.new-message'),
  payload: PAYLOADS['new-message'],
  content(p, language) {
    const t = wordsIn(language);
    return {
      subject: t('email.new-message.subject', { from: p.fromName }),
      blocks: [
        paragraph(
          capitalise(
            t('email.new-message.sent', { from: p.fromName, at: formatDateTime(p.sentAt, language) }),
          ),
        ),
        ...(p.forMailbox ? [paragraph(t('email.new-message.for-mailbox', { mailbox: p.forMailbox }))] : []),
        paragraph(
          t('email.new-message.not-here', {
            messages: t('menu.messages'),
            inbox: t('menu.messages.inbox'),
          }),
        ),
        menuLink(t, 'menu.messages.inbox', PATHS.messages),
        paragraph(t('email.new-message.deleted')),
      ],
    };
  },
};

const messageByEmail: Template<Payload<'message-by-email'>> = {
  description: message('notifications.admin.purpose.message-by-email'),
  payload: PAYLOADS['message-by-email'],
  content(p, language) {
    const t = wordsIn(language);
    // Said by s2s before the user's words: a user wrote it, not the service (decision 85). The user's
    // description and text follow unchanged; the description whole in the body, as a long subject is cut.
    const organisation = p.organisation ?? p.fromName;
    return {
      subject: t('email.message-by-email.subject', { organisation }),
      subjectEnd: p.description,
      blocks: [
        paragraph(t('email.message-by-email.written-by', { organisation })),
        paragraph(t('email.message-by-email.no-password')),
        paragraph(t('email.message-by-email.description', { description: p.description })),
        ...p.text
          .split(/\n\s*\n/)
          .map((part) => part.trim())
          .filter((part) => part !== '')
          .map((part) => ({ kind: 'inset' as const, text: part })),
        paragraph(
          t('email.message-by-email.reply', {
            messages: t('menu.messages'),
            send: t('menu.messages.send'),
          }),
        ),
        menuLink(t, 'menu.messages.send', PATHS.sendMessage),
      ],
    };
  },
};

const addressesMissing: Template<Payload<'addresses-missing'>> = {
  description: message('notifications.admin.purpose.addresses-missing'),
  payload: PAYLOADS['addresses-missing'],
  content(p, language) {
    const t = wordsIn(language);
    const n = p.organisations.length;
    return {
      subject: t('email.addresses-missing.subject', { count: n, la: p.laName }),
      blocks: [
        paragraph(
          n === 1
            ? t('email.addresses-missing.one', { la: p.laName })
            : t('email.addresses-missing.many', { la: p.laName }),
        ),
        {
          kind: 'table',
          head: [
            t('email.addresses-missing.number'),
            t('email.addresses-missing.name'),
            t('email.addresses-missing.not-sent'),
          ],
          rows: p.organisations.map((o) => [o.code, o.name, String(o.notifications)]),
        },
        paragraph(
          t('email.addresses-missing.add', {
            dba: t('menu.dba'),
            schools: t('menu.dba.schools'),
            laDetails: t('menu.dba.la'),
          }),
        ),
        menuLink(t, 'menu.dba.schools', PATHS.schoolMaintenance),
        menuLink(t, 'menu.dba.la', PATHS.laDetails),
      ],
    };
  },
};

const lostPupilsToReview: Template<Payload<'lost-pupils-to-review'>> = {
  description: message('notifications.admin.purpose.lost-pupils-to-review'),
  payload: PAYLOADS['lost-pupils-to-review'],
  content(p, language) {
    const t = wordsIn(language);
    return {
      subject: t('email.lost-pupils-to-review.subject', { count: p.count, la: p.laName }),
      blocks: [
        paragraph(
          t('email.lost-pupils-to-review.due', {
            period: monthInWords(p.period, language),
            count: p.count,
            la: p.laName,
          }),
        ),
        paragraph(t('email.lost-pupils-to-review.waiting', { count: p.total })),
        paragraph(t('email.lost-pupils-to-review.what-next', { review: t('menu.lost-pupils.review') })),
        menuLink(t, 'menu.lost-pupils.review', p.path),
      ],
    };
  },
};

/** The facts every census return email gives: whose return, which collection, version and file, when. */
function censusReturnParams(
  p: Written<Payload<'census-return-submitted'>>,
  language: Language,
): MessageParams {
  return {
    school: nameWithCode(p.schoolName, p.schoolCode),
    collection: p.collectionName,
    version: p.version,
    filename: p.filename,
    by: p.byName,
    at: formatDateTime(p.at, language),
  };
}

const censusReturnSubmitted: Template<Payload<'census-return-submitted'>> = {
  description: message('notifications.admin.purpose.census-return-submitted'),
  payload: PAYLOADS['census-return-submitted'],
  content(p, language) {
    const t = wordsIn(language);
    const params = censusReturnParams(p, language);
    return {
      subject: t('email.census-return-submitted.subject', params),
      blocks: [
        paragraph(t('email.census-return-submitted.submitted', params)),
        paragraph(t('email.census-return-submitted.check')),
        { kind: 'link', text: t('email.census-return.open'), path: p.path },
      ],
    };
  },
};

const censusReturnReturned: Template<Payload<'census-return-returned'>> = {
  description: message('notifications.admin.purpose.census-return-returned'),
  payload: PAYLOADS['census-return-returned'],
  content(p, language) {
    const t = wordsIn(language);
    const params = censusReturnParams(p, language);
    const added = p.how === 'note-added';
    return {
      subject: t(
        added ? 'email.census-return-returned.subject-note-added' : 'email.census-return-returned.subject',
        params,
      ),
      blocks: [
        paragraph(
          capitalise(
            t(
              added ? 'email.census-return-returned.note-added' : 'email.census-return-returned.returned',
              params,
            ),
          ),
        ),
        { kind: 'inset', text: p.note },
        ...(added ? [paragraph(t('email.census-return-returned.every-note'))] : []),
        paragraph(t('email.census-return-returned.correct')),
        { kind: 'link', text: t('email.census-return.open'), path: p.path },
      ],
    };
  },
};

const censusReturnApproved: Template<Payload<'census-return-approved'>> = {
  description: message('notifications.admin.purpose.census-return-approved'),
  payload: PAYLOADS['census-return-approved'],
  content(p, language) {
    const t = wordsIn(language);
    const params = censusReturnParams(p, language);
    return {
      subject: t('email.census-return-approved.subject', params),
      blocks: [
        paragraph(capitalise(t('email.census-return-approved.approved', params))),
        paragraph(t('email.census-return-approved.nothing-more')),
        { kind: 'link', text: t('email.census-return.open'), path: p.path },
      ],
    };
  },
};

const censusReturnReloaded: Template<Payload<'census-return-reloaded'>> = {
  description: message('notifications.admin.purpose.census-return-reloaded'),
  payload: PAYLOADS['census-return-reloaded'],
  content(p, language) {
    const t = wordsIn(language);
    const params = { ...censusReturnParams(p, language), approved: p.approvedVersion };
    return {
      subject: t('email.census-return-reloaded.subject', params),
      blocks: [
        paragraph(capitalise(t('email.census-return-reloaded.loaded', params))),
        paragraph(t('email.census-return-reloaded.kept', params)),
        { kind: 'link', text: t('email.census-return-reloaded.open'), path: p.path },
      ],
    };
  },
};

type AccountChange = (typeof ACCOUNT_CHANGES)[number];

/** Each change's subject and what it says happened (the catalogue's keys, written out for its usage test). */
const ACCOUNT_CHANGE_KEYS: Record<AccountChange, { subject: string; what: string }> = {
  'password-changed': {
    subject: 'email.account-changed.password-changed.subject',
    what: 'email.account-changed.password-changed.what',
  },
  'password-issued': {
    subject: 'email.account-changed.password-issued.subject',
    what: 'email.account-changed.password-issued.what',
  },
  'two-factor-turned-off': {
    subject: 'email.account-changed.two-factor-turned-off.subject',
    what: 'email.account-changed.two-factor-turned-off.what',
  },
  'two-factor-reset': {
    subject: 'email.account-changed.two-factor-reset.subject',
    what: 'email.account-changed.two-factor-reset.what',
  },
  'recovery-codes-replaced': {
    subject: 'email.account-changed.recovery-codes-replaced.subject',
    what: 'email.account-changed.recovery-codes-replaced.what',
  },
  'role-changed': {
    subject: 'email.account-changed.role-changed.subject',
    what: 'email.account-changed.role-changed.what',
  },
  'single-sign-on-linked': {
    subject: 'email.account-changed.single-sign-on-linked.subject',
    what: 'email.account-changed.single-sign-on-linked.what',
  },
  'single-sign-on-unlinked': {
    subject: 'email.account-changed.single-sign-on-unlinked.subject',
    what: 'email.account-changed.single-sign-on-unlinked.what',
  },
  'email-changed': {
    subject: 'email.account-changed.email-changed.subject',
    what: 'email.account-changed.email-changed.what-new',
  },
};

/**
 * What an email address changed says, by the copy (to the old address or the new) and whether there was
 * an address before and after: changed, added (none before) or removed (none after).
 */
function emailChangeWhat(p: Payload<'account-changed'>): string {
  if (p.sentTo === 'old') {
    return p.toEmail
      ? 'email.account-changed.email-changed.what-old'
      : 'email.account-changed.email-changed.what-removed';
  }
  return p.fromEmail
    ? 'email.account-changed.email-changed.what-new'
    : 'email.account-changed.email-changed.what-added';
}

/** Who made the change, in general terms. */
const ACCOUNT_CHANGER_KEYS: Record<(typeof ACCOUNT_CHANGERS)[number], string> = {
  you: 'email.account-changed.by.you',
  'la-administrator': 'email.account-changed.by.la-administrator',
  'service-desk': 'email.account-changed.by.service-desk',
};

/** What to do if it was not expected: by whether the user made it, and whom they ask. */
const UNEXPECTED_KEYS: Record<'you' | 'other', Record<(typeof ACCOUNT_HELPERS)[number], string>> = {
  you: {
    'la-administrator': 'email.account-changed.unexpected.you.la-administrator',
    'service-desk': 'email.account-changed.unexpected.you.service-desk',
  },
  other: {
    'la-administrator': 'email.account-changed.unexpected.other.la-administrator',
    'service-desk': 'email.account-changed.unexpected.other.service-desk',
  },
};

/** The changes after which the user is signed out everywhere (every other browser, for their own password). */
const SIGNED_OUT: Partial<Record<AccountChange, string>> = {
  'password-changed': 'email.account-changed.signed-out-elsewhere',
  'password-issued': 'email.account-changed.signed-out',
  'two-factor-reset': 'email.account-changed.signed-out',
  'role-changed': 'email.account-changed.signed-out',
  'single-sign-on-unlinked': 'email.account-changed.signed-out',
};

const accountChanged: Template<Payload<'account-changed'>> = {
  description: message('notifications.admin.purpose.account-changed'),
  payload: PAYLOADS['account-changed'],
  content(p, language) {
    const t = wordsIn(language);
    const role = (value: string | undefined) =>
      value === undefined ? '' : isRole(value) ? t(ROLE_LABEL_KEYS[value]) : value;
    const keys = ACCOUNT_CHANGE_KEYS[p.change];
    const by =
      p.change === 'single-sign-on-linked' && p.by === 'you'
        ? 'email.account-changed.by.you-single-sign-on'
        : ACCOUNT_CHANGER_KEYS[p.by];
    const signedOut = SIGNED_OUT[p.change];
    const blocks: EmailBlock[] = [
      paragraph(
        p.change === 'email-changed'
          ? t(emailChangeWhat(p), { username: p.username, from: p.fromEmail ?? '', to: p.toEmail ?? '' })
          : t(keys.what, { username: p.username, from: role(p.fromRole), to: role(p.toRole) }),
      ),
      {
        kind: 'list',
        items: [
          t('email.account-changed.when', { at: formatDateTime(p.at, language) }),
          t('email.account-changed.changed-by', { by: t(by) }),
        ],
      },
    ];
    if (signedOut) blocks.push(paragraph(t(signedOut)));
    if (p.tokensRevoked) {
      blocks.push(
        paragraph(
          t('email.account-changed.tokens-revoked', {
            count: p.tokensRevoked,
            apiTokens: t('menu.account.api-tokens'),
          }),
        ),
      );
    }
    blocks.push(paragraph(t(UNEXPECTED_KEYS[p.by === 'you' ? 'you' : 'other'][p.ask])));
    return { subject: t(keys.subject), blocks };
  },
};

export const TEMPLATES: { [N in TemplateName]: Template<Payload<N>> } = {
  'ctf-uploaded': ctfUploaded,
  'upload-confirmed': uploadConfirmed,
  'upload-refused': uploadRefused,
  'file-quarantined': fileQuarantined,
  'file-downloaded': fileDownloaded,
  'file-rejected': fileRejected,
  'forwarded-file-downloaded': forwardedFileDownloaded,
  'forwarded-file-rejected': forwardedFileRejected,
  'file-removed': fileRemoved,
  'waiting-file-removed': waitingFileRemoved,
  'waiting-file-forwarded': waitingFileForwarded,
  'forwarded-file-removed': forwardedFileRemoved,
  'weekly-reminder': weeklyReminder,
  'new-message': newMessage,
  'message-by-email': messageByEmail,
  'lost-pupil-match': lostPupilMatch,
  'lost-pupil-forwarded': lostPupilForwarded,
  'lost-pupil-forwarded-collected': lostPupilForwardedCollected,
  'lost-pupil-found': lostPupilFound,
  'lost-pupil-lost-again': lostPupilLostAgain,
  'addresses-missing': addressesMissing,
  'lost-pupils-to-review': lostPupilsToReview,
  'census-return-submitted': censusReturnSubmitted,
  'census-return-returned': censusReturnReturned,
  'census-return-approved': censusReturnApproved,
  'census-return-reloaded': censusReturnReloaded,
  'account-changed': accountChanged,
};

// --- composing ---------------------------------------------------------------------------------------

/**
 * The email for an outbox row: its template name and JSON payload, in the recipient's language
 * (recipients.ts), or in Welsh then English (decision 30). Throws TemplateError for an unknown
 * template, a payload that is not JSON, or one that does not fit the template.
 */
export function composeEmail(
  template: string,
  payloadJson: string,
  context: EmailContext,
  language: EmailLanguage = 'en',
): RenderedEmail {
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
  const chosen = TEMPLATES[template] as Template<unknown>;
  if (language === 'bilingual') {
    return renderBilingualEmail(
      contentOf(chosen, template, raw, 'cy'),
      contentOf(chosen, template, raw, 'en'),
      context,
    );
  }
  return renderEmail(contentOf(chosen, template, raw, language), context, language);
}

function contentOf<P>(
  template: Template<P>,
  name: TemplateName,
  raw: unknown,
  language: Language,
): EmailContent {
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
  return template.content(writtenIn(language, parsed.data), language);
}
