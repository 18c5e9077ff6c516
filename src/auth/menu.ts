// The menu of the handbooks (same names, same order), filtered by the permission table.
import { type Language, translate } from '../platform/i18n/catalogue.ts';
import {
  CATEGORIES,
  CATEGORY_INFO,
  type Category,
  downloadCapability,
  uploadCapability,
} from '../transfers/categories.ts';
import { type Capability, can, type Role } from './permissions.ts';

export interface MenuItem {
  label: string;
  href: string;
  capability: Capability;
  /** Shown on the section's own page, as in the handbooks' "Please select an item from the list". */
  description?: string;
  children?: MenuItem[];
}

/** What each Upload menu item is for: shown on the Upload page and above the item's form. */
export const UPLOAD_DESCRIPTIONS: Record<Category, string> = {
  ctf: 'Common Transfer Files (CTFs) for pupils moving school, to your LA, or to the lost pupils database',
  plasc: 'PLASC and School Census returns for your LA',
  cfr: 'Consistent Financial Reporting (CFR) returns',
  generic: 'Files of any safe type, such as a .ZIP, for a school or an LA',
  exclusion: 'Exclusion returns',
  admissions: 'Admissions transfer files and admissions messages',
};

/** What each Download menu item holds: shown on the Download page. */
export const DOWNLOAD_DESCRIPTIONS: Record<Category, string> = {
  plasc: 'PLASC and School Census returns sent to your LA',
  cfr: 'Consistent Financial Reporting (CFR) returns sent to your LA',
  ctf: 'Common Transfer Files (CTFs) for pupils joining you: check the pupils, then accept or reject',
  generic: 'Generic files sent to you, downloaded one at a time',
  exclusion: 'Exclusion returns sent to your LA',
  admissions: 'Admissions transfer files and admissions messages sent to you',
};

/** The LA notes' order of the Download menu (schools see the CTF, generic and admissions items). */
const DOWNLOAD_ORDER: Category[] = ['plasc', 'cfr', 'ctf', 'generic', 'exclusion', 'admissions'];

/**
 * The LA's CTF items (LA notes §5.3), after its CTF download items: the CTF screen's tabs "Files Within
 * LEA | Incoming Files | Outgoing Files" and "Delete files not collected by schools" on the Download menu.
 */
const LA_CTF_ITEMS: MenuItem[] = [
  {
    label: 'Monitor CTF Files',
    href: '/download/ctf/monitor',
    capability: 'transfers.la-monitor',
    description:
      'Files Within LEA, Incoming Files and Outgoing Files: the CTFs of your schools, collected or waiting for collection',
  },
  {
    label: 'Delete files not collected by schools',
    href: '/download/ctf/uncollected',
    capability: 'transfers.la-monitor',
    description:
      "CTFs waiting for your schools or your LA, with the pupils' names, UPNs and dates of birth: delete them, or forward them to the right school",
  },
];

/** Each type's "Download ... Files" and "Re-Download ... Files" items, as in the LA notes' Download menu. */
const DOWNLOAD_ITEMS: MenuItem[] = DOWNLOAD_ORDER.flatMap((category) => [
  {
    label: CATEGORY_INFO[category].downloadLabel,
    href: `/download/${category}`,
    capability: downloadCapability(category),
    description: DOWNLOAD_DESCRIPTIONS[category],
  },
  {
    label: CATEGORY_INFO[category].reDownloadLabel,
    href: `/download/${category}/previous`,
    capability: downloadCapability(category),
    description: 'Files you collected in the last 7 days, to download again',
  },
  ...(category === 'ctf' ? LA_CTF_ITEMS : []),
]);

