// The Messages part of the REST API (/api/v1/messages): View/Delete Messages, Send Message, View Sent
// Messages and the sender's Message Address Groups, for a program. Each operation calls the same
// service as the page (service.ts, group-service.ts): the mailboxes, the ten-recipient limit, reading
// for the whole mailbox, the emails and the audit records are theirs.
//
// - A recipient is named as the Send Message lists name one: an LA and a type of its users
//   (`{"la": "672", "userType": "la_lost_pupil"}`), or a school by its number (`{"school": "6762382"}`),
//   or the sender's address group instead. Each is checked here for its form (the page's lists can only
//   offer well-formed ones), then by the service as on the page (exists, uses s2s, has such users).
// - Another mailbox's message, received or sent, is 404, as on the pages.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  API_PREFIX,
  type ApiDeps,
  type ApiFeature,
  type ApiHandler,
  type ApiOperationInfo,
  DEFAULT_PAGE_SIZE,
  jsonBody,
  jsonResponse,
  MAX_PAGE_SIZE,
  nullableDateTime,
  paged,
  pageSchema,
  pathParam,
  pathParameter,
  problemResponse,
  queryParameter,
  ref,
} from '../api/operation.ts';
import type { Actor } from '../auth/actor.ts';
import type { MessageRecipientRow } from '../platform/db/schema.ts';
import { type FieldError, Invalid, LimitReached, NotFound } from '../platform/errors.ts';
import { translate } from '../platform/i18n/catalogue.ts';
import { readSchoolNumber } from '../transfers/forward-service.ts';
import { MessageGroupService } from './group-service.ts';
import { isLaMailboxRole, LA_MAILBOX_ROLE_KEYS, mailboxKey, parseMailbox } from './mailboxes.ts';
import type { ReceivedMessage } from './repository.ts';
import {
  EMAIL_LIMIT_PER_HOUR,
  type InboxSortKey,
  MAX_DESCRIPTION,
  MAX_RECIPIENTS,
  MAX_TEXT,
  MessagesService,
  NO_SUCH_MESSAGE,
  READ_DAYS,
  UNREAD_DAYS,
} from './service.ts';

const TAG = 'Messages';
const BASE = `${API_PREFIX}/messages`;

const messageId = pathParameter('id', 'The message’s id, as the list gives it', {
  type: 'string',
  format: 'uuid',
});
const RECEIVED_NOT_FOUND =
  'No such message in your mailbox: it was deleted or has expired, or it was not sent to your mailbox';
const SENT_NOT_FOUND = 'No such message sent from your mailbox';

const pageParameters = (sorts?: readonly string[]) => [
  queryParameter('page', { type: 'integer', minimum: 1, default: 1 }),
  queryParameter('pageSize', {
    type: 'integer',
    minimum: 1,
    maximum: MAX_PAGE_SIZE,
    default: DEFAULT_PAGE_SIZE,
  }),
  ...(sorts
    ? [
        queryParameter('sort', { type: 'string', enum: [...sorts], default: 'sent' }),
        queryParameter(
          'order',
          { type: 'string', enum: ['ascending', 'descending'] },
          'Default: descending (newest first) by sent, otherwise ascending',
        ),
      ]
    : []),
];

const USER_TYPES = Object.entries(LA_MAILBOX_ROLE_KEYS)
  .map(([value, key]) => `\`${value}\` (${translate('en', key)})`)
  .join(', ');

