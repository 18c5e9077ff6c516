// Message Address Groups (handbook §11 "Create Groups": "to set up a group of other s2s users or
// schools. Groups can be added, edited and deleted. First enter a group name and then select members").
// Members are chosen with Send Message's recipient lists (recipient-picker.ts, LA notes §6.4-6.5), but a
// group may hold many more than a message's ten: sending to a group is how a message reaches more.
//
// A group is its owner's alone: another user's group, even a colleague's, is not found. Adding,
// changing and deleting a group are audited in the same transaction as the change.

import { randomUUID } from 'node:crypto';
import { didSince, recordAudit } from '../audit/repository.ts';
import { type Actor, organisationOf } from '../auth/actor.ts';
import { can } from '../auth/permissions.ts';
import { laChoices } from '../directory/repository.ts';
import type { Clock } from '../platform/clock.ts';
import { DAY_MS } from '../platform/dates.ts';
import type { Db, Executor, MessageGroupRow } from '../platform/db/schema.ts';
import { type FieldError, Forbidden, Invalid, NotFound } from '../platform/errors.ts';
import { dateParam, keyedError, message } from '../platform/i18n/catalogue.ts';
import { isId } from '../platform/ids.ts';
import {
  deleteGroup,
  findGroupNamed,
  findOwnedGroup,
  groupExists,
  groupMemberKeys,
  groupsOwnedBy,
  insertGroup,
  serialiseGroupChanges,
  updateGroup,
} from './group-repository.ts';
import {
  type Choice,
  describeMailboxes,
  type MailboxInfo,
  problemError,
  storedLabel,
} from './mailbox-directory.ts';
import { USER_TYPE_CHOICES } from './mailboxes.ts';
import { applyPickerAction, type PickerForm, type PickerState } from './recipient-picker.ts';

export interface GroupDeps {
  db: Db;
  clock: Clock;
}

/** The most members a group may have. */
export const GROUP_MEMBER_LIMIT = 200;
/** The longest group name (the column is varchar(60)). */
export const GROUP_NAME_MAX = 60;
/** Where the error summary sends the reader for a problem with the members: the picker's list. */
export const MEMBERS_FIELD = 'recipient-list';

export interface GroupInput {
  name: string;
  /** The mailbox keys chosen, as the form carries them. */
  recipients: readonly string[];
  /**
   * When the group was last updated as the form's page showed it (updated_at): a save from a page older
   * than a change since (another tab, Back to an earlier form) is refused rather than undo it.
   */
  version?: string;
}

export interface GroupDetails {
  group: MessageGroupRow;
  /** The members as they are now, by label, each with its problem (a school since closed, say). */
  members: MailboxInfo[];
}

export interface PickerChoices {
  las: Choice[];
  userTypes: typeof USER_TYPE_CHOICES;
}

const TOO_MANY_MEMBERS = message('messaging.groups.too-many-members', { max: GROUP_MEMBER_LIMIT });

export class MessageGroupService {
  constructor(private readonly deps: GroupDeps) {}

  private check(actor: Actor): void {
    if (!can(actor.role, 'messages.use')) throw new Forbidden();
  }

  /** The actor's groups, by name, with how many members each has. */
  async list(actor: Actor): Promise<(MessageGroupRow & { members: number })[]> {
    this.check(actor);
    return groupsOwnedBy(this.deps.db, actor.userId);
  }

  /** The actor's group and its members; NotFound for anybody else's. */
  async get(actor: Actor, groupId: string): Promise<GroupDetails> {
    this.check(actor);
    return this.owned(this.deps.db, actor, groupId);
  }

  /** The LAs and the types of LA user the picker offers. */
  async choices(): Promise<PickerChoices> {
    return {
      las: await laChoices(this.deps.db),
      userTypes: USER_TYPE_CHOICES,
    };
  }

  /** Applies one button of the member lists to the members chosen so far. */
  async pick(actor: Actor, form: PickerForm): Promise<PickerState> {
    this.check(actor);
    return applyPickerAction(this.deps.db, form, { limit: GROUP_MEMBER_LIMIT, tooMany: TOO_MANY_MEMBERS });
  }

  /** The chosen members as the form carries them (keys that name no mailbox are left out). */
  async describe(recipients: readonly string[]): Promise<MailboxInfo[]> {
    return describeMailboxes(this.deps.db, recipients.slice(0, GROUP_MEMBER_LIMIT + 1));
  }

  /** Saves a new group of the actor's; Invalid, with every reason, when it cannot be saved. */
  async add(actor: Actor, input: GroupInput): Promise<GroupDetails> {
    this.check(actor);
    const id = randomUUID();
    const at = this.deps.clock.now().toISOString();
    return this.deps.db.transaction().execute(async (tx) => {
      await serialiseGroupChanges(tx, actor.userId);
      const { name, members } = await this.validate(tx, actor, input);
      const keys = members.map((m) => m.key);
      if (!(await insertGroup(tx, { id, ownerUserId: actor.userId, name, at, members: keys }))) {
        throw new Invalid([keyedError('name', 'messaging.groups.name-taken', { name })]);
      }
      await recordAudit(tx, {
        at: new Date(at),
        actorUserId: actor.userId,
        actorUsername: actor.username,
        organisation: organisationOf(actor),
        action: 'message-group-added',
        subjectType: 'message-group',
        subjectId: id,
        detail: { name, members: keys },
      });
      return this.owned(tx, actor, id);
    });
  }