export const MENU: MenuItem[] = [
  { label: 'Home', href: '/', capability: 'home.view' },
  // Handbook §3: Upload CTF File, Upload DAZ/PLASC File, Upload CFR File, Upload Generic File, Upload
  // Exclusion File, Upload Admissions File, each shown to the roles that may use it. The section itself
  // is shown when any of them is (see menuFor).
  {
    label: 'Upload',
    href: '/upload',
    capability: 'transfers.sent',
    children: CATEGORIES.map((category) => ({
      label: CATEGORY_INFO[category].uploadLabel,
      href: `/upload/${category}`,
      capability: uploadCapability(category),
      description: UPLOAD_DESCRIPTIONS[category],
    })),
  },
  // Schools handbook §2, §4-5: Download (its items per type of file, with their re-download pages),
  // Previously Downloaded Files and View / Remove Files.
  { label: 'Download', href: '/download', capability: 'transfers.received', children: DOWNLOAD_ITEMS },
  { label: 'Previously Downloaded Files', href: '/previously-downloaded', capability: 'transfers.received' },
  { label: 'View / Remove Files', href: '/sent', capability: 'transfers.sent' },
  // LA notes §4.1 (its menu: Home, Upload, Download, Reports, Search for Lost Pupil, Messages...). Its
  // records' pages are under it, so the item stays marked on them.
  { label: 'Search for Lost Pupil', href: '/lost-pupils/search', capability: 'lost-pupils.search' },
  // Beyond the handbooks: files arriving that hold pupils the LA's schools sent to the Lost Pupils
  // Database (lost-pupils/matching.ts), for its lost-pupil users to follow up.
  {
    label: 'Lost Pupil Matches',
    href: '/lost-pupils/matches',
    capability: 'lost-pupils.search',
    description:
      'Pupils your schools sent to the Lost Pupils Database who may have been found in files arriving since',
  },
  // LA notes §1.3: the LA removes its schools' Lost Pupils Database records once the pupils reach
  // statutory school-leaving age (lost-pupils/review-routes.ts).
  {
    label: 'Lost Pupils Past Leaving Age',
    href: '/lost-pupils/review',
    capability: 'lost-pupils.review',
    description:
      'Records your schools uploaded to the Lost Pupils Database whose pupils have passed school-leaving age: check and remove them',
  },
  {
    label: 'DBA',
    href: '/dba',
    capability: 'dba.view',
    children: [
      {
        label: 'User Maintenance',
        href: '/dba/users',
        capability: 'users.view',
        description: 'Add, update, delete users and change their passwords',
      },
      {
        label: 'School Maintenance',
        href: '/dba/schools',
        capability: 'schools.view',
        description: 'Add, delete, view and update the schools of your LA',
      },
      {
        label: 'Maintain LEA Details',
        href: '/dba/la',
        capability: 'la-details.view',
        description: 'The contact details held for your LA',
      },
      {
        label: 'Audit Log',
        href: '/dba/audit',
        capability: 'audit.view',
        description: 'Sign-ins, password changes and changes to users and schools',
      },
      {
        label: 'API Tokens',
        href: '/dba/api-tokens',
        capability: 'users.manage',
        description:
          'The API tokens of your users, with when each was last used: revoke one that should stop working',
      },
    ],
  },
  // Handbook §10, LA notes §7: "Please choose a report from the list below", in the LA notes' order.
  {
    label: 'Reports',
    href: '/reports',
    capability: 'reports.usage',
    children: [
      {
        label: 'General Usage/Volume Report',
        href: '/reports/general-usage',
        capability: 'reports.usage',
        description:
          'CTFs uploaded, downloaded, awaiting download or rejected, with their pupil records, by school and month',
      },
      {
        label: 'School Report',
        href: '/reports/school',
        capability: 'reports.usage',
        description:
          'Each CTF sent and received: file name, source and destination, upload and download dates, pupils',
      },
      {
        label: 'LEA Cluster Report',
        href: '/reports/cluster',
        capability: 'reports.la',
        description: 'CTFs transferred between your LA and up to nine others, or between every LA (CSV)',
      },
      {
        label: 'Delete CTF files Audit Trail',
        href: '/reports/deleted-ctfs',
        capability: 'reports.la',
        description: 'The CTFs your LA deleted or forwarded because their schools had not collected them',
      },
      {
        label: 'Lost Pupil (numbers) Report',
        href: '/reports/lost-pupil-numbers',
        capability: 'reports.lost-pupils',
        description: 'Lost pupil files uploaded and downloaded for your schools, by age and gender',
      },
      {
        label: 'Lost Pupil (uploaded pupils) Report',
        href: '/reports/lost-pupils-uploaded',
        capability: 'reports.lost-pupils',
        description:
          'The pupils your schools sent to the Lost Pupils Database, and whether each has been downloaded',
      },
      {
        label: 'Lost Pupil (downloaded pupils) Report',
        href: '/reports/lost-pupils-downloaded',
        capability: 'reports.lost-pupils',
        description: 'The lost pupils whose files your LA downloaded',
      },
      {
        label: 'Generic / Other file movements',
        href: '/reports/file-movements',
        capability: 'reports.usage',
        description: 'Generic, PLASC and other files sent and received, with upload and download dates',
      },
      {
        label: 'LEA Administrator – Message Report',
        href: '/reports/message-report',
        capability: 'reports.message-report',
        description: 'How many messages each school of your LA has not read, without their content or sender',
      },
      {
        label: 'User Report',
        href: '/reports/users',
        capability: 'users.view',
        description: 'The s2s users of your LA and its schools, with their roles',
      },
      {
        label: 'School List Report',
        href: '/reports/schools',
        capability: 'users.view',
        description: 'The schools of your LA with their contact details and whether they use s2s',
      },
      {
        label: 'Base User Report',
        href: '/reports/base-users',
        capability: 'users.view',
        description: 'For each school of your LA, its s2s user accounts and when they last signed in',
      },
    ],
  },
  // Census guide (COLLECT): the collections each school, LA and the DfE takes part in, and setting them
  // up. The national administrator sets collections up without taking part in them and a school takes
  // part without setting them up, so no one capability covers the section: it is shown when either item
  // is (menuFor leaves out a section with no items).
  {
    label: 'Data Collections',
    href: '/collect/section',
    capability: 'home.view',
    children: [
      {
        label: 'My Data Collections',
        href: '/collect',
        capability: 'collect.use',
        description:
          'The data collections you take part in, such as the School Census: open one to work on its returns',
      },
      {
        label: 'Manage Data Collections',
        href: '/collect/manage',
        capability: 'collect.manage',
        description: 'Set up a data collection, change its dates and the LAs taking part, or close it',
      },
    ],
  },
  // Handbook §11, LA notes §6: the three menu choices of the secure messaging service.
  {
    label: 'Messages',
    href: '/messages',
    capability: 'messages.use',
    children: [
      {
        label: 'View/Delete Messages',
        href: '/messages/inbox',
        capability: 'messages.use',
        description: 'Read, reply to, print or delete the messages sent to you',
      },
      {
        label: 'Send Message',
        href: '/messages/send',
        capability: 'messages.use',
        description: 'Send a message, from a template or blank, to a group or up to ten recipients',
      },
      {
        label: 'View Sent Messages',
        href: '/messages/sent',
        capability: 'messages.use',
        description: 'The messages you have sent, and how many recipients have not yet read each',
      },
    ],
  },
  {
    label: 'Message Templates',
    href: '/message-templates',
    capability: 'messages.use',
    children: [
      {
        label: 'View/Copy/Update Template',
        href: '/message-templates/view',
        capability: 'messages.use',
        description: 'Look at a template, copy it to adapt it, or update one you created',
      },
      {
        label: 'Add Template',
        href: '/message-templates/add',
        capability: 'messages.use',
        description: 'Write a template for a message you send often, such as a request for a CTF',
      },
      {
        label: 'Delete Template',
        href: '/message-templates/delete',
        capability: 'messages.use',
        description: 'Delete a template you created',
      },
    ],
  },
  {
    label: 'Message Address Groups',
    href: '/message-groups',
    capability: 'messages.use',
    children: [
      {
        label: 'Add Group',
        href: '/message-groups/add',
        capability: 'messages.use',
        description: 'Name a group of schools and LA users to send messages to together',
      },
      {
        label: 'View/Update Group',
        href: '/message-groups/view',
        capability: 'messages.use',
        description: 'See who is in a group, rename it, add or remove members',
      },
      {
        label: 'View/Delete Group',
        href: '/message-groups/delete',
        capability: 'messages.use',
        description: 'Delete a group you no longer need',
      },
    ],
  },
  // The service operator's pages (not in the handbooks): the emails of the outbox and the scheduled jobs.
  {
    label: 'Notifications and Jobs',
    href: '/admin/notifications',
    capability: 'notifications.admin',
  },
  { label: 'Establishment Finder', href: '/establishments', capability: 'directory.find' },
  { label: 'Contacts', href: '/contacts', capability: 'contacts.view' },
  { label: 'School Details', href: '/school-details', capability: 'school-details.view' },
  { label: 'Change Password', href: '/change-password', capability: 'account.change-password' },
  { label: 'Two-factor sign-in', href: '/two-factor', capability: 'account.two-factor' },
  { label: 'API Tokens', href: '/account/api-tokens', capability: 'api.use' },
  { label: 'Logoff', href: '/sign-out', capability: 'home.view' },
];

