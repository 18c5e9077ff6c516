// The HTTP server's plumbing: security headers, cookies, forms, CSRF, static assets, page rendering
// and the one place where errors become pages.
import { STATUS_CODES } from 'node:http';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import multipart, { type Multipart } from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import { ZodError } from 'zod';
import type { FileStream } from '../bounded-read.ts';
import { type FieldError, Forbidden, Invalid, NotFound } from '../errors.ts';
import {
  catalogue,
  DEFAULT_LANGUAGE,
  fieldErrorIn,
  keyedError,
  type Language,
  type Message,
  translate,
  translateMessage,
} from '../i18n/catalogue.ts';
import {
  browserLanguage,
  languageAskedFor,
  languageLinks,
  pageWithoutSwitch,
  setBrowserLanguage,
  templateTranslator,
} from '../i18n/web.ts';
import type { Logger } from '../logger.ts';
import { BUSY_RETRY_SECONDS, PoolBusy } from '../workers/pool.ts';
import {
  formSecretCookieName,
  formSecretCookieOptions,
  formTokenKey,
  SIGNED_OUT_FORM,
} from './form-tokens.ts';
import { cookieSecurity, decorateSecureCookies } from './secure-cookies.ts';
import { govukDist, sharedViews } from './views.ts';

declare module 'fastify' {
  interface FastifyReply {
    /** Render a page with the common context (user, menu, CSRF token, CSP nonce, flash message). */
    page(template: string, data?: Record<string, unknown>): FastifyReply;
    /**
     * Show a notification banner on the next page this browser renders: green for something done
     * ('success', the default), blue for something the user should know ('important').
     */
    flash(message: string, kind?: FlashKind): FastifyReply;
    /** A CSRF token for a form on this reply's page: of this browser's secret, for its session (or none). */
    formToken(): string;
  }
  interface FastifyRequest {
    /** The language pages are shown in: the signed-in user's, else this browser's (English unless chosen). */
    language: Language;
    /** The catalogue's text of `key` in the request's language; a parameter may be a message (a name s2s made up). */
    t(key: string, params?: Message['params']): string;
    /** A multipart form's parts after its first field, the CSRF token (checked before the route runs). */
    multipartParts?: AsyncIterableIterator<Multipart>;
    /** The rest of the body is not to be read: the answer closes the connection (stopAtLimit). */
    bodyLeftUnread?: boolean;
  }
  interface FastifyContextConfig {
    /**
     * The route reads its whole multipart body itself (multipartParts) and takes no CSRF token in it
     * (the REST API, whose callers authenticate with a header): the multipart hook leaves its body alone.
     * A page route never sets this: its form's first field is its CSRF token.
     */
    readsOwnMultipart?: boolean;
  }
}

export interface HttpOptions {
  logger: Logger;
  cookieSecret: string;
  trustProxy: boolean;
  /** Every cookie is Secure, whatever the request's protocol: the service's address is https. */
  secureCookies?: boolean;
  /** Seconds a request may send nothing, and may take to arrive in full, before its connection closes. */
  requestLimits: { idleSeconds: number; timeoutSeconds: number };
  /** Context every page gets from the request: the signed-in user and their menu. `path`: the page's. */
  pageContext: (request: FastifyRequest, path: string) => Record<string, unknown>;
  /** Multipart forms (file uploads): the largest file in bytes, and the most files in one form. */
  multipart?: { maxFileBytes: number; maxFiles: number };
  /**
   * The language switch was used: keep the choice for the signed-in user, if there is one, and say
   * whether there was (the browser's cookie keeps it otherwise).
   */
  rememberLanguage?: (request: FastifyRequest, language: Language) => Promise<boolean>;
  /**
   * Whose a form is: something naming the session this browser's cookie holds (never its token), or
   * undefined when it holds none. A form's token is accepted only for the same (decision 84).
   */
  formOwner?: (request: FastifyRequest) => string | undefined;
}

const FLASH_COOKIE = 's2s_flash';
export type FlashKind = 'success' | 'important';
/** An 'important' flash is stored with this before its text (the cookie holds one signed string). */
const IMPORTANT = 'important|';

/**
 * Call as a multipart file part arrives. When the multipart parser cuts the file short at its file size
 * limit (past the largest file s2s takes from anyone), the rest of the request is not worth reading:
 * at that moment the body stops being read and the file stream is destroyed, which ends the form
 * there; the answer closes the connection. (settleFile then says 'too-large'.)
 */
