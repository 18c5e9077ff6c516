// The directory of LAs and schools: the Establishment Finder, School Maintenance, Maintain LEA Details
// (LA notes §3.8-3.9, handbook §7) and the audit log a DBA reads. No HTTP here.
import { countUsersOfEstablishment, lockAccountsOfLa } from '../accounts/repository.ts';
import { chainHeadStatus, type HeadStatus } from '../audit/chain.ts';
import { changesOf, type FieldChange } from '../audit/changes.ts';
import { AUDIT_CSV_HEADER, auditCsvFilename, auditCsvRows } from '../audit/export.ts';
import { auditKeysOf } from '../audit/keys.ts';
import { type AuditAction, type AuditFilter, listAudit, recordAudit } from '../audit/repository.ts';
import type { Actor } from '../auth/actor.ts';
import { type Capability, can } from '../auth/permissions.ts';
import type { Clock } from '../platform/clock.ts';
import { londonDate } from '../platform/dates.ts';
import type { AuditEventRow, Db, Executor } from '../platform/db/schema.ts';
import { searchText } from '../platform/db/text-search.ts';
import { type FieldError, Forbidden, Invalid, NotFound } from '../platform/errors.ts';
import { keyedError, type Message, message, messageError } from '../platform/i18n/catalogue.ts';
import { type DateRangeInput, readDateRange } from '../reports/date-range.ts';
import type { CsvDownload } from '../reports/downloads.ts';
import { CATEGORIES } from '../transfers/categories.ts';
import { countIncoming } from '../transfers/download-repository.ts';
import { emailProblem, telephoneProblem } from './contact-details.ts';
import { establishmentNumberProblem, isEstablishmentNumber, isLaNumber } from './numbers.ts';
import { auditScope, laIsInScope, mayActOnLa } from './policy.ts';
import {
  auditEventExists,
  deletedSchoolName,
  deleteEstablishment,
  type EstablishmentRow,
  type FoundEstablishment,
  findEstablishments,
  getEstablishment,
  getLocalAuthority,
  insertEstablishmentOnce,
  type LocalAuthorityRow,
  listEstablishmentsOfLa,
  listLocalAuthorities,
  lockEstablishment,
  releaseEstablishmentFromDeletedUsers,
  schoolAddedByForm,
  updateEstablishment,
  updateLocalAuthority,
} from './repository.ts';

/** The Establishment Finder shows at most this many schools and asks for a narrower search beyond. */
export const FINDER_LIMIT = 100;
export const AUDIT_PAGE_SIZE = 50;

/** The phases of education used by Get Information about Schools. */
export const PHASES = [
  'Nursery',
  'Primary',
  'Middle deemed primary',
  'Middle deemed secondary',
  'Secondary',
  'All-through',
  '16 plus',
  'Not applicable',
] as const;

/** What a DBA enters for a school; text as typed, the yes/no answers undefined when not chosen. */
export interface SchoolInput {
  name: string;
  town: string;
  postcode: string;
  phase: string;
  type: string;
  email: string;
  telephone: string;
  usesS2s: boolean | undefined;
  active: boolean | undefined;
}

export interface NewSchoolInput extends SchoolInput {
  number: string;
}

export interface LaDetailsInput {
  contactName: string;
  email: string;
  telephone: string;
  address: string;
}

export interface FinderSearch {
  name: string;
  town: string;
}

export interface FinderResult {
  schools: FoundEstablishment[];
  /** More schools match than are shown. */
  more: boolean;
}

export interface SchoolsOfLa {
  la: LocalAuthorityRow;
  schools: EstablishmentRow[];
}

export interface AuditLine {
  at: string;
  who: string | null;
  organisation: string | null;
  action: string;
  /** The catalogue key of the action's wording, when the action is known. */
  actionKey?: string;
  subject: string | null;
  details: string;
}

export interface AuditPage {
  lines: AuditLine[];
  page: number;
  hasNext: boolean;
}

/** What the Audit Log's form asks for: who did it, the action, and From and To as a report's dates. */
export interface AuditCriteria extends DateRangeInput {
  username?: string;
  action?: string;
}

/** The longest username (users.username and audit_events.actor_username are varchar(64)). */
const USERNAME_MAX = 64;

/** The fields of a school a DBA may change, as stored. */
type SchoolFields = Pick<
  EstablishmentRow,
  'name' | 'town' | 'postcode' | 'phase' | 'type' | 'email' | 'telephone' | 'uses_s2s' | 'active'
>;

type LaFields = Pick<LocalAuthorityRow, 'contact_name' | 'email' | 'telephone' | 'address'>;