const OPERATIONS: readonly ApiOperationInfo[] = [
  {
    operationId: 'listMessages',
    method: 'GET',
    url: BASE,
    summary: 'Your Received Messages',
    capability: 'messages.use',
    scope: 'read',
    tag: TAG,
    doc: {
      description: `View/Delete Messages: the messages in your mailbox, which everyone who reads it shares (a school’s users, or an LA’s users of one type). \`unread\` ones have not been opened by anyone; they are deleted after ${UNREAD_DAYS} days, read ones ${READ_DAYS} days after they were first read. \`unread\` at the top counts them all. Newest first unless told otherwise.`,
      parameters: pageParameters(['from', 'sent', 'description']),
      responses: { '200': jsonResponse('A page of messages', ref('MessagePage')) },
    },
  },
  {
    operationId: 'getMessage',
    method: 'GET',
    url: `${BASE}/:id`,
    summary: 'Read a message (it becomes read)',
    capability: 'messages.use',
    scope: 'read',
    tag: TAG,
    doc: {
      description: `One message with its text, as View Message shows it. The first opening, on a page or here, marks it read for everyone who reads your mailbox, and it is then deleted ${READ_DAYS} days later. \`canReply\` says whether its sender can still receive a reply.`,
      parameters: [messageId],
      responses: { '200': jsonResponse('The message', ref('Message')) },
      notFound: RECEIVED_NOT_FOUND,
    },
  },
  {
    operationId: 'sendMessage',
    method: 'POST',
    url: BASE,
    summary: 'Send a message',
    capability: 'messages.use',
    scope: 'transfer',
    tag: TAG,
    doc: {
      description: `Send Message: to up to ${MAX_RECIPIENTS} recipients, or to one of your address groups (\`group\`) instead. A recipient is an LA and a type of its users (\`la\`, 3 digits, and \`userType\`: ${USER_TYPES}), or a school by its 7-digit number (\`school\`, like 6762382). \`delivery\` \`message\` (the default) leaves an s2s message in each recipient’s mailbox and tells its readers by email that it waits, never what it says; \`email\` sends the message itself by email instead. A description of up to ${MAX_DESCRIPTION} characters and a text of up to ${MAX_TEXT.toLocaleString('en-GB')}. Audited.`,
      requestBody: jsonBody(ref('NewMessage')),
      responses: {
        '201': jsonResponse('Sent: the message as View Sent Messages shows it', ref('SentMessageDetails')),
        '422': problemResponse(
          'A rule of Send Message is broken: no recipient or more than ten, a recipient that does not exist or cannot receive messages, no description or text, too long a one, an email to more addresses than an hour allows: `errors` says which',
        ),
        '429': problemResponse(
          `Too many requests with this token, or (\`too-many-emails\`) an email past your ${EMAIL_LIMIT_PER_HOUR} emails an hour: nothing was sent; \`detail\` says how many you have sent, and Retry-After when the hour ends (an s2s message can be sent now)`,
        ),
      },
    },
  },
  {
    operationId: 'replyToMessage',
    method: 'POST',
    url: `${BASE}/:id/reply`,
    summary: 'Reply to a message',
    capability: 'messages.use',
    scope: 'transfer',
    tag: TAG,
    doc: {
      description:
        'A reply goes to the sender of the message only, as an s2s message. The description is “Re: ” and the message’s unless you give one. Replying opens the message, so it becomes read, as on the page. Audited.',
      parameters: [messageId],
      requestBody: jsonBody(ref('Reply')),
      responses: {
        '201': jsonResponse('Sent: the reply as View Sent Messages shows it', ref('SentMessageDetails')),
        '422': problemResponse(
          'No text, too long a description or text, or the sender can no longer receive messages',
        ),
      },
      notFound: RECEIVED_NOT_FOUND,
    },
  },
  {
    operationId: 'deleteMessage',
    method: 'DELETE',
    url: `${BASE}/:id`,
    summary: 'Delete a message from your mailbox',
    capability: 'messages.use',
    scope: 'transfer',
    tag: TAG,
    doc: {
      description:
        'Delete Message: the message leaves your mailbox, for everyone who reads it. Other recipients keep their copies. Audited. Deleting it again answers the same, and changes nothing.',
      parameters: [messageId],
      responses: {
        '200': jsonResponse('The deleted message', {
          type: 'object',
          properties: { id: { type: 'string', format: 'uuid' }, description: { type: 'string' } },
          required: ['id', 'description'],
        }),
      },
      notFound: RECEIVED_NOT_FOUND,
    },
  },
  {
    operationId: 'listSentMessages',
    method: 'GET',
    url: `${BASE}/sent`,
    summary: 'View Sent Messages',
    capability: 'messages.use',
    scope: 'read',
    tag: TAG,
    doc: {
      description:
        'View Sent Messages: what your mailbox sent, newest first, with how many recipients each went to and how many have not read it yet (none for emails).',
      parameters: pageParameters(),
      responses: { '200': jsonResponse('A page of sent messages', ref('SentMessagePage')) },
    },
  },
  {
    operationId: 'getSentMessage',
    method: 'GET',
    url: `${BASE}/sent/:id`,
    summary: 'One sent message, with who has read it',
    capability: 'messages.use',
    scope: 'read',
    tag: TAG,
    doc: {
      description:
        'A message your mailbox sent, with its text and each recipient: read (and when), not yet read, deleted without being read, expired, or sent by email.',
      parameters: [messageId],
      responses: { '200': jsonResponse('The sent message', ref('SentMessageDetails')) },
      notFound: SENT_NOT_FOUND,
    },
  },
  {
    operationId: 'listMessageGroups',
    method: 'GET',
    url: `${BASE}/groups`,
    summary: 'Your Message Address Groups',
    capability: 'messages.use',
    scope: 'read',
    tag: TAG,
    doc: {
      description:
        'Your address groups (made on the Message Address Groups pages), to send a message to one (`group` in Send Message). A group is its owner’s alone.',
      responses: {
        '200': jsonResponse('Your groups, by name', {
          type: 'object',
          properties: { items: { type: 'array', items: ref('MessageGroup') } },
          required: ['items'],
        }),
      },
    },
  },
];

