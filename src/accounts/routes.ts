// User Maintenance pages (LA notes §3.2-3.7): parse the form, call the service, redirect or re-render.
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type Role, roleLabelIn } from '../auth/permissions.ts';
import { type Route, signedInUser } from '../auth/web.ts';
import type { Deps } from '../deps.ts';
import { Invalid, NotFound } from '../platform/errors.ts';
import { keyedError, translateMessage } from '../platform/i18n/catalogue.ts';
import { formId, oneValue } from '../platform/web/form-values.ts';
import { lastPageHref, pageQuery, pagination } from '../platform/web/pagination.ts';
import { type AccountsActor, canManageUsers, userReach } from './policy.ts';
import { AccountsService, type AddUserChoices } from './service.ts';

const BASE = '/dba/users';
/** The `la` value a national administrator picks for accounts that belong to no LA. */
const NO_LA = 'none';

/** What each role is for, from the summary in LA notes §1.6: shown beside each choice of role (keys). */
const ROLE_HINTS: Record<Role, string> = {
  school: 'accounts.role-hint.school',
  la_dba: 'accounts.role-hint.la-dba',
  la_user: 'accounts.role-hint.la-user',
  la_school: 'accounts.role-hint.la-school',
  la_lost_pupil: 'accounts.role-hint.la-lost-pupil',
  la_lost_pupil_transfer: 'accounts.role-hint.la-lost-pupil-transfer',
  la_dba_view: 'accounts.role-hint.la-dba-view',
  la_plasc: 'accounts.role-hint.la-plasc',
  la_admissions: 'accounts.role-hint.la-admissions',
  national_admin: 'accounts.role-hint.national-admin',
  dfe_collector: 'accounts.role-hint.dfe-collector',
};

/** The error of a list of LAs when the one chosen is not in it (only a tampered form names one). */
const CHOOSE_LA_FROM_LIST = () => [keyedError('la', 'accounts.choose-la.from-list')];

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
  formId,
});

/**
 * Change details: the Add User form's fields for the person (the same rules: AccountsService), and the
 * details the page showed, so that a form from a page shown before someone else changed them is refused.
 */
const detailsForm = addForm.pick({ fullName: true, email: true, telephone: true }).extend({
  fullNameAsSeen: oneValue,
  emailAsSeen: oneValue,
  telephoneAsSeen: oneValue,
});

const roleForm = z.object({
  role: z.string().default(''),
  /** The role the page showed: posted again, a change made already is not made twice. */
  roleAsSeen: oneValue,
});

const passwordForm = z.object({
  newPassword: z.string().default(''),
  confirmPassword: z.string().default(''),
  /** When the password was last changed, as the page showed it: posted again, nothing is set twice. */
  passwordChangedAt: oneValue,
});

/** When the set-up the page showed was confirmed: posted again, a set-up made since is not reset. */
const twoFactorForm = z.object({ enrolledAt: oneValue });

const idParams = z.object({ id: z.string() });

function roleItems(request: FastifyRequest, roles: readonly Role[], checked: string) {
  return roles.map((role) => ({
    value: role,
    text: roleLabelIn(request.language, role),
    hint: { text: request.t(ROLE_HINTS[role]) },
    checked: role === checked,
  }));
}

/** The user page's rows that Change details corrects: the form's field, and the row's label. */
const DETAIL_ROWS = [
  { field: 'fullName', label: 'accounts.full-name' },
  { field: 'email', label: 'accounts.email-address' },
  { field: 'telephone', label: 'accounts.telephone' },
] as const;

type ContactDetails = { fullName: string; email: string; telephone: string };

function userUrl(id: string): string {
  return `${BASE}/${encodeURIComponent(id)}`;
}

/**
 * The list's LA and page, as a query (empty for the whole list's first page): carried by each row's
 * link, so that the user page leads back to the page of the list the DBA came from.
 */
const listPlace = z.object({
  la: z
    .string()
    .regex(/^\d{3}$/)
    .optional()
    .catch(undefined),
  page: z.coerce.number().int().min(2).optional().catch(undefined),
});

function listSearch({ la, page }: z.infer<typeof listPlace>): string {
  const query = new URLSearchParams({
    ...(la ? { la } : {}),
    ...(page && page > 1 ? { page: String(page) } : {}),
  }).toString();
  return query ? `?${query}` : '';
}