const ACTION_LABELS: Record<AuditAction, string> = {
  'sign-in': 'Signed in',
  'sign-in-failed': 'Sign-in failed',
  'sign-out': 'Signed out',
  'password-changed': 'Password changed',
  'password-reset': 'Password reset',
  'two-factor-enrolled': 'Two-factor sign-in set up',
  'two-factor-turned-off': 'Two-factor sign-in turned off',
  'two-factor-reset': 'Two-factor sign-in reset by an administrator',
  'sign-in-pause-lifted': 'Sign-in pause lifted by an administrator',
  'recovery-code-used': 'Signed in with a recovery code',
  'recovery-codes-replaced': 'New recovery codes made',
  'oidc-linked': 'Single sign-on linked to the account',
  'oidc-unlinked': 'Single sign-on unlinked by an administrator',
  'user-added': 'User added',
  'user-role-changed': 'User role changed',
  'user-details-changed': 'User details changed',
  'user-deleted': 'User deleted',
  'school-added': 'School added',
  'school-updated': 'School updated',
  'school-deleted': 'School deleted',
  'la-details-updated': 'LA details updated',
  'establishments-imported': 'Establishments imported',
  'file-uploaded': 'File uploaded',
  'upload-refused': 'Upload refused',
  'file-downloaded': 'File downloaded',
  'file-collected': 'File collected',
  'file-rejected': 'File rejected',
  'file-redownloaded': 'File downloaded again',
  'file-removed': 'File removed by sender',
  'file-forwarded': 'File forwarded',
  'file-purged': 'File content deleted after the re-download period',
  'file-scanned': 'File scanned for viruses: none found',
  'file-quarantined': 'File quarantined: a virus was found',
  'lost-pupil-removed': 'Lost pupil record removed',
  'lost-pupil-downloaded': 'Lost pupil file downloaded (on roll attested)',
  'lost-pupil-found': 'Lost pupil found',
  'lost-pupil-lost-again': 'Lost pupil lost again (forwarded file rejected or removed)',
  'lost-pupil-match-closed': 'Lost pupil match followed up',
  'message-sent': 'Message sent',
  'message-replied': 'Message replied to',
  'message-deleted': 'Message deleted',
  'emails-sent-again': 'Emails put back in the queue to send again',
  'job-run-by-hand': 'Scheduled job run by hand',
  'message-template-added': 'Message template added',
  'message-template-updated': 'Message template updated',
  'message-template-copied': 'Message template copied',
  'message-template-deleted': 'Message template deleted',
  'message-group-added': 'Message address group added',
  'message-group-updated': 'Message address group updated',
  'message-group-deleted': 'Message address group deleted',
  'data-collection-added': 'Data collection set up',
  'data-collection-updated': 'Data collection changed',
  'data-collection-closed': 'Data collection closed',
  'data-collection-reopened': 'Data collection opened again',
  'census-return-loaded': 'Census return loaded',
  'census-return-refused': 'Census return refused',
  'census-query-answered': 'Census query answered',
  'census-return-submitted': 'Census return submitted',
  'census-return-note-added': 'Note added to a census return',
  'census-return-returned': 'Census return returned to the school',
  'census-return-approved': 'Census return approved',
  'token-created': 'API token created',
  'token-revoked': 'API token revoked',
  'master-key-rotated': 'Master key rotated (the keys of stored files re-wrapped)',
  'audit-break-accepted': 'Break in the audit chain accepted',
};

