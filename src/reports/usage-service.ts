// General Usage/Volume Report: a school reports on itself (handbook §10); an LA on all its schools or up to
// 20 of them (LA notes §7.1); the national administrator on one LA's schools, or on every LA.

import type { Actor } from '../auth/actor.ts';
import { listLocalAuthorities } from '../directory/repository.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db/schema.ts';
import { type FieldError, Forbidden, Invalid } from '../platform/errors.ts';
import { keyedError } from '../platform/i18n/catalogue.ts';
import { type DateRange, type DateRangeInput, readDateRange } from './date-range.ts';
import { ALL_LAS, EVERY_LA, laPicker, reportLaOrAll, type Subject } from './report-la.ts';
import {
  type MonthlyVolume,
  monthlyVolumes,
  type UsageQuery,
  type UsageRow,
  usage,
} from './usage-repository.ts';

/** "Select up to 20 schools from the list below" (LA notes §7.1). */
export const MAX_SELECTED_SCHOOLS = 20;

export interface UsageCriteria extends DateRangeInput {
  /** National administrator: an LA's number, or 'all' for every LA. */
  la?: string;
  /** LA roles: 'all', or 'selected' with `schools`. */
  scope?: string;
  schools?: string[];
}

export interface UsageReport {
  range: DateRange;
  /** What the rows are: the schools of an LA, or LAs. */
  by: UsageQuery['by'];
  /** Whose report it is, in words: "Ashire (916)", "Every LA". */
  subject: Subject;
  rows: UsageRow[];
  totals: Omit<UsageRow, 'code' | 'name'>;
  months: MonthlyVolume[];
}

export interface UsageChoices {
  /** For LA roles and the national administrator: the schools that can be selected. */
  schools: { value: string; text: string }[];
  /** For the national administrator: the LAs. */
  las: { value: string; text: string }[];
}

export class UsageReportService {
  constructor(private readonly deps: { db: Db; clock: Clock }) {}

  /** The choices of the criteria form. */
  async choices(actor: Actor, la?: string): Promise<UsageChoices> {
    const laNumber = actor.role === 'national_admin' ? la : (actor.laNumber ?? undefined);
    const schools =
      actor.role === 'school' || !laNumber || laNumber === ALL_LAS ? [] : await this.schoolsOf(laNumber);
    const las = await laPicker(this.deps.db, actor);
    return { schools: schools.map((s) => ({ value: s.code, text: `${s.code} ${s.name}` })), las };
  }

  async run(actor: Actor, criteria: UsageCriteria): Promise<UsageReport> {
    const errors: FieldError[] = [];
    const read = readDateRange(criteria, this.deps.clock.now());
    errors.push(...read.errors);
    const units = await this.unitsFor(actor, criteria, errors);
    if (errors.length > 0 || !read.range || !units) throw new Invalid(errors);
    const query: UsageQuery = {
      by: units.by,
      units: units.list,
      since: read.range.since,
      until: read.range.until,
    };
    const [rows, months] = await Promise.all([
      usage(this.deps.db, query),
      monthlyVolumes(this.deps.db, query),
    ]);
    const totals = {
      uploaded: 0,
      uploadedPupils: 0,
      received: 0,
      downloaded: 0,
      awaiting: 0,
      rejected: 0,
      receivedPupils: 0,
    };
    for (const row of rows)
      for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += row[key];
    return { range: read.range, by: units.by, subject: units.subject, rows, totals, months };
  }

  /** Which schools or LAs the actor's report covers; never another organisation's. */
  private async unitsFor(
    actor: Actor,
    criteria: UsageCriteria,
    errors: FieldError[],
  ): Promise<{ by: UsageQuery['by']; list: { code: string; name: string }[]; subject: Subject } | null> {
    if (actor.role === 'school') {
      const number = actor.establishmentNumber;
      if (!number) throw new Forbidden();
      const school = await this.deps.db
        .selectFrom('establishments')
        .select(['number', 'name'])
        .where('number', '=', number)
        .executeTakeFirst();
      const name = school?.name ?? number;
      return { by: 'school', list: [{ code: number, name }], subject: `${name} (${number})` };
    }
    const la = await reportLaOrAll(this.deps.db, actor, criteria.la, errors);
    if (!la) return null;
    if (la === ALL_LAS) {
      const las = await listLocalAuthorities(this.deps.db);
      return { by: 'la', list: las.map((l) => ({ code: l.number, name: l.name })), subject: EVERY_LA };
    }
    const schools = await this.schoolsOf(la.number);
    const subject = `${la.name} (${la.number})`;
    if (criteria.scope !== 'selected') return { by: 'school', list: schools, subject };
    const wanted = new Set(criteria.schools ?? []);
    const selected = schools.filter((s) => wanted.has(s.code));
    if (selected.length === 0) {
      errors.push(keyedError('schools', 'reports.errors.select-schools'));
      return null;
    }
    if (selected.length > MAX_SELECTED_SCHOOLS) {
      errors.push(keyedError('schools', 'reports.errors.too-many-schools', { max: MAX_SELECTED_SCHOOLS }));
      return null;
    }
    return { by: 'school', list: selected, subject };
  }

  /** The LA's schools, by name: every open school, and closed ones too (their files stay in the counts). */
  private async schoolsOf(laNumber: string): Promise<{ code: string; name: string }[]> {
    const rows = await this.deps.db
      .selectFrom('establishments')
      .select(['number', 'name'])
      .where('la_number', '=', laNumber)
      .orderBy('name')
      .orderBy('number')
      .execute();
    return rows.map((row) => ({ code: row.number, name: row.name }));
  }
}
