// Message Templates (handbook §11: "LEAs and schools will be able to create or adapt message templates
// for common tasks"; LA notes §6.7). Anyone who sends messages sees the national templates ("All"),
// their LA's (a school's LA is its own) and their own. They may copy any of these to adapt it, and
// update or delete the ones they created. LA users may share a template with their LA, the national
// administrator with everyone. Each addition, change, copy and deletion is audited.
import { didSince, recordAudit } from '../audit/repository.ts';
import { type Actor, organisationOf } from '../auth/actor.ts';
import { can } from '../auth/permissions.ts';
import { getLocalAuthority } from '../directory/repository.ts';
import type { Clock } from '../platform/clock.ts';
import { DAY_MS } from '../platform/dates.ts';
import { insertOnce } from '../platform/db/insert-once.ts';
import type { Db, Executor, MessageTemplateRow } from '../platform/db/schema.ts';
import { type FieldError, Forbidden, Invalid, NotFound } from '../platform/errors.ts';
import { dateParam, keyedError, message } from '../platform/i18n/catalogue.ts';
import { isId } from '../platform/ids.ts';
import { mailboxOf } from './mailboxes.ts';
import {
  deleteTemplate,
  findTemplateCreatedBy,
  findVisibleTemplate,
  insertTemplate,
  serialiseTemplateChanges,
  templateExists,
  templateLaOf,
  templatesCreatedBy,
  updateTemplate,
  visibleTemplates,
} from './template-repository.ts';

export interface TemplateDeps {
  db: Db;
  clock: Clock;
}

export const NAME_MAX = 60;
export const DESCRIPTION_MAX = 100;
export const TEXT_MAX = 10_000;

export type TemplateOwner = MessageTemplateRow['owner_kind'];

/** Who a template is for, as the Add Template form offers it. */
export const OWNER_CHOICES: Record<TemplateOwner, string> = {
  user: 'Just me',
  la: 'My LA',
  national: 'All s2s users',
};

export interface TemplateInput {
  name?: string;
  description?: string;
  text?: string;
  /**
   * When the template was last updated as the form's page showed it (updated_at): an update from a page
   * older than a change since (another tab, Back to an earlier form) is refused rather than undo it.
   */
  version?: string;
}

export interface NewTemplateInput extends TemplateInput {
  owner?: string;
}

/** A template as the pages show it: who it is for, and whether the actor may change it. */
export interface TemplateView {
  template: MessageTemplateRow;
  /** "All", "916 Ashire" or "You". */
  owner: string;
  /** The actor created it: they may update and delete it. */
  mine: boolean;
}

/** A template made, or found made already by the same form (`already`): nothing was made again. */
export interface MadeTemplate {
  template: MessageTemplateRow;
  already: boolean;
}

/** Characters as people count them (an accented letter or an emoji is one). */
function length(value: string): number {
  return [...value].length;
}

function truncate(value: string, max: number): string {
  return [...value].slice(0, max).join('');
}

/** A one-line field: runs of spaces, tabs or line breaks become one space, none at either end. */
function oneLine(value: string | undefined): string {
  return (value ?? '').replace(/\s+/g, ' ').trim();
}

/** The text: line breaks as "\n" (a browser sends "\r\n"), no blank lines or spaces around it. */
function text(value: string | undefined): string {
  return (value ?? '').replace(/\r\n?/g, '\n').trim();
}

interface CleanTemplate {
  name: string;
  description: string;
  body: string;
}

/** The fields, tidied, or the problems with them in the order of the form. */
export function checkTemplate(input: TemplateInput): { clean: CleanTemplate; errors: FieldError[] } {
  const clean = {
    name: oneLine(input.name),
    description: oneLine(input.description),
    body: text(input.text),
  };
  const errors: FieldError[] = [];
  if (clean.name === '') errors.push(keyedError('name', 'messaging.templates.enter-name'));
  else if (length(clean.name) > NAME_MAX)
    errors.push(keyedError('name', 'messaging.templates.name-too-long', { max: NAME_MAX }));
  if (clean.description === '')
    errors.push(keyedError('description', 'messaging.templates.enter-description'));
  else if (length(clean.description) > DESCRIPTION_MAX)
    errors.push(
      keyedError('description', 'messaging.templates.description-too-long', { max: DESCRIPTION_MAX }),
    );
  if (clean.body === '') errors.push(keyedError('text', 'messaging.templates.enter-text'));
  else if (length(clean.body) > TEXT_MAX)
    errors.push(
      keyedError('text', 'messaging.templates.text-too-long', { max: TEXT_MAX.toLocaleString('en-GB') }),
    );
  return { clean, errors };
}

/** The owners the actor may give a template: themselves; their LA (LA users); everyone (national). */
export function ownerChoices(actor: Actor): TemplateOwner[] {
  const owners: TemplateOwner[] = ['user'];
  if (mailboxOf(actor)?.kind === 'la-role') owners.push('la');
  if (actor.role === 'national_admin') owners.push('national');
  return owners;
}

