// COLLECT's web edge: the census upload forms (a school's return, an LA's zip of returns), read from the
// request's multipart parts for the routes (returns-routes.ts, bulk-routes.ts). They are read whole
// before anything is loaded. The file is held in memory up to its limit, as loading it reads it anyway, so
// the "replace" box counts wherever it comes in the body (the forms put it before the file; a hand-made
// request may not), and a form that breaks off, or sends more than one file, loads nothing.
import type { FastifyRequest } from 'fastify';
import { type BoundedRead, IncompleteFile, readBounded, settleFile } from '../platform/bounded-read.ts';
import { formId as formIdValue } from '../platform/web/form-values.ts';
import { stopAtLimit } from '../platform/web/http.ts';

export const REPLACE_FIELD = 'replace';
/** The form's id (made as its page is drawn), which what it loads takes: posted again, it loads nothing more. */
export const FORM_ID_FIELD = 'formId';

export interface UploadForm {
  /** The file of the form's file field, read up to the limit: undefined when none was chosen. */
  file?: { filename: string; read: BoundedRead };
  /** The box confirming that the upload replaces the current return(s). */
  replace: boolean;
  /** The form's id, when it sent one (a UUID). */
  formId?: string;
  /** Why nothing is to be loaded: the form broke off (or could not be read), or sent several files. */
  problem?: { kind: 'incomplete' } | { kind: 'several-files'; files: number };
}

/**
 * The form's parts after its CSRF token (request.multipartParts). A file far past the limit ends the
 * form: the rest of the body is left unread (stopAtLimit), and the file is read as too large.
 */
export async function readUploadForm(
  request: FastifyRequest,
  fileField: string,
  limit: number,
): Promise<UploadForm> {
  let file: UploadForm['file'];
  let replace = false;
  let formId: string | undefined;
  let files = 0;
  let incomplete = false;
  try {
    for await (const part of request.multipartParts ?? []) {
      if (part.type === 'field') {
        if (part.fieldname === REPLACE_FIELD) replace = part.value === 'yes';
        if (part.fieldname === FORM_ID_FIELD) formId = formIdValue.parse(part.value);
        continue;
      }
      stopAtLimit(request, part.file);
      // A file input left empty still sends a part, with no name and no content.
      if (part.filename) files += 1;
      if (part.fieldname === fileField && part.filename && file === undefined) {
        // One byte past the limit is enough to know the file is too large; the rest is drained.
        const read = await readBounded(part.file, limit).catch((error: unknown) => {
          if (error instanceof IncompleteFile) return undefined;
          throw error;
        });
        if (read) file = { filename: part.filename, read };
      }
      const end = await settleFile(part.file);
      if (end === 'incomplete') {
        incomplete = true;
        break;
      }
      if (end === 'too-large') break;
    }
  } catch {
    // What the form's parts throw is the form's: it broke off, or could not be read.
    incomplete = true;
  }
  if (incomplete) return { replace, problem: { kind: 'incomplete' } };
  if (files > 1) return { replace, problem: { kind: 'several-files', files } };
  return { file, replace, formId };
}
