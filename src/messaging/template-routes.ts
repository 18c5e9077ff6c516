// The web edge of Message Templates (template-service.ts; handbook §11, LA notes §6.7):
//
//   GET  /message-templates                        the section: View/Copy/Update, Add, Delete
//   GET  /message-templates/view                   the templates the user may see
//   GET  /message-templates/add                    a new template
//   POST /message-templates/add
//   GET  /message-templates/delete                 the templates the user created, to delete one
//   GET  /message-templates/:templateId            one template: copy it; update it if the user created it
//   POST /message-templates/:templateId            updated
//   POST /message-templates/:templateId/copy       copied, as the user's own
//   GET  /message-templates/:templateId/delete     "are you sure?"
//   POST /message-templates/:templateId/delete     deleted
import { randomUUID } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Actor } from '../auth/actor.ts';
import { type Route, sectionRoute, signedInUser } from '../auth/web.ts';
import type { Deps } from '../deps.ts';
import { type FieldError, Invalid } from '../platform/errors.ts';
import { message } from '../platform/i18n/catalogue.ts';
import { formId, oneValue } from '../platform/web/form-values.ts';
import {
  DESCRIPTION_MAX,
  NAME_MAX,
  type OWNER_CHOICES,
  ownerChoices,
  TEXT_MAX,
  TemplateService,
  type TemplateView,
} from './template-service.ts';

const templateForm = z.object({ name: oneValue, description: oneValue, text: oneValue, version: oneValue });
const addForm = templateForm.extend({ owner: oneValue, formId });
const copyForm = z.object({ formId });
const templateParams = z.object({ templateId: z.string() });

type TemplateForm = z.infer<typeof templateForm>;

/** Add Template's choices of owner: OWNER_CHOICES's English, and a hint, in the reader's language. */
const OWNER_KEYS: Record<keyof typeof OWNER_CHOICES, { text: string; hint: string }> = {
  user: { text: 'messaging.templates.owner-choice.user', hint: 'messaging.templates.owner-hint.user' },
  la: { text: 'messaging.templates.owner-choice.la', hint: 'messaging.templates.owner-hint.la' },
  national: {
    text: 'messaging.templates.owner-choice.national',
    hint: 'messaging.templates.owner-hint.national',
  },
};

const LIMITS = { name: NAME_MAX, description: DESCRIPTION_MAX, text: TEXT_MAX };

function rethrowUnlessInvalid(error: unknown): FieldError[] {
  if (error instanceof Invalid) return error.errors;
  throw error;
}

function formValues(view: TemplateView): TemplateForm {
  const { template } = view;
  return {
    name: template.name,
    description: template.description,
    text: template.body,
    version: template.updated_at,
  };
}

