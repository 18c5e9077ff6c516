// The recipient lists of Send Message (LA notes §6.4-6.5), also used to choose a group's members: an LA
// and a type of its users; an LA's schools ("Populate School List", then "Add selected school to
// recipient list"); or a school typed as LA and school numbers. The chosen mailboxes travel with the
// form (no JavaScript, no draft stored), so each step is checked again here.

import type { Executor } from '../platform/db/schema.ts';
import type { FieldError } from '../platform/errors.ts';
import { keyedError, type Message } from '../platform/i18n/catalogue.ts';
import {
  type Choice,
  describeMailboxes,
  type MailboxInfo,
  problemError,
  schoolChoices,
} from './mailbox-directory.ts';
import { isLaMailboxRole, mailboxKey } from './mailboxes.ts';

export interface PickerForm {
  /** The mailboxes chosen so far. */
  recipients: string[];
  /** The button pressed: add-la-users, populate, add-schools, add-school-number, or remove:<mailbox>. */
  action: string;
  la?: string;
  userType?: string;
  schoolLa?: string;
  schools?: string[];
  laNo?: string;
  schoolNo?: string;
}

export interface PickerState {
  recipients: MailboxInfo[];
  /** The schools of `schoolLa`, once "Populate School List" has been pressed. */
  schoolList: Choice[] | null;
  errors: FieldError[];
}

/** How many the list may hold, and what to say when an addition would pass that. */
export interface PickerLimit {
  limit: number;
  tooMany: Message;
}

/** Applies one button of the picker. */
export async function applyPickerAction(
  db: Executor,
  form: PickerForm,
  { limit, tooMany }: PickerLimit,
): Promise<PickerState> {
  const errors: FieldError[] = [];
  // What the form carries, as mailboxes that exist, each once (a tampered key is dropped here).
  const keys = (await describeMailboxes(db, form.recipients)).map((m) => m.key);
  let schoolList: Choice[] | null = null;
  const add = async (field: string, wanted: string[]) => {
    const found = await describeMailboxes(db, wanted);
    const blocked = found.filter((m) => m.problem);
    for (const m of blocked) errors.push(problemError(field, m));
    const fresh = found.filter((m) => !m.problem && !keys.includes(m.key)).map((m) => m.key);
    if (keys.length + fresh.length > limit) {
      errors.push(keyedError(field, tooMany.key, tooMany.params));
      return;
    }
    keys.push(...fresh);
  };

  const action = form.action;
  if (action === 'add-la-users') {
    if (!form.la || !/^\d{3}$/.test(form.la)) errors.push(keyedError('la', 'messaging.picker.select-la'));
    if (!form.userType || !isLaMailboxRole(form.userType)) {
      errors.push(keyedError('userType', 'messaging.picker.select-user-type'));
    }
    if (errors.length === 0 && form.la && form.userType && isLaMailboxRole(form.userType)) {
      await add('la', [mailboxKey({ kind: 'la-role', laNumber: form.la, role: form.userType })]);
    }
  } else if (action === 'populate' || action === 'add-schools') {
    if (!form.schoolLa || !/^\d{3}$/.test(form.schoolLa)) {
      errors.push(keyedError('schoolLa', 'messaging.picker.select-school-la'));
    } else {
      schoolList = await schoolChoices(db, form.schoolLa);
      if (action === 'add-schools') {
        const offered = new Set(schoolList.map((s) => s.value));
        const chosen = (form.schools ?? []).filter((s) => offered.has(s));
        if (chosen.length === 0) errors.push(keyedError('schools', 'messaging.picker.select-schools'));
        else await add('schools', chosen);
      } else if (schoolList.length === 0) {
        errors.push(keyedError('schoolLa', 'messaging.picker.no-schools'));
      }
    }
  } else if (action === 'add-school-number') {
    const laNo = (form.laNo ?? '').trim();
    const schoolNo = (form.schoolNo ?? '').trim();
    if (!/^\d{3}$/.test(laNo)) errors.push(keyedError('laNo', 'messaging.picker.enter-la-number'));
    if (!/^\d{4}$/.test(schoolNo)) {
      errors.push(keyedError('schoolNo', 'messaging.picker.enter-school-number'));
    }
    if (errors.length === 0) await add('laNo', [`school:${laNo}${schoolNo}`]);
  } else if (action.startsWith('remove:')) {
    const removed = action.slice('remove:'.length);
    const at = keys.indexOf(removed);
    if (at >= 0) keys.splice(at, 1);
  }

  return { recipients: await describeMailboxes(db, keys.slice(0, limit)), schoolList, errors };
}