/** The items the role may use. A section none of whose items the role may use is left out too. */
export function menuFor(role: Role, items: MenuItem[] = MENU): MenuItem[] {
  return items
    .filter((item) => can(role, item.capability))
    .map((item) => (item.children ? { ...item, children: menuFor(role, item.children) } : item))
    .filter((item) => !item.children || item.children.length > 0);
}

export function menuSection(role: Role, href: string): MenuItem | undefined {
  return menuFor(role).find((item) => item.href === href);
}

/**
 * The catalogue key of a menu item's label, from its address: '/' is 'menu.home', '/download/ctf/previous'
 * 'menu.download.ctf.previous'. Its English is the handbook's name, the `label` above.
 */
export function menuLabelKey(href: string): string {
  return href === '/' ? 'menu.home' : `menu${href.replaceAll('/', '.')}`;
}

/** The catalogue key of each menu item's description (its English is the description above). */
export const DESCRIPTION_KEYS: Record<string, string> = {
  '/upload/ctf': 'auth.menu-description.upload.ctf',
  '/upload/plasc': 'auth.menu-description.upload.plasc',
  '/upload/cfr': 'auth.menu-description.upload.cfr',
  '/upload/generic': 'auth.menu-description.upload.generic',
  '/upload/exclusion': 'auth.menu-description.upload.exclusion',
  '/upload/admissions': 'auth.menu-description.upload.admissions',
  '/download/plasc': 'auth.menu-description.download.plasc',
  '/download/plasc/previous': 'auth.menu-description.previous',
  '/download/cfr': 'auth.menu-description.download.cfr',
  '/download/cfr/previous': 'auth.menu-description.previous',
  '/download/ctf': 'auth.menu-description.download.ctf',
  '/download/ctf/previous': 'auth.menu-description.previous',
  '/download/ctf/monitor': 'auth.menu-description.download.ctf.monitor',
  '/download/ctf/uncollected': 'auth.menu-description.download.ctf.uncollected',
  '/download/generic': 'auth.menu-description.download.generic',
  '/download/generic/previous': 'auth.menu-description.previous',
  '/download/exclusion': 'auth.menu-description.download.exclusion',
  '/download/exclusion/previous': 'auth.menu-description.previous',
  '/download/admissions': 'auth.menu-description.download.admissions',
  '/download/admissions/previous': 'auth.menu-description.previous',
  '/lost-pupils/matches': 'auth.menu-description.lost-pupils.matches',
  '/lost-pupils/review': 'auth.menu-description.lost-pupils.review',
  '/dba/users': 'auth.menu-description.dba.users',
  '/dba/schools': 'auth.menu-description.dba.schools',
  '/dba/la': 'auth.menu-description.dba.la',
  '/dba/audit': 'auth.menu-description.dba.audit',
  '/dba/api-tokens': 'auth.menu-description.dba.api-tokens',
  '/reports/general-usage': 'auth.menu-description.reports.general-usage',
  '/reports/school': 'auth.menu-description.reports.school',
  '/reports/cluster': 'auth.menu-description.reports.cluster',
  '/reports/deleted-ctfs': 'auth.menu-description.reports.deleted-ctfs',
  '/reports/lost-pupil-numbers': 'auth.menu-description.reports.lost-pupil-numbers',
  '/reports/lost-pupils-uploaded': 'auth.menu-description.reports.lost-pupils-uploaded',
  '/reports/lost-pupils-downloaded': 'auth.menu-description.reports.lost-pupils-downloaded',
  '/reports/file-movements': 'auth.menu-description.reports.file-movements',
  '/reports/message-report': 'auth.menu-description.reports.message-report',
  '/reports/users': 'auth.menu-description.reports.users',
  '/reports/schools': 'auth.menu-description.reports.schools',
  '/reports/base-users': 'auth.menu-description.reports.base-users',
  '/collect': 'auth.menu-description.collect',
  '/collect/manage': 'auth.menu-description.collect.manage',
  '/messages/inbox': 'auth.menu-description.messages.inbox',
  '/messages/send': 'auth.menu-description.messages.send',
  '/messages/sent': 'auth.menu-description.messages.sent',
  '/message-templates/view': 'auth.menu-description.message-templates.view',
  '/message-templates/add': 'auth.menu-description.message-templates.add',
  '/message-templates/delete': 'auth.menu-description.message-templates.delete',
  '/message-groups/add': 'auth.menu-description.message-groups.add',
  '/message-groups/view': 'auth.menu-description.message-groups.view',
  '/message-groups/delete': 'auth.menu-description.message-groups.delete',
};

