// The permission table: which role may do what. Every route names the capability it needs, and the
// menu each role sees is built from the same table (see menu.ts).
import { type Language, translate } from '../platform/i18n/catalogue.ts';

export const ROLES = [
  'school',
  'la_dba',
  'la_user',
  'la_school',
  'la_lost_pupil',
  'la_lost_pupil_transfer',
  'la_dba_view',
  'la_plasc',
  'la_admissions',
  'national_admin',
  'dfe_collector',
] as const;

export type Role = (typeof ROLES)[number];

/** The names the handbooks use (LA notes §1.6). */
export const ROLE_LABELS: Record<Role, string> = {
  school: 'School User',
  la_dba: 'LEA Administrator (DBA)',
  la_user: 'LEA User',
  la_school: 'LEA School',
  la_lost_pupil: 'LEA Lost Pupil',
  la_lost_pupil_transfer: 'LEA Lost Pupil Transfer',
  la_dba_view: 'LEA DBA (View only)',
  la_plasc: 'LEA PLASC',
  la_admissions: 'LEA Admissions',
  national_admin: 's2s National Administrator',
  dfe_collector: 'DfE Collector',
};

/** The catalogue key of each role's name (its English is the handbooks' name above). */
export const ROLE_LABEL_KEYS: Record<Role, string> = {
  school: 'roles.school',
  la_dba: 'roles.la-dba',
  la_user: 'roles.la-user',
  la_school: 'roles.la-school',
  la_lost_pupil: 'roles.la-lost-pupil',
  la_lost_pupil_transfer: 'roles.la-lost-pupil-transfer',
  la_dba_view: 'roles.la-dba-view',
  la_plasc: 'roles.la-plasc',
  la_admissions: 'roles.la-admissions',
  national_admin: 'roles.national-admin',
  dfe_collector: 'roles.dfe-collector',
};

/** A role's name as the handbooks give it; a value that is not a role is shown as it is. */
export function roleLabelOf(role: string): string {
  return isRole(role) ? ROLE_LABELS[role] : role;
}

/** A role's name in `language`; a value that is not a role is shown as it is. */
export function roleLabelIn(language: Language, role: string): string {
  return isRole(role) ? translate(language, ROLE_LABEL_KEYS[role]) : role;
}

/** Which kind of organisation a role belongs to. */
export type RoleScope = 'school' | 'la' | 'national';