// ---- requests ----

const pageQuery = {
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
};
const inboxQuery = z.object({
  ...pageQuery,
  sort: z.enum(['from', 'sent', 'description']).default('sent'),
  order: z.enum(['ascending', 'descending']).optional(),
});
const sentQuery = z.object(pageQuery);

const recipient = z
  .object({ la: z.string().optional(), userType: z.string().optional(), school: z.string().optional() })
  .strict();
const sendBody = z.object({
  recipients: z.array(recipient).max(1000).optional(),
  group: z.string().max(100).optional(),
  description: z.string().default(''),
  text: z.string().default(''),
  delivery: z.string().default('message'),
});
const replyBody = z.object({ description: z.string().optional(), text: z.string().default('') });

/** The mailboxes the recipients name, or Invalid with what is wrong with each, by its place in the list. */
function recipientKeys(recipients: z.infer<typeof recipient>[]): string[] {
  const errors: FieldError[] = [];
  const keys: string[] = [];
  recipients.forEach((r, index) => {
    const at = `recipients[${index}]`;
    if (r.school !== undefined) {
      if (r.la !== undefined || r.userType !== undefined) {
        errors.push({ field: at, message: 'Give either a school, or an LA and a type of user, not both' });
        return;
      }
      const number = readSchoolNumber(r.school);
      if (!number) {
        errors.push({
          field: `${at}.school`,
          message: 'Enter the school’s number: its LA and school numbers together, 7 digits, like 6762382',
        });
      } else keys.push(mailboxKey({ kind: 'school', establishmentNumber: number }));
      return;
    }
    if (r.la === undefined && r.userType === undefined) {
      errors.push({ field: at, message: 'Give a school, or an LA and a type of user' });
      return;
    }
    const la = (r.la ?? '').trim();
    const userType = (r.userType ?? '').trim();
    if (!/^\d{3}$/.test(la))
      errors.push({ field: `${at}.la`, message: 'Enter the LA number, 3 digits, like 916' });
    if (!isLaMailboxRole(userType)) {
      errors.push({ field: `${at}.userType`, message: `Select the type of user: one of ${USER_TYPES}` });
    } else if (/^\d{3}$/.test(la)) keys.push(mailboxKey({ kind: 'la-role', laNumber: la, role: userType }));
  });
  if (errors.length > 0) throw new Invalid(errors);
  return keys;
}

/** The service's field names (the page's) as the body names them. */
function withBodyFields(error: unknown): unknown {
  if (!(error instanceof Invalid) || error instanceof LimitReached) return error;
  return new Invalid(
    error.errors.map((e) => (e.field === 'recipient-list' ? { ...e, field: 'recipients' } : e)),
  );
}

// ---- answers ----

/** A mailbox as a recipient is named in Send Message, with its name. */
function partyJson(key: string, name: string) {
  const mailbox = parseMailbox(key);
  if (mailbox?.kind === 'school') return { name, school: mailbox.establishmentNumber };
  if (mailbox?.kind === 'la-role') return { name, la: mailbox.laNumber, userType: mailbox.role };
  return { name, national: true };
}

function receivedJson(message: ReceivedMessage) {
  return {
    id: message.id,
    from: partyJson(message.senderMailbox, message.senderLabel),
    description: message.description,
    sentAt: message.sentAt,
    unread: !message.readAt,
    readAt: message.readAt,
  };
}

function recipientStatus(delivery: 'message' | 'email', copy: MessageRecipientRow) {
  if (delivery === 'email') return 'emailed';
  if (copy.read_at) return 'read';
  if (copy.removed_reason === 'deleted') return 'deleted-unread';
  if (copy.removed_reason === 'expired') return 'expired-unread';
  return 'unread';
}

