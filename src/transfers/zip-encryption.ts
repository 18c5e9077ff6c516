// Whether a zip holds a password-protected entry: its contents cannot be read, so neither the virus scan
// (clamd reports such a zip clean unless told otherwise) nor anyone checking it can see what is inside.
import { type Entry, fromBuffer, type ZipFile } from 'yauzl';

/**
 * True when an entry of the zip's central directory is marked encrypted; false when none is, and when the
 * bytes cannot be read as a zip (cut short, damaged): then nothing says they hide anything, and the virus
 * scan reads them as they are.
 */
export function hasEncryptedEntry(data: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    fromBuffer(data, { lazyEntries: true, validateEntrySizes: false }, (error, zip?: ZipFile) => {
      if (error || !zip) {
        resolve(false);
        return;
      }
      zip.on('entry', (entry: Entry) => {
        if (entry.isEncrypted()) {
          resolve(true);
          zip.close();
        } else zip.readEntry();
      });
      zip.on('end', () => resolve(false));
      zip.on('error', () => resolve(false));
      zip.readEntry();
    });
  });
}
