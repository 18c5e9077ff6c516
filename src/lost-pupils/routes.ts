// The web edge of Search for Lost Pupil (LA notes §4.1-4.2; service.ts), for the two Lost Pupil roles:
//
//   GET  /lost-pupils/search                          the search form
//   POST /lost-pupils/search                          the form searched: its errors, or a redirect to
//   GET  /lost-pupils/search?q=..                     its results. `q` is the search sealed (encrypted
//                                                     and authenticated, platform/web/sealed-text.ts): a
//                                                     pupil's name and date of birth are never written in
//                                                     an address, so never in the browser's history, a
//                                                     proxy's log or a copied link. An address with the
//                                                     fields themselves (an older link) is sealed likewise
//   GET  /lost-pupils/search/:lostPupilId            one record ("additional pupil details")
//
// Opened from the results, the record and every page after it (download, check, forward) carry the
// sealed search in their query string, checked as the search checks it, so that "Back to the results",
// "New Search" and "No" on "Was the file downloaded correctly?" return to the results ("the Lost Pupils
// Files screen (Fig.1)", LA notes §4.1).
//   GET|POST /lost-pupils/search/:lostPupilId/download   "Download Lost Pupil File": the attestation,
//                                                     then a download ticket and the question page
//   GET  /lost-pupils/search/:lostPupilId/check?ticket=  "Was the file downloaded correctly?", which
//                                                     starts the download (a meta refresh, and a link)
//   GET  /lost-pupils/search/:lostPupilId/file?ticket=   the file itself
//   POST /lost-pupils/search/:lostPupilId/check      Yes: found, back to the record; No: back to the
//                                                     results (to the record without a search); no
//                                                     answer: asked again, its form carrying the ticket
//                                                     so that the link still works (decision 71)
//   GET|POST /lost-pupils/search/:lostPupilId/forward    the transfer role: a school of the LA and the
//                                                     attestation, the new name to confirm (a second
//                                                     post with confirm=yes), then forwarded
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { can } from '../auth/permissions.ts';
import type { SignedInUser } from '../auth/service.ts';
import { type Route, signedInUser } from '../auth/web.ts';
import type { Deps } from '../deps.ts';
import { type FieldError, invalidErrors } from '../platform/errors.ts';
import { keyedError, type Language, translateMessage } from '../platform/i18n/catalogue.ts';
import { oneText } from '../platform/web/form-values.ts';
import { SealedText } from '../platform/web/sealed-text.ts';
import { contentDisposition } from '../transfers/download-routes.ts';
import { DownloadTickets } from '../transfers/download-tickets.ts';
import { SCHOOL_FIELD } from '../transfers/forward-service.ts';
import {
  ATTEST_FIELD,
  DEFAULT_ORDER,
  EMPTY_SEARCH,
  LostPupilService,
  type LostPupilSort,
  readCriteria,
  SEARCH_PARAMS,
  type SearchForm,
  type SearchOutcome,
  SHOWN,
  SORT_LABELS,
  SORTS,
} from './service.ts';

export const SEARCH_PATH = '/lost-pupils/search';
const SEARCH_LABEL_KEY = 'menu.lost-pupils.search';

const recordPath = (id: string) => `${SEARCH_PATH}/${id}`;

const searchQuery = z.object(
  Object.fromEntries(Object.values(SEARCH_PARAMS).map((name) => [name, oneText])) as Record<
    string,
    typeof oneText
  >,
);
const recordParams = z.object({ lostPupilId: z.string() });
const ticketQuery = z.object({ ticket: z.string().default('') });
const attestForm = z.object({ attest: z.string().optional() });
/** The question's answer, with the download's ticket so the page asked again (no answer) still links to it. */
const answerForm = z.object({ answer: z.string().default(''), ticket: z.string().optional() });
const forwardForm = z.object({
  school: z.string().default(''),
  attest: z.string().optional(),
  confirm: z.string().optional(),
});

/** The parameter that holds the sealed search. */
const SEALED = 'q';

