// User Report, School List Report and Base User Report (LA notes §7): an LA's DBA roles report on their
// own LA only; the national administrator chooses the LA, or every LA (each row then names its LA).
// Accounts of another LA, or of another LA's schools, are never in an LA's report. Each page lists the
// first PAGE_ROWS rows and counts them all; each CSV streams every row (paging.ts).
import type { Actor } from '../auth/actor.ts';
import { ROLES, type Role, roleLabelOf, scopeOf } from '../auth/permissions.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db/schema.ts';
import { type FieldError, Invalid } from '../platform/errors.ts';
import { keyedError } from '../platform/i18n/catalogue.ts';
import { type DateRange, type DateRangeInput, readDateRange } from './date-range.ts';
import {
  type BaseUserRow,
  baseUsersOfLa,
  countSchoolsOfLa,
  countSchoolsWithoutUsers,
  countUsersOfLa,
  type SchoolListRow,
  type SchoolQuery,
  schoolsOfLa,
  streamBaseUsersOfLa,
  streamSchoolsOfLa,
  streamUsersOfLa,
  type UserReportQuery,
  type UserReportRow,
  usersOfLa,
} from './directory-report-repository.ts';
import { CSV_PAGE_SIZE, firstRows, PAGE_ROWS } from './paging.ts';
import { ALL_LAS, EVERY_LA, laPicker, reportLaOrAll, type Subject as SubjectText } from './report-la.ts';

/** The roles an account of an LA or its schools can have: School User and the LA roles. */
export const LA_ACCOUNT_ROLES: readonly Role[] = ROLES.filter((role) => scopeOf(role) !== 'national');

export interface LaChoice {
  /**
   * National administrator: the LA's number, or 'all' for every LA. Others report on their own LA whatever
   * this says.
   */
  la?: string;
}

export interface UserReportCriteria extends DateRangeInput, LaChoice {
  /** One role, or blank for every role. */
  role?: string;
}

/** The School List and Base User reports' choices, as the page offers them, its default first. */
export const SCHOOL_STATUSES: [string, ...string[]] = ['open', 'all'];

export interface SchoolsCriteria extends LaChoice {
  /** One of SCHOOL_STATUSES ('all': closed establishments too), or blank for the default. */
  status?: string;
}

interface Subject {
  /** The LA reported on, or null for every LA. */
  laNumber: string | null;
  /** "Ashire (916)", "Every LA". */
  subject: SubjectText;
}

interface UserReportHead extends Subject {
  range: DateRange;
  /** The role chosen, or null for every role. */
  role: string | null;
  /** The role chosen, in words, or null for every role. */
  roleLabel: string | null;
}

/** The User Report as its page shows it. */
export interface UserReport extends UserReportHead {
  /** The first PAGE_ROWS accounts. */
  rows: (UserReportRow & { roleLabel: string })[];
  /** Every account the report holds (the CSV's). */
  total: number;
  /** True when the page holds only the first accounts. */
  truncated: boolean;
}

/** The User Report as its CSV writes it: every account, streamed from the database. */
export interface UserReportStream extends UserReportHead {
  rows: AsyncGenerator<UserReportRow>;
}

interface SchoolsHead extends Subject {
  openOnly: boolean;
}

/** The School List Report as its page shows it. */
export interface SchoolListReport extends SchoolsHead {
  /** The first PAGE_ROWS establishments. */
  rows: SchoolListRow[];
  /** Every establishment the report holds (the CSV's). */
  total: number;
  /** True when the page holds only the first establishments. */
  truncated: boolean;
}

export interface SchoolListStream extends SchoolsHead {
  rows: AsyncGenerator<SchoolListRow>;
}

/** The Base User Report as its page shows it. */
export interface BaseUserReport extends SchoolsHead {
  /** The first PAGE_ROWS establishments. */
  rows: BaseUserRow[];
  /** Every establishment the report holds (the CSV's). */
  total: number;
  /** How many of them have no account at all. */
  withoutUsers: number;
  /** True when the page holds only the first establishments. */
  truncated: boolean;
}

export interface BaseUserStream extends SchoolsHead {
  rows: AsyncGenerator<BaseUserRow>;
}

export class DirectoryReportService {
  private readonly csvPageSize: number;

  constructor(
    private readonly deps: { db: Db; clock: Clock },
    options: { csvPageSize?: number } = {},
  ) {
    this.csvPageSize = options.csvPageSize ?? CSV_PAGE_SIZE;
  }

  /** For the national administrator's form: every LA. */
  async laChoices(actor: Actor): Promise<{ value: string; text: string }[]> {
    return laPicker(this.deps.db, actor);
  }

