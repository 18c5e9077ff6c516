// The web edge of the directory: the DBA menu page, Establishment Finder, School Maintenance, Maintain
// LEA Details and the Audit Log. Parse -> call the service -> redirect, or show the page again.
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { can } from '../auth/permissions.ts';
import type { SignedInUser } from '../auth/service.ts';
import { type Route, sectionRoute, signedInUser } from '../auth/web.ts';
import type { Deps } from '../deps.ts';
import { type FieldError, Invalid, NotFound } from '../platform/errors.ts';
import { message, translateMessage } from '../platform/i18n/catalogue.ts';
import { formId, oneValue } from '../platform/web/form-values.ts';
import { csvResponse, dateRangeOf, dateRangeQuery } from '../reports/web.ts';
import { UNCOLLECTED_PATH } from '../transfers/la-monitor-routes.ts';
import { chosenLa, picksLa } from './policy.ts';
import type { EstablishmentRow, LocalAuthorityRow } from './repository.ts';
import {
  type AuditCriteria,
  auditActions,
  DirectoryService,
  FINDER_LIMIT,
  type NewSchoolInput,
  PHASES,
  type SchoolToDelete,
  schoolHasFiles,
  schoolHasUsers,
} from './service.ts';

const text = z.string().default('');

const finderQuery = z.object({ name: z.string().optional(), town: z.string().optional() });
const laQuery = z.object({ la: z.string().optional() });
/** The Audit Log's filters (GET, so the page links and the CSV link carry them), and its page. */
const auditQuery = dateRangeQuery.extend({ username: oneValue, action: oneValue, page: oneValue });
type AuditQuery = z.output<typeof auditQuery>;

function auditCriteria(query: AuditQuery): AuditCriteria {
  return { ...dateRangeOf(query), username: query.username, action: query.action };
}

/** The filters asked for, as a query string for the page links and the CSV link ('' for none). */
function auditFilterParams(query: AuditQuery): URLSearchParams {
  const { page: _page, run: _run, ...criteria } = query;
  return new URLSearchParams(
    Object.entries(criteria).filter((entry): entry is [string, string] => (entry[1] ?? '').trim() !== ''),
  );
}

/** "/dba/audit?username=…&page=2": the filters kept, then the page. */
function auditHref(path: string, filters: URLSearchParams, page?: number): string {
  const params = new URLSearchParams(filters);
  if (page !== undefined && page > 1) params.set('page', String(page));
  const query = params.toString();
  return query ? `${path}?${query}` : path;
}
const numberParams = z.object({ number: z.string() });

const schoolForm = z.object({
  la: text,
  number: text,
  name: text,
  town: text,
  postcode: text,
  phase: text,
  type: text,
  email: text,
  telephone: text,
  usesS2s: text,
  active: text,
  formId,
});
type SchoolForm = z.infer<typeof schoolForm>;

const laForm = z.object({ la: text, contactName: text, email: text, telephone: text, address: text });

function yesNo(value: string): boolean | undefined {
  if (value === 'yes') return true;
  if (value === 'no') return false;
  return undefined;
}

function schoolInput(form: SchoolForm): NewSchoolInput {
  return { ...form, usesS2s: yesNo(form.usesS2s), active: yesNo(form.active) };
}

/** A school as the form shows it. */
function schoolValues(school: EstablishmentRow): Partial<SchoolForm> {
  return {
    name: school.name,
    town: school.town ?? '',
    postcode: school.postcode ?? '',
    phase: school.phase ?? '',
    type: school.type ?? '',
    email: school.email ?? '',
    telephone: school.telephone ?? '',
    usesS2s: school.uses_s2s ? 'yes' : 'no',
    active: school.active ? 'yes' : 'no',
  };
}

function laValues(la: LocalAuthorityRow): z.infer<typeof laForm> {
  return {
    la: la.number,
    contactName: la.contact_name ?? '',
    email: la.email ?? '',
    telephone: la.telephone ?? '',
    address: la.address ?? '',
  };
}