/** The form as typed (from the form's fields), and whether it was submitted at all. */
function readSearch(query: unknown): { form: SearchForm; submitted: boolean } {
  const raw = searchQuery.parse(query ?? {});
  const given = Object.keys(query ?? {});
  const text = (key: keyof SearchForm) => raw[SEARCH_PARAMS[key]] ?? '';
  return {
    form: {
      upn: text('upn'),
      surname: text('surname'),
      surnameBegins: text('surnameBegins') !== '',
      forename: text('forename'),
      town: text('town'),
      dobDay: text('dobDay'),
      dobMonth: text('dobMonth'),
      dobYear: text('dobYear'),
      gender: text('gender'),
      sort: text('sort') || EMPTY_SEARCH.sort,
      order: text('order'),
    },
    submitted: Object.values(SEARCH_PARAMS).some((name) => given.includes(name)),
  };
}

/** The search's fields as a query string (only what was given): what a sealed search holds. */
function searchQueryString(form: SearchForm, changes: Partial<SearchForm> = {}): string {
  const query = new URLSearchParams();
  for (const [key, v] of Object.entries({ ...form, ...changes }) as [keyof SearchForm, string | boolean][]) {
    if (v === true) query.set(SEARCH_PARAMS[key], 'yes');
    else if (typeof v === 'string' && v.trim() !== '') query.set(SEARCH_PARAMS[key], v.trim());
  }
  return query.toString();
}

/** Searches sealed into addresses, and opened from them (see the top of this file). */
class SealedSearches {
  constructor(private readonly sealer: SealedText) {}

  /** `q=...`: the search sealed, to come back to it or sort it differently. */
  carry(form: SearchForm, changes: Partial<SearchForm> = {}): string {
    return `${SEALED}=${this.sealer.seal(searchQueryString(form, changes))}`;
  }

  /** The search an address holds sealed; not submitted when it holds none (or one that does not open). */
  opened(query: unknown): { form: SearchForm; submitted: boolean } {
    const sealed = (query as Record<string, unknown> | undefined)?.[SEALED];
    const text = typeof sealed === 'string' ? this.sealer.open(sealed) : null;
    return readSearch(text === null ? {} : Object.fromEntries(new URLSearchParams(text)));
  }

  /**
   * The search a page was reached from, as a query string to carry on, or undefined: none was given, or it
   * is not one the search accepts.
   */
  carried(query: unknown): string | undefined {
    const { form, submitted } = this.opened(query);
    if (!submitted) return undefined;
    try {
      readCriteria(form);
    } catch {
      return undefined;
    }
    return this.carry(form);
  }
}