  /**
   * Renames the actor's group and replaces its members; NotFound for anybody else's. When the group is as
   * asked already (the same form posted again, or at once after the other), nothing is changed or audited.
   */
  async update(actor: Actor, groupId: string, input: GroupInput): Promise<GroupDetails> {
    this.check(actor);
    const at = this.deps.clock.now().toISOString();
    return this.deps.db.transaction().execute(async (tx) => {
      await serialiseGroupChanges(tx, actor.userId);
      const before = await this.owned(tx, actor, groupId);
      const { name, members } = await this.validate(tx, actor, input, groupId);
      const keys = members.map((m) => m.key);
      const previous = new Set(before.members.map((m) => m.key));
      const now = new Set(keys);
      const added = keys.filter((k) => !previous.has(k));
      const removed = [...previous].filter((k) => !now.has(k));
      if (name === before.group.name && added.length === 0 && removed.length === 0) return before;
      if (input.version !== undefined && input.version !== before.group.updated_at) {
        throw new Invalid([
          keyedError('name', 'messaging.groups.changed-since', { date: dateParam(before.group.updated_at) }),
        ]);
      }
      if (!(await updateGroup(tx, { id: groupId, ownerUserId: actor.userId, name, at, members: keys }))) {
        throw new NotFound(message('messaging.not-found.group'));
      }
      await recordAudit(tx, {
        at: new Date(at),
        actorUserId: actor.userId,
        actorUsername: actor.username,
        organisation: organisationOf(actor),
        action: 'message-group-updated',
        subjectType: 'message-group',
        subjectId: groupId,
        detail: {
          name,
          ...(name === before.group.name ? {} : { previousName: before.group.name }),
          added,
          removed,
        },
      });
      return this.owned(tx, actor, groupId);
    });
  }

  /**
   * Deletes the actor's group (messages already sent to it keep their recipients). A group that is no
   * longer there is `already` deleted (the same form posted again, or at once after the other): nothing
   * more is done. Anybody else's is not found.
   */
  async delete(
    actor: Actor,
    groupId: string,
  ): Promise<{ deleted: GroupDetails; already: false } | { already: true }> {
    this.check(actor);
    const at = this.deps.clock.now();
    return this.deps.db.transaction().execute(async (tx) => {
      await serialiseGroupChanges(tx, actor.userId);
      if (await this.deletedAlready(tx, actor, groupId)) return { already: true };
      const found = await this.owned(tx, actor, groupId);
      if (!(await deleteGroup(tx, groupId, actor.userId)))
        throw new NotFound(message('messaging.not-found.group'));
      await recordAudit(tx, {
        at,
        actorUserId: actor.userId,
        actorUsername: actor.username,
        organisation: organisationOf(actor),
        action: 'message-group-deleted',
        subjectType: 'message-group',
        subjectId: groupId,
        detail: { name: found.group.name, members: found.members.map((m) => m.key) },
      });
      return { deleted: found, already: false as const };
    });
  }

  /**
   * The actor deleted this group, which is no longer there, within the last day: the same form posted
   * again, or at once after the other. A group that never was, or was deleted long ago, is not found.
   */
  private async deletedAlready(db: Executor, actor: Actor, groupId: string): Promise<boolean> {
    if (!isId(groupId) || (await groupExists(db, groupId))) return false;
    return didSince(db, {
      organisation: organisationOf(actor),
      actorUserId: actor.userId,
      action: 'message-group-deleted',
      subjectId: groupId,
      since: new Date(this.deps.clock.now().getTime() - DAY_MS),
    });
  }

  private async owned(db: Executor, actor: Actor, groupId: string): Promise<GroupDetails> {
    const group = isId(groupId) ? await findOwnedGroup(db, groupId, actor.userId) : undefined;
    if (!group) throw new NotFound(message('messaging.not-found.group'));
    const members = await describeMailboxes(db, await groupMemberKeys(db, groupId));
    members.sort((a, b) => byLabel.compare(storedLabel(a), storedLabel(b)) || (a.key < b.key ? -1 : 1));
    return { group, members };
  }

  /** The name and members to save, or Invalid with each reason they cannot be. */
  private async validate(
    db: Executor,
    actor: Actor,
    input: GroupInput,
    exceptGroupId?: string,
  ): Promise<{ name: string; members: MailboxInfo[] }> {
    const errors: FieldError[] = [];
    const name = input.name.replace(/\s+/g, ' ').trim();
    if (!name) {
      errors.push(keyedError('name', 'messaging.groups.enter-name'));
    } else if (name.length > GROUP_NAME_MAX) {
      errors.push(keyedError('name', 'messaging.groups.name-too-long', { max: GROUP_NAME_MAX }));
    } else {
      const taken = await findGroupNamed(db, actor.userId, name, exceptGroupId);
      if (taken) {
        errors.push(keyedError('name', 'messaging.groups.name-taken', { name: taken.name }));
      }
    }

    const members = await describeMailboxes(db, input.recipients.slice(0, GROUP_MEMBER_LIMIT + 1));
    if (members.length === 0) {
      errors.push(keyedError(MEMBERS_FIELD, 'messaging.groups.choose-member'));
    } else if (members.length > GROUP_MEMBER_LIMIT) {
      errors.push(keyedError(MEMBERS_FIELD, TOO_MANY_MEMBERS.key, TOO_MANY_MEMBERS.params));
    }
    for (const member of members) {
      if (member.problem) {
        errors.push(problemError(MEMBERS_FIELD, member, 'messaging.groups.remove-member'));
      }
    }
    if (errors.length > 0) throw new Invalid(errors);
    return { name, members };
  }
}

const byLabel = new Intl.Collator('en-GB', { sensitivity: 'base', numeric: true });