/**
 * The role's menu (menuFor) in `language` (menuIn): the same for every page a user opens, so made once
 * for each role and language and shared (callers do not change it).
 */
export function menuOf(role: Role, language: Language): readonly MenuItem[] {
  const key = `${role} ${language}`;
  let menu = translatedMenus.get(key);
  if (!menu) {
    menu = menuIn(language, menuFor(role));
    translatedMenus.set(key, menu);
  }
  return menu;
}
const translatedMenus = new Map<string, MenuItem[]>();

export interface NavigationItem {
  href: string;
  text: string;
  active: boolean;
}

/**
 * The header's service navigation on the page at `path`: each item of the menu, a section active on its
 * own pages and on those of its items (Data Collections' items are /collect and /collect/manage, beside
 * its own /collect/section).
 */
export function navigationAt(menu: readonly MenuItem[], path: string): NavigationItem[] {
  const at = (href: string) => path === href || path.startsWith(`${href}/`);
  return menu.map((item) => ({
    href: item.href,
    text: item.label,
    active:
      (item.href === '/' ? path === '/' : at(item.href)) ||
      (item.children ?? []).some((child) => at(child.href)),
  }));
}

/** The items with their labels and descriptions in `language`. */
export function menuIn(language: Language, items: MenuItem[]): MenuItem[] {
  return items.map((item) => ({
    ...item,
    label: translate(language, menuLabelKey(item.href)),
    ...(item.description && DESCRIPTION_KEYS[item.href]
      ? { description: translate(language, DESCRIPTION_KEYS[item.href] ?? '') }
      : {}),
    ...(item.children ? { children: menuIn(language, item.children) } : {}),
  }));
}