function ownerError(actor: Actor, owner: string | undefined): FieldError | undefined {
  if (owner === undefined || owner === '' || !Object.hasOwn(OWNER_CHOICES, owner))
    return keyedError('owner', 'messaging.templates.choose-owner');
  if (ownerChoices(actor).includes(owner as TemplateOwner)) return undefined;
  return owner === 'la'
    ? keyedError('owner', 'messaging.templates.owner-la-only')
    : keyedError('owner', 'messaging.templates.owner-national-only');
}

export class TemplateService {
  constructor(private readonly deps: TemplateDeps) {}

  private check(actor: Actor): void {
    if (!can(actor.role, 'messages.use')) throw new Forbidden();
  }

  /** The name of the actor's LA, as the Owner column shows it: "916 Ashire". */
  private async laLabel(db: Executor, actor: Actor): Promise<string | null> {
    const la = templateLaOf(actor);
    if (!la) return null;
    const found = await getLocalAuthority(db, la);
    return found ? `${found.number} ${found.name}` : la;
  }

  private describe(actor: Actor, template: MessageTemplateRow, laLabel: string | null): TemplateView {
    const owner =
      template.owner_kind === 'national'
        ? 'All'
        : template.owner_kind === 'la'
          ? (laLabel ?? template.owner_la ?? 'LA')
          : 'You';
    return { template, owner, mine: template.created_by === actor.userId };
  }

  private async views(actor: Actor, templates: MessageTemplateRow[]): Promise<TemplateView[]> {
    const laLabel = templates.some((t) => t.owner_kind === 'la')
      ? await this.laLabel(this.deps.db, actor)
      : null;
    return templates.map((template) => this.describe(actor, template, laLabel));
  }

  /** Every template the actor may see, by name. */
  async visible(actor: Actor): Promise<TemplateView[]> {
    this.check(actor);
    return this.views(actor, await visibleTemplates(this.deps.db, actor));
  }

  /** The templates the actor created (those they may update or delete), by name. */
  async created(actor: Actor): Promise<TemplateView[]> {
    this.check(actor);
    return this.views(actor, await templatesCreatedBy(this.deps.db, actor));
  }

  /** One template the actor may see; NotFound for any other, whether or not it exists. */
  async template(actor: Actor, id: string): Promise<TemplateView> {
    this.check(actor);
    const found = await findVisibleTemplate(this.deps.db, actor, id);
    if (!found) throw new NotFound(message('messaging.not-found.template'));
    const [view] = await this.views(actor, [found]);
    if (!view) throw new NotFound(message('messaging.not-found.template'));
    return view;
  }

  /**
   * A template the actor created, to update or delete; another they can see is refused. The rule holds
   * whatever the role (only a template's creator changes it), so the refusal is not by role.
   */
  async own(actor: Actor, id: string, action: 'update' | 'delete'): Promise<TemplateView> {
    const view = await this.template(actor, id);
    if (!view.mine) {
      const notByRole = { byRole: false };
      throw action === 'update'
        ? new Forbidden(
            'You can only update a template you created. Copy it to make your own version',
            'messaging.templates.update-own-only',
            undefined,
            notByRole,
          )
        : new Forbidden(
            'You can only delete a template you created',
            'messaging.templates.delete-own-only',
            undefined,
            notByRole,
          );
    }
    return view;
  }

  /**
   * Adds a template of the actor's. With `formId` (the id of the form that asks, made as its page was
   * drawn), once only: the template takes it as its id, so the same form posted again (or at once) finds
   * the template made the first time and makes nothing more.
   */
  async add(actor: Actor, input: NewTemplateInput, formId?: string): Promise<MadeTemplate> {
    this.check(actor);
    const earlier = formId ? await findTemplateCreatedBy(this.deps.db, formId, actor.userId) : undefined;
    if (earlier) return { template: earlier, already: true };
    const { clean, errors } = checkTemplate(input);
    const problem = ownerError(actor, input.owner);
    if (problem) errors.push(problem);
    if (errors.length > 0) throw new Invalid(errors);
    const owner = input.owner as TemplateOwner;
    const at = this.deps.clock.now();
    return this.makeOnce(actor, at, 'message-template-added', formId, {
      ...clean,
      owner_kind: owner,
      owner_la: owner === 'la' ? templateLaOf(actor) : null,
      created_by: actor.userId,
      created_at: at.toISOString(),
      updated_at: at.toISOString(),
    });
  }

  /**
   * Saves a new template and audits it, unless the actor has one with its id already (made by the same
   * form, posted again or at once), which it returns.
   */
  private async makeOnce(
    actor: Actor,
    at: Date,
    action: 'message-template-added' | 'message-template-copied',
    formId: string | undefined,
    template: Omit<MessageTemplateRow, 'id'>,
  ): Promise<MadeTemplate> {
    return this.deps.db.transaction().execute(async (tx) => {
      const inserted = await insertOnce(
        formId,
        (id) => insertTemplate(tx, { ...template, id }),
        (id) => findTemplateCreatedBy(tx, id, actor.userId),
      );
      if ('already' in inserted) return { template: inserted.already, already: true };
      const made = { ...template, id: inserted.id };
      await this.audit(tx, actor, at, action, made);
      return { template: made, already: false };
    });
  }

