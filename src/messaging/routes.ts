// The web edge of Messages (handbook §11, LA notes §6.1-6.6):
//
//   GET  /messages                                  the section: View/Delete, Send, View Sent
//   GET  /messages/inbox                            Your Received Messages, sortable by each heading
//   GET  /messages/inbox/:messageId                 one message (opening it marks it read)
//   POST /messages/inbox/:messageId/delete
//   GET  /messages/inbox/:messageId/reply           a reply, to the sender only
//   POST /messages/inbox/:messageId/reply
//   GET  /messages/send                             1. a template (with Preview) or Blank Message
//   GET  /messages/send/recipients                  2. a group, or up to ten recipients
//   POST /messages/send/recipients                     (each button of the recipient lists, then Next)
//   POST /messages/send                             3. Description and Text, as a message or an email
//   GET  /messages/sent                             View Sent Messages, with how many have not read each
//   GET  /messages/sent/:sentMessageId
//   GET  /reports/message-report?from-day=..&run=1  LEA Administrator – Message Report (LA notes §7.7): the
//                                                   messages each school was sent in the dates (CSV:
//                                                   reports/directory-report-routes.ts)
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Actor } from '../auth/actor.ts';
import { type Route, sectionRoute, signedInUser } from '../auth/web.ts';
import type { Deps } from '../deps.ts';
import { laChoices } from '../directory/repository.ts';
import { type FieldError, Invalid, LimitReached } from '../platform/errors.ts';
import { keyedError, message } from '../platform/i18n/catalogue.ts';
import { formId, manyValues, oneText } from '../platform/web/form-values.ts';
import { dateRangeOf, dateRangeQuery, queryStringOf, subjectIn } from '../reports/web.ts';
import { sortHeadings } from '../transfers/download-listing.ts';
import { type MailboxInfo, problemError } from './mailbox-directory.ts';
import { USER_TYPE_CHOICES } from './mailboxes.ts';
import { applyPickerAction, type PickerState } from './recipient-picker.ts';
import {
  type InboxSortKey,
  MAX_DESCRIPTION,
  MAX_RECIPIENTS,
  MessagesService,
  READ_DAYS,
  RECIPIENT_LIMIT,
  type ReadMessage,
  UNREAD_DAYS,
} from './service.ts';
import { findVisibleTemplate } from './template-repository.ts';
import { TemplateService } from './template-service.ts';

const messageParams = z.object({ messageId: z.string() });
const sentParams = z.object({ sentMessageId: z.string() });
const inboxQuery = z.object({
  sort: z.enum(['from', 'sent', 'description']).catch('sent'),
  order: z.enum(['ascending', 'descending']).optional().catch(undefined),
});
const templateQuery = z.object({ template: oneText, action: oneText });

/** Everything the send steps carry from one to the next. */
const sendForm = z.object({
  template: oneText,
  recipients: manyValues,
  group: oneText,
  action: oneText,
  la: oneText,
  userType: oneText,
  schoolLa: oneText,
  schools: manyValues,
  laNo: oneText,
  schoolNo: oneText,
  description: oneText,
  text: oneText,
  delivery: oneText,
  formId,
});
type SendForm = z.output<typeof sendForm>;

const replyForm = z.object({ description: oneText, text: oneText, formId });

const INBOX_COLUMNS: { key: InboxSortKey; textKey: string }[] = [
  { key: 'from', textKey: 'messaging.inbox.from' },
  { key: 'sent', textKey: 'messaging.inbox.sent-date' },
  { key: 'description', textKey: 'messaging.description' },
];

/**
 * The header's count of new messages was taken before the page marked this one read: it shows the count
 * after the reading.
 */
function countReading(request: FastifyRequest, read: ReadMessage): void {
  if (read.firstReading && request.newMessages) request.newMessages -= 1;
}

