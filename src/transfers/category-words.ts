// The catalogue keys of the Upload and Download sections' words, by category and menu item: what each item
// is for, and what a type's files are called in a sentence. Plain tables, without HTTP, so that domain
// code (download-service.ts) and the web edge (web.ts, the routes) share them.
import type { Category } from './categories.ts';

/** What each Upload item is for: shown on the Upload page and above the item's form. */
const UPLOAD_DESCRIPTION_KEYS: Record<Category, string> = {
  ctf: 'transfer.upload-section.ctf',
  plasc: 'transfer.upload-section.plasc',
  cfr: 'transfer.upload-section.cfr',
  generic: 'transfer.upload-section.generic',
  exclusion: 'transfer.upload-section.exclusion',
  admissions: 'transfer.upload-section.admissions',
};

/** What each Download item holds: shown on the Download page. */
const DOWNLOAD_DESCRIPTION_KEYS: Record<string, string> = {
  '/download/plasc': 'transfer.download-section.plasc',
  '/download/cfr': 'transfer.download-section.cfr',
  '/download/ctf': 'transfer.download-section.ctf',
  '/download/generic': 'transfer.download-section.generic',
  '/download/exclusion': 'transfer.download-section.exclusion',
  '/download/admissions': 'transfer.download-section.admissions',
  '/download/ctf/monitor': 'transfer.download-section.monitor',
  '/download/ctf/uncollected': 'transfer.download-section.uncollected',
};

/** What a type's files are called in a sentence: "Generic Files can only be downloaded one at a time". */
export const FILES_WORD_KEYS: Record<Category, string> = {
  ctf: 'transfer.files-word.ctf',
  plasc: 'transfer.files-word.plasc',
  cfr: 'transfer.files-word.cfr',
  generic: 'transfer.files-word.generic',
  exclusion: 'transfer.files-word.exclusion',
  admissions: 'transfer.files-word.admissions',
};

export function uploadDescriptionKey(category: Category): string {
  return UPLOAD_DESCRIPTION_KEYS[category];
}

/** What a section item (its menu href) is for, or undefined when it says nothing more. */
export function descriptionKey(href: string): string | undefined {
  if (href.startsWith('/upload/')) return UPLOAD_DESCRIPTION_KEYS[href.slice('/upload/'.length) as Category];
  if (href.endsWith('/previous')) return 'transfer.download-section.previous';
  return DOWNLOAD_DESCRIPTION_KEYS[href];
}