export function messageTemplateRoutes(deps: Pick<Deps, 'db' | 'clock'>): Route[] {
  const service = new TemplateService(deps);

  const addPage = (
    reply: FastifyReply,
    actor: Actor,
    data: { values?: Record<string, string | undefined>; errors?: FieldError[] } = {},
  ) => {
    // 'Just me' to start with; after a refusal, what was chosen.
    const selected = data.values ? data.values.owner : 'user';
    // The form's id, made as the page is first drawn and kept when it is drawn again with errors.
    const values = { ...data.values, formId: data.values?.formId ?? randomUUID() };
    return reply.page('messaging/views/template-add.njk', {
      title: reply.request.t('menu.message-templates.add'),
      limits: LIMITS,
      owners: ownerChoices(actor).map((owner) => ({
        value: owner,
        text: reply.request.t(OWNER_KEYS[owner].text),
        hint: { text: reply.request.t(OWNER_KEYS[owner].hint) },
        checked: owner === selected,
      })),
      backLink: { href: '/message-templates', text: reply.request.t('messaging.templates.back-to-section') },
      ...data,
      values,
    });
  };

  const templatePage = (
    reply: FastifyReply,
    view: TemplateView,
    data: { values?: TemplateForm; errors?: FieldError[] } = {},
  ) =>
    reply.page('messaging/views/template-view.njk', {
      title: view.template.name,
      view,
      limits: LIMITS,
      values: data.values ?? formValues(view),
      // The Copy form's id: a copy is made once per drawing of the page.
      copyFormId: randomUUID(),
      errors: data.errors,
      backLink: {
        href: '/message-templates/view',
        text: reply.request.t('messaging.templates.back-to-list'),
      },
    });

  return [
    sectionRoute('/message-templates', message('messaging.templates.section.intro')),
    {
      method: 'GET',
      url: '/message-templates/view',
      access: 'messages.use',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        return reply.page('messaging/views/template-list.njk', {
          title: request.t('menu.message-templates.view'),
          templates: await service.visible(user),
          backLink: { href: '/message-templates', text: request.t('messaging.templates.back-to-section') },
        });
      },
    },
    {
      method: 'GET',
      url: '/message-templates/add',
      access: 'messages.use',
      handler: async (request, reply) => addPage(reply, signedInUser(request)),
    },
    {
      method: 'POST',
      url: '/message-templates/add',
      access: 'messages.use',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const form = addForm.parse(request.body ?? {});
        try {
          const { template, already } = await service.add(user, form, form.formId);
          const addedKey = already ? 'messaging.templates.added-already' : 'messaging.templates.added';
          return reply
            .flash(request.t(addedKey, { name: template.name }))
            .redirect(`/message-templates/${template.id}`);
        } catch (error) {
          const errors = rethrowUnlessInvalid(error);
          return addPage(reply.code(400), user, { values: form, errors });
        }
      },
    },
    {
      method: 'GET',
      url: '/message-templates/delete',
      access: 'messages.use',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        return reply.page('messaging/views/template-delete-list.njk', {
          title: request.t('menu.message-templates.delete'),
          templates: await service.created(user),
          backLink: { href: '/message-templates', text: request.t('messaging.templates.back-to-section') },
        });
      },
    },
    {
      method: 'GET',
      url: '/message-templates/:templateId',
      access: 'messages.use',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { templateId } = templateParams.parse(request.params ?? {});
        return templatePage(reply, await service.template(user, templateId));
      },
    },
    {
      method: 'POST',
      url: '/message-templates/:templateId',
      access: 'messages.use',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { templateId } = templateParams.parse(request.params ?? {});
        const form = templateForm.parse(request.body ?? {});
        try {
          const { template, changed } = await service.update(user, templateId, form);
          return reply
            .flash(
              request.t(changed ? 'messaging.templates.updated' : 'messaging.templates.unchanged', {
                name: template.name,
              }),
            )
            .redirect(`/message-templates/${template.id}`);
        } catch (error) {
          const errors = rethrowUnlessInvalid(error);
          const view = await service.template(user, templateId);
          // The form again as sent, now of the template as it is: saved again, it replaces what is shown.
          return templatePage(reply.code(400), view, {
            values: { ...form, version: view.template.updated_at },
            errors,
          });
        }
      },
    },
    {
      method: 'POST',
      url: '/message-templates/:templateId/copy',
      access: 'messages.use',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { templateId } = templateParams.parse(request.params ?? {});
        const form = copyForm.parse(request.body ?? {});
        const { template: copy, already } = await service.copy(user, templateId, form.formId);
        const copiedKey = already ? 'messaging.templates.copied-already' : 'messaging.templates.copied';
        return reply
          .flash(request.t(copiedKey, { name: copy.name }))
          .redirect(`/message-templates/${copy.id}`);
      },
    },
    {
      method: 'GET',
      url: '/message-templates/:templateId/delete',
      access: 'messages.use',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { templateId } = templateParams.parse(request.params ?? {});
        return reply.page('messaging/views/template-delete.njk', {
          title: request.t('menu.message-templates.delete'),
          view: await service.own(user, templateId, 'delete'),
          backLink: { href: '/message-templates/delete' },
        });
      },
    },
    {
      method: 'POST',
      url: '/message-templates/:templateId/delete',
      access: 'messages.use',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { templateId } = templateParams.parse(request.params ?? {});
        const outcome = await service.delete(user, templateId);
        return reply
          .flash(
            outcome.already
              ? request.t('messaging.templates.deleted-already')
              : request.t('messaging.templates.deleted', { name: outcome.template.name }),
          )
          .redirect('/message-templates/delete');
      },
    },
  ];
}
