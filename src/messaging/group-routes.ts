// The web edge of Message Address Groups (group-service.ts, handbook §11):
//
//   GET  /message-groups                    the section: Add Group, View/Update Group, View/Delete Group
//   GET  /message-groups/add                a name, then the members (the recipient lists of LA notes
//   POST /message-groups/add                §6.4-6.5); each list button re-shows the page, "Save group" saves
//   GET  /message-groups/view               the user's groups, to view or update
//   GET  /message-groups/delete             the user's groups, to delete
//   GET  /message-groups/:groupId           a group and its members, to rename or change
//   POST /message-groups/:groupId
//   GET  /message-groups/:groupId/delete    "Are you sure?"
//   POST /message-groups/:groupId/delete
//
// The members chosen so far travel with the form as hidden fields (no draft is stored), so a list
// button answers 200 with the page again, its errors in the summary; a save that fails answers 400.
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Actor } from '../auth/actor.ts';
import { type Route, sectionRoute, signedInUser } from '../auth/web.ts';
import type { Deps } from '../deps.ts';
import { type FieldError, Invalid } from '../platform/errors.ts';
import { message } from '../platform/i18n/catalogue.ts';
import { repeatedValues } from '../platform/web/form-values.ts';
import {
  GROUP_MEMBER_LIMIT,
  GROUP_NAME_MAX,
  type GroupDetails,
  MessageGroupService,
} from './group-service.ts';
import type { Choice, MailboxInfo } from './mailbox-directory.ts';

const groupForm = z.object({
  name: z.string().optional(),
  action: z.string().optional(),
  recipients: repeatedValues(GROUP_MEMBER_LIMIT + 1),
  la: z.string().optional(),
  userType: z.string().optional(),
  schoolLa: z.string().optional(),
  schools: repeatedValues(5000),
  laNo: z.string().optional(),
  schoolNo: z.string().optional(),
  /** The group's updated_at as the page first drew it: carried through the list buttons to the save. */
  version: z.string().optional(),
});
type GroupForm = z.infer<typeof groupForm>;

const groupParams = z.object({ groupId: z.string() });

interface FormPage {
  /** The group being changed; absent when adding one. */
  details?: GroupDetails;
  name: string;
  recipients: MailboxInfo[];
  schoolList: Choice[] | null;
  values: Omit<GroupForm, 'name' | 'action' | 'recipients' | 'version'>;
  errors?: FieldError[];
  /** The group's updated_at the page stands for (a group being changed). */
  version?: string;
}

