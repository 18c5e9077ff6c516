// The web edge of census returns (returns-service.ts):
//
//   GET  /collect/collections/:collectionId          the collection as the actor takes part in it: a school's
//                                                   return and its versions, the LA's dashboard of its
//                                                   schools, or the collector's approved returns
//   GET  /collect/collections/:collectionId/upload   Upload Return from File (a school); POST loads it
//   GET  /collect/returns/:returnId                  a version: summary, errors and queries, notes, history
//   GET  /collect/returns/:returnId/pupils           its pupils, read from the stored file
//   GET  /collect/returns/:returnId/summary          its summary (totals to check against the MIS), and
//   GET  /collect/returns/:returnId/summary.csv      as a CSV file, counted from the stored file
//   POST /collect/returns/:returnId/answer           finding=ID&answer=...: a query explained
//   GET  /collect/returns/:returnId/submit           Submit Return (the headteacher's approval); POST submits
//   POST /collect/returns/:returnId/notes            an LA note
//   GET  /collect/returns/:returnId/return           return to the school, with a note; POST returns it
//   POST /collect/returns/:returnId/approve          the LA approves it
//
// The upload form is multipart: its CSRF token is its first field, then the "replace" checkbox, then the
// file. The form is read whole, the file into memory up to the return's limit, before the return is
// loaded (collect/web.ts): the box counts wherever a hand-made request puts it.
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Actor } from '../auth/actor.ts';
import { can, scopeOf } from '../auth/permissions.ts';
import { type Route, signedInUser } from '../auth/web.ts';
import type { CensusReturnStatus } from '../platform/db/schema.ts';
import { type FieldError, invalidErrors } from '../platform/errors.ts';
import { keyedError, type Language, translateMessage } from '../platform/i18n/catalogue.ts';
import { formId, oneText } from '../platform/web/form-values.ts';
import { lastPageHref, pagination } from '../platform/web/pagination.ts';
import { sendCsv } from '../reports/web.ts';
import { withoutFolder } from '../transfers/upload-service.ts';
import { censusReturnExample } from './census-filename.ts';
import type { CensusPupil } from './census-reader.ts';
import {
  boarderIn,
  censusDateIn,
  enrolStatusIn,
  madeAtIn,
  ncYearIn,
  partTimeIn,
  STATUS_KEYS,
  sexIn,
  type Translate,
} from './census-words.ts';
import {
  CensusReturnsService,
  type Decided,
  exampleSchool,
  type FindingView,
  type LoadOutcome,
  type Noted,
  RETURN_SIZE_LIMIT,
  type Returned,
  type ReturnsDeps,
  type ReturnView,
  returnContent,
  STATUS_LABELS,
} from './returns-service.ts';
import { summaryCsv, summaryPage } from './summary-view.ts';
import { pupilName } from './validate.ts';
import { readUploadForm } from './web.ts';

/** What happened to a return, as each event's key. */
const EVENT_KEYS: Record<string, string> = {
  loaded: 'collect.event.loaded',
  'query-answered': 'collect.event.query-answered',
  submitted: 'collect.event.submitted',
  note: 'collect.event.note',
  returned: 'collect.event.returned',
  approved: 'collect.event.approved',
};

const statusLabels = (t: Translate) =>
  Object.fromEntries(Object.entries(STATUS_KEYS).map(([status, key]) => [status, t(key)]));

/** The dashboard's counts (by English label, as the service gives them) in the reader's language. */
function countsIn(t: Translate, counts: Record<string, number>): { label: string; n: number }[] {
  const statusOf = new Map(Object.entries(STATUS_LABELS).map(([status, label]) => [label, status]));
  return Object.entries(counts).map(([label, n]) => {
    const status = statusOf.get(label) as CensusReturnStatus | undefined;
    return { label: status ? t(STATUS_KEYS[status]) : t('collect.return-status.not-loaded'), n };
  });
}

const FILE_FIELD = 'file';
/** A form that broke off, or could not be read: nothing is loaded, even if the return came whole. */
const INCOMPLETE_RETURN = 'collect.upload.incomplete';

const pageQuery = z.object({ page: z.coerce.number().int().catch(1).optional() });
const answerForm = z.object({ finding: oneText, answer: oneText });
const submitForm = z.object({ headteacher: oneText });
const noteForm = z.object({ note: oneText, formId });

const collectionPath = (id: string) => `/collect/collections/${id}`;
/** Upload Return from File: where a school loads its census return into a collection. */
export const uploadReturnPath = (id: string) => `${collectionPath(id)}/upload`;
const returnPath = (id: string) => `/collect/returns/${id}`;

