// User Maintenance pages (LA notes §3.2-3.7): parse the form, call the service, redirect or re-render.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Role } from '../auth/permissions.ts';
import { type Route, signedInUser } from '../auth/web.ts';
import type { Deps } from '../deps.ts';
import { Invalid, NotFound } from '../platform/errors.ts';
import { type AccountsActor, canManageUsers, userReach } from './policy.ts';
import { AccountsService, type AddUserChoices, roleLabelOf } from './service.ts';

const BASE = '/dba/users';
/** The `la` value a national administrator picks for accounts that belong to no LA. */
const NO_LA = 'none';

/** What each role is for, from the summary in LA notes §1.6: shown beside each choice of role. */
const ROLE_HINTS: Record<Role, string> = {
  school: 'Uses s2s for one school: choose the school below. Manages nothing else.',
  la_dba: 'Sets up, changes and deletes the users of the LA and its schools; uploads and downloads files',
  la_user: 'Uploads, downloads and re-downloads files; reports and messages',
  la_school: 'Gives the LA s2s school-level facilities. Each LA may have only one LEA School account.',
  la_lost_pupil: 'Searches the Lost Pupils Database; uploads and downloads generic files',
  la_lost_pupil_transfer: 'Searches the Lost Pupils Database and transfers lost pupils’ files to schools',
  la_dba_view: 'Views the details of the LA’s users, but cannot change them',
  la_plasc: 'Uploads and downloads census (PLASC) files',
  la_admissions: 'Uploads and downloads admissions and generic files',
  national_admin: 'Runs the s2s service: sets up each LA’s DBA and manages every account',
  dfe_collector: 'Collects census returns for the DfE',
};

const listQuery = z.object({ la: z.string().default('') });

const addForm = z.object({
  username: z.string().default(''),
  fullName: z.string().default(''),
  email: z.string().default(''),
  telephone: z.string().default(''),
  role: z.string().default(''),
  laNumber: z.string().default(''),
  establishmentNumber: z.string().default(''),
  newPassword: z.string().default(''),
  confirmPassword: z.string().default(''),
});

const roleForm = z.object({ role: z.string().default('') });

const passwordForm = z.object({
  newPassword: z.string().default(''),
  confirmPassword: z.string().default(''),
});

const idParams = z.object({ id: z.string() });

function roleItems(roles: readonly Role[], checked: string) {
  return roles.map((role) => ({
    value: role,
    text: roleLabelOf(role),
    hint: { text: ROLE_HINTS[role] },
    checked: role === checked,
  }));
}

function userUrl(id: string): string {
  return `${BASE}/${encodeURIComponent(id)}`;
}

