// The Upload and Download menu items (handbook §3-4, LA notes §5): each category is the route a file
// takes through the menus, and which kinds of file name it accepts.
import type { Capability } from '../auth/permissions.ts';
import type { FileKind } from './filenames.ts';

export const CATEGORIES = ['ctf', 'plasc', 'cfr', 'generic', 'exclusion', 'admissions'] as const;
export type Category = (typeof CATEGORIES)[number];

export interface CategoryInfo {
  /** As the handbooks name the menu items. */
  uploadLabel: string;
  downloadLabel: string;
  reDownloadLabel: string;
  /** The kinds of file name (filenames.ts) this category takes. */
  kinds: readonly FileKind[];
}

export const CATEGORY_INFO: Record<Category, CategoryInfo> = {
  ctf: {
    uploadLabel: 'Upload CTF File',
    downloadLabel: 'Download CTF Files',
    reDownloadLabel: 'Previously Downloaded CTF Files',
    kinds: ['ctf'],
  },
  plasc: {
    uploadLabel: 'Upload DAZ/PLASC/School Census File',
    downloadLabel: 'Download PLASC Files',
    reDownloadLabel: 'Re-Download PLASC Files',
    kinds: ['census'],
  },
  // CFR (Consistent Financial Reporting) and exclusion returns go to the LA under generic-style names.
  cfr: {
    uploadLabel: 'Upload CFR File',
    downloadLabel: 'Download CFR Files',
    reDownloadLabel: 'Re-Download CFR Files',
    kinds: ['generic', 'other'],
  },
  generic: {
    uploadLabel: 'Upload Generic File',
    downloadLabel: 'Download Generic Files',
    reDownloadLabel: 'Re-Download Generic Files',
    kinds: ['generic', 'other'],
  },
  exclusion: {
    uploadLabel: 'Upload Exclusion File',
    downloadLabel: 'Download Exclusion Files',
    reDownloadLabel: 'Re-Download Exclusion Files',
    kinds: ['generic', 'other'],
  },
  admissions: {
    uploadLabel: 'Upload Admissions File',
    downloadLabel: 'Download Admissions Files',
    reDownloadLabel: 'Re-Download Admissions Files',
    kinds: ['admissions'],
  },
};

export function isCategory(value: string): value is Category {
  return (CATEGORIES as readonly string[]).includes(value);
}

export function uploadCapability(category: Category): Capability {
  return `upload.${category}`;
}

export function downloadCapability(category: Category): Capability {
  return `download.${category}`;
}
