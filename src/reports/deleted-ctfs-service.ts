// Delete CTF files Audit Trail (LA notes §7 list; §5.3 "Delete files not collected by schools"): the CTFs
// addressed to the LA's schools (or to the LA itself) that the LA deleted, or forwarded to another
// school, because they had not been collected. Taken from the audit records those actions write
// (transfers/la-monitor-service.ts, transfers/forward-service.ts):
// - Deleted: 'file-removed' with detail.removedBy 'la'. A file's sender withdrawing it (View / Remove
//   Files) writes 'file-removed' without removedBy: that is not the LA's action, even when the sender is
//   the LA itself, and is not in this report.
// - Forwarded: 'file-forwarded' on the original file (detail.forwardedTo); the record on the new copy
//   (detail.forwardedFrom) is the same action seen from the other side, so it is not counted twice.
//   Forwards out of the Lost Pupils Database are not addressed to a school or the LA, so are not here.
//   A copy the LA forwarded that its school rejected, forwarded on by the LA (docs/decisions.md, 37), is
//   the LA's forward wherever the copy had gone: a school of another LA rejecting it does not make it
//   that LA's (deleted-ctfs-repository.ts).
// An LA sees only its own actions; the national administrator chooses an LA, or All LAs. The date range is on the
// date of the action. No pupil names: the number of pupils in each file only.
import type { Actor } from '../auth/actor.ts';
import { type OrganisationName, schoolName } from '../directory/organisation-names.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db/schema.ts';
import { type FieldError, Invalid } from '../platform/errors.ts';
import { type Message, message, translateMessage } from '../platform/i18n/catalogue.ts';
import { destinationLabel, type PartyLabel, sourceLabel } from '../transfers/download-listing.ts';
import { organisationNames } from '../transfers/download-repository.ts';
import { type DateRange, type DateRangeInput, readDateRange } from './date-range.ts';
import { laFileActions } from './deleted-ctfs-repository.ts';
import { ALL_LAS, EVERY_LA, laPicker, reportLaOrAll, type Subject } from './report-la.ts';

export interface DeletedCtfsCriteria extends DateRangeInput {
  /** National administrator: the LA's number. */
  la?: string;
}

export interface DeletedCtfRow {
  /** When the file was deleted or forwarded (ISO instant). */
  at: string;
  action: 'deleted' | 'forwarded';
  /** "Deleted", or "Forwarded to Birch Primary (9161235)": in English (the CSV), and as a message (the page). */
  actionText: string;
  actionMessage: Message;
  filename: string;
  from: PartyLabel;
  /** The school (or the LA) the file was addressed to. */
  intended: PartyLabel;
  pupils: number;
  /** The LA user's username. */
  by: string;
  /** The LA that acted (the file's destination LA, or the LA that forwarded a copy it forwards on). */
  la: string;
}

export interface DeletedCtfsReport {
  range: DateRange;
  /** "Ashire (916)". */
  subject: Subject;
  rows: DeletedCtfRow[];
  totals: { deleted: number; forwarded: number; pupils: number };
  /** Every LA's actions (national administrator): the rows name their LA. */
  allLas: boolean;
}

function detailOf(text: string | null): Record<string, unknown> {
  if (!text) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export class DeletedCtfsReportService {
  constructor(private readonly deps: { db: Db; clock: Clock }) {}

  /** For the national administrator: the LAs to choose from. */
  async choices(actor: Actor): Promise<{ value: string; text: string }[]> {
    return laPicker(this.deps.db, actor);
  }

  async run(actor: Actor, criteria: DeletedCtfsCriteria): Promise<DeletedCtfsReport> {
    const errors: FieldError[] = [];
    const read = readDateRange(criteria, this.deps.clock.now());
    errors.push(...read.errors);
    const la = await this.laFor(actor, criteria, errors);
    if (errors.length > 0 || !read.range || !la) throw new Invalid(errors);
    const actions = (
      await laFileActions(this.deps.db, {
        laNumber: la === ALL_LAS ? null : la.number,
        since: read.range.since,
        until: read.range.until,
      })
    ).filter((a) => {
      const detail = detailOf(a.detail);
      return a.action === 'file-removed' ? detail.removedBy === 'la' : typeof detail.forwardedTo === 'string';
    });
    const names = await organisationNames(
      this.deps.db,
      actions.map((a) => a.file),
    );
    const forwardedTo = new Map<string, string>();
    const schoolCodes = [
      ...new Set(
        actions
          .map((a) => detailOf(a.detail).destination)
          .filter((code): code is string => typeof code === 'string' && /^\d{7}$/.test(code)),
      ),
    ];
    if (schoolCodes.length > 0) {
      const schools = await this.deps.db
        .selectFrom('establishments')
        .select(['number', 'name'])
        .where('number', 'in', schoolCodes)
        .execute();
      for (const school of schools) forwardedTo.set(school.number, school.name);
    }
    const rows = actions.map((a): DeletedCtfRow => {
      const deleted = a.action === 'file-removed';
      const destination = detailOf(a.detail).destination;
      const code = typeof destination === 'string' ? destination : '';
      return {
        at: a.at,
        action: deleted ? 'deleted' : 'forwarded',
        ...actionOf(deleted, schoolName(code, forwardedTo.get(code)), code),
        filename: a.file.filename,
        from: sourceLabel(a.file, names),
        intended: destinationLabel(a.file, names),
        pupils: a.file.pupil_count,
        by: a.username ?? '',
        la: a.laNumber,
      };
    });
    const totals = { deleted: 0, forwarded: 0, pupils: 0 };
    for (const row of rows) {
      totals[row.action] += 1;
      totals.pupils += row.pupils;
    }
    const allLas = la === ALL_LAS;
    return {
      range: read.range,
      subject: allLas ? EVERY_LA : `${la.name} (${la.number})`,
      rows,
      totals,
      allLas,
    };
  }

  /** The LA reported on: an LA role's own; the national administrator's choice, or All LAs. */
  private laFor(actor: Actor, criteria: DeletedCtfsCriteria, errors: FieldError[]) {
    return reportLaOrAll(this.deps.db, actor, criteria.la, errors);
  }
}

/** What the LA did, as words: "Deleted", or "Forwarded to Birch Primary (9161235)". */
function actionOf(
  deleted: boolean,
  school: OrganisationName,
  code: string,
): { actionText: string; actionMessage: Message } {
  const actionMessage = deleted
    ? message('reports.deleted-ctfs.deleted')
    : message('reports.deleted-ctfs.forwarded-to', { school, code });
  return { actionText: translateMessage('en', actionMessage), actionMessage };
}