function handlers(deps: ApiDeps): Record<string, ApiHandler> {
  const service = new MessagesService(deps);
  const groups = new MessageGroupService(deps);
  const idOf = (request: FastifyRequest) => pathParam(request);

  const sentDetails = async (actor: Actor, id: string) => {
    const { message, recipients } = await service.sentMessage(actor, id);
    return {
      id: message.id,
      description: message.description,
      text: message.body,
      sentAt: message.sent_at,
      delivery: message.delivery,
      inReplyTo: message.in_reply_to,
      recipients: recipients.map((copy) => ({
        ...partyJson(copy.mailbox, copy.label),
        status: recipientStatus(message.delivery, copy),
        readAt: message.delivery === 'message' ? copy.read_at : null,
      })),
    };
  };

  return {
    listMessages: async (actor, request) => {
      const query = inboxQuery.parse(request.query ?? {});
      const sort = {
        key: query.sort as InboxSortKey,
        order: query.order ?? (query.sort === 'sent' ? 'descending' : 'ascending'),
      } as const;
      const { messages, unread } = await service.inbox(actor, sort);
      const page = paged(messages, query.page, query.pageSize);
      return { ...page, items: page.items.map(receivedJson), unread };
    },

    getMessage: async (actor, request, reply) => {
      const id = idOf(request);
      // Fastify answers HEAD with this handler too: a HEAD is not a reading, so nothing is marked read.
      if (request.method === 'HEAD') {
        const { messages } = await service.inbox(actor, { key: 'sent', order: 'descending' });
        if (!messages.some((m) => m.id === id)) throw new NotFound(NO_SUCH_MESSAGE);
        return reply.header('cache-control', 'no-store').code(200).send();
      }
      const { message, copy, canReply } = await service.read(actor, id);
      return {
        id: message.id,
        from: partyJson(message.sender_mailbox, message.sender_label),
        to: copy.label,
        description: message.description,
        text: message.body,
        sentAt: message.sent_at,
        readAt: copy.read_at,
        inReplyTo: message.in_reply_to,
        canReply,
      };
    },

    sendMessage: async (actor, request, reply) => {
      const body = sendBody.parse(request.body ?? {});
      if (body.group !== undefined && body.recipients !== undefined) {
        throw Invalid.field('group', 'Send to an address group or to recipients, not both');
      }
      const recipients = recipientKeys(body.recipients ?? []);
      let sent: { id: string };
      try {
        sent = await service.send(actor, {
          recipients,
          groupId: body.group || undefined,
          description: body.description,
          text: body.text,
          delivery: body.delivery,
        });
      } catch (error) {
        throw withBodyFields(error);
      }
      return reply.code(201).send(await sentDetails(actor, sent.id));
    },

    replyToMessage: async (actor, request, reply) => {
      const id = idOf(request);
      const body = replyBody.parse(request.body ?? {});
      // As the page's reply form: the message is opened (and so read) before the reply is written.
      const read = await service.read(actor, id);
      const original = read.message.description;
      const description =
        body.description ??
        (original.startsWith('Re: ') ? original : `Re: ${original}`).slice(0, MAX_DESCRIPTION);
      const sent = await service.reply(actor, id, { description, text: body.text });
      return reply.code(201).send(await sentDetails(actor, sent.id));
    },

    deleteMessage: async (actor, request) => {
      const { message } = await service.delete(actor, idOf(request));
      return { id: message.id, description: message.description };
    },

    listSentMessages: async (actor, request) => {
      const query = sentQuery.parse(request.query ?? {});
      return paged(await service.sent(actor), query.page, query.pageSize);
    },

    getSentMessage: async (actor, request) => sentDetails(actor, idOf(request)),

    listMessageGroups: async (actor) => ({
      items: (await groups.list(actor)).map((g) => ({ id: g.id, name: g.name, members: g.members })),
    }),
  };
}

// ---- schemas ----

const party = {
  type: 'object',
  description:
    'A mailbox, named as Send Message names a recipient: a school, an LA’s users of one type, or the s2s national administrators',
  properties: {
    name: {
      type: 'string',
      description: '“676 2382 - Aberbargoed Primary School”, “672 Bridgend - LEA User”',
    },
    school: { type: 'string', pattern: '^\\d{7}$' },
    la: { type: 'string', pattern: '^\\d{3}$' },
    userType: { type: 'string', enum: Object.keys(LA_MAILBOX_ROLE_KEYS) },
    national: { type: 'boolean' },
  },
  required: ['name'],
};