export function messageRoutes(deps: Pick<Deps, 'db' | 'clock'>): Route[] {
  const service = new MessagesService(deps);
  const templates = new TemplateService(deps);
  const { db } = deps;

  /** Step 2: the recipient lists, with the state the form carries. */
  const recipientsPage = async (
    reply: FastifyReply,
    actor: Actor,
    form: SendForm,
    picker: PickerState,
    errors: FieldError[] = picker.errors,
  ) => {
    const groups = await service.groups(actor);
    return reply.page('messaging/views/send-recipients.njk', {
      title: reply.request.t('messaging.recipients.title'),
      backLink: { href: '/messages/send', text: reply.request.t('messaging.recipients.back') },
      form,
      groups,
      picker: {
        ...picker,
        values: {
          la: form.la,
          userType: form.userType,
          schoolLa: form.schoolLa,
          schools: form.schools,
          laNo: form.laNo,
          schoolNo: form.schoolNo,
        },
      },
      choices: { las: await laChoices(db), userTypes: USER_TYPE_CHOICES },
      limit: MAX_RECIPIENTS,
      errors,
    });
  };

  /** Step 3: the message itself. */
  const composePage = async (
    reply: FastifyReply,
    actor: Actor,
    form: SendForm,
    errors: FieldError[] = [],
  ) => {
    let recipients: MailboxInfo[] = [];
    let shown = errors;
    try {
      recipients = await service.recipientsOf(actor, {
        recipients: form.recipients,
        groupId: form.group || undefined,
      });
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      // The group was deleted since it was chosen (in another tab): the message is kept, to send once its
      // recipients are chosen again (Change the recipients carries it).
      shown = [keyedError('recipient-list', 'messaging.send.group-deleted')];
    }
    const group = form.group ? (await service.groups(actor)).find((g) => g.id === form.group) : undefined;
    return reply.page('messaging/views/send-compose.njk', {
      title: reply.request.t('menu.messages.send'),
      // Drawn again (an error, recipients changed) the form keeps its id: it is still the one message.
      form: { ...form, formId: form.formId ?? randomUUID() },
      sender: await service.senderName(actor),
      recipients,
      group,
      maxDescription: MAX_DESCRIPTION,
      errors: shown,
    });
  };

  return [
    sectionRoute('/messages', message('messaging.section.intro')),
    {
      method: 'GET',
      url: '/messages/inbox',
      access: 'messages.use',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const query = inboxQuery.parse(request.query ?? {});
        const sort = {
          key: query.sort,
          order: query.order ?? (query.sort === 'sent' ? 'descending' : 'ascending'),
        } as const;
        const { messages, unread } = await service.inbox(user, sort, request.language);
        return reply.page('messaging/views/inbox.njk', {
          title: request.t('messaging.inbox.title'),
          messages,
          unread,
          headings: sortHeadings(
            '/messages/inbox',
            sort,
            INBOX_COLUMNS.map(({ key, textKey }) => ({ key, text: request.t(textKey) })),
          ),
          unreadDays: UNREAD_DAYS,
          readDays: READ_DAYS,
        });
      },
    },
    {
      method: 'GET',
      url: '/messages/inbox/:messageId',
      access: 'messages.use',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { messageId } = messageParams.parse(request.params);
        const read = await service.read(user, messageId);
        countReading(request, read);
        return reply.page('messaging/views/message.njk', {
          title: read.message.description,
          ...read,
          readDays: READ_DAYS,
          backLink: { href: '/messages/inbox', text: request.t('messaging.message.back') },
        });
      },
    },
    {
      method: 'POST',
      url: '/messages/inbox/:messageId/delete',
      access: 'messages.use',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { messageId } = messageParams.parse(request.params);
        const { message, already } = await service.delete(user, messageId);
        const deletedKey = already ? 'messaging.message.deleted-already' : 'messaging.message.deleted';
        return reply
          .flash(request.t(deletedKey, { description: message.description }))
          .redirect('/messages/inbox');
      },
    },
    {
      method: 'GET',
      url: '/messages/inbox/:messageId/reply',
      access: 'messages.use',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { messageId } = messageParams.parse(request.params);
        const read = await service.read(user, messageId);
        countReading(request, read);
        const description = read.message.description.startsWith('Re: ')
          ? read.message.description
          : `Re: ${read.message.description}`;
        return reply.page('messaging/views/reply.njk', {
          title: request.t('messaging.reply.title'),
          original: read.message,
          sender: read.sender,
          canReply: read.canReply,
          form: { description: description.slice(0, MAX_DESCRIPTION), text: '', formId: randomUUID() },
          backLink: { href: `/messages/inbox/${messageId}`, text: request.t('messaging.reply.back') },
        });
      },
    },
    {
      method: 'POST',
      url: '/messages/inbox/:messageId/reply',
      access: 'messages.use',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { messageId } = messageParams.parse(request.params);
        const form = replyForm.parse(request.body ?? {});
        try {
          const sent = await service.reply(user, messageId, form, form.formId);
          const sentKey = sent.already ? 'messaging.send.sent-already' : 'messaging.reply.sent';
          return reply.flash(request.t(sentKey)).redirect('/messages/inbox');
        } catch (error) {
          if (!(error instanceof Invalid)) throw error;
          const read = await service.read(user, messageId);
          return reply.code(400).page('messaging/views/reply.njk', {
            title: request.t('messaging.reply.title'),
            original: read.message,
            sender: read.sender,
            canReply: read.canReply,
            form,
            errors: error.errors,
            backLink: { href: `/messages/inbox/${messageId}`, text: request.t('messaging.reply.back') },
          });
        }
      },
    },
    {
      method: 'GET',
      url: '/messages/send',
      access: 'messages.use',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const query = templateQuery.parse(request.query ?? {});
        // With each one's owner as the Message Templates pages name it ("916 Ashire", not "LA 916").
        const views = await templates.visible(user);
        const visible = views.map((view) => view.template);
        if (query.action === 'use') {
          const known = query.template === 'blank' || visible.some((t) => t.id === query.template);
          if (known)
            return reply.redirect(`/messages/send/recipients?template=${encodeURIComponent(query.template)}`);
        }
        const preview =
          query.action === 'preview' && query.template !== 'blank'
            ? visible.find((t) => t.id === query.template)
            : undefined;
        const errors =
          query.action && !preview && !(query.action === 'preview' && query.template === 'blank')
            ? [keyedError('template', 'messaging.send.select-template')]
            : [];
        return reply.code(errors.length ? 400 : 200).page('messaging/views/send-template.njk', {
          title: request.t('menu.messages.send'),
          templates: views,
          selected: query.template || 'blank',
          preview,
          errors,
        });
      },
    },
    {
      method: 'GET',
      url: '/messages/send/recipients',
      access: 'messages.use',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const form = sendForm.parse(request.query ?? {});
        return recipientsPage(reply, user, form, { recipients: [], schoolList: null, errors: [] });
      },
    },
    {
      method: 'POST',
      url: '/messages/send/recipients',
      access: 'messages.use',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const form = sendForm.parse(request.body ?? {});
        if (form.action === 'next') {
          const errors: FieldError[] = [];
          if (form.group) {
            const members = await service
              .recipientsOf(user, { recipients: [], groupId: form.group })
              .catch((error) => {
                if (!(error instanceof Invalid)) throw error;
                errors.push(...error.errors);
                return [];
              });
            if (errors.length === 0 && members.length === 0) {
              errors.push(keyedError('group', 'messaging.send.group-empty'));
            }
            for (const m of members) {
              if (m.problem) errors.push(problemError('group', m, 'messaging.send.group-member-problem'));
            }
          } else if (form.recipients.length === 0) {
            errors.push(keyedError('recipient-list', 'messaging.send.choose-group-or-recipient'));
          }
          const picker = await applyPickerAction(db, { ...form, action: '' }, RECIPIENT_LIMIT);
          if (!form.group)
            for (const m of picker.recipients) if (m.problem) errors.push(problemError('recipient-list', m));
          if (errors.length > 0) return recipientsPage(reply.code(400), user, form, picker, errors);
          const template =
            form.template && form.template !== 'blank'
              ? await findVisibleTemplate(db, user, form.template)
              : undefined;
          return composePage(reply, user, {
            ...form,
            recipients: form.group ? [] : picker.recipients.map((r) => r.key),
            description: form.description || (template?.description ?? ''),
            text: form.text || (template?.body ?? ''),
            delivery: form.delivery || 'message',
          });
        }
        const picker = await applyPickerAction(db, form, RECIPIENT_LIMIT);
        return recipientsPage(reply.code(picker.errors.length ? 400 : 200), user, form, picker);
      },
    },
    {
      method: 'POST',
      url: '/messages/send',
      access: 'messages.use',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const form = sendForm.parse(request.body ?? {});
        try {
          const sent = await service.send(
            user,
            {
              recipients: form.recipients,
              groupId: form.group || undefined,
              description: form.description,
              text: form.text,
              delivery: form.delivery,
            },
            form.formId,
          );
          const sentKey = sent.already
            ? 'messaging.send.sent-already'
            : form.delivery === 'email'
              ? 'messaging.send.sent-as-email'
              : 'messaging.send.sent-as-message';
          return reply.flash(request.t(sentKey, { count: sent.recipients })).redirect('/messages/sent');
        } catch (error) {
          if (!(error instanceof Invalid)) throw error;
          // Past the hour's emails (decision 85): nothing sent, the form kept to send later or as a message.
          return composePage(reply.code(error instanceof LimitReached ? 429 : 400), user, form, error.errors);
        }
      },
    },
    {
      method: 'GET',
      url: '/messages/sent',
      access: 'messages.use',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        return reply.page('messaging/views/sent.njk', {
          title: request.t('menu.messages.sent'),
          messages: await service.sent(user),
          unreadDays: UNREAD_DAYS,
          readDays: READ_DAYS,
        });
      },
    },
    {
      method: 'GET',
      url: '/messages/sent/:sentMessageId',
      access: 'messages.use',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { sentMessageId } = sentParams.parse(request.params);
        const { message, recipients } = await service.sentMessage(user, sentMessageId);
        return reply.page('messaging/views/sent-message.njk', {
          title: message.description,
          message,
          recipients,
          backLink: { href: '/messages/sent', text: request.t('messaging.sent.back') },
        });
      },
    },
    {
      method: 'GET',
      url: '/reports/message-report',
      access: 'reports.message-report',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const query = dateRangeQuery.parse(request.query ?? {});
        const page = (data: Record<string, unknown>, code = 200) =>
          reply.code(code).page('messaging/views/message-report.njk', {
            title: request.t('menu.reports.message-report'),
            query,
            unreadDays: UNREAD_DAYS,
            readDays: READ_DAYS,
            backLink: { href: '/reports', text: request.t('messaging.report.back') },
            ...data,
          });
        if (!query.run) return page({});
        try {
          const report = await service.messageReport(user, dateRangeOf(query));
          return page({
            report: subjectIn(request.language, report),
            csvHref: `/reports/message-report/csv?${queryStringOf(request.url)}`,
          });
        } catch (error) {
          if (!(error instanceof Invalid)) throw error;
          return page({ errors: error.errors }, 400);
        }
      },
    },
  ];
}