export function stopAtLimit(request: FastifyRequest, file: FileStream): void {
  file.once('limit', () => {
    request.bodyLeftUnread = true;
    request.raw.unpipe();
    request.raw.pause();
    file.destroy();
  });
}

/**
 * A file name as the browser meant it. Browsers (the HTML standard's form encoding; curl too) send a
 * multipart file name with `"` as %22 and line breaks as %0D and %0A, so the header stays one quoted
 * string; anything else, "%" included, is sent as it is. Those three are read back, so a name with a
 * quotation mark is refused for that, not for a "%" it does not hold. A "%22" a name really held reads
 * as `"`: both are refused by the name rules all the same.
 */
export function browserFilename(sent: string): string {
  return sent.replace(/%(22|0D|0A)/gi, (_, code: string) => String.fromCharCode(Number.parseInt(code, 16)));
}

/** Each file part of `parts` with its name as the browser meant it (browserFilename). */
async function* withFilenamesDecoded(parts: AsyncIterableIterator<Multipart>): AsyncGenerator<Multipart> {
  for await (const part of parts) {
    if (part.type === 'file' && part.filename) part.filename = browserFilename(part.filename);
    yield part;
  }
}

/**
 * A multipart body's parts, read as they arrive. A client that went away before they were asked for
 * (while its session or token was checked) left a body that will never end, and the parser would wait
 * for it for ever: its parts end at once with an error, as those of a body cut off later do.
 */
export function multipartParts(request: FastifyRequest): AsyncIterableIterator<Multipart> {
  if (!request.raw.destroyed) return withFilenamesDecoded(request.parts());
  const gone = Object.assign(new Error('The client went away before its body was read'), { statusCode: 400 });
  const parts: AsyncIterableIterator<Multipart> = {
    next: () => Promise.reject(gone),
    [Symbol.asyncIterator]: () => parts,
  };
  return parts;
}