export class DirectoryService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** Handbook §7: any part of the name and/or the town; open and closed schools, England and Wales. */
  async find(search: FinderSearch): Promise<FinderResult> {
    const name = searchText(search.name);
    const town = searchText(search.town);
    const errors: FieldError[] = [];
    if (!name && !town) {
      errors.push(keyedError('name', 'directory.finder.enter-search'));
    }
    if (name.length > 200) errors.push(keyedError('name', 'directory.error.name-too-long', { max: 200 }));
    if (town.length > 100) errors.push(keyedError('town', 'directory.error.town-too-long', { max: 100 }));
    if (errors.length > 0) throw new Invalid(errors);
    const found = await findEstablishments(this.db, { name, town, limit: FINDER_LIMIT + 1 });
    return { schools: found.slice(0, FINDER_LIMIT), more: found.length > FINDER_LIMIT };
  }

  /** The LAs the actor may pick from: every LA for national roles, otherwise their own. */
  async localAuthorities(actor: Actor): Promise<LocalAuthorityRow[]> {
    const all = await listLocalAuthorities(this.db);
    return all.filter((la) => laIsInScope(actor, la.number));
  }

  /** An LA the actor may act on with `capability`; any other LA is simply not found. */
  async localAuthority(actor: Actor, capability: Capability, laNumber: string): Promise<LocalAuthorityRow> {
    return this.requireLa(actor, capability, laNumber);
  }

  async schoolsOf(actor: Actor, laNumber: string): Promise<SchoolsOfLa> {
    const la = await this.requireLa(actor, 'schools.view', laNumber);
    return { la, schools: await listEstablishmentsOfLa(this.db, la.number) };
  }

  /** One school of an LA the actor may see; any other number is simply not found. */
  async school(actor: Actor, number: string): Promise<EstablishmentRow> {
    return this.requireSchool(this.db, actor, 'schools.view', number);
  }

  /** The school about to be deleted, and how many user accounts stand in the way. */
  async schoolToDelete(actor: Actor, number: string): Promise<SchoolToDelete> {
    const school = await this.requireSchool(this.db, actor, 'schools.manage', number);
    return {
      school,
      users: await countUsersOfEstablishment(this.db, school.number),
      waiting: await filesWaitingFor(this.db, school),
    };
  }

  async addSchool(actor: Actor, laNumber: string, input: NewSchoolInput): Promise<EstablishmentRow> {
    return (await this.addSchoolOnce(actor, laNumber, input, undefined)).school;
  }

  /**
   * Adds a school as addSchool does, once per `formId` (the id the Add school page gave its form): the
   * audit event of the addition takes it as its id, so the same form posted again (a double click, Back
   * and submit, a browser resending; at once, its insert waiting for the first's) adds nothing and gets
   * the school added the first time as `already`, where it was told the number is taken.
   */
  async addSchoolOnce(
    actor: Actor,
    laNumber: string,
    input: NewSchoolInput,
    formId: string | undefined,
  ): Promise<{ school: EstablishmentRow; already: boolean }> {
    const la = await this.requireLa(actor, 'schools.manage', laNumber);
    const number = input.number.trim();
    const numberProblem = establishmentNumberProblem(number, la.number);
    const { fields, errors } = schoolFields(input, null);
    if (numberProblem) errors.unshift(keyedError('number', numberProblem.key, numberProblem.params));
    if (errors.length > 0) throw new Invalid(errors);

    const now = this.clock.now();
    const at = now.toISOString();
    return this.db.transaction().execute(async (tx) => {
      const taken = async (existing: EstablishmentRow | undefined) => {
        if (existing && formId && (await schoolAddedByForm(tx, formId, number))) {
          return { school: existing, already: true };
        }
        throw new Invalid([
          existing && laIsInScope(actor, existing.la_number)
            ? keyedError('number', 'directory.error.school-exists-named', { number, name: existing.name })
            : keyedError('number', 'directory.error.school-exists', { number }),
        ]);
      };
      const existing = await getEstablishment(tx, number);
      if (existing) return taken(existing);
      const school: EstablishmentRow = {
        number,
        la_number: la.number,
        ...fields,
        name_search: searchText(fields.name),
        town_search: searchText(fields.town),
        status: 'open',
        urn: null,
        opened_on: null,
        closed_on: null,
        created_at: at,
        updated_at: at,
      };
      // Posted at once with the same number: this insert waited for the other's, and finds its school.
      if (!(await insertEstablishmentOnce(tx, school))) return taken(await getEstablishment(tx, number));
      await recordAudit(tx, {
        at: now,
        actorUserId: actor.userId,
        actorUsername: actor.username,
        organisation: number,
        action: 'school-added',
        subjectType: 'school',
        subjectId: number,
        detail: { name: school.name },
        // An id another event has (only a hand-made form could give one): a new one, then.
        ...(formId && !(await auditEventExists(tx, formId)) ? { id: formId } : {}),
      });
      return { school, already: false };
    });
  }

  /** Updates what changed and returns the names of the changed fields (none: nothing written). */
  async updateSchool(
    actor: Actor,
    number: string,
    input: SchoolInput,
  ): Promise<{ school: EstablishmentRow; changed: string[] }> {
    const read = await this.requireSchool(this.db, actor, 'schools.manage', number);
    const { fields, errors } = schoolFields(input, read.phase);
    if (errors.length > 0) throw new Invalid(errors);
    if (changedKeys<SchoolFields>(read, fields).length === 0) return { school: read, changed: [] };

    const now = this.clock.now();
    return this.db.transaction().execute(async (tx) => {
      // Read again under the school's row lock: the same form posted at once waited here for the first,
      // and finds nothing left to change (nothing is audited twice).
      await lockEstablishment(tx, number);
      const current = await this.requireSchool(tx, actor, 'schools.manage', number);
      const changed = changedKeys<SchoolFields>(current, fields);
      if (changed.length === 0) return { school: current, changed };
      const school: EstablishmentRow = {
        ...current,
        ...fields,
        name_search: searchText(fields.name),
        town_search: searchText(fields.town),
        updated_at: now.toISOString(),
      };
      const { number: _number, ...changes } = school;
      await updateEstablishment(tx, current.number, changes);
      await recordAudit(tx, {
        at: now,
        actorUserId: actor.userId,
        actorUsername: actor.username,
        organisation: current.number,
        action: 'school-updated',
        subjectType: 'school',
        subjectId: current.number,
        detail: { fields: changed, changes: changesOf(current, fields, changed, FLAG_FIELDS) },
      });
      return { school, changed };
    });
  }

  /**
   * Refused while the school has user accounts (they must be deleted first: an account cannot move to
   * another school), files waiting for it (deleted, it could never collect them, and their senders would
   * see them waiting for ever) or census returns in COLLECT.
   */
  async deleteSchool(
    actor: Actor,
    number: string,
  ): Promise<Pick<EstablishmentRow, 'number' | 'name' | 'la_number'>> {
    const { school, already } = await this.deleteSchoolOnce(actor, number);
    if (already) throw new NotFound(message('directory.not-found.school', { number }));
    return school;
  }

  /**
   * Deletes a school as deleteSchool does; a school of the actor's that was deleted already (the same
   * form posted again, or at once, its delete waiting for the first's) is `already` deleted, with the
   * name it had, and nothing is done or audited again, where it was not found.
   */
  async deleteSchoolOnce(
    actor: Actor,
    number: string,
  ): Promise<{ school: Pick<EstablishmentRow, 'number' | 'name' | 'la_number'>; already: boolean }> {
    const now = this.clock.now();
    return this.db.transaction().execute(async (tx) => {
      const gone = await this.deletedSchool(tx, actor, number);
      if (gone) return { school: gone, already: true };
      const school = await this.requireSchool(tx, actor, 'schools.manage', number);
      const users = await countUsersOfEstablishment(tx, school.number);
      // Census returns are kept records of what the school sent the DfE: they hold the school (and the
      // database refuses to lose it), so such a school is made inactive instead.
      const returns = await countCensusReturnsOf(tx, school.number);
      const reasons = [
        ...(users > 0 ? [{ field: 'users', reason: schoolHasUsers(school, users) }] : []),
        ...(returns > 0
          ? [
              {
                field: 'returns',
                reason: message('directory.error.school-has-returns', {
                  school: `${school.name} (${school.number})`,
                  count: returns,
                }),
              },
            ]
          : []),
        ...schoolHasFiles(school, await filesWaitingFor(tx, school)).map((reason) => ({
          field: 'files',
          reason,
        })),
      ];
      if (reasons.length > 0) {
        throw new Invalid(reasons.map(({ field, reason }) => keyedError(field, reason.key, reason.params)));
      }
      // Deleted accounts keep their rows (their usernames stay reserved) but must not hold the school.
      await releaseEstablishmentFromDeletedUsers(tx, school.number);
      if (!(await deleteEstablishment(tx, school.number))) return { school, already: true };
      await recordAudit(tx, {
        at: now,
        actorUserId: actor.userId,
        actorUsername: actor.username,
        organisation: school.number,
        action: 'school-deleted',
        subjectType: 'school',
        subjectId: school.number,
        detail: { name: school.name },
      });
      return { school, already: false };
    });
  }

  /** The school `number` as it was deleted, if it is gone and was the actor's to manage. */
  private async deletedSchool(
    db: Executor,
    actor: Actor,
    number: string,
  ): Promise<Pick<EstablishmentRow, 'number' | 'name' | 'la_number'> | undefined> {
    if (!can(actor.role, 'schools.manage') || !isEstablishmentNumber(number)) return undefined;
    const laNumber = number.slice(0, 3);
    if (!mayActOnLa(actor, 'schools.manage', laNumber) || (await getEstablishment(db, number)))
      return undefined;
    const name = await deletedSchoolName(db, number);
    return name === undefined ? undefined : { number, name, la_number: laNumber };
  }

  async updateLaDetails(
    actor: Actor,
    laNumber: string,
    input: LaDetailsInput,
  ): Promise<{ la: LocalAuthorityRow; changed: string[] }> {
    const read = await this.requireLa(actor, 'la-details.manage', laNumber);
    const { fields, errors } = laFields(input);
    if (errors.length > 0) throw new Invalid(errors);
    if (changedKeys<LaFields>(read, fields).length === 0) return { la: read, changed: [] };

    const now = this.clock.now();
    const changes = { ...fields, updated_at: now.toISOString() };
    return this.db.transaction().execute(async (tx) => {
      // Read again under the LA's row lock: the same form posted at once waited here for the first, and
      // finds nothing left to change (nothing is audited twice).
      await lockAccountsOfLa(tx, read.number);
      const current = (await getLocalAuthority(tx, read.number)) ?? read;
      const changed = changedKeys<LaFields>(current, fields);
      if (changed.length === 0) return { la: current, changed };
      await updateLocalAuthority(tx, current.number, changes);
      await recordAudit(tx, {
        at: now,
        actorUserId: actor.userId,
        actorUsername: actor.username,
        organisation: current.number,
        action: 'la-details-updated',
        subjectType: 'la',
        subjectId: current.number,
        detail: { fields: changed, changes: changesOf(current, fields, changed, FLAG_FIELDS) },
      });
      return { la: { ...current, ...changes }, changed };
    });
  }

  /** Newest first; an LA's DBA sees its own events and its schools', a national admin everything. */
  /**
   * The events the criteria match (every one without), within the actor's scope whatever they ask;
   * Invalid naming each criterion that cannot be read.
   */
  async auditLog(actor: Actor, page: number, criteria: AuditCriteria = {}): Promise<AuditPage> {
    const scope = auditScope(actor);
    if (!scope) throw new Forbidden();
    const filter = this.auditFilter(criteria);
    const current = Number.isSafeInteger(page) && page >= 1 ? page : 1;
    const rows = await listAudit(this.db, {
      ...scope,
      filter,
      limit: AUDIT_PAGE_SIZE + 1,
      offset: (current - 1) * AUDIT_PAGE_SIZE,
    });
    return {
      lines: rows.slice(0, AUDIT_PAGE_SIZE).map(auditLine),
      page: current,
      hasNext: rows.length > AUDIT_PAGE_SIZE,
    };
  }

  /** The audit trail of the actor's scope, as a CSV download: the events the criteria match. */
  auditExport(actor: Actor, criteria: AuditCriteria = {}): CsvDownload {
    const scope = auditScope(actor);
    if (!scope) throw new Forbidden();
    return {
      filename: auditCsvFilename(scope, londonDate(this.clock.now())),
      header: AUDIT_CSV_HEADER,
      rows: auditCsvRows(this.db, scope, this.auditFilter(criteria)),
    };
  }

  /**
   * The Audit Log's criteria read: the username as typed (compared without case), an action the log
   * knows, and From and To as every report reads them (a blank To is today), applied only when a date
   * is given.
   */
  private auditFilter(criteria: AuditCriteria): AuditFilter {
    const errors: FieldError[] = [];
    const username = (criteria.username ?? '').trim();
    if (username.length > USERNAME_MAX) {
      errors.push(keyedError('username', 'directory.audit.filter.username-too-long', { max: USERNAME_MAX }));
    }
    const action = (criteria.action ?? '').trim();
    if (action && !Object.hasOwn(ACTION_KEYS, action)) {
      errors.push(keyedError('action', 'directory.audit.filter.unknown-action'));
    }
    const { username: _username, action: _action, ...dates } = criteria;
    const anyDate = Object.values(dates).some((box) => (box ?? '').trim() !== '');
    const read = anyDate ? readDateRange(dates, this.clock.now()) : undefined;
    if (read) errors.push(...read.errors);
    if (errors.length > 0) throw new Invalid(errors);
    return {
      ...(username ? { username } : {}),
      ...(action ? { action } : {}),
      ...(read?.range ? { since: read.range.since, until: read.range.until } : {}),
    };
  }

  /**
   * The chain's head, for the national administrator to note outside s2s (an anchor), and whether its
   * MAC verifies under the audit key the database handle carries (one row: not a whole verification).
   */
  async auditChainHead(actor: Actor): Promise<HeadStatus | undefined> {
    if (auditScope(actor)?.laNumber !== undefined || !can(actor.role, 'audit.view')) return undefined;
    return chainHeadStatus(this.db, auditKeysOf(this.db));
  }

  private async requireLa(
    actor: Actor,
    capability: Capability,
    laNumber: string,
  ): Promise<LocalAuthorityRow> {
    if (!can(actor.role, capability)) throw new Forbidden();
    const la =
      isLaNumber(laNumber) && mayActOnLa(actor, capability, laNumber)
        ? await getLocalAuthority(this.db, laNumber)
        : undefined;
    if (!la) throw new NotFound(message('directory.not-found.la-number', { la: laNumber }));
    return la;
  }

  /** Another LA's school is "not found", exactly like a number that does not exist. */
  private async requireSchool(
    db: Executor,
    actor: Actor,
    capability: Capability,
    number: string,
  ): Promise<EstablishmentRow> {
    if (!can(actor.role, capability)) throw new Forbidden();
    const school = isEstablishmentNumber(number) ? await getEstablishment(db, number) : undefined;
    if (!school || !mayActOnLa(actor, capability, school.la_number))
      throw new NotFound(message('directory.not-found.school', { number }));
    return school;
  }
}