export function scopeOf(role: Role): RoleScope {
  if (role === 'school') return 'school';
  if (role === 'national_admin' || role === 'dfe_collector') return 'national';
  return 'la';
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export const CAPABILITIES = [
  'home.view',
  'account.change-password',
  /**
   * Two-factor sign-in for one's own account: set it up (QR code and secret, confirmed with a code), see
   * how many recovery codes are left, make new ones, and turn it off where the role does not require it
   * (auth/two-factor-policy.ts). Everyone: each user acts on their own account only.
   */
  'account.two-factor',
  'contacts.view',
  'directory.find',
  'school-details.view',
  'dba.view',
  'users.view',
  'users.manage',
  'schools.view',
  'schools.manage',
  'la-details.view',
  'la-details.manage',
  'audit.view',
  // Transfers: one capability per Upload and Download menu item (handbook §3-4, LA notes §1.6, §5).
  'upload.ctf',
  'upload.plasc',
  'upload.cfr',
  'upload.generic',
  'upload.exclusion',
  'upload.admissions',
  'download.ctf',
  'download.plasc',
  'download.cfr',
  'download.generic',
  'download.exclusion',
  'download.admissions',
  /** View / Remove Files: the sender follows and withdraws what it sent. */
  'transfers.sent',
  /**
   * The Download menu's own page and Previously Downloaded Files: for every role that downloads some
   * kind of file (each list and each file still needs its download.<type>).
   */
  'transfers.received',
  /**
   * The LA's CTF views (LA notes §5.3): "Files Within LEA | Incoming Files | Outgoing Files" (collected or
   * for collection), "Delete files not collected by schools", and forwarding a CTF to the right school
   * (§4.2). For the LA roles that download CTFs.
   */
  'transfers.la-monitor',
  /**
   * Notifications and Jobs: every email in the outbox (waiting, sent, failed, no address), sending
   * failed ones again, the mail log's emails as they would be sent, and the scheduled jobs with their
   * runs and "Run now". For the service operator only: the outbox holds every LA's mail.
   */
  'notifications.admin',
  /**
   * Lost Pupils Past Leaving Age: the records its schools (or the LA itself) uploaded to the Lost Pupils
   * Database whose pupils have passed statutory school-leaving age, listed for removal ("They are also
   * responsible for removing pupils CTF's uploaded by their schools once a pupil reaches statutory
   * school leaving age", LA notes §1.3), and their removal. The page shows the pupils' names, dates of
   * birth and UPNs, of the LA's own schools' uploads only. For the LA's two Lost Pupil roles, who work
   * the database ("Only specific LA users have access to this area of s2s"), and for the LEA
   * Administrator, who answers for the LA's schools and already sees the same pupils in the Lost Pupil
   * (uploaded pupils) report (LA notes §7.5). Not for the view-only DBA (it removes nothing), nor the
   * other LA roles, which have no access to the Lost Pupils Database.
   */
  'lost-pupils.review',
  /**
   * Search for Lost Pupil (LA notes §4.1): search the whole Lost Pupils Database, open a record, and
   * download its file after attesting that the pupil is on roll at a school in the LA. For the two Lost
   * Pupil roles only ("School users cannot search this database").
   */
  'lost-pupils.search',
  /**
   * Forward a lost pupil's file to a school of the LA in one step, instead of downloading, renaming and
   * uploading it by hand (LA notes §4.2). For the Lost Pupil Transfer role, which may upload CTFs.
   */
  'lost-pupils.forward',
  /**
   * Secure messaging (handbook §11, LA notes §6): View/Delete Messages, Send Message, View Sent Messages,
   * Message Templates and Message Address Groups. "All LA roles/log ins are able to send and receive
   * messages" (LA notes §6), and schools (handbook §11); not the view-only DBA, whose list in LA notes
   * §1.6 has no messages, nor the DfE collector. The national administrator sends notices to everyone
   * (the "All" templates) and receives the replies.
   */
  'messages.use',
  /**
   * LEA Administrator – Message Report (LA notes §7.7): how many messages each school of the LA has not
   * read, without their content or sender. For the LA's two DBA roles, which "can run reports".
   */
  'reports.message-report',
  /**
   * General Usage/Volume Report (handbook §10, LA notes §7.1): a school on itself, an LA on its schools,
   * the national administrator on any LA or every LA. Every LA role "can generate reports on system usage"
   * (LA notes §1.6), the view-only DBA included.
   */
  'reports.usage',
  /**
   * The LA-wide reports with no school version: LEA Cluster Report (transfers between LAs, LA notes §7.3)
   * and Delete CTF files Audit Trail (the CTFs the LA deleted or forwarded). For every LA role that
   * reports, and the national administrator.
   */
  'reports.la',
  /**
   * Lost Pupil (numbers), (uploaded pupils) and (downloaded pupils) reports (LA notes §7.4-7.5): the lost
   * pupils of the LA's schools, with their names in the last two. For the roles that work the Lost Pupils
   * Database and answer for it (those of lost-pupils.review), and the national administrator.
   */
  'reports.lost-pupils',
  /**
   * COLLECT (census guide): My Data Collections and the returns the actor may open. For the three parts
   * in a collection: schools (sources), the LA roles that check their schools' returns (agents) and the
   * DfE collector, who sees a return only once its LA approved it.
   */
  'collect.use',
  /**
   * Loading a census return (Upload Return from File), answering its queries and submitting it: schools
   * for their own returns, and the agents for the returns they loaded for their schools (bulk upload).
   */
  'collect.return',
  /**
   * The agent's part (census guide: "a LA being an agent"): the dashboard of its schools' returns, notes,
   * returning a return to its school, approving it, and loading many schools' returns from a zip. For
   * the LA roles that work census returns: the LEA Administrator, LEA User and LEA PLASC.
   */
  'collect.agent',
  /**
   * Manage Data Collections: set up a collection (name, term, year, census day, open and due dates, the
   * LAs taking part) and close it. For the DfE collector and the national administrator.
   */
  'collect.manage',
  /**
   * The REST API for MIS software (issue 10): API Tokens (create, list and revoke one's own personal
   * tokens) and calling /api/v1 with one. For the roles that send or receive files (those of
   * transfers.sent or transfers.received), whose MIS sends and collects CTFs; each API operation also
   * needs the capability of the page it stands for, and the token's scope. Not for the view-only DBA,
   * the national administrator or the DfE collector, which exchange no files.
   */
  'api.use',
] as const;

export type Capability = (typeof CAPABILITIES)[number];

const EVERYONE: Capability[] = [
  'home.view',
  'account.change-password',
  'account.two-factor',
  'contacts.view',
  'directory.find',
];
/** The census agents: the LA roles that check and approve their schools' returns. */
const COLLECT_AGENT: Capability[] = ['collect.use', 'collect.return', 'collect.agent'];
/** Everyone but the view-only DBA and the DfE collector sends and receives messages. */
const MESSAGING: Capability[] = [...EVERYONE, 'messages.use'];
const UPLOAD_ALL: Capability[] = [
  'upload.ctf',
  'upload.plasc',
  'upload.cfr',
  'upload.generic',
  'upload.exclusion',
  'upload.admissions',
];
const DOWNLOAD_ALL: Capability[] = [
  'download.ctf',
  'download.plasc',
  'download.cfr',
  'download.generic',
  'download.exclusion',
  'download.admissions',
];
/**
 * LA roles that "can upload/download/re-download files" (LA notes §1.6). They download CTFs, so they also
 * monitor their schools' CTFs and deal with the ones not collected (LA notes §5.3).
 */
const LA_TRANSFERS: Capability[] = [
  ...UPLOAD_ALL,
  ...DOWNLOAD_ALL,
  'transfers.sent',
  'transfers.received',
  'transfers.la-monitor',
];

const DBA_VIEW: Capability[] = ['dba.view', 'users.view', 'schools.view', 'la-details.view'];
const DBA_MANAGE: Capability[] = [...DBA_VIEW, 'users.manage', 'schools.manage', 'la-details.manage'];

export const PERMISSIONS: Record<Role, ReadonlySet<Capability>> = {
  // Schools send every kind of file; they receive CTFs, generic files and admissions files.
  school: new Set([
    ...MESSAGING,
    'reports.usage',
    'school-details.view',
    'collect.use',
    'collect.return',
    ...UPLOAD_ALL,
    'download.ctf',
    'download.generic',
    'download.admissions',
    'transfers.sent',
    'transfers.received',
    'api.use',
  ]),
  // "All user types can exchange files using generic zip options, with the exception of those logged in
  // as LEA Administrators" (LA notes §5.5).
  la_dba: new Set([
    ...MESSAGING,
    ...DBA_MANAGE,
    'audit.view',
    'reports.message-report',
    'reports.usage',
    'reports.la',
    'reports.lost-pupils',
    ...LA_TRANSFERS.filter((c) => c !== 'upload.generic' && c !== 'download.generic'),
    'lost-pupils.review',
    ...COLLECT_AGENT,
    'api.use',
  ]),
  la_user: new Set([
    ...MESSAGING,
    ...LA_TRANSFERS,
    'reports.usage',
    'reports.la',
    ...COLLECT_AGENT,
    'api.use',
  ]),
  la_school: new Set([...MESSAGING, ...LA_TRANSFERS, 'reports.usage', 'reports.la', 'api.use']),
  // Lost Pupil: "can upload/download/re-download generic files" only.
  la_lost_pupil: new Set([
    ...MESSAGING,
    'reports.usage',
    'reports.la',
    'reports.lost-pupils',
    'upload.generic',
    'download.generic',
    'transfers.sent',
    'transfers.received',
    'lost-pupils.review',
    'lost-pupils.search',
    'api.use',
  ]),
  la_lost_pupil_transfer: new Set([
    ...MESSAGING,
    'reports.usage',
    'reports.la',
    'reports.lost-pupils',
    ...LA_TRANSFERS,
    'lost-pupils.review',
    'lost-pupils.search',
    'lost-pupils.forward',
    'api.use',
  ]),
  la_dba_view: new Set([...EVERYONE, ...DBA_VIEW, 'reports.message-report', 'reports.usage', 'reports.la']),
  // The PLASC and admissions roles work through their LA's inboxes, LEAPLAS and LEAADMS.
  // LA notes §1.6 says LEA PLASC "can upload/download/re-download files", as LEA User. What LEAPLAS can
  // carry decides what that means: generic and other typed files both ways, and the schools' census
  // files to LEALLyy in. A census file is always a school's return (LEASSSS_SC1_LEALLyy_NNN.XML, handbook
  // §8 B): Upload DAZ/PLASC/School Census File refuses one from any LA role, so the PLASC role does not
  // have that item; it sends its schools' returns on through COLLECT, as their agent. Nor CTFs: no CTF
  // goes to or from LEAPLAS (LA notes Appendix 2: between schools and LEALLLL, or to MMMMMMM/XXXXXXXX;
  // filenames.ts refuses 9165402_CTF_916PLAS_001.XML), so Download CTF Files would always be empty for
  // it; CTFs sent to the LA go to LEALLLL, whose roles download them and deal with its schools' CTFs
  // (transfers.la-monitor).
  la_plasc: new Set([
    ...MESSAGING,
    'reports.usage',
    'reports.la',
    'upload.generic',
    'download.plasc',
    'download.generic',
    'transfers.sent',
    'transfers.received',
    ...COLLECT_AGENT,
    'api.use',
  ]),
  la_admissions: new Set([
    ...MESSAGING,
    'reports.usage',
    'reports.la',
    'upload.admissions',
    'upload.generic',
    'download.admissions',
    'download.generic',
    'transfers.sent',
    'transfers.received',
    'api.use',
  ]),
  national_admin: new Set([
    ...MESSAGING,
    ...DBA_MANAGE,
    'audit.view',
    'notifications.admin',
    'reports.usage',
    'reports.la',
    'reports.lost-pupils',
    'collect.manage',
  ]),
  dfe_collector: new Set([...EVERYONE, 'collect.use', 'collect.manage']),
};

export function can(role: Role, capability: Capability): boolean {
  return PERMISSIONS[role].has(capability);
}