/** The token of an `Authorization: Bearer TOKEN` header: undefined without the header, '' when malformed. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : '';
}

/**
 * A request Node could not read (headers past 16 KB: a very long address, or too many cookies for the
 * site; a request that never finished arriving; bytes that are not HTTP) is answered by the socket,
 * before Fastify has a request, its language or a route: a short page in English and Welsh saying what to
 * do, where Fastify's own answer is JSON a person cannot use.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, key] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'errors.client.timeout']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'errors.client.too-long']
        : [400, 'errors.client.unreadable'];
  const part = (language: Language) =>
    `<h1>${translate(language, 'errors.client.title')}</h1><p>${translate(language, key)}</p>` +
    `<p><a href="/">${translate(language, 'errors.home-link')}</a></p>`;
  const page =
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${translate('en', 'errors.client.title')} - s2s</title></head>` +
    `<body><main>${part('en')}<div lang="cy">${part('cy')}</div></main></body></html>`;
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: text/html; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(page)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${page}`,
    );
  }
  socket.destroy(error);
}

export async function createHttpServer(options: HttpOptions): Promise<FastifyInstance> {
  const requestTimeoutMs = options.requestLimits.timeoutSeconds * 1000;
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    // The one proxy in front (the load balancer), not every hop: with `true` the client's address would
    // be the left-most X-Forwarded-For entry, which the client writes itself (and so chooses which
    // address sign-in throttling counts).
    trustProxy: options.trustProxy ? (_address: string, hop: number) => hop === 0 : false,
    logController: new LogController({ disableRequestLogging: true }),
    // An address whose %-escapes are not text (/%E0%A4%A) names nothing: it goes on as one that is not
    // found, with the not-found page (or the API's problem) and every hook, in place of Fastify's bare JSON.
    rewriteUrl: (raw) => addressOrNothing(raw.url ?? '/'),
    clientErrorHandler: answerClientError,
    bodyLimit: 1024 * 1024,
    // A request that sends nothing for idleSeconds loses its connection (Node's socket timeout, which
    // also ends a response its client stopped reading, or one the service takes that long to begin);
    // one still arriving after timeoutSeconds gets a 408 and loses it (the time to answer not counted).
    connectionTimeout: options.requestLimits.idleSeconds * 1000,
    requestTimeout: requestTimeoutMs,
    http: {
      // Node's defaults when it is given the request timeout itself (Fastify sets it later): headers
      // within 60 s or the request timeout (a longer headers timeout stops the request timeout from
      // applying), and the check every 30 s or a quarter of the limit, if that is sooner.
      headersTimeout: Math.min(60_000, requestTimeoutMs),
      connectionsCheckingInterval: Math.min(30_000, requestTimeoutMs / 4),
    },
  });
  const views = sharedViews();
  // Read now: a broken catalogue (a key defined twice, bad JSON) stops the service at start.
  catalogue();
  app.decorateRequest('bodyLeftUnread', false);
  app.decorateRequest('language', DEFAULT_LANGUAGE);
  app.decorateRequest('t', function t(this: FastifyRequest, key: string, params?: Message['params']) {
    return translateMessage(this.language, { key, params });
  });

  // Request log lines carry the path without its query string: searches can name pupils.
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        path: request.url.split('?')[0],
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });

  await app.register(helmet, {
    enableCSPNonces: true,
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        upgradeInsecureRequests: null,
      },
    },
    referrerPolicy: { policy: 'same-origin' },
  });
  await app.register(cookie, { secret: options.cookieSecret });
  decorateSecureCookies(app, options.secureCookies === true);
  // The browser's language; a signed-in user's own replaces it once their session is read (auth/web.ts).
  app.addHook('onRequest', async (request) => {
    request.language = browserLanguage(request)?.language ?? DEFAULT_LANGUAGE;
  });
  // The header's switch (?lang=cy): remember the choice, then show the same page without the parameter.
  // A preHandler, so that the session has been read by then.
  app.addHook('preHandler', async (request, reply) => {
    const language = languageAskedFor(request);
    if (!language) return;
    const remembered = (await options.rememberLanguage?.(request, language)) ?? false;
    setBrowserLanguage(reply, { language, chosenSignedOut: !remembered });
    return reply.redirect(pageWithoutSwitch(request.url));
  });
  await app.register(formbody);
  const maxFiles = options.multipart?.maxFiles ?? 1;
  await app.register(multipart, {
    // A file past maxFileBytes is cut short (its stream's `truncated` is set) and the form goes on to
    // the next file; each upload route compares sizes with its own, smaller limits.
    throwFileSizeLimit: false,
    limits: {
      fileSize: options.multipart?.maxFileBytes ?? 1024 * 1024,
      files: maxFiles,
      fields: 10,
      fieldSize: 4096,
      parts: maxFiles + 10,
      headerPairs: 100,
    },
  });
  // formbody does not parse multipart bodies, so a multipart form sends its CSRF token as its first
  // field: it is read here, before the route's access and CSRF checks and before any file is read, and
  // the route reads the remaining parts from request.multipartParts. A form whose first part is not the
  // token has no token, and is refused like any other. A route with config.readsOwnMultipart (the API)
  // is left alone: its body has no token, and the route reads every part itself.
  app.addHook('preValidation', async (request) => {
    if (!request.isMultipart() || request.routeOptions.config.readsOwnMultipart === true) return;
    const parts = multipartParts(request);
    let first: IteratorResult<Multipart>;
    try {
      first = await parts.next();
    } catch (error) {
      // Broken multipart data is the sender's fault: a 4xx page, not a server error.
      const status = (error as { statusCode?: number }).statusCode;
      throw Object.assign(error as Error, { statusCode: status && status < 500 ? status : 400 });
    }
    const part = first.done ? undefined : first.value;
    const token =
      part?.type === 'field' && part.fieldname === '_csrf' && typeof part.value === 'string'
        ? part.value
        : undefined;
    request.body = token === undefined ? {} : { _csrf: token };
    request.multipartParts = parts;
  });
  // Text with the null character cannot be stored (PostgreSQL refuses it in text, where it came back as
  // the server-error page) and is never meant: refused with a message, whatever the form or API call.
  // Nothing is named by an address holding one (/dba/users/%00): not found, as any other unknown id.
  app.addHook('preValidation', async (request, reply) => {
    if (fieldWithNul(request.params) !== null) return reply.callNotFound();
    const field = fieldWithNul(request.body) ?? fieldWithNul(request.query);
    if (field !== null) throw new Invalid([keyedError(field, 'errors.problem.nul-character')]);
  });
  // A page sent before a multipart body was read to its end (a refusal, a redirect to sign in, an
  // error): the rest is read and thrown away, so the browser can finish sending and show the page --
  // unless it was left unread on purpose (stopAtLimit): then the connection closes instead.
  app.addHook('onSend', async (request, reply) => {
    if (request.bodyLeftUnread === true) reply.header('connection', 'close');
    // No page is kept by the browser: after signing out on a shared office computer, Back must not show
    // the pupils' names a page held (it asks again, and is sent to sign in). The static assets say
    // how long they may be kept (below), and keep it.
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });
  app.addHook('onResponse', async (request) => {
    if (request.isMultipart() && !request.raw.readableEnded && request.bodyLeftUnread !== true) {
      request.raw.unpipe();
      request.raw.resume();
    }
  });
  // A form's token is of this browser's secret (a signed cookie) and for its session (form-tokens.ts).
  const formOwner = (request: FastifyRequest) => options.formOwner?.(request) ?? SIGNED_OUT_FORM;
  await app.register(csrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: formSecretCookieName(options.secureCookies === true),
    cookieOpts: formSecretCookieOptions(options.secureCookies === true),
    getUserInfo: formOwner,
    csrfOpts: { hmacKey: formTokenKey(options.cookieSecret) },
  });
  app.decorateReply('formToken', function formToken(this: FastifyReply) {
    return this.generateCsrf({ userInfo: formOwner(this.request) });
  });

  await app.register(fastifyStatic, {
    root: [join(govukDist, 'govuk', 'assets'), join(govukDist, 'govuk')],
    prefix: '/assets/',
    allowedPath: (path) =>
      /^\/(fonts|images|rebrand)\/|^\/manifest\.json$|^\/govuk-frontend\.min\.(css|js)$/.test(path),
    maxAge: '1d',
  });
  await app.register(fastifyStatic, {
    root: join(import.meta.dirname, 'public'),
    prefix: '/static/',
    decorateReply: false,
    maxAge: '1h',
  });

  app.decorateReply(
    'page',
    function page(this: FastifyReply, template: string, data: Record<string, unknown> = {}) {
      const request = this.request;
      const flash = request.cookies[FLASH_COOKIE]
        ? request.unsignCookie(request.cookies[FLASH_COOKIE])
        : undefined;
      if (flash) this.clearCookie(FLASH_COOKIE, { path: '/', secure: cookieSecurity(this) });
      const language = request.language;
      const currentPath = request.url.split('?')[0] ?? '';
      const html = views.render(template, {
        serviceName: translate(language, 'layout.service-name'),
        language,
        t: templateTranslator(language),
        languageLinks: languageLinks(switchablePage(request), language),
        currentPath,
        csrfToken: this.formToken(),
        cspNonce: this.cspNonce?.script,
        ...(flash?.valid && flash.value
          ? flash.value.startsWith(IMPORTANT)
            ? { flash: flash.value.slice(IMPORTANT.length), flashKind: 'important' }
            : { flash: flash.value, flashKind: 'success' }
          : {}),
        ...options.pageContext(request, currentPath),
        ...data,
        ...(Array.isArray(data.errors) ? { errors: inLanguage(data.errors as FieldError[], language) } : {}),
      });
      return this.type('text/html; charset=utf-8').send(html);
    },
  );

  app.decorateReply(
    'flash',
    function flash(this: FastifyReply, message: string, kind: FlashKind = 'success') {
      return this.setCookie(FLASH_COOKIE, kind === 'important' ? `${IMPORTANT}${message}` : message, {
        signed: true,
        httpOnly: true,
        sameSite: 'lax',
        path: '/',
        secure: cookieSecurity(this),
      });
    },
  );

  app.setNotFoundHandler((_request, reply) => {
    reply.code(404).page('platform/web/views/not-found.njk');
  });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof NotFound) {
      return reply.code(404).page('platform/web/views/not-found.njk', {
        what: translateMessage(request.language, error.subject),
      });
    }
    if (error instanceof Forbidden) {
      return reply.code(403).page('platform/web/views/forbidden.njk', {
        message: error.key
          ? translateMessage(request.language, { key: error.key, params: error.params })
          : error.message,
        byRole: error.byRole,
      });
    }
    if (error instanceof Invalid) {
      return reply.code(400).page('platform/web/views/problem.njk', { errors: error.errors });
    }
    // Route schemas read what our own forms send; anything else (a field sent twice, say) was tampered with.
    if (error instanceof ZodError) {
      return reply.code(400).page('platform/web/views/problem.njk', {
        errors: [keyedError('', 'errors.problem.form-unreadable')],
      });
    }
    // Too many files waiting to be read (census day): nothing was kept, and the page says so.
    if (error instanceof PoolBusy) {
      request.log.warn(
        { path: request.url.split('?')[0] },
        'turned away: too many files are waiting to be read',
      );
      return reply
        .code(503)
        .header('retry-after', String(BUSY_RETRY_SECONDS))
        .page('platform/web/views/busy.njk');
    }
    const code = (error as { code?: string }).code ?? '';
    if (code.startsWith('FST_CSRF')) {
      return reply.code(403).page('platform/web/views/form-expired.njk');
    }
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply.code(status).page('platform/web/views/problem.njk', {
        errors: [keyedError('', 'errors.problem.request-not-understood')],
      });
    }
    request.log.error({ err: error, path: request.url.split('?')[0] }, 'unhandled error');
    return reply.code(500).page('platform/web/views/server-error.njk');
  });

  return app;
}

/**
 * The page the language switch shows again: this one, or, for a form asked again at an address that is
 * only posted to (a COLLECT return's Save the explanation left empty), the nearest page above it, since a
 * link to the address itself would find no page.
 */