export function schoolHasUsers(school: Pick<EstablishmentRow, 'name' | 'number'>, users: number): Message {
  return message('directory.error.school-has-users', {
    school: `${school.name} (${school.number})`,
    count: users,
  });
}

/** The files a school has not collected yet: CTFs, which its LA can forward or delete, and the others. */
export interface FilesWaiting {
  ctfs: number;
  others: number;
}

export interface SchoolToDelete {
  school: EstablishmentRow;
  users: number;
  waiting: FilesWaiting;
}

/** Files still on their way to the school: offered to it, or about to be once their scan is done. */
async function filesWaitingFor(db: Executor, school: EstablishmentRow): Promise<FilesWaiting> {
  const party = { kind: 'school', establishmentNumber: school.number, laNumber: school.la_number } as const;
  const waiting = { ctfs: 0, others: 0 };
  for (const status of ['available', 'pending-scan'] as const) {
    for (const [category, n] of await countIncoming(db, party, { categories: CATEGORIES, status })) {
      if (category === 'ctf') waiting.ctfs += n;
      else waiting.others += n;
    }
  }
  return waiting;
}

/**
 * Why files waiting stop a school's deletion, and what to do: the LA forwards or deletes CTFs in Delete
 * files not collected by schools (LA notes §5.3); other files only their senders can remove.
 */