const SCHEMAS = {
  MessageParty: party,
  MessageSummary: {
    type: 'object',
    properties: {
      id: { type: 'string', format: 'uuid' },
      from: ref('MessageParty'),
      description: { type: 'string' },
      sentAt: { type: 'string', format: 'date-time' },
      unread: { type: 'boolean' },
      readAt: nullableDateTime,
    },
    required: ['id', 'from', 'description', 'sentAt', 'unread', 'readAt'],
  },
  MessagePage: {
    allOf: [
      pageSchema('MessageSummary'),
      {
        type: 'object',
        properties: { unread: { type: 'integer', description: 'Unread messages in the mailbox' } },
        required: ['unread'],
      },
    ],
  },
  Message: {
    type: 'object',
    properties: {
      id: { type: 'string', format: 'uuid' },
      from: ref('MessageParty'),
      to: { type: 'string', description: 'Your mailbox, as the sender named it' },
      description: { type: 'string' },
      text: { type: 'string' },
      sentAt: { type: 'string', format: 'date-time' },
      readAt: { type: 'string', format: 'date-time', description: 'When it was first read' },
      inReplyTo: { type: ['string', 'null'], format: 'uuid' },
      canReply: { type: 'boolean' },
    },
    required: ['id', 'from', 'to', 'description', 'text', 'sentAt', 'readAt', 'canReply'],
  },
  NewMessage: {
    type: 'object',
    properties: {
      recipients: {
        type: 'array',
        maxItems: MAX_RECIPIENTS,
        items: {
          type: 'object',
          additionalProperties: false,
          description: 'A school (`school`), or an LA and a type of its users (`la` and `userType`)',
          properties: {
            school: { type: 'string', description: '7 digits, like 6762382' },
            la: { type: 'string', description: '3 digits, like 672' },
            userType: { type: 'string', enum: Object.keys(LA_MAILBOX_ROLE_KEYS) },
          },
        },
      },
      group: {
        type: 'string',
        format: 'uuid',
        description: 'One of your address groups, instead of recipients',
      },
      description: { type: 'string', maxLength: MAX_DESCRIPTION },
      text: { type: 'string', maxLength: MAX_TEXT },
      delivery: { type: 'string', enum: ['message', 'email'], default: 'message' },
    },
    required: ['description', 'text'],
  },
  Reply: {
    type: 'object',
    properties: {
      description: {
        type: 'string',
        maxLength: MAX_DESCRIPTION,
        description: 'Default: Re: and the message’s',
      },
      text: { type: 'string', maxLength: MAX_TEXT },
    },
    required: ['text'],
  },
  SentMessage: {
    type: 'object',
    properties: {
      id: { type: 'string', format: 'uuid' },
      description: { type: 'string' },
      sentAt: { type: 'string', format: 'date-time' },
      delivery: { type: 'string', enum: ['message', 'email'] },
      recipients: { type: 'integer' },
      unread: { type: 'integer', description: 'Recipients that have not read it (0 for emails)' },
    },
    required: ['id', 'description', 'sentAt', 'delivery', 'recipients', 'unread'],
  },
  SentMessagePage: pageSchema('SentMessage'),
  SentMessageDetails: {
    type: 'object',
    properties: {
      id: { type: 'string', format: 'uuid' },
      description: { type: 'string' },
      text: { type: 'string' },
      sentAt: { type: 'string', format: 'date-time' },
      delivery: { type: 'string', enum: ['message', 'email'] },
      inReplyTo: { type: ['string', 'null'], format: 'uuid' },
      recipients: {
        type: 'array',
        items: {
          allOf: [
            ref('MessageParty'),
            {
              type: 'object',
              properties: {
                status: {
                  type: 'string',
                  enum: ['unread', 'read', 'deleted-unread', 'expired-unread', 'emailed'],
                },
                readAt: nullableDateTime,
              },
              required: ['status', 'readAt'],
            },
          ],
        },
      },
    },
    required: ['id', 'description', 'text', 'sentAt', 'delivery', 'inReplyTo', 'recipients'],
  },
  MessageGroup: {
    type: 'object',
    properties: {
      id: { type: 'string', format: 'uuid' },
      name: { type: 'string' },
      members: { type: 'integer' },
    },
    required: ['id', 'name', 'members'],
  },
};

export const messagesApi: ApiFeature = {
  tag: {
    name: TAG,
    description:
      'Secure messages between schools, LAs and the s2s administrators: your mailbox, reading, sending, replying, deleting and what you sent',
  },
  operations: OPERATIONS,
  schemas: SCHEMAS,
  handlers,
};