  async users(actor: Actor, criteria: UserReportCriteria): Promise<UserReport> {
    const { query, ...head } = await this.readUsers(actor, criteria);
    const page = firstRows(await usersOfLa(this.deps.db, query, { limit: PAGE_ROWS + 1 }), PAGE_ROWS);
    const total = page.truncated ? await countUsersOfLa(this.deps.db, query) : page.rows.length;
    return {
      ...head,
      rows: page.rows.map((row) => ({ ...row, roleLabel: roleLabelOf(row.role) })),
      total,
      truncated: page.truncated,
    };
  }

  /** Every account of the User Report (criteria are checked before the first). */
  async streamUsers(actor: Actor, criteria: UserReportCriteria): Promise<UserReportStream> {
    const { query, ...head } = await this.readUsers(actor, criteria);
    return { ...head, rows: streamUsersOfLa(this.deps.db, query, this.csvPageSize) };
  }

  async schools(actor: Actor, criteria: SchoolsCriteria): Promise<SchoolListReport> {
    const { query, ...head } = await this.readSchools(actor, criteria);
    const page = firstRows(await schoolsOfLa(this.deps.db, query, { limit: PAGE_ROWS + 1 }), PAGE_ROWS);
    const total = page.truncated ? await countSchoolsOfLa(this.deps.db, query) : page.rows.length;
    return { ...head, ...page, total };
  }

  /** Every establishment of the School List Report. */
  async streamSchools(actor: Actor, criteria: SchoolsCriteria): Promise<SchoolListStream> {
    const { query, ...head } = await this.readSchools(actor, criteria);
    return { ...head, rows: streamSchoolsOfLa(this.deps.db, query, this.csvPageSize) };
  }

  async baseUsers(actor: Actor, criteria: SchoolsCriteria): Promise<BaseUserReport> {
    const { query, ...head } = await this.readSchools(actor, criteria);
    const page = firstRows(await baseUsersOfLa(this.deps.db, query, { limit: PAGE_ROWS + 1 }), PAGE_ROWS);
    if (!page.truncated) {
      const withoutUsers = page.rows.filter((row) => row.users === 0).length;
      return { ...head, ...page, total: page.rows.length, withoutUsers };
    }
    const total = await countSchoolsOfLa(this.deps.db, query);
    const withoutUsers = await countSchoolsWithoutUsers(this.deps.db, query);
    return { ...head, ...page, total, withoutUsers };
  }

  /** Every establishment of the Base User Report, with its accounts. */
  async streamBaseUsers(actor: Actor, criteria: SchoolsCriteria): Promise<BaseUserStream> {
    const { query, ...head } = await this.readSchools(actor, criteria);
    return { ...head, rows: streamBaseUsersOfLa(this.deps.db, query, this.csvPageSize) };
  }

  /** The User Report's criteria: its query, and the report's subject, range and role; or Invalid. */
  private async readUsers(
    actor: Actor,
    criteria: UserReportCriteria,
  ): Promise<UserReportHead & { query: UserReportQuery }> {
    const errors: FieldError[] = [];
    const read = readDateRange(criteria, this.deps.clock.now());
    errors.push(...read.errors);
    const role = criteria.role?.trim() || null;
    if (role && !(LA_ACCOUNT_ROLES as readonly string[]).includes(role)) {
      errors.push(keyedError('role', 'reports.errors.choose-role'));
    }
    const subject = await this.subjectFor(actor, criteria, errors);
    if (errors.length > 0 || !read.range || !subject) throw new Invalid(errors);
    return {
      ...subject,
      range: read.range,
      role,
      roleLabel: role ? roleLabelOf(role) : null,
      query: { laNumber: subject.laNumber, role, since: read.range.since, until: read.range.until },
    };
  }

  /** The School List and Base User reports' criteria: the LA, and open establishments only or all. */
  private async readSchools(
    actor: Actor,
    criteria: SchoolsCriteria,
  ): Promise<SchoolsHead & { query: SchoolQuery }> {
    const errors: FieldError[] = [];
    // Not taken for the default: a misspelt 'all' would list open schools only without a word.
    const status = criteria.status?.trim() || SCHOOL_STATUSES[0];
    if (!SCHOOL_STATUSES.includes(status)) errors.push(keyedError('status', 'reports.errors.choose-status'));
    const subject = await this.subjectFor(actor, criteria, errors);
    if (errors.length > 0 || !subject) throw new Invalid(errors);
    const openOnly = status !== 'all';
    return { ...subject, openOnly, query: { laNumber: subject.laNumber, openOnly } };
  }

  /** The LA reported on: the actor's own, or for the national administrator the LA chosen, or every LA. */
  private async subjectFor(actor: Actor, criteria: LaChoice, errors: FieldError[]): Promise<Subject | null> {
    const la = await reportLaOrAll(this.deps.db, actor, criteria.la, errors);
    if (!la) return null;
    if (la === ALL_LAS) return { laNumber: null, subject: EVERY_LA };
    return { laNumber: la.number, subject: `${la.name} (${la.number})` };
  }
}