export function schoolHasFiles(
  school: Pick<EstablishmentRow, 'name' | 'number'>,
  waiting: FilesWaiting,
): Message[] {
  const name = `${school.name} (${school.number})`;
  return [
    ...(waiting.ctfs > 0
      ? [message('directory.error.school-has-ctfs', { school: name, count: waiting.ctfs })]
      : []),
    ...(waiting.others > 0
      ? [message('directory.error.school-has-files', { school: name, count: waiting.others })]
      : []),
  ];
}

/** The catalogue key of each action's wording (its English is the label above). */
const ACTION_KEYS: Record<AuditAction, string> = {
  'sign-in': 'directory.audit-action.sign-in',
  'sign-in-failed': 'directory.audit-action.sign-in-failed',
  'sign-out': 'directory.audit-action.sign-out',
  'password-changed': 'directory.audit-action.password-changed',
  'password-reset': 'directory.audit-action.password-reset',
  'two-factor-enrolled': 'directory.audit-action.two-factor-enrolled',
  'two-factor-turned-off': 'directory.audit-action.two-factor-turned-off',
  'two-factor-reset': 'directory.audit-action.two-factor-reset',
  'sign-in-pause-lifted': 'directory.audit-action.sign-in-pause-lifted',
  'recovery-code-used': 'directory.audit-action.recovery-code-used',
  'recovery-codes-replaced': 'directory.audit-action.recovery-codes-replaced',
  'oidc-linked': 'directory.audit-action.oidc-linked',
  'oidc-unlinked': 'directory.audit-action.oidc-unlinked',
  'user-added': 'directory.audit-action.user-added',
  'user-role-changed': 'directory.audit-action.user-role-changed',
  'user-details-changed': 'directory.audit-action.user-details-changed',
  'user-deleted': 'directory.audit-action.user-deleted',
  'school-added': 'directory.audit-action.school-added',
  'school-updated': 'directory.audit-action.school-updated',
  'school-deleted': 'directory.audit-action.school-deleted',
  'la-details-updated': 'directory.audit-action.la-details-updated',
  'establishments-imported': 'directory.audit-action.establishments-imported',
  'file-uploaded': 'directory.audit-action.file-uploaded',
  'upload-refused': 'directory.audit-action.upload-refused',
  'file-downloaded': 'directory.audit-action.file-downloaded',
  'file-collected': 'directory.audit-action.file-collected',
  'file-rejected': 'directory.audit-action.file-rejected',
  'file-redownloaded': 'directory.audit-action.file-redownloaded',
  'file-removed': 'directory.audit-action.file-removed',
  'file-forwarded': 'directory.audit-action.file-forwarded',
  'file-purged': 'directory.audit-action.file-purged',
  'file-scanned': 'directory.audit-action.file-scanned',
  'file-quarantined': 'directory.audit-action.file-quarantined',
  'lost-pupil-removed': 'directory.audit-action.lost-pupil-removed',
  'lost-pupil-downloaded': 'directory.audit-action.lost-pupil-downloaded',
  'lost-pupil-found': 'directory.audit-action.lost-pupil-found',
  'lost-pupil-lost-again': 'directory.audit-action.lost-pupil-lost-again',
  'lost-pupil-match-closed': 'directory.audit-action.lost-pupil-match-closed',
  'message-sent': 'directory.audit-action.message-sent',
  'message-replied': 'directory.audit-action.message-replied',
  'message-deleted': 'directory.audit-action.message-deleted',
  'emails-sent-again': 'directory.audit-action.emails-sent-again',
  'job-run-by-hand': 'directory.audit-action.job-run-by-hand',
  'message-template-added': 'directory.audit-action.message-template-added',
  'message-template-updated': 'directory.audit-action.message-template-updated',
  'message-template-copied': 'directory.audit-action.message-template-copied',
  'message-template-deleted': 'directory.audit-action.message-template-deleted',
  'message-group-added': 'directory.audit-action.message-group-added',
  'message-group-updated': 'directory.audit-action.message-group-updated',
  'message-group-deleted': 'directory.audit-action.message-group-deleted',
  'data-collection-added': 'directory.audit-action.data-collection-added',
  'data-collection-updated': 'directory.audit-action.data-collection-updated',
  'data-collection-closed': 'directory.audit-action.data-collection-closed',
  'data-collection-reopened': 'directory.audit-action.data-collection-reopened',
  'census-return-loaded': 'directory.audit-action.census-return-loaded',
  'census-return-refused': 'directory.audit-action.census-return-refused',
  'census-query-answered': 'directory.audit-action.census-query-answered',
  'census-return-submitted': 'directory.audit-action.census-return-submitted',
  'census-return-note-added': 'directory.audit-action.census-return-note-added',
  'census-return-returned': 'directory.audit-action.census-return-returned',
  'census-return-approved': 'directory.audit-action.census-return-approved',
  'token-created': 'directory.audit-action.token-created',
  'token-revoked': 'directory.audit-action.token-revoked',
  'master-key-rotated': 'directory.audit-action.master-key-rotated',
  'audit-break-accepted': 'directory.audit-action.audit-break-accepted',
};

