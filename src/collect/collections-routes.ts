// The web edge of data collections (collections-service.ts; census guide, "My Data Collections"):
//
//   GET  /collect/section                       the Data Collections section of the menu
//   GET  /collect[?page=N]                      My Data Collections: those the user's school or LA takes
//                                               part in (all of them for the collector), 20 a page
//   GET  /collect/manage[?page=N]               Manage Data Collections: every collection, 20 a page
//   GET|POST /collect/manage/new                set up a collection
//   GET|POST /collect/manage/:collectionId      change it
//   POST /collect/manage/:collectionId/close    close it: no more returns are loaded or submitted
//   POST /collect/manage/:collectionId/open     open it again
//
// A collection's own page, with its returns, is /collect/collections/:collectionId (returns-routes.ts).
import { randomUUID } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { type Route, sectionRoute, signedInUser } from '../auth/web.ts';
import type { Deps } from '../deps.ts';
import { laChoices } from '../directory/repository.ts';
import type { DataCollectionRow } from '../platform/db/schema.ts';
import { type FieldError, invalidErrors } from '../platform/errors.ts';
import { message } from '../platform/i18n/catalogue.ts';
import { dateInputValues } from '../platform/web/date-input.ts';
import { formId, manyValues, oneValue } from '../platform/web/form-values.ts';
import { lastPageHref, pageQuery, pagination } from '../platform/web/pagination.ts';
import {
  type CollectionDetails,
  type CollectionForm,
  DataCollectionsService,
} from './collections-service.ts';

export const MY_COLLECTIONS_PATH = '/collect';
export const MANAGE_PATH = '/collect/manage';

const collectionParams = z.object({ collectionId: z.string() });
/** The form as the browser sends it: the date inputs' boxes are named like "reference-day". */
const collectionForm = z.object({
  name: oneValue,
  term: oneValue,
  year: oneValue,
  'reference-day': oneValue,
  'reference-month': oneValue,
  'reference-year': oneValue,
  'open-day': oneValue,
  'open-month': oneValue,
  'open-year': oneValue,
  'due-day': oneValue,
  'due-month': oneValue,
  'due-year': oneValue,
  scope: oneValue,
  las: manyValues,
  /** The new collection form's id (made as the page is drawn), which the collection takes. */
  formId,
});

type CollectionFormValues = z.infer<typeof collectionForm>;

const TERM_ITEMS = [
  { value: 'AUT', text: 'collect.term.autumn' },
  { value: 'SPR', text: 'collect.term.spring' },
  { value: 'SUM', text: 'collect.term.summer' },
];

function serviceForm(form: CollectionFormValues): CollectionForm {
  return {
    name: form.name,
    term: form.term,
    year: form.year,
    referenceDay: form['reference-day'],
    referenceMonth: form['reference-month'],
    referenceYear: form['reference-year'],
    openDay: form['open-day'],
    openMonth: form['open-month'],
    openYear: form['open-year'],
    dueDay: form['due-day'],
    dueMonth: form['due-month'],
    dueYear: form['due-year'],
    scope: form.scope,
    las: form.las,
  };
}

/** The form filled with a saved collection, to change it. */
function formValues({ collection, las }: CollectionDetails): CollectionFormValues {
  const reference = dateInputValues(collection.reference_date);
  const open = dateInputValues(collection.open_date);
  const due = dateInputValues(collection.due_date);
  return {
    name: collection.name,
    term: collection.term,
    year: collection.year,
    'reference-day': reference.day,
    'reference-month': reference.month,
    'reference-year': reference.year,
    'open-day': open.day,
    'open-month': open.month,
    'open-year': open.year,
    'due-day': due.day,
    'due-month': due.month,
    'due-year': due.year,
    scope: collection.all_las === 1 ? 'all' : 'chosen',
    las,
    formId: undefined,
  };
}