export function accountsRoutes(deps: Pick<Deps, 'db' | 'clock' | 'config'>): Route[] {
  const accounts = new AccountsService(deps.db, deps.clock, deps.config.signIn);
  const actorOf = (request: FastifyRequest): AccountsActor => signedInUser(request);
  const idOf = (request: FastifyRequest) => idParams.parse(request.params).id;
  const isNational = (request: FastifyRequest) => userReach(signedInUser(request)).kind === 'everyone';
  /** The list's place the user page was reached from (listSearch), kept by every page and change after it. */
  const placeOf = (request: FastifyRequest) => listSearch(listPlace.parse(request.query ?? {}));
  const userHref = (request: FastifyRequest, id: string) => userUrl(id) + placeOf(request);

  const addPage = (
    reply: FastifyReply,
    choices: AddUserChoices,
    data: { values?: Partial<z.infer<typeof addForm>>; errors?: unknown } = {},
    national = false,
  ) => {
    // The form's id, made as the page is first drawn and kept when it is drawn again with errors.
    const values = { ...data.values, formId: data.values?.formId ?? randomUUID() };
    const request = reply.request;
    return reply.page('accounts/views/add.njk', {
      title: request.t('accounts.add.title'),
      backLink: { href: national && choices.la ? `${BASE}?la=${choices.la.number}` : BASE },
      la: choices.la,
      national,
      roleItems: roleItems(request, choices.roles, values.role ?? ''),
      schoolItems: [
        { value: '', text: request.t('accounts.add.choose-school') },
        ...choices.schools.map((s) => ({
          value: s.number,
          text: `${s.name} (${s.number})`,
          selected: s.number === values.establishmentNumber,
        })),
      ],
      values,
      errors: data.errors,
    });
  };

  const chooseLaPage = async (reply: FastifyReply, errors?: unknown) => {
    const las = await accounts.localAuthorities();
    const request = reply.request;
    return reply.page('accounts/views/choose-la.njk', {
      title: request.t('accounts.add.title'),
      backLink: { href: BASE },
      laItems: [
        { value: '', text: request.t('accounts.choose-la.choose') },
        { value: NO_LA, text: request.t('accounts.choose-la.none') },
        ...las.map((la) => ({ value: la.number, text: `${la.number} ${la.name}` })),
      ],
      errors,
    });
  };

  const rolePage = async (reply: FastifyReply, actor: AccountsActor, id: string, errors?: unknown) => {
    const user = await accounts.accountToChange(actor, id, 'role');
    const roles = accounts.rolesForChange(actor, user);
    return reply.page('accounts/views/role.njk', {
      title: reply.request.t('accounts.role.title'),
      backLink: { href: userHref(reply.request, user.id) },
      listSearch: placeOf(reply.request),
      account: user,
      roleLabel: roleLabelIn(reply.request.language, user.role),
      roleItems: roleItems(reply.request, roles, user.role),
      errors,
    });
  };

  const detailsPage = async (
    reply: FastifyReply,
    actor: AccountsActor,
    id: string,
    data: { values?: ContactDetails; seen?: ContactDetails; errors?: unknown } = {},
  ) => {
    const details = await accounts.details(actor, id);
    await accounts.accountToChange(actor, id, 'details');
    const user = details.user;
    const shown = { fullName: user.full_name, email: user.email ?? '', telephone: user.telephone ?? '' };
    return reply.page('accounts/views/details.njk', {
      title: reply.request.t('accounts.details.title'),
      backLink: { href: userHref(reply.request, user.id) },
      listSearch: placeOf(reply.request),
      account: user,
      // What the form starts with: the account's details, or what was typed when it comes back with errors.
      values: data.values ?? shown,
      // The details the form was first shown with, kept when it comes back with errors: a change someone
      // else made meanwhile is still found when it is sent again.
      seen: data.seen ?? shown,
      singleSignOn: details.singleSignOn,
      errors: data.errors,
    });
  };

  const passwordPage = async (reply: FastifyReply, actor: AccountsActor, id: string, errors?: unknown) => {
    const user = await accounts.accountToChange(actor, id, 'password');
    return reply.page('accounts/views/password.njk', {
      title: reply.request.t('auth.change-password.title'),
      backLink: { href: userHref(reply.request, user.id) },
      listSearch: placeOf(reply.request),
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
        const { page } = pageQuery.parse(request.query ?? {});
        const las = national ? await accounts.localAuthorities() : [];
        const laFilter = national ? query.la.trim() : '';
        const known = !laFilter || las.some((la) => la.number === laFilter);
        const list = known
          ? await accounts.list(actor, { laNumber: laFilter || undefined }, page)
          : undefined;
        const lastPage = list && lastPageHref(request.url, list.page);
        if (lastPage) return reply.redirect(lastPage, 303);
        const filteredLa = las.find((la) => la.number === laFilter);
        return reply.code(known ? 200 : 400).page('accounts/views/list.njk', {
          title: request.t('menu.dba.users'),
          national,
          canManage: canManageUsers(actor),
          laFilter,
          filteredLa,
          laItems: [
            { value: '', text: request.t('accounts.list.all-las') },
            ...las.map((la) => ({
              value: la.number,
              text: `${la.number} ${la.name}`,
              selected: la.number === laFilter,
            })),
          ],
          list,
          listSearch: list ? listSearch({ la: filteredLa?.number, page: list.page }) : '',
          users: (list?.rows ?? []).map((u) => ({ ...u, roleLabel: roleLabelIn(request.language, u.role) })),
          pagination:
            list &&
            pagination(
              BASE,
              list,
              request.t('accounts.list.pages'),
              filteredLa ? { la: filteredLa.number } : {},
            ),
          errors: known ? undefined : CHOOSE_LA_FROM_LIST(),
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
          return chooseLaPage(reply.code(400), CHOOSE_LA_FROM_LIST());
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
          const { account, already } = await accounts.addOnce(actor, form, form.formId);
          if (already && account.deleted_at !== null) {
            // Added by this form, then deleted: its page is gone, so the list of users says so.
            return reply
              .flash(
                request.t('accounts.add.added-then-deleted', { username: account.username }),
                'important',
              )
              .redirect(account.la_number && isNational(request) ? `${BASE}?la=${account.la_number}` : BASE);
          }
          return reply
            .flash(
              request.t(already ? 'accounts.add.added-already' : 'accounts.add.added', {
                username: account.username,
              }),
              already ? 'important' : 'success',
            )
            .redirect(userHref(request, account.id));
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
          if (!choices) return chooseLaPage(reply.code(400), CHOOSE_LA_FROM_LIST());
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
          title: request.t('accounts.user.title', { username: details.user.username }),
          backLink: { href: BASE + placeOf(request), text: request.t('accounts.user.back') },
          listSearch: placeOf(request),
          ...details,
          roleLabel: roleLabelIn(request.language, details.user.role),
          refusal: details.refusal && translateMessage(request.language, details.refusal),
          account: details.user,
          // The row shows when single sign-on is configured, or an identity is still linked from before.
          showSingleSignOn: deps.config.oidc !== null || details.singleSignOn.length > 0,
          // A Change link on the name, email address and telephone rows (GOV.UK summary list), to Change details.
          detailsActions: details.allowed.details
            ? Object.fromEntries(
                DETAIL_ROWS.map(({ field, label }) => [
                  field,
                  {
                    items: [
                      {
                        href: `${BASE}/${encodeURIComponent(details.user.id)}/details${placeOf(request)}#${field}`,
                        text: request.t('accounts.change'),
                        visuallyHiddenText: request.t('accounts.details.change-of', {
                          field: request.t(label),
                          username: details.user.username,
                        }),
                      },
                    ],
                  },
                ]),
              )
            : {},
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
          const { account, already } = await accounts.changeRole(actor, id, form.role, form.roleAsSeen);
          return reply
            .flash(
              request.t(already ? 'accounts.role.changed-already' : 'accounts.role.changed', {
                username: account.username,
                role: roleLabelIn(request.language, account.role),
              }),
              already ? 'important' : 'success',
            )
            .redirect(userHref(request, account.id));
        } catch (error) {
          if (!(error instanceof Invalid)) throw error;
          return rolePage(reply.code(400), actor, id, error.errors);
        }
      },
    },
    {
      method: 'GET',
      url: `${BASE}/:id/details`,
      access: 'users.manage',
      handler: async (request, reply) => detailsPage(reply, actorOf(request), idOf(request)),
    },
    {
      method: 'POST',
      url: `${BASE}/:id/details`,
      access: 'users.manage',
      handler: async (request, reply) => {
        const actor = actorOf(request);
        const id = idOf(request);
        const form = detailsForm.parse(request.body ?? {});
        const asSeen =
          form.fullNameAsSeen === undefined
            ? undefined
            : {
                fullName: form.fullNameAsSeen,
                email: form.emailAsSeen ?? '',
                telephone: form.telephoneAsSeen ?? '',
              };
        try {
          const { account, outcome, emailedTo } = await accounts.changeDetails(actor, id, form, asSeen);
          const key =
            outcome === 'unchanged'
              ? 'accounts.details.unchanged'
              : outcome === 'already'
                ? 'accounts.details.changed-already'
                : emailedTo.length > 0
                  ? 'accounts.details.changed-email'
                  : 'accounts.details.changed';
          const said = request.t(key, {
            username: account.username,
            addresses: emailedTo.join(request.t('accounts.details.and')),
          });
          return reply
            .flash(said, outcome === 'changed' ? 'success' : 'important')
            .redirect(userHref(request, account.id));
        } catch (error) {
          if (!(error instanceof Invalid)) throw error;
          // Changed by someone else since the page was shown: it shows the details as they are now.
          const stale = error.errors.some((e) => e.key === 'accounts.details.changed-since');
          const { fullName, email, telephone } = form;
          return detailsPage(reply.code(400), actor, id, {
            ...(stale ? {} : { values: { fullName, email, telephone }, seen: asSeen }),
            errors: error.errors,
          });
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
          const { account, already } = await accounts.resetPassword(actor, id, form, form.passwordChangedAt);
          const said = request.t(
            already === 'issued'
              ? 'accounts.password.issued-already'
              : already === 'changed'
                ? 'accounts.password.changed-by-user'
                : 'accounts.password.changed',
            { username: account.username },
          );
          return reply.flash(said, already ? 'important' : 'success').redirect(userHref(request, account.id));
        } catch (error) {
          if (!(error instanceof Invalid)) throw error;
          return passwordPage(reply.code(400), actor, id, error.errors);
        }
      },
    },
    {
      method: 'POST',
      url: `${BASE}/:id/sign-in-pause`,
      access: 'users.manage',
      handler: async (request, reply) => {
        const { account, outcome } = await accounts.liftSignInPause(actorOf(request), idOf(request));
        const key =
          outcome === 'lifted'
            ? 'accounts.pause.lifted'
            : outcome === 'lifted-already'
              ? 'accounts.pause.lifted-already'
              : 'accounts.pause.not-paused';
        return reply
          .flash(
            request.t(key, { username: account.username }),
            outcome === 'lifted' ? 'success' : 'important',
          )
          .redirect(userHref(request, account.id));
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
          title: request.t('accounts.two-factor.title'),
          backLink: { href: userHref(request, details.user.id) },
          listSearch: placeOf(request),
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
        const form = twoFactorForm.parse(request.body ?? {});
        const { account, reset, already } = await accounts.resetTwoFactor(
          actorOf(request),
          idOf(request),
          form.enrolledAt,
        );
        const key = already
          ? 'accounts.two-factor.reset-already'
          : reset
            ? 'accounts.two-factor.reset'
            : 'accounts.two-factor.nothing-reset';
        return reply
          .flash(request.t(key, { username: account.username }), reset ? 'success' : 'important')
          .redirect(userHref(request, account.id));
      },
    },
    {
      method: 'GET',
      url: `${BASE}/:id/single-sign-on`,
      access: 'users.manage',
      handler: async (request, reply) => {
        const details = await accounts.details(actorOf(request), idOf(request));
        await accounts.accountToChange(actorOf(request), idOf(request), 'single-sign-on');
        if (details.singleSignOn.length === 0) return reply.redirect(userHref(request, details.user.id));
        return reply.page('accounts/views/single-sign-on-unlink.njk', {
          title: request.t('accounts.single-sign-on.title'),
          backLink: { href: userHref(request, details.user.id) },
          listSearch: placeOf(request),
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
            request.t(unlinked > 0 ? 'accounts.single-sign-on.unlinked' : 'accounts.single-sign-on.nothing', {
              username: account.username,
            }),
          )
          .redirect(userHref(request, account.id));
      },
    },
    {
      method: 'GET',
      url: `${BASE}/:id/delete`,
      access: 'users.manage',
      handler: async (request, reply) => {
        const user = await accounts.accountToChange(actorOf(request), idOf(request), 'delete');
        return reply.page('accounts/views/delete.njk', {
          title: request.t('accounts.delete.title'),
          backLink: { href: userHref(request, user.id) },
          listSearch: placeOf(request),
          account: user,
          roleLabel: roleLabelIn(request.language, user.role),
        });
      },
    },
    {
      method: 'POST',
      url: `${BASE}/:id/delete`,
      access: 'users.manage',
      handler: async (request, reply) => {
        const { account: user, already } = await accounts.remove(actorOf(request), idOf(request));
        // Back to the list's page the DBA came from, or to the deleted user's LA in the national list.
        const place = placeOf(request);
        const back = place
          ? BASE + place
          : user.la_number && isNational(request)
            ? `${BASE}?la=${user.la_number}`
            : BASE;
        return reply
          .flash(
            request.t(already ? 'accounts.delete.deleted-already' : 'accounts.delete.deleted', {
              username: user.username,
            }),
            already ? 'important' : 'success',
          )
          .redirect(back);
      },
    },
  ];
}