/** The actions the Audit Log can be filtered by, each with the catalogue key of its wording. */
export function auditActions(): { action: AuditAction; key: string }[] {
  return Object.entries(ACTION_KEYS).map(([action, key]) => ({ action: action as AuditAction, key }));
}

/** Human wording for an audit action; unknown actions are shown as stored. */
export function auditActionLabel(action: string): string {
  return (ACTION_LABELS as Record<string, string>)[action] ?? action;
}

/** The JSON detail of an audit event as a line of text, e.g. "fields: name, email". */
export function describeAuditDetail(detail: string | null): string {
  if (!detail) return '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(detail);
  } catch {
    return detail;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return String(parsed);
  return Object.entries(parsed)
    .map(([key, value]) => `${humanise(key)}: ${describeValue(key, value)}`)
    .join('; ');
}

function describeValue(key: string, value: unknown): string {
  if (key === 'changes' && isChanges(value)) {
    return Object.entries(value)
      .map(([field, { from, to }]) => `${humanise(field)} ${changedValue(from)} → ${changedValue(to)}`)
      .join(', ');
  }
  if (Array.isArray(value)) {
    return value.map((v) => (key === 'fields' ? humanise(String(v)) : describeValue('', v))).join(', ');
  }
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function isChanges(value: unknown): value is Record<string, FieldChange> {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.values(value).every((change) => change !== null && typeof change === 'object' && 'from' in change)
  );
}