/** The phases to choose from, keeping a school's current phase if it is not one of the usual ones. */
function phaseItems(
  request: FastifyRequest,
  selected: string | undefined,
): { value: string; text: string; selected: boolean }[] {
  const phases: string[] = [...PHASES];
  if (selected && !phases.includes(selected)) phases.push(selected);
  return [
    { value: '', text: request.t('directory.not-recorded'), selected: !selected },
    ...phases.map((phase) => ({ value: phase, text: phase, selected: phase === selected })),
  ];
}

/** Where a page of `path` lives for this LA: national administrators carry their choice in `?la=`. */
function laHref(user: SignedInUser, path: string, laNumber: string): string {
  return picksLa(user) ? `${path}?la=${encodeURIComponent(laNumber)}` : path;
}

function rethrowUnlessInvalid(error: unknown): FieldError[] {
  if (error instanceof Invalid) return error.errors;
  throw error;
}

export function directoryRoutes(deps: Pick<Deps, 'db' | 'clock'>): Route[] {
  const directory = new DirectoryService(deps.db, deps.clock);

  /** The LA picker's choices (national roles only) and the LA chosen, if any. */
  async function laChoice(user: SignedInUser, requested: string | undefined) {
    const laNumber = chosenLa(user, requested);
    if (!laNumber && !picksLa(user)) throw new NotFound(message('directory.not-found.your-la'));
    const las = picksLa(user) ? await directory.localAuthorities(user) : [];
    return { laNumber, las };
  }

  const addSchoolPage = (
    reply: FastifyReply,
    user: SignedInUser,
    la: LocalAuthorityRow,
    data: Record<string, unknown>,
  ) =>
    reply.page('directory/views/school-add.njk', {
      title: reply.request.t('directory.add.title'),
      // The form's id, made as the page is first drawn and kept when it is drawn again with errors.
      formId: (data.values as Partial<SchoolForm> | undefined)?.formId ?? randomUUID(),
      la,
      picksLa: picksLa(user),
      phases: phaseItems(reply.request, (data.values as Partial<SchoolForm> | undefined)?.phase),
      backLink: {
        href: laHref(user, '/dba/schools', la.number),
        text: reply.request.t('directory.back-to-schools'),
      },
      ...data,
    });

  const schoolPage = (
    reply: FastifyReply,
    user: SignedInUser,
    school: EstablishmentRow,
    data: { values?: Partial<SchoolForm>; errors?: FieldError[] } = {},
  ) => {
    const values = data.values ?? schoolValues(school);
    return reply.page('directory/views/school.njk', {
      title: school.name,
      school,
      values,
      errors: data.errors,
      phases: phaseItems(reply.request, values.phase),
      canManage: can(user.role, 'schools.manage'),
      backLink: {
        href: laHref(user, '/dba/schools', school.la_number),
        text: reply.request.t('directory.back-to-schools'),
      },
    });
  };

  const deletePage = (
    reply: FastifyReply,
    user: SignedInUser,
    found: SchoolToDelete,
    errors?: FieldError[],
  ) =>
    reply.page('directory/views/school-delete.njk', {
      title: reply.request.t('directory.delete.title', { name: found.school.name }),
      school: found.school,
      users: found.users,
      filesWaiting: found.waiting.ctfs + found.waiting.others,
      usersMessage:
        found.users > 0
          ? translateMessage(reply.request.language, schoolHasUsers(found.school, found.users))
          : undefined,
      filesMessages: schoolHasFiles(found.school, found.waiting).map((reason) =>
        translateMessage(reply.request.language, reason),
      ),
      // The national administrator may delete schools but does not work an LA's CTFs: no link for them.
      uncollectedHref:
        found.waiting.ctfs > 0 && can(user.role, 'transfers.la-monitor') ? UNCOLLECTED_PATH : undefined,
      listHref: laHref(user, '/dba/schools', found.school.la_number),
      errors,
      backLink: { href: `/dba/schools/${found.school.number}` },
    });

  const laPage = async (
    reply: FastifyReply,
    user: SignedInUser,
    requested: string | undefined,
    data: { values?: z.infer<typeof laForm>; errors?: FieldError[] } = {},
  ) => {
    const { laNumber, las } = await laChoice(user, requested);
    const la = laNumber ? await directory.localAuthority(user, 'la-details.view', laNumber) : undefined;
    return reply.page('directory/views/la-details.njk', {
      title: reply.request.t('menu.dba.la'),
      las,
      la,
      values: data.values ?? (la ? laValues(la) : undefined),
      errors: data.errors,
      picksLa: picksLa(user),
      canManage: can(user.role, 'la-details.manage'),
    });
  };

  return [
    sectionRoute('/dba', message('directory.dba.intro')),
    {
      method: 'GET',
      url: '/establishments',
      access: 'directory.find',
      handler: async (request, reply) => {
        const query = finderQuery.parse(request.query ?? {});
        const values = { name: query.name ?? '', town: query.town ?? '' };
        const page = (data: Record<string, unknown> = {}) =>
          reply.page('directory/views/finder.njk', {
            title: request.t('menu.establishments'),
            values,
            limit: FINDER_LIMIT,
            ...data,
          });
        if (query.name === undefined && query.town === undefined) return page();
        try {
          return page({ result: await directory.find(values) });
        } catch (error) {
          const errors = rethrowUnlessInvalid(error);
          reply.code(400);
          return page({ errors });
        }
      },
    },
    {
      method: 'GET',
      url: '/dba/schools',
      access: 'schools.view',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { laNumber, las } = await laChoice(user, laQuery.parse(request.query ?? {}).la);
        const found = laNumber ? await directory.schoolsOf(user, laNumber) : undefined;
        return reply.page('directory/views/schools.njk', {
          title: request.t('menu.dba.schools'),
          las,
          la: found?.la,
          schools: found?.schools ?? [],
          canManage: can(user.role, 'schools.manage'),
          addHref: found ? laHref(user, '/dba/schools/add', found.la.number) : undefined,
          backLink: { href: '/dba', text: request.t('directory.back-to-dba') },
        });
      },
    },
    {
      method: 'GET',
      url: '/dba/schools/add',
      access: 'schools.manage',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const laNumber = chosenLa(user, laQuery.parse(request.query ?? {}).la);
        if (!laNumber) return reply.redirect('/dba/schools');
        const la = await directory.localAuthority(user, 'schools.manage', laNumber);
        return addSchoolPage(reply, user, la, { values: { usesS2s: 'yes', active: 'yes' } });
      },
    },
    {
      method: 'POST',
      url: '/dba/schools/add',
      access: 'schools.manage',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const form = schoolForm.parse(request.body ?? {});
        const laNumber = chosenLa(user, form.la);
        if (!laNumber) throw new NotFound(message('directory.not-found.la'));
        try {
          const { school, already } = await directory.addSchoolOnce(
            user,
            laNumber,
            schoolInput(form),
            form.formId,
          );
          return reply
            .flash(
              request.t(already ? 'directory.add.added-already' : 'directory.add.added', {
                school: `${school.name} (${school.number})`,
              }),
              already ? 'important' : 'success',
            )
            .redirect(laHref(user, '/dba/schools', school.la_number));
        } catch (error) {
          const errors = rethrowUnlessInvalid(error);
          const la = await directory.localAuthority(user, 'schools.manage', laNumber);
          return addSchoolPage(reply.code(400), user, la, { values: form, errors });
        }
      },
    },
    {
      method: 'GET',
      url: '/dba/schools/:number',
      access: 'schools.view',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { number } = numberParams.parse(request.params ?? {});
        return schoolPage(reply, user, await directory.school(user, number));
      },
    },
    {
      method: 'POST',
      url: '/dba/schools/:number',
      access: 'schools.manage',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { number } = numberParams.parse(request.params ?? {});
        const form = schoolForm.parse(request.body ?? {});
        try {
          const { school, changed } = await directory.updateSchool(user, number, schoolInput(form));
          const text = request.t(
            changed.length > 0 ? 'directory.school.updated' : 'directory.school.unchanged',
            {
              school: `${school.name} (${school.number})`,
            },
          );
          return reply.flash(text).redirect(laHref(user, '/dba/schools', school.la_number));
        } catch (error) {
          const errors = rethrowUnlessInvalid(error);
          const school = await directory.school(user, number);
          return schoolPage(reply.code(400), user, school, { values: form, errors });
        }
      },
    },
    {
      method: 'GET',
      url: '/dba/schools/:number/delete',
      access: 'schools.manage',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { number } = numberParams.parse(request.params ?? {});
        return deletePage(reply, user, await directory.schoolToDelete(user, number));
      },
    },
    {
      method: 'POST',
      url: '/dba/schools/:number/delete',
      access: 'schools.manage',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { number } = numberParams.parse(request.params ?? {});
        try {
          const { school, already } = await directory.deleteSchoolOnce(user, number);
          return reply
            .flash(
              request.t(already ? 'directory.delete.deleted-already' : 'directory.delete.deleted', {
                school: `${school.name} (${school.number})`,
              }),
              already ? 'important' : 'success',
            )
            .redirect(laHref(user, '/dba/schools', school.la_number));
        } catch (error) {
          const errors = rethrowUnlessInvalid(error);
          return deletePage(reply.code(400), user, await directory.schoolToDelete(user, number), errors);
        }
      },
    },
    {
      method: 'GET',
      url: '/dba/la',
      access: 'la-details.view',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        return laPage(reply, user, laQuery.parse(request.query ?? {}).la);
      },
    },
    {
      method: 'POST',
      url: '/dba/la',
      access: 'la-details.manage',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const form = laForm.parse(request.body ?? {});
        const laNumber = chosenLa(user, form.la);
        if (!laNumber) throw new NotFound(message('directory.not-found.la'));
        try {
          const { la, changed } = await directory.updateLaDetails(user, laNumber, form);
          const text = request.t(changed.length > 0 ? 'directory.la.updated' : 'directory.la.unchanged', {
            la: `${la.number} ${la.name}`,
          });
          return reply.flash(text).redirect(laHref(user, '/dba/la', la.number));
        } catch (error) {
          const errors = rethrowUnlessInvalid(error);
          return laPage(reply.code(400), user, laNumber, { values: form, errors });
        }
      },
    },
    {
      method: 'GET',
      url: '/dba/audit',
      access: 'audit.view',
      handler: async (request: FastifyRequest, reply) => {
        const user = signedInUser(request);
        const query = auditQuery.parse(request.query ?? {});
        const filters = auditFilterParams(query);
        const collator = new Intl.Collator(request.language);
        const page = async (data: Record<string, unknown>, code = 200) =>
          reply.code(code).page('directory/views/audit.njk', {
            title: request.t('menu.dba.audit'),
            query,
            // The actions in the reader's language, in its alphabetical order.
            actions: auditActions()
              .map(({ action, key }) => ({ value: action, text: request.t(key) }))
              .sort((a, b) => collator.compare(a.text, b.text)),
            csvHref: auditHref('/dba/audit.csv', filters),
            filtered: filters.size > 0,
            chain: await directory.auditChainHead(user),
            national: picksLa(user),
            backLink: { href: '/dba', text: request.t('directory.back-to-dba') },
            ...data,
          });
        let log: Awaited<ReturnType<DirectoryService['auditLog']>>;
        try {
          log = await directory.auditLog(user, Number(query.page ?? '1'), auditCriteria(query));
        } catch (error) {
          return page({ errors: rethrowUnlessInvalid(error) }, 400);
        }
        return page({
          log: {
            ...log,
            // Each action's wording in the reader's language; what was done to what stays as recorded.
            lines: log.lines.map((line) =>
              line.actionKey ? { ...line, action: request.t(line.actionKey) } : line,
            ),
          },
          newestHref: auditHref('/dba/audit', filters),
          previous:
            log.page > 1
              ? {
                  href: auditHref('/dba/audit', filters, log.page - 1),
                  labelText: request.t('directory.audit.newer'),
                }
              : undefined,
          next: log.hasNext
            ? {
                href: auditHref('/dba/audit', filters, log.page + 1),
                labelText: request.t('directory.audit.older'),
              }
            : undefined,
        });
      },
    },
    {
      method: 'GET',
      url: '/dba/audit.csv',
      access: 'audit.view',
      handler: async (request: FastifyRequest, reply) => {
        const user = signedInUser(request);
        const criteria = auditCriteria(auditQuery.parse(request.query ?? {}));
        return csvResponse(request, reply, '/dba/audit', async () => directory.auditExport(user, criteria));
      },
    },
  ];
}