export function returnRoutes(deps: ReturnsDeps): Route[] {
  const service = new CensusReturnsService(deps);

  const uploadForm = async (
    reply: FastifyReply,
    user: Actor,
    collectionId: string,
    errors?: FieldError[],
    /** A file refused: its name and what to do (its reasons are the errors). */
    refused?: { filename: string; whatToDo: string },
  ) => {
    const { details, versions } = await service.schoolOverview(user, collectionId);
    const { collection } = details;
    const t: Translate = (key, params) => reply.request.t(key, params);
    return reply.page('collect/views/upload-return.njk', {
      title: t('collect.upload.title'),
      details,
      current: versions[0] ?? null,
      statusLabels: statusLabels(t),
      example: censusReturnExample(exampleSchool(user), collection),
      limit: `${RETURN_SIZE_LIMIT / 1024 / 1024} MB`,
      limitBytes: RETURN_SIZE_LIMIT,
      fieldName: FILE_FIELD,
      // However often the form is posted, it loads one version (which takes the form's id).
      formId: randomUUID(),
      // Not live, the page has no form: the refusal's reason is what the page says in its place.
      errors: details.status === 'Live' ? errors : undefined,
      refused,
      backLink: { href: collectionPath(collectionId), text: t('collect.back-to', { name: collection.name }) },
    });
  };

  async function receive(request: FastifyRequest, reply: FastifyReply, collectionId: string) {
    const user = signedInUser(request);
    if (scopeOf(user.role) !== 'school') {
      await service.open(user, collectionId);
      return reply.redirect(`${collectionPath(collectionId)}/bulk-upload`, 303);
    }
    // Forbidden or NotFound before anything is read.
    const details = await service.openForLoad(user, collectionId);
    const {
      file,
      replace,
      formId: uploadFormId,
      problem,
    } = await readUploadForm(request, FILE_FIELD, RETURN_SIZE_LIMIT);
    if (problem !== undefined || file === undefined) {
      const error =
        problem?.kind === 'several-files'
          ? keyedError(FILE_FIELD, 'collect.upload.several-files', { files: problem.files })
          : keyedError(FILE_FIELD, problem ? INCOMPLETE_RETURN : 'collect.upload.select-file');
      return uploadForm(reply.code(400), user, collectionId, [error]);
    }
    const { filename, read } = file;
    const outcome = await service.loadFile(
      user,
      details,
      withoutFolder(filename),
      returnContent(read),
      replace,
      uploadFormId,
    );
    if (outcome.status === 'refused') {
      // The form again, as any refused form: its reasons in the error summary, linked to the file box.
      const {
        filename: refusedName,
        reasons,
        whatToDo,
      } = outcomeIn(request.language, outcome) as typeof outcome;
      return uploadForm(
        reply.code(400),
        user,
        collectionId,
        reasons.map((reason) => ({ field: FILE_FIELD, message: reason })),
        { filename: refusedName, whatToDo },
      );
    }
    return reply.page('collect/views/upload-result.njk', {
      title: request.t('collect.upload.return-loaded'),
      outcome,
      details,
      backLink: {
        href: collectionPath(collectionId),
        text: request.t('collect.back-to', { name: details.collection.name }),
      },
    });
  }

  /** A version's summary with what its page says of the version, for whoever may open it. */
  const summaryOf = async (user: Actor, returnId: string) => {
    const [view, counted] = await Promise.all([
      service.view(user, returnId),
      service.summary(user, returnId),
    ]);
    const { returnDetails, school } = view;
    return { view, summary: { ...counted, returnDetails, school } };
  };

  /**
   * `noteFormId`: the note form's id when it is drawn again with an error (a new one otherwise); `note`:
   * the note it shows then.
   */
  const returnPage = async (
    reply: FastifyReply,
    user: Actor,
    returnId: string,
    errors?: FieldError[],
    noteFormId?: string,
    note?: string,
    /** An explanation refused (too long), kept in its query's box to be shortened. */
    answer?: { finding: string; text: string },
  ) => {
    const view = await service.view(user, returnId);
    const t: Translate = (key, params) => reply.request.t(key, params);
    return reply.page('collect/views/return.njk', {
      title: t('collect.return.title', {
        school: view.school.name,
        collection: view.details.collection.name,
        version: view.version.version,
      }),
      ...viewModel(view, reply.request),
      errors,
      // However often the note form is posted, it adds one note (the note takes the form's id).
      noteFormId: noteFormId ?? randomUUID(),
      note,
      answer,
      backLink: {
        href: collectionPath(view.details.collection.id),
        text: t('collect.back-to', { name: view.details.collection.name }),
      },
    });
  };

  /** `formId`: the form's id when it is drawn again with an error (a new one otherwise). */
  const returnForm = async (
    reply: FastifyReply,
    user: Actor,
    returnId: string,
    note = '',
    errors?: FieldError[],
    formId?: string,
  ) => {
    const view = await service.view(user, returnId);
    if (!view.may.decide) {
      // Returned already, and the note meant to be added to its notes refused (too long): the return's
      // page says why, with the note in its note form.
      if (errors) return returnPage(reply, user, returnId, errors, undefined, note);
      return reply.redirect(returnPath(returnId));
    }
    return reply.page('collect/views/return-to-school.njk', {
      title: reply.request.t('collect.return-to-school.title', { school: view.school.name }),
      view,
      note,
      // However often the form is posted, it returns the version once, and adds another note once.
      formId: formId ?? randomUUID(),
      errors,
      backLink: { href: returnPath(returnId), text: reply.request.t('collect.back-to-return') },
    });
  };

  const submitPage = async (reply: FastifyReply, user: Actor, returnId: string, errors?: FieldError[]) => {
    const view = await service.view(user, returnId);
    if (!view.may.submit) return reply.redirect(returnPath(returnId));
    return reply.page('collect/views/submit.njk', {
      title: reply.request.t('collect.submit.title'),
      ...viewModel(view, reply.request),
      errors,
      backLink: { href: returnPath(returnId), text: reply.request.t('collect.back-to-return') },
    });
  };

  return [
    {
      method: 'GET',
      url: '/collect/collections/:collectionId',
      access: 'collect.use',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { collectionId } = request.params as { collectionId: string };
        const t: Translate = (key, params) => request.t(key, params);
        const backLink = { href: '/collect', text: t('collect.back-to', { name: t('menu.collect') }) };
        if (scopeOf(user.role) === 'school') {
          const { details, versions, returnedNote } = await service.schoolOverview(user, collectionId);
          return reply.page('collect/views/school-collection.njk', {
            title: details.collection.name,
            details,
            versions,
            returnedNote,
            current: versions[0] ?? null,
            // An approved version the school loaded a later one after: the DfE still has it.
            approved: versions.slice(1).find((v) => v.status === 'approved') ?? null,
            statusLabels: statusLabels(t),
            backLink,
          });
        }
        if (can(user.role, 'collect.agent')) {
          const dashboard = await service.dashboard(user, collectionId);
          return reply.page('collect/views/dashboard.njk', {
            title: dashboard.details.collection.name,
            ...dashboard,
            counts: countsIn(t, dashboard.counts),
            statusLabels: statusLabels(t),
            backLink,
          });
        }
        const approved = await service.approvedList(user, collectionId);
        return reply.page('collect/views/approved.njk', {
          title: approved.details.collection.name,
          ...approved,
          backLink,
        });
      },
    },
    {
      method: 'GET',
      url: '/collect/collections/:collectionId/upload',
      access: 'collect.return',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { collectionId } = request.params as { collectionId: string };
        // An LA loads its schools' returns from a zip.
        if (scopeOf(user.role) !== 'school') {
          await service.open(user, collectionId);
          return reply.redirect(`${collectionPath(collectionId)}/bulk-upload`);
        }
        return uploadForm(reply, user, collectionId);
      },
    },
    {
      method: 'POST',
      url: '/collect/collections/:collectionId/upload',
      access: 'collect.return',
      handler: async (request, reply) => {
        const { collectionId } = request.params as { collectionId: string };
        return receive(request, reply, collectionId);
      },
    },
    {
      method: 'GET',
      url: '/collect/returns/:returnId',
      access: 'collect.use',
      handler: async (request, reply) => {
        const { returnId } = request.params as { returnId: string };
        return returnPage(reply, signedInUser(request), returnId);
      },
    },
    {
      method: 'GET',
      url: '/collect/returns/:returnId/pupils',
      access: 'collect.use',
      handler: async (request, reply) => {
        const { returnId } = request.params as { returnId: string };
        const { page } = pageQuery.parse(request.query ?? {});
        const user = signedInUser(request);
        const [view, pupils] = await Promise.all([
          service.view(user, returnId),
          service.pupils(user, returnId, page ?? 1),
        ]);
        const lastPage = lastPageHref(request.url, pupils.page);
        if (lastPage) return reply.redirect(lastPage, 303);
        return reply.page('collect/views/pupils.njk', {
          title: request.t('collect.pupils.title', {
            school: view.school.name,
            version: view.version.version,
          }),
          view,
          ...pupils,
          pupils: pupils.pupils.map((pupil) =>
            pupilIn((key, params) => request.t(key, params), request.language, pupil),
          ),
          pagination: pagination(`${returnPath(returnId)}/pupils`, pupils, request.t('collect.pupils.pages')),
          backLink: { href: returnPath(returnId), text: request.t('collect.back-to-return') },
        });
      },
    },
    {
      method: 'GET',
      url: '/collect/returns/:returnId/summary',
      access: 'collect.use',
      handler: async (request, reply) => {
        const { returnId } = request.params as { returnId: string };
        const { view, summary } = await summaryOf(signedInUser(request), returnId);
        const t: Translate = (key, params) => request.t(key, params);
        return reply.page('collect/views/summary.njk', {
          title: t('collect.return-summary.title', {
            school: view.school.name,
            version: view.version.version,
          }),
          view,
          ...summaryPage(t, request.language, summary),
          backLink: { href: returnPath(returnId), text: t('collect.back-to-return') },
        });
      },
    },
    {
      method: 'GET',
      url: '/collect/returns/:returnId/summary.csv',
      access: 'collect.use',
      handler: async (request, reply) => {
        const { returnId } = request.params as { returnId: string };
        const { view, summary } = await summaryOf(signedInUser(request), returnId);
        return sendCsv(reply, summaryCsv(request.language, summary, view.details.collection.reference_date));
      },
    },
    {
      method: 'POST',
      url: '/collect/returns/:returnId/answer',
      access: 'collect.return',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { returnId } = request.params as { returnId: string };
        const form = answerForm.parse(request.body ?? {});
        try {
          await service.answerQuery(user, returnId, form.finding, form.answer);
        } catch (error) {
          const errors = invalidErrors(error).map((e) =>
            e.field === 'answer' ? { ...e, field: `answer-${form.finding}` } : e,
          );
          return returnPage(reply.code(400), user, returnId, errors, undefined, undefined, {
            finding: form.finding,
            text: form.answer,
          });
        }
        return reply
          .flash(request.t('collect.flash.explanation-saved'))
          .redirect(`${returnPath(returnId)}#queries`, 303);
      },
    },
    {
      method: 'GET',
      url: '/collect/returns/:returnId/submit',
      access: 'collect.return',
      handler: async (request, reply) => {
        const { returnId } = request.params as { returnId: string };
        return submitPage(reply, signedInUser(request), returnId);
      },
    },
    {
      method: 'POST',
      url: '/collect/returns/:returnId/submit',
      access: 'collect.return',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { returnId } = request.params as { returnId: string };
        const form = submitForm.parse(request.body ?? {});
        let decided: Decided;
        try {
          decided = await service.submit(user, returnId, form.headteacher === 'yes');
        } catch (error) {
          const errors = invalidErrors(error);
          if (errors.some((e) => e.field === 'headteacher') && errors.length === 1)
            return submitPage(reply.code(400), user, returnId, errors);
          return returnPage(reply.code(400), user, returnId, errors);
        }
        if (decided.already) {
          return reply
            .flash(request.t('collect.flash.submitted-already'))
            .redirect(returnPath(returnId), 303);
        }
        return reply
          .flash(request.t('collect.flash.submitted'), 'success')
          .redirect(returnPath(returnId), 303);
      },
    },
    {
      method: 'POST',
      url: '/collect/returns/:returnId/notes',
      access: 'collect.agent',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { returnId } = request.params as { returnId: string };
        const form = noteForm.parse(request.body ?? {});
        let added: Noted;
        try {
          added = await service.addNote(user, returnId, form.note, form.formId);
        } catch (error) {
          return returnPage(reply.code(400), user, returnId, invalidErrors(error), form.formId, form.note);
        }
        const said = added.already
          ? 'collect.flash.note-added-already'
          : added.emailed
            ? 'collect.flash.note-added-emailed'
            : 'collect.flash.note-added';
        return reply.flash(request.t(said)).redirect(`${returnPath(returnId)}#history`, 303);
      },
    },
    {
      method: 'GET',
      url: '/collect/returns/:returnId/return',
      access: 'collect.agent',
      handler: async (request, reply) => {
        const { returnId } = request.params as { returnId: string };
        return returnForm(reply, signedInUser(request), returnId);
      },
    },
    {
      method: 'POST',
      url: '/collect/returns/:returnId/return',
      access: 'collect.agent',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { returnId } = request.params as { returnId: string };
        const form = noteForm.parse(request.body ?? {});
        let decided: Returned;
        try {
          decided = await service.returnToSchool(user, returnId, form.note, form.formId);
        } catch (error) {
          const errors = invalidErrors(error);
          if (errors.some((e) => e.field === 'note'))
            return returnForm(reply.code(400), user, returnId, form.note, errors, form.formId);
          return returnPage(reply.code(400), user, returnId, errors);
        }
        const returned = !decided.already
          ? 'collect.flash.returned'
          : decided.note === 'added'
            ? decided.emailed
              ? 'collect.flash.returned-already-note-emailed'
              : 'collect.flash.returned-already-note-added'
            : decided.note === 'added-already'
              ? 'collect.flash.returned-already-note-added-already'
              : 'collect.flash.returned-already';
        return reply.flash(request.t(returned)).redirect(returnPath(returnId), 303);
      },
    },
    {
      method: 'POST',
      url: '/collect/returns/:returnId/approve',
      access: 'collect.agent',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { returnId } = request.params as { returnId: string };
        let decided: Decided;
        try {
          decided = await service.approve(user, returnId);
        } catch (error) {
          return returnPage(reply.code(400), user, returnId, invalidErrors(error));
        }
        if (decided.already) {
          return reply.flash(request.t('collect.flash.approved-already')).redirect(returnPath(returnId), 303);
        }
        return reply
          .flash(request.t('collect.flash.approved'), 'success')
          .redirect(returnPath(returnId), 303);
      },
    },
  ];
}