function changedValue(value: FieldChange['from']): string {
  if (value === null) return 'none';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return JSON.stringify(value);
}

/** The fields held as 0/1, recorded as yes/no. */
const FLAG_FIELDS: ReadonlySet<string> = new Set(['uses_s2s', 'active']);

function humanise(name: string): string {
  return name.replace(/_/g, ' ');
}

function auditLine(row: AuditEventRow): AuditLine {
  return {
    at: row.occurred_at,
    who: row.actor_username,
    organisation: row.organisation,
    action: auditActionLabel(row.action),
    ...(Object.hasOwn(ACTION_KEYS, row.action) ? { actionKey: ACTION_KEYS[row.action as AuditAction] } : {}),
    subject:
      row.subject_type || row.subject_id
        ? [row.subject_type, row.subject_id].filter(Boolean).join(' ')
        : null,
    details: describeAuditDetail(row.detail),
  };
}

/** Empty text is stored as null. */
function optional(value: string): string | null {
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

const POSTCODE = /^[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}$/;

/** A UK postcode in capitals with one space before the last three characters, or null if not one. */
export function normalisePostcode(value: string): string | null {
  const compact = value.replace(/\s+/g, '').toUpperCase();
  return POSTCODE.test(compact) ? `${compact.slice(0, -3)} ${compact.slice(-3)}` : null;
}

function telephoneFieldProblem(telephone: string | null): Message | null {
  if (!telephone) return null;
  return telephone.length > 40
    ? message('directory.error.telephone-too-long', { max: 40 })
    : telephoneProblem(telephone);
}

/** A field error from a domain message. */

/** Checks what a DBA entered for a school; `currentPhase` stays allowed even if not in PHASES. */
function schoolFields(
  input: SchoolInput,
  currentPhase: string | null,
): { fields: SchoolFields; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const name = input.name.trim();
  if (!name) errors.push(keyedError('name', 'directory.error.enter-name'));
  else if (name.length > 200) errors.push(keyedError('name', 'directory.error.name-too-long', { max: 200 }));

  const town = optional(input.town);
  if (town && town.length > 100)
    errors.push(keyedError('town', 'directory.error.town-too-long', { max: 100 }));

  let postcode = optional(input.postcode);
  if (postcode) {
    postcode = normalisePostcode(postcode);
    if (!postcode) errors.push(keyedError('postcode', 'directory.error.postcode'));
  }

  const phase = optional(input.phase);
  if (phase && phase !== currentPhase && !(PHASES as readonly string[]).includes(phase)) {
    errors.push(keyedError('phase', 'directory.error.phase'));
  }

  const type = optional(input.type);
  if (type && type.length > 120)
    errors.push(keyedError('type', 'directory.error.type-too-long', { max: 120 }));

  const email = optional(input.email);
  const emailError = email ? emailProblem(email) : null;
  if (emailError) errors.push(messageError('email', emailError));

  const telephone = optional(input.telephone);
  const telephoneError = telephoneFieldProblem(telephone);
  if (telephoneError) errors.push(messageError('telephone', telephoneError));

  if (input.usesS2s === undefined) errors.push(keyedError('usesS2s', 'directory.error.uses-s2s'));
  if (input.active === undefined) errors.push(keyedError('active', 'directory.error.active'));
  return {
    fields: {
      name,
      town,
      postcode,
      phase,
      type,
      email,
      telephone,
      uses_s2s: input.usesS2s === false ? 0 : 1,
      active: input.active === false ? 0 : 1,
    },
    errors,
  };
}

function laFields(input: LaDetailsInput): { fields: LaFields; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const contactName = optional(input.contactName);
  if (contactName && contactName.length > 200) {
    errors.push(keyedError('contactName', 'directory.error.contact-name-too-long', { max: 200 }));
  }
  const email = optional(input.email);
  const emailError = email ? emailProblem(email) : null;
  if (emailError) errors.push(messageError('email', emailError));
  const telephone = optional(input.telephone);
  const telephoneError = telephoneFieldProblem(telephone);
  if (telephoneError) errors.push(messageError('telephone', telephoneError));
  // The Contacts page gives the LA's details to its schools and users, and the sign-in page sends those
  // who cannot sign in to them: an LA keeps at least one way to be reached.
  if (!email && !telephone) errors.push(keyedError('email', 'directory.error.la-unreachable'));
  // An address typed over several lines is held on one, as the Contacts page shows it.
  const address = optional(
    input.address
      .split(/\r?\n/)
      .map((line) => line.trim().replace(/,$/, ''))
      .filter(Boolean)
      .join(', '),
  );
  if (address && address.length > 500)
    errors.push(keyedError('address', 'directory.error.address-too-long', { max: 500 }));
  return { fields: { contact_name: contactName, email, telephone, address }, errors };
}

/** The names of the fields whose values differ, in the order of `next`. */
function changedKeys<F extends object>(current: F, next: F): Extract<keyof F, string>[] {
  return (Object.keys(next) as Extract<keyof F, string>[]).filter((key) => current[key] !== next[key]);
}

/** How many census returns (every version) COLLECT holds from a school. */
async function countCensusReturnsOf(db: Executor, establishmentNumber: string): Promise<number> {
  const row = await db
    .selectFrom('census_returns')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('establishment_number', '=', establishmentNumber)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