export function messageGroupRoutes(deps: Pick<Deps, 'db' | 'clock'>): Route[] {
  const service = new MessageGroupService(deps);

  const formPage = async (reply: FastifyReply, page: FormPage) => {
    const group = page.details?.group;
    return reply.page('messaging/views/group-form.njk', {
      title: group
        ? reply.request.t('messaging.groups.view.title', { name: group.name })
        : reply.request.t('menu.message-groups.add'),
      section: reply.request.t('menu.message-groups'),
      details: page.details,
      formAction: group ? `/message-groups/${group.id}` : '/message-groups/add',
      name: page.name,
      version: page.version,
      nameMax: GROUP_NAME_MAX,
      picker: { recipients: page.recipients, schoolList: page.schoolList, values: page.values },
      choices: await service.choices(),
      limit: GROUP_MEMBER_LIMIT,
      errors: page.errors,
      backLink: group
        ? { href: '/message-groups/view', text: reply.request.t('messaging.groups.back') }
        : { href: '/message-groups' },
    });
  };

  /** A list button (the page again, 200) or "Save group" (the saved group's page, or 400 with why not). */
  const handleForm = async (
    reply: FastifyReply,
    user: Actor,
    form: GroupForm,
    details: GroupDetails | undefined,
    save: () => Promise<GroupDetails>,
  ) => {
    const { name = '', action = 'save', recipients, version, ...values } = form;
    if (action === 'save') {
      try {
        const saved = await save();
        const count = saved.members.length;
        return reply
          .flash(reply.request.t('messaging.groups.saved', { name: saved.group.name, count }))
          .redirect(`/message-groups/${saved.group.id}`);
      } catch (error) {
        if (!(error instanceof Invalid)) throw error;
        return formPage(reply.code(400), {
          details,
          // Of the group as it is now: saved again, the form replaces it.
          version: details?.group.updated_at,
          name,
          recipients: await service.describe(recipients),
          schoolList: null,
          values,
          errors: error.errors,
        });
      }
    }
    const state = await service.pick(user, { ...values, recipients, action });
    const added = state.errors.length === 0 && !action.startsWith('remove:') && action !== 'populate';
    return formPage(reply, {
      details,
      version,
      name,
      recipients: state.recipients,
      schoolList: state.schoolList,
      // Once added, the school numbers and ticked schools are cleared for the next; the LAs stay chosen.
      values: added ? { ...values, schools: [], laNo: '', schoolNo: '' } : values,
      errors: state.errors,
    });
  };

  const listPage = async (reply: FastifyReply, user: Actor, mode: 'view' | 'delete') =>
    reply.page('messaging/views/group-list.njk', {
      title: reply.request.t(mode === 'view' ? 'menu.message-groups.view' : 'menu.message-groups.delete'),
      section: reply.request.t('menu.message-groups'),
      mode,
      groups: await service.list(user),
      backLink: { href: '/message-groups' },
    });

  return [
    sectionRoute('/message-groups', message('messaging.groups.section.intro')),
    {
      method: 'GET',
      url: '/message-groups/add',
      access: 'messages.use',
      handler: async (request, reply) => {
        signedInUser(request);
        return formPage(reply, { name: '', recipients: [], schoolList: null, values: { schools: [] } });
      },
    },
    {
      method: 'POST',
      url: '/message-groups/add',
      access: 'messages.use',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const form = groupForm.parse(request.body ?? {});
        return handleForm(reply, user, form, undefined, () =>
          service.add(user, { name: form.name ?? '', recipients: form.recipients }),
        );
      },
    },
    {
      method: 'GET',
      url: '/message-groups/view',
      access: 'messages.use',
      handler: async (request, reply) => listPage(reply, signedInUser(request), 'view'),
    },
    {
      method: 'GET',
      url: '/message-groups/delete',
      access: 'messages.use',
      handler: async (request, reply) => listPage(reply, signedInUser(request), 'delete'),
    },
    {
      method: 'GET',
      url: '/message-groups/:groupId',
      access: 'messages.use',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { groupId } = groupParams.parse(request.params ?? {});
        const details = await service.get(user, groupId);
        return formPage(reply, {
          details,
          version: details.group.updated_at,
          name: details.group.name,
          recipients: details.members,
          schoolList: null,
          values: { schools: [] },
        });
      },
    },
    {
      method: 'POST',
      url: '/message-groups/:groupId',
      access: 'messages.use',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { groupId } = groupParams.parse(request.params ?? {});
        const details = await service.get(user, groupId);
        const form = groupForm.parse(request.body ?? {});
        return handleForm(reply, user, form, details, () =>
          service.update(user, groupId, {
            name: form.name ?? '',
            recipients: form.recipients,
            version: form.version,
          }),
        );
      },
    },
    {
      method: 'GET',
      url: '/message-groups/:groupId/delete',
      access: 'messages.use',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { groupId } = groupParams.parse(request.params ?? {});
        const details = await service.get(user, groupId);
        return reply.page('messaging/views/group-delete.njk', {
          title: request.t('messaging.groups.delete.title', { name: details.group.name }),
          section: request.t('menu.message-groups'),
          details,
          backLink: { href: '/message-groups/delete' },
        });
      },
    },
    {
      method: 'POST',
      url: '/message-groups/:groupId/delete',
      access: 'messages.use',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { groupId } = groupParams.parse(request.params ?? {});
        const outcome = await service.delete(user, groupId);
        return reply
          .flash(
            outcome.already
              ? request.t('messaging.groups.deleted-already')
              : request.t('messaging.groups.deleted', { name: outcome.deleted.group.name }),
          )
          .redirect('/message-groups/delete');
      },
    },
  ];
}
