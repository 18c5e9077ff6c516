// User Report, School List Report and Base User Report (LA notes §7): an LA's DBA roles report on their
// own LA only; the national administrator chooses the LA, or every LA (each row then names its LA).
// Accounts of another LA, or of another LA's schools, are never in an LA's report.
import type { Actor } from '../auth/actor.ts';
import { ROLE_LABELS, ROLES, type Role, scopeOf } from '../auth/permissions.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db/schema.ts';
import { type FieldError, Invalid } from '../platform/errors.ts';
import { keyedError } from '../platform/i18n/catalogue.ts';
import { type DateRange, type DateRangeInput, readDateRange } from './date-range.ts';
import {
  type BaseUserRow,
  baseUsersOfLa,
  type SchoolListRow,
  schoolsOfLa,
  type UserReportRow,
  usersOfLa,
} from './directory-report-repository.ts';
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

export interface SchoolsCriteria extends LaChoice {
  /** 'all' for closed establishments too; anything else is open ones only. */
  status?: string;
}

interface Subject {
  /** The LA reported on, or null for every LA. */
  laNumber: string | null;
  /** "Ashire (916)", "Every LA". */
  subject: SubjectText;
}

export interface UserReport extends Subject {
  range: DateRange;
  /** The role chosen, in words, or null for every role. */
  roleLabel: string | null;
  rows: (UserReportRow & { roleLabel: string })[];
}

export interface SchoolListReport extends Subject {
  openOnly: boolean;
  rows: SchoolListRow[];
}

export interface BaseUserReport extends Subject {
  openOnly: boolean;
  rows: BaseUserRow[];
  /** How many of the schools have no account at all. */
  withoutUsers: number;
}

export function roleLabelOf(role: string): string {
  return (ROLE_LABELS as Record<string, string>)[role] ?? role;
}

export class DirectoryReportService {
  constructor(private readonly deps: { db: Db; clock: Clock }) {}

  /** For the national administrator's form: every LA. */
  async laChoices(actor: Actor): Promise<{ value: string; text: string }[]> {
    return laPicker(this.deps.db, actor);
  }

  async users(actor: Actor, criteria: UserReportCriteria): Promise<UserReport> {
    const errors: FieldError[] = [];
    const read = readDateRange(criteria, this.deps.clock.now());
    errors.push(...read.errors);
    const role = criteria.role?.trim() || null;
    if (role && !(LA_ACCOUNT_ROLES as readonly string[]).includes(role)) {
      errors.push(keyedError('role', 'reports.errors.choose-role'));
    }
    const subject = await this.subjectFor(actor, criteria, errors);
    if (errors.length > 0 || !read.range || !subject) throw new Invalid(errors);
    const rows = await usersOfLa(this.deps.db, {
      laNumber: subject.laNumber,
      role,
      since: read.range.since,
      until: read.range.until,
    });
    return {
      ...subject,
      range: read.range,
      roleLabel: role ? roleLabelOf(role) : null,
      rows: rows.map((row) => ({ ...row, roleLabel: roleLabelOf(row.role) })),
    };
  }

  async schools(actor: Actor, criteria: SchoolsCriteria): Promise<SchoolListReport> {
    const subject = await this.requireSubject(actor, criteria);
    const openOnly = criteria.status !== 'all';
    const rows = await schoolsOfLa(this.deps.db, { laNumber: subject.laNumber, openOnly });
    return { ...subject, openOnly, rows };
  }

  async baseUsers(actor: Actor, criteria: SchoolsCriteria): Promise<BaseUserReport> {
    const subject = await this.requireSubject(actor, criteria);
    const openOnly = criteria.status !== 'all';
    const rows = await baseUsersOfLa(this.deps.db, { laNumber: subject.laNumber, openOnly });
    return { ...subject, openOnly, rows, withoutUsers: rows.filter((row) => row.users === 0).length };
  }

  private async requireSubject(actor: Actor, criteria: LaChoice): Promise<Subject> {
    const errors: FieldError[] = [];
    const subject = await this.subjectFor(actor, criteria, errors);
    if (!subject) throw new Invalid(errors);
    return subject;
  }

  /** The LA reported on: the actor's own, or for the national administrator the LA chosen, or every LA. */
  private async subjectFor(actor: Actor, criteria: LaChoice, errors: FieldError[]): Promise<Subject | null> {
    const la = await reportLaOrAll(this.deps.db, actor, criteria.la, errors);
    if (!la) return null;
    if (la === ALL_LAS) return { laNumber: null, subject: EVERY_LA };
    return { laNumber: la.number, subject: `${la.name} (${la.number})` };
  }
}
