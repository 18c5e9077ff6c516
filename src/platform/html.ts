// Text made safe for HTML, where a template's autoescaping cannot do it (HTML built in code): an email's
// HTML version (notifications/email.ts) as much as a page's piece of markup, so not the web edge's alone.

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text made safe for HTML content and attribute values. */
export function escapeMarkup(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}
