// LEA Cluster Report (LA notes §7.3): "Report summarising transfer of CTFs between LA's. Able to select own
// LA and up to 9 others or produce an all Wales report. The all Wales summary is too large to display on
// screen so a CSV file needs to be created in order to view the report."
//
// - An LA role: its own LA is always in the report, with up to 9 other LAs it chooses; or every LA; or
//   every LA in Wales (the directory's country), the notes' "all Wales report".
// - The national administrator: up to 10 LAs of its choice, or every LA, or every LA in Wales.
// The reports on every LA and on all Wales are CSV files only; the page says so and links to it.
// The figures are counts between LAs (no file names, no schools, no pupils), which is what the notes
// describe an LA seeing of other LAs for this report.

import type { Actor } from '../auth/actor.ts';
import { scopeOf } from '../auth/permissions.ts';
import { laName, type OrganisationName } from '../directory/organisation-names.ts';
import { listLocalAuthorities } from '../directory/repository.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db/schema.ts';
import { type FieldError, Forbidden, Invalid } from '../platform/errors.ts';
import { keyedError, message } from '../platform/i18n/catalogue.ts';
import { clusterPairs } from './cluster-repository.ts';
import { type DateRange, type DateRangeInput, readDateRange } from './date-range.ts';
import { EVERY_LA, type Subject } from './report-la.ts';

/** Whose report it is, in words, when it covers every LA in Wales. */
const ALL_WALES = message('reports.subject.all-wales');

/** "select own LA and up to 9 others". */
export const MAX_OTHER_LAS = 9;
/** The national administrator, who has no LA of its own, chooses up to 10. */
export const MAX_LAS = MAX_OTHER_LAS + 1;

export interface ClusterCriteria extends DateRangeInput {
  /** 'all' for every LA, 'wales' for every LA in Wales; anything else means the LAs in `las`. */
  scope?: string;
  /** LA numbers (for an LA role, the others beside its own). */
  las?: string[];
}

export interface LaRef {
  code: string;
  name: string;
  country: 'England' | 'Wales';
}

/** Checked criteria: which LAs, and which dates. */
export interface ClusterPlan {
  range: DateRange;
  /** Every LA (CSV only). */
  all: boolean;
  /** Every LA in Wales (CSV only, as the notes say of the "all Wales report"). */
  wales: boolean;
  /** The LAs reported on, by number (empty when `all`). */
  las: LaRef[];
  /** Whose report it is, in words: "Ashire (916) and 2 other LAs", "every LA". */
  subject: Subject;
}

/** An end of a row: the LA's name, or "LA 916" for one no longer in the directory. */
export interface ClusterEnd {
  code: string;
  name: OrganisationName;
}

export interface ClusterRow {
  from: ClusterEnd;
  to: ClusterEnd;
  files: number;
  pupils: number;
}

export interface ClusterReport extends ClusterPlan {
  rows: ClusterRow[];
  totals: { files: number; pupils: number };
}

export class ClusterReportService {
  constructor(private readonly deps: { db: Db; clock: Clock }) {}

  /** The LAs that can be chosen: every LA but the actor's own (which is always in). */
  async choices(actor: Actor): Promise<{ own: LaRef | null; las: LaRef[] }> {
    const all = await this.allLas();
    const ownNumber = this.ownLa(actor);
    return {
      own: ownNumber
        ? (all.find((la) => la.code === ownNumber) ?? {
            code: ownNumber,
            name: ownNumber,
            country: 'England',
          })
        : null,
      las: all.filter((la) => la.code !== ownNumber),
    };
  }

  /** Reads the criteria; throws Invalid with what to change. */
  async plan(actor: Actor, criteria: ClusterCriteria): Promise<ClusterPlan> {
    const errors: FieldError[] = [];
    const read = readDateRange(criteria, this.deps.clock.now());
    errors.push(...read.errors);
    const ownNumber = this.ownLa(actor);
    if (criteria.scope === 'all') {
      if (errors.length > 0 || !read.range) throw new Invalid(errors);
      return { range: read.range, all: true, wales: false, las: [], subject: EVERY_LA };
    }
    const known = await this.allLas();
    if (criteria.scope === 'wales') {
      if (errors.length > 0 || !read.range) throw new Invalid(errors);
      const las = known.filter((la) => la.country === 'Wales');
      return { range: read.range, all: false, wales: true, las, subject: ALL_WALES };
    }
    const wanted = new Set((criteria.las ?? []).filter((code) => code !== ownNumber));
    const others = known.filter((la) => wanted.has(la.code));
    const own = ownNumber ? (known.find((la) => la.code === ownNumber) ?? null) : null;
    if (ownNumber) {
      if (!own) throw new Forbidden();
      if (others.length > MAX_OTHER_LAS) {
        errors.push(
          keyedError('las', 'reports.errors.too-many-other-las', {
            max: MAX_OTHER_LAS,
            selected: others.length,
          }),
        );
      }
    } else if (others.length === 0) {
      errors.push(keyedError('las', 'reports.errors.select-las', { max: MAX_LAS }));
    } else if (others.length > MAX_LAS) {
      errors.push(
        keyedError('las', 'reports.errors.too-many-las', { max: MAX_LAS, selected: others.length }),
      );
    }
    if (errors.length > 0 || !read.range) throw new Invalid(errors);
    const las = own ? [own, ...others] : others;
    const first = las[0] as LaRef;
    const rest = las.length - 1;
    const subject =
      rest === 0
        ? `${first.name} (${first.code})`
        : message('reports.subject.la-and-others', { la: `${first.name} (${first.code})`, count: rest });
    return { range: read.range, all: false, wales: false, las, subject };
  }

  async run(actor: Actor, criteria: ClusterCriteria): Promise<ClusterReport> {
    const plan = await this.plan(actor, criteria);
    const pairs = await clusterPairs(this.deps.db, {
      las: plan.all ? null : plan.las.map((la) => la.code),
      since: plan.range.since,
      until: plan.range.until,
    });
    const names = new Map((await this.allLas()).map((la) => [la.code, la.name]));
    const ref = (code: string): ClusterEnd => ({ code, name: names.get(code) ?? laName(code, null) });
    const rows = pairs.map((pair) => ({
      from: ref(pair.fromLa),
      to: ref(pair.toLa),
      files: pair.files,
      pupils: pair.pupils,
    }));
    const totals = { files: 0, pupils: 0 };
    for (const row of rows) {
      totals.files += row.files;
      totals.pupils += row.pupils;
    }
    return { ...plan, rows, totals };
  }

  /** An LA role's own LA; null for the national administrator; refused for anyone else. */
  private ownLa(actor: Actor): string | null {
    const scope = scopeOf(actor.role);
    if (scope === 'la' && actor.laNumber) return actor.laNumber;
    if (actor.role === 'national_admin') return null;
    throw new Forbidden();
  }

  private async allLas(): Promise<LaRef[]> {
    const rows = await listLocalAuthorities(this.deps.db);
    return rows.map((row) => ({ code: row.number, name: row.name, country: row.country }));
  }
}