export function collectionRoutes(deps: Pick<Deps, 'db' | 'clock'>): Route[] {
  const service = new DataCollectionsService(deps);

  /** The LAs taking part in a collection, as "916 Gloucestershire"; null when every LA's schools do. */
  const laNames = async (rows: { collection: DataCollectionRow; las: string[] }[]) => {
    const names = new Map((await laChoices(deps.db)).map((la) => [la.value, la.text]));
    return rows.map(({ collection, las }) =>
      collection.all_las === 1 ? null : las.map((la) => names.get(la) ?? la),
    );
  };

  const formPage = async (
    reply: FastifyReply,
    options: { details?: CollectionDetails; values?: CollectionFormValues; errors?: FieldError[] },
  ) => {
    const { details, errors } = options;
    const drawn = options.values ?? (details ? formValues(details) : undefined);
    // The new collection form has an id of its own, kept when it is drawn again with an error: however
    // often it is posted, it sets up one collection.
    const values = details ? drawn : { ...drawn, formId: drawn?.formId ?? randomUUID() };
    const chosen = new Set(values?.las ?? []);
    return reply.page('collect/views/collection-form.njk', {
      title: details ? details.collection.name : reply.request.t('collect.manage.set-up'),
      details,
      values,
      errors,
      terms: TERM_ITEMS.map((term) => ({
        ...term,
        text: reply.request.t(term.text),
        checked: term.value === values?.term,
      })),
      laItems: (await laChoices(deps.db)).map((la) => ({ ...la, checked: chosen.has(la.value) })),
      action: details ? `${MANAGE_PATH}/${details.collection.id}` : `${MANAGE_PATH}/new`,
      backLink: {
        href: MANAGE_PATH,
        text: reply.request.t('collect.back-to', { name: reply.request.t('menu.collect.manage') }),
      },
    });
  };

  const setClosed = (closed: boolean): Route['handler'] => {
    return async (request, reply) => {
      const user = signedInUser(request);
      const { collectionId } = collectionParams.parse(request.params ?? {});
      const { collection, already } = await service.setClosed(user, collectionId, closed);
      const said = closed
        ? already
          ? 'collect.flash.closed-already'
          : 'collect.flash.closed'
        : already
          ? 'collect.flash.opened-already'
          : 'collect.flash.opened';
      return reply.flash(request.t(said, { name: collection.name })).redirect(MANAGE_PATH);
    };
  };

  return [
    sectionRoute('/collect/section', message('collect.section.intro')),
    {
      method: 'GET',
      url: MY_COLLECTIONS_PATH,
      access: 'collect.use',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { page } = pageQuery.parse(request.query ?? {});
        const list = await service.myCollections(user, page);
        const lastPage = lastPageHref(request.url, list.page);
        if (lastPage) return reply.redirect(lastPage, 303);
        return reply.page('collect/views/my-collections.njk', {
          title: request.t('menu.collect'),
          list,
          pagination: pagination(MY_COLLECTIONS_PATH, list, request.t('collect.list.pages')),
        });
      },
    },
    {
      method: 'GET',
      url: MANAGE_PATH,
      access: 'collect.manage',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { page } = pageQuery.parse(request.query ?? {});
        const list = await service.list(user, page);
        const lastPage = lastPageHref(request.url, list.page);
        if (lastPage) return reply.redirect(lastPage, 303);
        const las = await laNames(list.rows);
        return reply.page('collect/views/manage-list.njk', {
          title: request.t('menu.collect.manage'),
          list,
          rows: list.rows.map((row, index) => ({ ...row, las: las[index] })),
          pagination: pagination(MANAGE_PATH, list, request.t('collect.list.pages')),
        });
      },
    },
    {
      method: 'GET',
      url: `${MANAGE_PATH}/new`,
      access: 'collect.manage',
      handler: async (_request, reply) => formPage(reply, {}),
    },
    {
      method: 'POST',
      url: `${MANAGE_PATH}/new`,
      access: 'collect.manage',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const values = collectionForm.parse(request.body ?? {});
        let created: Awaited<ReturnType<typeof service.create>>;
        try {
          created = await service.create(user, serviceForm(values), values.formId);
        } catch (error) {
          return formPage(reply.code(400), { values, errors: invalidErrors(error) });
        }
        if (typeof created !== 'string') {
          return reply
            .flash(request.t('collect.flash.set-up-already', { name: created.already.name }))
            .redirect(MANAGE_PATH);
        }
        return reply
          .flash(request.t('collect.flash.set-up', { name: values.name?.trim() ?? '' }))
          .redirect(MANAGE_PATH);
      },
    },
    {
      method: 'GET',
      url: `${MANAGE_PATH}/:collectionId`,
      access: 'collect.manage',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { collectionId } = collectionParams.parse(request.params ?? {});
        return formPage(reply, { details: await service.get(user, collectionId) });
      },
    },
    {
      method: 'POST',
      url: `${MANAGE_PATH}/:collectionId`,
      access: 'collect.manage',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { collectionId } = collectionParams.parse(request.params ?? {});
        const values = collectionForm.parse(request.body ?? {});
        try {
          await service.update(user, collectionId, serviceForm(values));
        } catch (error) {
          const errors = invalidErrors(error);
          const details = await service.get(user, collectionId);
          return formPage(reply.code(400), { details, values, errors });
        }
        return reply
          .flash(request.t('collect.flash.saved', { name: values.name?.trim() ?? '' }))
          .redirect(MANAGE_PATH);
      },
    },
    {
      method: 'POST',
      url: `${MANAGE_PATH}/:collectionId/close`,
      access: 'collect.manage',
      handler: setClosed(true),
    },
    {
      method: 'POST',
      url: `${MANAGE_PATH}/:collectionId/open`,
      access: 'collect.manage',
      handler: setClosed(false),
    },
  ];
}
