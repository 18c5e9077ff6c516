import { initAll } from '/assets/govuk-frontend.min.js';

initAll();

// Print buttons are hidden until this script runs: without it, the browser's own Print does the same.
for (const button of document.querySelectorAll('[data-s2s-print]')) {
  button.hidden = false;
  button.addEventListener('click', () => window.print());
}