function switchablePage(request: FastifyRequest): string {
  const pattern = request.routeOptions.url;
  if (request.method === 'GET' || !pattern || request.server.hasRoute({ method: 'GET', url: pattern })) {
    return request.url;
  }
  const patternParts = pattern.split('/');
  const pathParts = (request.url.split('?')[0] ?? '').split('/');
  // Each of the pattern's parts is one of the path's (a parameter stands for one part), so the same
  // number of parts cut from both names the same page.
  if (patternParts.length !== pathParts.length) return '/';
  for (let parts = patternParts.length - 1; parts > 1; parts -= 1) {
    if (request.server.hasRoute({ method: 'GET', url: patternParts.slice(0, parts).join('/') })) {
      return pathParts.slice(0, parts).join('/');
    }
  }
  return '/';
}

/** Where nothing is: the addresses an unreadable one becomes (the API's, under its own prefix). */
const NOWHERE = '/not-an-address';
const API_NOWHERE = `/api/v1${NOWHERE}`;

/** The address as it came, or, when its path's %-escapes are not text, an address where nothing is. */
function addressOrNothing(url: string): string {
  const path = url.split('?', 1)[0] ?? '';
  try {
    decodeURIComponent(path);
    return url;
  } catch {
    return path.startsWith('/api/') ? API_NOWHERE : NOWHERE;
  }
}