  /**
   * Changes the name, description and text of a template the actor created. One that says all this
   * already (the same form posted again, or at once after the other) is not `changed`, nor audited.
   */
  async update(
    actor: Actor,
    id: string,
    input: TemplateInput,
  ): Promise<{ template: MessageTemplateRow; changed: boolean }> {
    await this.own(actor, id, 'update');
    const { clean, errors } = checkTemplate(input);
    if (errors.length > 0) throw new Invalid(errors);
    const at = this.deps.clock.now();
    return this.deps.db.transaction().execute(async (tx) => {
      await serialiseTemplateChanges(tx, id);
      // Read again once any change of it made at once has ended: as it is now.
      const before = await findTemplateCreatedBy(tx, id, actor.userId);
      if (!before) throw new NotFound(message('messaging.not-found.template'));
      const changed =
        clean.name !== before.name || clean.description !== before.description || clean.body !== before.body;
      if (!changed) return { template: before, changed };
      if (input.version !== undefined && input.version !== before.updated_at) {
        throw new Invalid([
          keyedError('name', 'messaging.templates.changed-since', { date: dateParam(before.updated_at) }),
        ]);
      }
      const template = { ...before, ...clean, updated_at: at.toISOString() };
      const updated = await updateTemplate(tx, id, actor.userId, {
        ...clean,
        updatedAt: template.updated_at,
      });
      if (!updated) throw new NotFound(message('messaging.not-found.template'));
      await this.audit(tx, actor, at, 'message-template-updated', template);
      return { template, changed };
    });
  }

  /**
   * A copy of any template the actor sees, theirs alone, named "Copy of …". With `formId` (the id of the
   * Copy form, made as the template's page was drawn), once only, as `add`.
   */
  async copy(actor: Actor, id: string, formId?: string): Promise<MadeTemplate> {
    const { template: original } = await this.template(actor, id);
    const earlier = formId ? await findTemplateCreatedBy(this.deps.db, formId, actor.userId) : undefined;
    if (earlier) return { template: earlier, already: true };
    const at = this.deps.clock.now();
    return this.makeOnce(actor, at, 'message-template-copied', formId, {
      name: truncate(`Copy of ${original.name}`, NAME_MAX).trim(),
      description: original.description,
      body: original.body,
      owner_kind: 'user',
      owner_la: null,
      created_by: actor.userId,
      created_at: at.toISOString(),
      updated_at: at.toISOString(),
    });
  }

  /**
   * Deletes a template the actor created. One no longer there is `already` deleted (the same form posted
   * again, or at once after the other), and nothing more is done; anybody else's is refused as before.
   */
  async delete(
    actor: Actor,
    id: string,
  ): Promise<{ template: MessageTemplateRow; already: false } | { already: true }> {
    let template: MessageTemplateRow;
    try {
      ({ template } = await this.own(actor, id, 'delete'));
    } catch (error) {
      if (error instanceof NotFound && (await this.deletedAlready(actor, id))) return { already: true };
      throw error;
    }
    const at = this.deps.clock.now();
    return this.deps.db.transaction().execute(async (tx) => {
      await serialiseTemplateChanges(tx, id);
      if (!(await deleteTemplate(tx, id, actor.userId))) {
        if (!(await templateExists(tx, id))) return { already: true as const };
        throw new NotFound(message('messaging.not-found.template'));
      }
      await this.audit(tx, actor, at, 'message-template-deleted', template);
      return { template, already: false as const };
    });
  }

  /**
   * The actor deleted this template, which is no longer there, within the last day: the same form posted
   * again. A template that never was, or was deleted long ago, is not found, as before.
   */
  private async deletedAlready(actor: Actor, id: string): Promise<boolean> {
    if (!isId(id) || (await templateExists(this.deps.db, id))) return false;
    return didSince(this.deps.db, {
      organisation: organisationOf(actor),
      actorUserId: actor.userId,
      action: 'message-template-deleted',
      subjectId: id,
      since: new Date(this.deps.clock.now().getTime() - DAY_MS),
    });
  }

  private async audit(
    tx: Executor,
    actor: Actor,
    at: Date,
    action:
      | 'message-template-added'
      | 'message-template-updated'
      | 'message-template-copied'
      | 'message-template-deleted',
    template: MessageTemplateRow,
  ): Promise<void> {
    await recordAudit(tx, {
      at,
      actorUserId: actor.userId,
      actorUsername: actor.username,
      organisation: organisationOf(actor),
      action,
      subjectType: 'message-template',
      subjectId: template.id,
      detail: { name: template.name },
    });
  }
}