/** A pupil of a return as the pupils page shows it: codes in words where they have them, dates in the reader's. */
function pupilIn(t: Translate, language: Language, pupil: CensusPupil) {
  const date = (value: string | null) => censusDateIn(language, value) ?? '';
  return {
    ...pupil,
    dob: date(pupil.dob),
    entryDate: date(pupil.entryDate),
    leavingDate: date(pupil.leavingDate),
    sex: sexIn(t, pupil.sex),
    enrolStatus: enrolStatusIn(t, pupil.enrolStatus),
    ncYear: ncYearIn(t, pupil.ncYearActual),
    partTime: partTimeIn(t, pupil.partTime),
    boarder: boarderIn(t, pupil.boarder),
  };
}

/** A load's outcome with a refusal's reasons and what to do in the reader's language. */
export function outcomeIn(language: Language, outcome: LoadOutcome): LoadOutcome {
  if (outcome.status !== 'refused') return outcome;
  return {
    ...outcome,
    reasons: outcome.messages.reasons.map((reason) => translateMessage(language, reason)),
    whatToDo: translateMessage(language, outcome.messages.whatToDo),
  };
}

/** A finding's texts in the reader's language (one stored before migration 017 has only its English). */
function findingIn(language: Language, finding: FindingView): FindingView {
  const { messages } = finding;
  if (messages === null) return finding;
  return {
    ...finding,
    message: translateMessage(language, messages.message),
    guidance: translateMessage(language, messages.guidance),
    detail: messages.detail === null ? null : translateMessage(language, messages.detail),
    pupils: finding.pupils.map((pupil) =>
      pupil.surname === undefined
        ? pupil
        : { ...pupil, name: pupilName(pupil.surname, pupil.forename ?? null, language) },
    ),
  };
}

/** What the return's pages show: its findings split into errors and queries, its history in words. */
function viewModel(view: ReturnView, request: FastifyRequest) {
  const t: Translate = (key, params) => request.t(key, params);
  const findings = view.findings.map((finding) => findingIn(request.language, finding));
  return {
    view,
    errorsFound: findings.filter((f) => f.kind === 'error'),
    queriesFound: findings.filter((f) => f.kind === 'query'),
    unanswered: findings.filter((f) => f.kind === 'query' && f.answer === null).length,
    statusLabels: statusLabels(t),
    eventLabels: Object.fromEntries(Object.entries(EVENT_KEYS).map(([event, key]) => [event, t(key)])),
    censusDay: censusDateIn(request.language, view.returnDetails.header.referenceDate),
    madeAt: madeAtIn(request.language, view.returnDetails.header.dateTime),
    summary: t('collect.findings.summary', {
      errors: t('collect.count.errors', { count: view.version.error_count }),
      queries: t('collect.count.queries', { count: view.version.query_count }),
    }),
  };
}