/** `path` with the carried search (and any other parameters) as its query string. */
function withSearch(path: string, search: string | undefined, params: Record<string, string> = {}): string {
  const query = new URLSearchParams(params);
  for (const [name, value] of new URLSearchParams(search ?? '')) query.append(name, value);
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** The results of the carried search, or the empty search form. */
const resultsHref = (search: string | undefined) =>
  search ? `${SEARCH_PATH}?${search}#results` : SEARCH_PATH;

/** The results' column headings that sort them: a click sorts by the column, a second reverses it. */
function sortHeadings(
  searches: SealedSearches,
  form: SearchForm,
  outcome: SearchOutcome,
  language: Language,
) {
  const { sort, order } = outcome.criteria;
  return Object.fromEntries(
    SORTS.map((key: LostPupilSort) => {
      const current = key === sort;
      const next = current ? (order === 'ascending' ? 'descending' : 'ascending') : DEFAULT_ORDER[key];
      return [
        key,
        {
          text: translateMessage(language, { key: SORT_LABELS[key] }),
          href: `${SEARCH_PATH}?${searches.carry(form, { sort: key, order: next })}#results`,
          ariaSort: current ? order : 'none',
        },
      ];
    }),
  );
}

export function lostPupilRoutes(
  deps: Pick<Deps, 'db' | 'files' | 'clock' | 'logger' | 'cookieSecret'>,
): Route[] {
  const service = new LostPupilService({ ...deps, tickets: new DownloadTickets(deps.cookieSecret) });
  const searches = new SealedSearches(new SealedText(deps.cookieSecret, 'lost pupils search'));

  /** What every page of a record shows its links with: the record's path, and the search carried. */
  const links = (id: string, search: string | undefined) => ({
    base: recordPath(id),
    keep: withSearch('', search),
  });

  const recordPage = async (
    reply: FastifyReply,
    user: SignedInUser,
    id: string,
    search: string | undefined,
  ) => {
    const record = await service.record(user, id);
    return reply.page('lost-pupils/views/record.njk', {
      title: reply.request.t('lost-pupils.record.title'),
      record,
      ...links(record.id, search),
      // "If the details do not match click New Search" (LA notes §4.1): an empty form. The search that led
      // here is the back link's.
      newSearchHref: SEARCH_PATH,
      backLink: {
        href: resultsHref(search),
        text: search
          ? reply.request.t('lost-pupils.back-to-results')
          : reply.request.t('lost-pupils.back-to', { page: reply.request.t(SEARCH_LABEL_KEY) }),
      },
    });
  };

  const downloadPage = async (
    reply: FastifyReply,
    user: SignedInUser,
    id: string,
    search: string | undefined,
    errors?: FieldError[],
  ) => {
    const record = await service.record(user, id);
    return reply.page('lost-pupils/views/download.njk', {
      title: reply.request.t('lost-pupils.download.title'),
      record,
      ...links(record.id, search),
      errors,
      backLink: {
        href: withSearch(recordPath(record.id), search),
        text: reply.request.t('lost-pupils.back-to-record'),
      },
    });
  };

  const checkPage = async (
    reply: FastifyReply,
    user: SignedInUser,
    id: string,
    search: string | undefined,
    data: { ticket?: string; errors?: FieldError[] } = {},
  ) => {
    const record = await service.record(user, id);
    const base = recordPath(record.id);
    const ticketValid = data.ticket !== undefined && service.ticketIsValid(user, record.id, data.ticket);
    return reply.page('lost-pupils/views/check.njk', {
      title: reply.request.t('lost-pupils.check.title'),
      record,
      ...links(record.id, search),
      downloadHref: ticketValid
        ? withSearch(`${base}/file`, search, { ticket: data.ticket ?? '' })
        : undefined,
      ticket: ticketValid ? data.ticket : undefined,
      // Asked again for want of an answer, the download has started already: the link stays.
      startDownload: ticketValid && !data.errors,
      errors: data.errors,
    });
  };

  const forwardPage = async (
    reply: FastifyReply,
    user: SignedInUser,
    id: string,
    search: string | undefined,
    data: { school?: string; attested?: boolean; errors?: FieldError[] } = {},
  ) => {
    const record = await service.record(user, id);
    return reply.page('lost-pupils/views/forward.njk', {
      title: reply.request.t('lost-pupils.forward.title'),
      record,
      // The new file's sender: the LA (decision 33).
      sender: `${user.laNumber}LLLL`,
      ...links(record.id, search),
      values: { school: data.school ?? '', attest: data.attested ? ['yes'] : [] },
      errors: data.errors,
      backLink: {
        href: withSearch(recordPath(record.id), search),
        text: reply.request.t('lost-pupils.back-to-record'),
      },
    });
  };

  const searchPage = (reply: FastifyReply, form: SearchForm, status: number, data: Record<string, unknown>) =>
    reply.code(status).page('lost-pupils/views/search.njk', {
      title: reply.request.t(SEARCH_LABEL_KEY),
      form,
      action: SEARCH_PATH,
      sorts: SORTS.map((key) => ({
        value: key,
        text: reply.request.t(SORT_LABELS[key]),
        selected: key === form.sort,
      })),
      shown: SHOWN,
      forwards: can(signedInUser(reply.request).role, 'lost-pupils.forward'),
      ...data,
    });

  /** A search asked for: its errors on the form, or its results at the search's sealed address. */
  const searched = (reply: FastifyReply, form: SearchForm) => {
    try {
      readCriteria(form);
    } catch (error) {
      return searchPage(reply, form, 400, { errors: invalidErrors(error) });
    }
    return reply.redirect(`${SEARCH_PATH}?${searches.carry(form)}#results`, 303);
  };

  return [
    {
      method: 'GET',
      url: SEARCH_PATH,
      access: 'lost-pupils.search',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        // An address with the search's own fields (an older link): sealed, as the form's search is.
        const unsealed = readSearch(request.query);
        if (unsealed.submitted) return searched(reply, unsealed.form);
        const { form, submitted } = searches.opened(request.query);
        if (!submitted) return searchPage(reply, form, 200, {});
        try {
          const outcome = await service.search(user, form);
          return searchPage(reply, form, 200, {
            outcome,
            resultsTitle: outcome.more
              ? request.t('lost-pupils.search.more-than', { shown: SHOWN })
              : request.t('lost-pupils.search.matches', { count: outcome.results.length }),
            narrow: outcome.narrowMessage ? translateMessage(request.language, outcome.narrowMessage) : null,
            upnWarning: outcome.upnWarningMessage
              ? translateMessage(request.language, outcome.upnWarningMessage)
              : null,
            headings: sortHeadings(searches, form, outcome, request.language),
            recordQuery: searches.carry(form),
          });
        } catch (error) {
          return searchPage(reply, form, 400, { errors: invalidErrors(error) });
        }
      },
    },
    {
      method: 'POST',
      url: SEARCH_PATH,
      access: 'lost-pupils.search',
      handler: async (request, reply) => searched(reply, readSearch(request.body).form),
    },
    {
      method: 'GET',
      url: `${SEARCH_PATH}/:lostPupilId`,
      access: 'lost-pupils.search',
      handler: async (request, reply) => {
        const { lostPupilId } = recordParams.parse(request.params ?? {});
        return recordPage(reply, signedInUser(request), lostPupilId, searches.carried(request.query));
      },
    },
    {
      method: 'GET',
      url: `${SEARCH_PATH}/:lostPupilId/download`,
      access: 'lost-pupils.search',
      handler: async (request, reply) => {
        const { lostPupilId } = recordParams.parse(request.params ?? {});
        return downloadPage(reply, signedInUser(request), lostPupilId, searches.carried(request.query));
      },
    },
    {
      method: 'POST',
      url: `${SEARCH_PATH}/:lostPupilId/download`,
      access: 'lost-pupils.search',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { lostPupilId } = recordParams.parse(request.params ?? {});
        const form = attestForm.parse(request.body ?? {});
        const search = searches.carried(request.query);
        try {
          const { ticket } = await service.attestDownload(user, lostPupilId, form.attest === 'yes');
          return reply.redirect(withSearch(`${recordPath(lostPupilId)}/check`, search, { ticket }), 303);
        } catch (error) {
          return downloadPage(reply.code(400), user, lostPupilId, search, invalidErrors(error));
        }
      },
    },
    {
      method: 'GET',
      url: `${SEARCH_PATH}/:lostPupilId/check`,
      access: 'lost-pupils.search',
      handler: async (request, reply) => {
        const { lostPupilId } = recordParams.parse(request.params ?? {});
        const { ticket } = ticketQuery.parse(request.query ?? {});
        return checkPage(reply, signedInUser(request), lostPupilId, searches.carried(request.query), {
          ticket,
        });
      },
    },
    {
      method: 'GET',
      url: `${SEARCH_PATH}/:lostPupilId/file`,
      access: 'lost-pupils.search',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { lostPupilId } = recordParams.parse(request.params ?? {});
        const { ticket } = ticketQuery.parse(request.query ?? {});
        const search = searches.carried(request.query);
        // The record first (not found is not found, whatever the ticket), then the ticket.
        const record = await service.record(user, lostPupilId);
        if (!service.ticketIsValid(user, record.id, ticket)) {
          // An old or copied link: confirm again rather than download.
          return reply.redirect(withSearch(`${recordPath(record.id)}/download`, search));
        }
        // Fastify answers HEAD with this handler too: a HEAD is not a download, so nothing is recorded.
        if (request.method === 'HEAD') return reply.header('cache-control', 'no-store').send();
        try {
          const download = await service.download(user, record.id, ticket);
          // Fastify sends the headers with the first bytes; should the content fail its check later,
          // it destroys the response, so the browser shows a failed download, never a wrong file.
          return reply
            .headers({
              'content-type': 'application/octet-stream',
              'content-disposition': contentDisposition(download.filename),
              'content-length': String(download.size),
              'cache-control': 'no-store',
              'x-content-type-options': 'nosniff',
            })
            .send(download.stream);
        } catch (error) {
          return downloadPage(reply.code(400), user, record.id, search, invalidErrors(error));
        }
      },
    },
    {
      method: 'POST',
      url: `${SEARCH_PATH}/:lostPupilId/check`,
      access: 'lost-pupils.search',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { lostPupilId } = recordParams.parse(request.params ?? {});
        const form = answerForm.parse(request.body ?? {});
        const search = searches.carried(request.query);
        const record = await service.record(user, lostPupilId);
        if (form.answer === 'no') {
          // Nothing was done: a notice, not a success. Back to the results (LA notes §4.1).
          return reply
            .flash(
              request.t(
                search ? 'lost-pupils.check.not-found-results-flash' : 'lost-pupils.check.not-found-flash',
                {
                  filename: record.filename,
                },
              ),
              'important',
            )
            .redirect(search ? resultsHref(search) : recordPath(record.id), 303);
        }
        if (form.answer !== 'yes') {
          return checkPage(reply.code(400), user, record.id, search, {
            ticket: form.ticket,
            errors: [keyedError('answer', 'lost-pupils.check.answer-required')],
          });
        }
        try {
          const { already } = await service.confirmFoundOnce(user, record.id);
          const foundKey = already ? 'lost-pupils.check.found-already' : 'lost-pupils.check.found-flash';
          return reply
            .flash(request.t(foundKey, { filename: record.filename }))
            .redirect(withSearch(recordPath(record.id), search), 303);
        } catch (error) {
          return checkPage(reply.code(400), user, record.id, search, {
            ticket: form.ticket,
            errors: invalidErrors(error),
          });
        }
      },
    },
    {
      method: 'GET',
      url: `${SEARCH_PATH}/:lostPupilId/forward`,
      access: 'lost-pupils.forward',
      handler: async (request, reply) => {
        const { lostPupilId } = recordParams.parse(request.params ?? {});
        return forwardPage(reply, signedInUser(request), lostPupilId, searches.carried(request.query));
      },
    },
    {
      method: 'POST',
      url: `${SEARCH_PATH}/:lostPupilId/forward`,
      access: 'lost-pupils.forward',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { lostPupilId } = recordParams.parse(request.params ?? {});
        const form = forwardForm.parse(request.body ?? {});
        const input = { school: form.school, attested: form.attest === 'yes' };
        const search = searches.carried(request.query);
        try {
          if (form.confirm !== 'yes') {
            const { record, plan } = await service.forwardPlan(user, lostPupilId, input);
            return reply.page('lost-pupils/views/forward-check.njk', {
              title: request.t('lost-pupils.forward-check.title', {
                filename: record.filename,
                newName: plan.filename,
              }),
              record,
              plan,
              school: plan.destination.code,
              ...links(record.id, search),
              backLink: {
                href: withSearch(`${recordPath(record.id)}/forward`, search),
                text: request.t('layout.back'),
              },
            });
          }
          const { record, result } = await service.forwardOnce(user, lostPupilId, input);
          if (!result) {
            return reply
              .flash(
                request.t('lost-pupils.forward.done-already', { filename: record.filename }),
                'important',
              )
              .redirect(withSearch(recordPath(record.id), search), 303);
          }
          return reply
            .flash(
              request.t('lost-pupils.forward.done-flash', {
                filename: record.filename,
                school: result.plan.destination.name,
                newName: result.forwarded.filename,
              }),
            )
            .redirect(withSearch(recordPath(record.id), search), 303);
        } catch (error) {
          const errors = invalidErrors(error);
          if (!errors.some((e) => e.field === SCHOOL_FIELD || e.field === ATTEST_FIELD)) throw error;
          return forwardPage(reply.code(400), user, lostPupilId, search, { ...input, errors });
        }
      },
    },
  ];
}
