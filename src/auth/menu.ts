// The menu of the handbooks (same names, same order), filtered by the permission table.
import { type Capability, can, type Role } from './permissions.ts';

export interface MenuItem {
  label: string;
  href: string;
  capability: Capability;
  /** Shown on the section's own page, as in the handbooks' "Please select an item from the list". */
  description?: string;
  children?: MenuItem[];
}

export const MENU: MenuItem[] = [
  { label: 'Home', href: '/', capability: 'home.view' },
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
    ],
  },
  { label: 'Establishment Finder', href: '/establishments', capability: 'directory.find' },
  { label: 'Contacts', href: '/contacts', capability: 'contacts.view' },
  { label: 'School Details', href: '/school-details', capability: 'school-details.view' },
  { label: 'Change Password', href: '/change-password', capability: 'account.change-password' },
  { label: 'Logoff', href: '/sign-out', capability: 'home.view' },
];

export function menuFor(role: Role, items: MenuItem[] = MENU): MenuItem[] {
  return items
    .filter((item) => can(role, item.capability))
    .map((item) => (item.children ? { ...item, children: menuFor(role, item.children) } : item));
}

export function menuSection(role: Role, href: string): MenuItem | undefined {
  return menuFor(role).find((item) => item.href === href);
}
