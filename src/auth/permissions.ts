// The permission table: which role may do what. Every route names the capability it needs, and the
// menu each role sees is built from the same table (see menu.ts).

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
   * for collection), "Delete Files Not Collected by Schools", and forwarding a CTF to the right school
   * (§4.2). For the LA roles that download CTFs.
   */
  'transfers.la-monitor',
] as const;

export type Capability = (typeof CAPABILITIES)[number];

const EVERYONE: Capability[] = ['home.view', 'account.change-password', 'contacts.view', 'directory.find'];
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
    ...EVERYONE,
    'school-details.view',
    ...UPLOAD_ALL,
    'download.ctf',
    'download.generic',
    'download.admissions',
    'transfers.sent',
    'transfers.received',
  ]),
  // "All user types can exchange files using generic zip options, with the exception of those logged in
  // as LEA Administrators" (LA notes §5.5).
  la_dba: new Set([
    ...EVERYONE,
    ...DBA_MANAGE,
    'audit.view',
    ...LA_TRANSFERS.filter((c) => c !== 'upload.generic' && c !== 'download.generic'),
  ]),
  la_user: new Set([...EVERYONE, ...LA_TRANSFERS]),
  la_school: new Set([...EVERYONE, ...LA_TRANSFERS]),
  // Lost Pupil: "can upload/download/re-download generic files" only.
  la_lost_pupil: new Set([
    ...EVERYONE,
    'upload.generic',
    'download.generic',
    'transfers.sent',
    'transfers.received',
  ]),
  la_lost_pupil_transfer: new Set([...EVERYONE, ...LA_TRANSFERS]),
  la_dba_view: new Set([...EVERYONE, ...DBA_VIEW]),
  // The PLASC and admissions roles work through their LA's inboxes, LEAPLAS and LEAADMS.
  // Census returns come only from schools, so the PLASC role collects them but does not send them.
  la_plasc: new Set([
    ...EVERYONE,
    'upload.generic',
    'download.plasc',
    'download.generic',
    'transfers.sent',
    'transfers.received',
  ]),
  la_admissions: new Set([
    ...EVERYONE,
    'upload.admissions',
    'upload.generic',
    'download.admissions',
    'download.generic',
    'transfers.sent',
    'transfers.received',
  ]),
  national_admin: new Set([...EVERYONE, ...DBA_MANAGE, 'audit.view']),
  dfe_collector: new Set(EVERYONE),
};

export function can(role: Role, capability: Capability): boolean {
  return PERMISSIONS[role].has(capability);
}