export function accountsRoutes(deps: Pick<Deps, 'db' | 'clock' | 'config'>): Route[] {
  const accounts = new AccountsService(deps.db, deps.clock);
  const actorOf = (request: FastifyRequest): AccountsActor => signedInUser(request);
  const idOf = (request: FastifyRequest) => idParams.parse(request.params).id;
  const isNational = (request: FastifyRequest) => userReach(signedInUser(request)).kind === 'everyone';

  const addPage = (
    reply: FastifyReply,
    choices: AddUserChoices,
    data: { values?: Partial<z.infer<typeof addForm>>; errors?: unknown } = {},
    national = false,
  ) => {
    const values = data.values ?? {};
    return reply.page('accounts/views/add.njk', {
      title: 'Add User',
      backLink: { href: national && choices.la ? `${BASE}?la=${choices.la.number}` : BASE },
      la: choices.la,
      national,
      roleItems: roleItems(choices.roles, values.role ?? ''),
      schoolItems: [
        { value: '', text: 'Choose a school (School Users only)' },
        ...choices.schools.map((s) => ({
          value: s.number,
          text: `${s.name} (${s.number})${s.status === 'closed' ? ' – closed' : ''}`,
          selected: s.number === values.establishmentNumber,
        })),
      ],
      values,
      errors: data.errors,
    });
  };

  const chooseLaPage = async (reply: FastifyReply, errors?: unknown) => {
    const las = await accounts.localAuthorities();
    return reply.page('accounts/views/choose-la.njk', {
      title: 'Add User',
      backLink: { href: BASE },
      laItems: [
        { value: '', text: 'Choose an LA' },
        { value: NO_LA, text: 'No LA: a national account (s2s National Administrator or DfE Collector)' },
        ...las.map((la) => ({ value: la.number, text: `${la.number} ${la.name}` })),
      ],
      errors,
    });
  };

  const rolePage = async (reply: FastifyReply, actor: AccountsActor, id: string, errors?: unknown) => {
    const user = await accounts.accountToChange(actor, id, 'role');
    const roles = accounts.rolesForChange(actor, user);
    return reply.page('accounts/views/role.njk', {
      title: 'Update role',
      backLink: { href: userUrl(user.id) },
      account: user,
      roleLabel: roleLabelOf(user.role),
      roleItems: roleItems(roles, user.role),
      errors,
    });
  };

  const passwordPage = async (reply: FastifyReply, actor: AccountsActor, id: string, errors?: unknown) => {
    const user = await accounts.accountToChange(actor, id, 'password');
    return reply.page('accounts/views/password.njk', {
      title: 'Change Password',
      backLink: { href: userUrl(user.id) },
      account: user,
      errors,
    });
  };

  return [
    {
      method: 'GET',
      url: BASE,
      access: 'users.view',
      handler: async (request, reply) => {
        const actor = signedInUser(request);
        const national = isNational(request);
        const query = listQuery.parse(request.query ?? {});
        const las = national ? await accounts.localAuthorities() : [];
        const laFilter = national ? query.la.trim() : '';
        const known = !laFilter || las.some((la) => la.number === laFilter);
        const users = known ? await accounts.list(actor, { laNumber: laFilter || undefined }) : [];
        const filteredLa = las.find((la) => la.number === laFilter);
        return reply.code(known ? 200 : 400).page('accounts/views/list.njk', {
          title: 'User Maintenance',
          national,
          canManage: canManageUsers(actor),
          laFilter,
          filteredLa,
          laItems: [
            { value: '', text: 'All LAs' },
            ...las.map((la) => ({
              value: la.number,
              text: `${la.number} ${la.name}`,
              selected: la.number === laFilter,
            })),
          ],
          users: users.map((u) => ({ ...u, roleLabel: roleLabelOf(u.role) })),
          errors: known ? undefined : [{ field: 'la', message: 'Choose an LA from the list' }],
        });
      },
    },
    {
      method: 'GET',
      url: `${BASE}/add`,
      access: 'users.manage',
      handler: async (request, reply) => {
        const actor = signedInUser(request);
        if (!isNational(request)) return addPage(reply, await accounts.addChoices(actor, null));
        // A national administrator first chooses the LA (or none), so the form can offer its schools.
        const la = listQuery.parse(request.query ?? {}).la.trim();
        if (!la) return chooseLaPage(reply);
        const las = await accounts.localAuthorities();
        if (la !== NO_LA && !las.some((l) => l.number === la)) {
          return chooseLaPage(reply.code(400), [{ field: 'la', message: 'Choose an LA from the list' }]);
        }
        return addPage(reply, await accounts.addChoices(actor, la === NO_LA ? null : la), {}, true);
      },
    },
    {
      method: 'POST',
      url: `${BASE}/add`,
      access: 'users.manage',
      handler: async (request, reply) => {
        const actor = signedInUser(request);
        const form = addForm.parse(request.body ?? {});
        try {
          const user = await accounts.add(actor, form);
          return reply
            .flash(
              `User ${user.username} has been added. Tell them their username and their password separately, never in the same email or letter. They must choose a new password when they first sign in.`,
            )
            .redirect(userUrl(user.id));
        } catch (error) {
          if (!(error instanceof Invalid)) throw error;
          const national = isNational(request);
          const la = national ? form.laNumber.trim() || null : null;
          const { newPassword: _n, confirmPassword: _c, ...values } = form;
          const choices = await accounts.addChoices(actor, la).catch((problem: unknown) => {
            if (problem instanceof NotFound) return undefined;
            throw problem;
          });
          // Only a tampered form names an unknown LA: start again from the choice of LA.
          if (!choices)
            return chooseLaPage(reply.code(400), [{ field: 'la', message: 'Choose an LA from the list' }]);
          return addPage(reply.code(400), choices, { values, errors: error.errors }, national);
        }
      },
    },
    {
      method: 'GET',
      url: `${BASE}/:id`,
      access: 'users.view',
      handler: async (request, reply) => {
        const details = await accounts.details(signedInUser(request), idOf(request));
        return reply.page('accounts/views/user.njk', {
          title: `User ${details.user.username}`,
          backLink: { href: BASE, text: 'Back to User Maintenance' },
          ...details,
          account: details.user,
          // The row shows when single sign-on is configured, or an identity is still linked from before.
          showSingleSignOn: deps.config.oidc !== null || details.singleSignOn.length > 0,
        });
      },
    },
    {
      method: 'GET',
      url: `${BASE}/:id/role`,
      access: 'users.manage',
      handler: async (request, reply) => rolePage(reply, actorOf(request), idOf(request)),
    },
    {
      method: 'POST',
      url: `${BASE}/:id/role`,
      access: 'users.manage',
      handler: async (request, reply) => {
        const actor = actorOf(request);
        const id = idOf(request);
        const form = roleForm.parse(request.body ?? {});
        try {
          const user = await accounts.changeRole(actor, id, form.role);
          return reply
            .flash(
              `The role of ${user.username} is now ${roleLabelOf(user.role)}. They have been signed out, and have the new role when they sign in again: tell them about the change.`,
            )
            .redirect(userUrl(user.id));
        } catch (error) {
          if (!(error instanceof Invalid)) throw error;
          return rolePage(reply.code(400), actor, id, error.errors);
        }
      },
    },
    {
      method: 'GET',
      url: `${BASE}/:id/password`,
      access: 'users.manage',
      handler: async (request, reply) => passwordPage(reply, actorOf(request), idOf(request)),
    },
    {
      method: 'POST',
      url: `${BASE}/:id/password`,
      access: 'users.manage',
      handler: async (request, reply) => {
        const actor = actorOf(request);
        const id = idOf(request);
        const form = passwordForm.parse(request.body ?? {});
        try {
          const user = await accounts.resetPassword(actor, id, form);
          return reply
            .flash(
              `The password of ${user.username} has been changed and they have been signed out. Tell them the new password, not in the same email or letter as their username. They must choose a new password when they next sign in.`,
            )
            .redirect(userUrl(user.id));
        } catch (error) {
          if (!(error instanceof Invalid)) throw error;
          return passwordPage(reply.code(400), actor, id, error.errors);
        }
      },
    },
    {
      method: 'GET',
      url: `${BASE}/:id/two-factor`,
      access: 'users.manage',
      handler: async (request, reply) => {
        const details = await accounts.details(actorOf(request), idOf(request));
        // Refused (as the other changes are) when the actor may not change this account.
        await accounts.accountToChange(actorOf(request), idOf(request), 'two-factor');
        return reply.page('accounts/views/two-factor-reset.njk', {
          title: 'Reset two-factor sign-in',
          backLink: { href: userUrl(details.user.id) },
          account: details.user,
          twoFactor: details.twoFactor,
        });
      },
    },
    {
      method: 'POST',
      url: `${BASE}/:id/two-factor`,
      access: 'users.manage',
      handler: async (request, reply) => {
        const { account, reset } = await accounts.resetTwoFactor(actorOf(request), idOf(request));
        return reply
          .flash(
            reset
              ? `The two-factor sign-in of ${account.username} has been reset and they have been signed out. If their role requires it, they set it up again when they next sign in.`
              : `${account.username} has not set up two-factor sign-in: there was nothing to reset.`,
          )
          .redirect(userUrl(account.id));
      },
    },
    {
      method: 'GET',
      url: `${BASE}/:id/single-sign-on`,
      access: 'users.manage',
      handler: async (request, reply) => {
        const details = await accounts.details(actorOf(request), idOf(request));
        await accounts.accountToChange(actorOf(request), idOf(request), 'single-sign-on');
        if (details.singleSignOn.length === 0) return reply.redirect(userUrl(details.user.id));
        return reply.page('accounts/views/single-sign-on-unlink.njk', {
          title: 'Unlink single sign-on',
          backLink: { href: userUrl(details.user.id) },
          account: details.user,
          identities: details.singleSignOn,
        });
      },
    },
    {
      method: 'POST',
      url: `${BASE}/:id/single-sign-on`,
      access: 'users.manage',
      handler: async (request, reply) => {
        const { account, unlinked } = await accounts.unlinkSingleSignOn(actorOf(request), idOf(request));
        return reply
          .flash(
            unlinked > 0
              ? `The single sign-on of ${account.username} has been unlinked and they have been signed out. Their next single sign-on finds their account by email address again.`
              : `${account.username} has no single sign-on linked: there was nothing to unlink.`,
          )
          .redirect(userUrl(account.id));
      },
    },
    {
      method: 'GET',
      url: `${BASE}/:id/delete`,
      access: 'users.manage',
      handler: async (request, reply) => {
        const user = await accounts.accountToChange(actorOf(request), idOf(request), 'delete');
        return reply.page('accounts/views/delete.njk', {
          title: 'Delete User',
          backLink: { href: userUrl(user.id) },
          account: user,
          roleLabel: roleLabelOf(user.role),
        });
      },
    },
    {
      method: 'POST',
      url: `${BASE}/:id/delete`,
      access: 'users.manage',
      handler: async (request, reply) => {
        const user = await accounts.remove(actorOf(request), idOf(request));
        const back = user.la_number && isNational(request) ? `${BASE}?la=${user.la_number}` : BASE;
        return reply.flash(`User ${user.username} has been deleted.`).redirect(back);
      },
    },
  ];
}
