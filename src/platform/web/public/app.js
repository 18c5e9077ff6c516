import { ErrorSummary, initAll } from '/assets/govuk-frontend.min.js';

initAll();

// Print buttons are hidden until this script runs: without it, the browser's own Print does the same.
for (const button of document.querySelectorAll('[data-s2s-print]')) {
  button.hidden = false;
  button.addEventListener('click', () => window.print());
}

// A file past the sender's size limit is named before the form is sent (decision 73): sent, s2s stops
// reading it at the largest size anyone may send and closes the connection, which a browser shows as
// "This site can't be reached" (and may send again) instead of the page naming the file. The page's own
// error summary and field error, as the service would draw them.
for (const form of document.querySelectorAll('form[data-s2s-file-limit]')) {
  form.addEventListener('submit', (event) => {
    const input = form.querySelector('input[type="file"]');
    const limit = Number(form.dataset.s2sFileLimit);
    const tooLarge = [...(input?.files ?? [])].filter((file) => file.size > limit);
    if (!input || tooLarge.length === 0) return;
    event.preventDefault();
    const messages = tooLarge.map((file) => form.dataset.s2sTooLarge.replace('{file}', file.name));
    showFieldErrors(form, input, messages);
  });
}

function showFieldErrors(form, input, messages) {
  const prefix = form.dataset.s2sErrorPrefix;
  // GOV.UK's enhanced file upload hides the input and gives its id to its button, the control the
  // keyboard and screen readers reach: the summary's link and the error's description go to that, as on a
  // page the service drew (link #files, the button described by files-error).
  const field =
    input.closest('.govuk-file-upload-wrapper')?.querySelector('.govuk-file-upload-button') ?? input;
  document.querySelector('.govuk-error-summary')?.remove();
  const summary = document.createElement('div');
  summary.className = 'govuk-error-summary';
  summary.dataset.module = 'govuk-error-summary';
  const alert = summary.appendChild(document.createElement('div'));
  alert.setAttribute('role', 'alert');
  const title = alert.appendChild(document.createElement('h2'));
  title.className = 'govuk-error-summary__title';
  title.textContent = form.dataset.s2sErrorTitle;
  const list = alert.appendChild(document.createElement('div'));
  list.className = 'govuk-error-summary__body';
  const items = list.appendChild(document.createElement('ul'));
  items.className = 'govuk-list govuk-error-summary__list';
  for (const text of messages) {
    const link = items.appendChild(document.createElement('li')).appendChild(document.createElement('a'));
    link.href = `#${field.id}`;
    link.textContent = text;
  }
  document.querySelector('main')?.prepend(summary);

  const group = input.closest('.govuk-form-group');
  group?.classList.add('govuk-form-group--error');
  group?.querySelector('.govuk-error-message')?.remove();
  const fieldError = document.createElement('p');
  fieldError.className = 'govuk-error-message';
  fieldError.id = `${field.id}-error`;
  const hidden = fieldError.appendChild(document.createElement('span'));
  hidden.className = 'govuk-visually-hidden';
  hidden.textContent = `${prefix}:`;
  fieldError.append(` ${messages.join('. ')}`);
  // Above the enhanced file upload's wrapper (its button and status), where the service draws it.
  (input.closest('.govuk-file-upload-wrapper') ?? input).before(fieldError);
  input.classList.add('govuk-file-upload--error');
  const describedBy = (field.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean);
  if (!describedBy.includes(fieldError.id))
    field.setAttribute('aria-describedby', [...describedBy, fieldError.id].join(' '));
  if (!document.title.startsWith(`${prefix}: `)) document.title = `${prefix}: ${document.title}`;
  // Focuses the summary and makes its links move to the field, as on a page the service drew.
  new ErrorSummary(summary);
}

// The warning before signing out for want of use (WCAG 2.2.1; decision 67). The layout gives signed-in
// pages the dialog, in a template, with the idle time and how long before its end to warn. The script
// asks the service how long is left (another tab may have used the session) when the warning would be
// due, warns while it can still be kept alive, and says so once it has been signed out, without leaving
// the page: what was typed stays on it to copy.
const timeout = document.getElementById('s2s-session-timeout');
if (timeout instanceof HTMLTemplateElement && typeof HTMLDialogElement === 'function') {
  const idleSeconds = Number(timeout.dataset.idleSeconds);
  const warningSeconds = Number(timeout.dataset.warningSeconds);
  const dialog = /** @type {HTMLDialogElement} */ (timeout.content.firstElementChild.cloneNode(true));
  // The page's CSRF token, for the keep-alive's post; kept out of the page itself.
  const csrfToken = dialog.dataset.csrfToken ?? '';
  delete dialog.dataset.csrfToken;
  document.body.append(dialog);
  const warning = dialog.querySelector('[data-s2s-timeout-state="warning"]');
  const signedOut = dialog.querySelector('[data-s2s-timeout-state="signed-out"]');
  let timer;
  let state = 'waiting';

  const wait = (seconds) => {
    clearTimeout(timer);
    timer = setTimeout(ask, Math.max(1, seconds) * 1000);
  };

  const show = (shown) => {
    const isWarning = shown === 'warning';
    warning.hidden = !isWarning;
    signedOut.hidden = isWarning;
    // The dialog is named and described by the state shown.
    dialog.setAttribute(
      'aria-labelledby',
      `${isWarning ? 's2s-session-timeout' : 's2s-session-timeout-signed-out'}-heading`,
    );
    dialog.setAttribute(
      'aria-describedby',
      `${isWarning ? 's2s-session-timeout' : 's2s-session-timeout-signed-out'}-text`,
    );
    if (state !== shown && dialog.open) dialog.close();
    state = shown;
    if (!dialog.open) dialog.showModal();
  };

  const showSignedOut = () => {
    clearTimeout(timer);
    show('signed-out');
  };

  async function ask() {
    let status;
    try {
      const response = await fetch('/session/status', {
        credentials: 'same-origin',
        cache: 'no-store',
        headers: { accept: 'application/json' },
      });
      status = await response.json();
    } catch {
      // Not answered (the network, or the service restarting): ask again a little later.
      wait(Math.min(warningSeconds, 30));
      return;
    }
    if (!status.signedIn) {
      showSignedOut();
    } else if (status.secondsLeft > warningSeconds) {
      if (state === 'warning') {
        dialog.close();
        state = 'waiting';
      }
      wait(status.secondsLeft - warningSeconds);
    } else {
      show('warning');
      wait(status.secondsLeft);
    }
  }

  async function staySignedIn() {
    let kept = false;
    try {
      const response = await fetch('/session/keep-alive', {
        method: 'POST',
        credentials: 'same-origin',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrfToken }),
      });
      kept = response.status === 204;
    } catch {
      kept = false;
    }
    if (!kept) {
      // Signed out meanwhile (or not reached): the status says which.
      await ask();
      return;
    }
    state = 'waiting';
    dialog.close();
    wait(idleSeconds - warningSeconds);
  }

  dialog.querySelector('[data-s2s-timeout-stay]').addEventListener('click', staySignedIn);
  dialog.querySelector('[data-s2s-timeout-close]').addEventListener('click', () => dialog.close());
  // Escape: "Stay signed in" while warned; once signed out, it closes the dialog to copy what was typed.
  dialog.addEventListener('cancel', (event) => {
    if (state === 'warning') {
      event.preventDefault();
      staySignedIn();
    }
  });
  wait(idleSeconds - warningSeconds);
}