/** The name of the first field of a parsed body or query whose text holds U+0000 ('' for the whole), or null. */
function fieldWithNul(value: unknown): string | null {
  // Walked with a list of what is still to look at, not by recursion: a JSON body of 1 MB can be nested
  // 500,000 deep, and recursion ran out of stack at about 4,000 (a server error). Each value waits with
  // its key and the name of the field holding it, and is looked at in the body's order.
  const waiting: { value: unknown; name: string; key: string; holder: string }[] = [
    { value, name: '', key: '', holder: '' },
  ];
  for (let next = waiting.pop(); next !== undefined; next = waiting.pop()) {
    if (next.key.includes('\u0000')) return next.holder;
    const { value: inner, name } = next;
    if (typeof inner === 'string') {
      if (inner.includes('\u0000')) return name;
      continue;
    }
    if (typeof inner !== 'object' || inner === null) continue;
    const entries = Object.entries(inner);
    for (let at = entries.length - 1; at >= 0; at -= 1) {
      const [key, child] = entries[at] as [string, unknown];
      const childName = Array.isArray(inner) ? name : name ? `${name}.${key}` : key;
      waiting.push({ value: child, name: childName, key, holder: name });
    }
  }
  return null;
}

/** Field errors as the page's reader reads them: those with a catalogue key, in their language. */
function inLanguage(errors: FieldError[], language: Language): FieldError[] {
  return errors.map((error) => (error.key ? { ...error, message: fieldErrorIn(language, error) } : error));
}
