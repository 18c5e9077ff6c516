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
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Actor } from '../auth/actor.ts';
import { type Route, sectionRoute, signedInUser } from '../auth/web.ts';
import type { Deps } from '../deps.ts';
import { type FieldError, Invalid } from '../platform/errors.ts';
import { oneValue } from '../platform/web/form-values.ts';
import {
  DESCRIPTION_MAX,
  NAME_MAX,
  OWNER_CHOICES,
  ownerChoices,
  TEXT_MAX,
  TemplateService,
  type TemplateView,
} from './template-service.ts';

const templateForm = z.object({ name: oneValue, description: oneValue, text: oneValue });
const addForm = templateForm.extend({ owner: oneValue });
const templateParams = z.object({ templateId: z.string() });

type TemplateForm = z.infer<typeof templateForm>;

const OWNER_HINTS: Record<keyof typeof OWNER_CHOICES, string> = {
  user: 'Only you can see and use it',
  la: 'Everyone in your LA and its schools can see and use it',
  national: 'Everyone who uses s2s can see and use it',
};

const LIMITS = { name: NAME_MAX, description: DESCRIPTION_MAX, text: TEXT_MAX };

function rethrowUnlessInvalid(error: unknown): FieldError[] {
  if (error instanceof Invalid) return error.errors;
  throw error;
}

function formValues(view: TemplateView): TemplateForm {
  const { template } = view;
  return { name: template.name, description: template.description, text: template.body };
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
    return reply.page('messaging/views/template-add.njk', {
      title: 'Add Template',
      limits: LIMITS,
      owners: ownerChoices(actor).map((owner) => ({
        value: owner,
        text: OWNER_CHOICES[owner],
        hint: { text: OWNER_HINTS[owner] },
        checked: owner === selected,
      })),
      backLink: { href: '/message-templates', text: 'Back to Message Templates' },
      ...data,
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
      errors: data.errors,
      backLink: { href: '/message-templates/view', text: 'Back to View/Copy/Update Template' },
    });

  return [
    sectionRoute(
      '/message-templates',
      'A template holds the text of a message you send often, such as a request for a CTF. Choose it when you send a message, then add what this message needs.',
    ),
    {
      method: 'GET',
      url: '/message-templates/view',
      access: 'messages.use',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        return reply.page('messaging/views/template-list.njk', {
          title: 'View/Copy/Update Template',
          templates: await service.visible(user),
          backLink: { href: '/message-templates', text: 'Back to Message Templates' },
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
          const template = await service.add(user, form);
          return reply
            .flash(`The template "${template.name}" has been added`)
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
          title: 'Delete Template',
          templates: await service.created(user),
          backLink: { href: '/message-templates', text: 'Back to Message Templates' },
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
              changed
                ? `The template "${template.name}" has been updated`
                : `Nothing was changed in the template "${template.name}"`,
            )
            .redirect(`/message-templates/${template.id}`);
        } catch (error) {
          const errors = rethrowUnlessInvalid(error);
          const view = await service.template(user, templateId);
          return templatePage(reply.code(400), view, { values: form, errors });
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
        const copy = await service.copy(user, templateId);
        return reply
          .flash(`Your copy has been saved as "${copy.name}". Only you can see it: change it below.`)
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
          title: 'Delete Template',
          view: await service.own(user, templateId, 'delete'),
          backLink: { href: '/message-templates/delete', text: 'Back' },
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
        const template = await service.delete(user, templateId);
        return reply
          .flash(`The template "${template.name}" has been deleted`)
          .redirect('/message-templates/delete');
      },
    },
  ];
}
