// Drives the app through fastify.inject like a browser would: a cookie jar, CSRF tokens read from the
// page's forms, and redirects left for the test to check.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createApp } from '../../src/app.ts';
import type { Role } from '../../src/auth/permissions.ts';
import { loadConfig } from '../../src/config.ts';
import { buildDeps, type Deps } from '../../src/deps.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import type { Db, UserRow } from '../../src/platform/db/schema.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { MasterKey } from '../../src/platform/storage/envelope.ts';
import { anotherProcessDb, type TestDatabase } from './databases.ts';
import { makeUser, TEST_PASSWORD } from './factories.ts';

export interface TestApp {
  app: FastifyInstance;
  deps: Deps;
  clock: ManualClock;
}

/** `beforeReady` may add hooks to the app (to watch requests), as it is not ready until it returns. */
export async function createTestApp(
  db: Db,
  env: Record<string, string> = {},
  beforeReady?: (app: FastifyInstance) => void,
): Promise<TestApp> {
  const clock = new ManualClock();
  const config = loadConfig({
    S2S_ENV: 'test',
    FILE_STORE_DIR: mkdtempSync(join(tmpdir(), 's2s-files-')),
    MASTER_KEY: MasterKey.generate().toBase64(),
    LOG_LEVEL: 'silent',
    ...env,
  });
  const deps = await buildDeps(config, { db, clock, logger: createLogger('silent') });
  const app = await createApp(deps);
  beforeReady?.(app);
  await app.ready();
  return { app, deps, clock };
}

/**
 * Another app node on the test's database, as another server of s2s is: a connection of its own (on
 * SQLite the first node's one connection stays taken while a read of it is held). The nodes of one
 * service share `env` (one MASTER_KEY: the cookie secret and the stored files' key; one FILE_STORE_DIR).
 * `close` closes the node and its connection.
 */
export async function anotherNode(
  database: TestDatabase,
  env: Record<string, string> = {},
): Promise<TestApp & { close: () => Promise<void> }> {
  const db = anotherProcessDb(database);
  const node = await createTestApp(db, env);
  return {
    ...node,
    close: async () => {
      await node.app.close();
      await db.destroy();
    },
  };
}

/** A file in a multipart form: its name as the browser sends it, and its bytes. */
export interface UploadFile {
  filename: string;
  content: Buffer | string;
  contentType?: string;
  /** The form field; 'files' unless told. */
  field?: string;
}

export class Agent {
  private cookies = new Map<string, string>();
  private csrfToken: string | undefined;

  constructor(private readonly app: FastifyInstance) {}

  async get(url: string): Promise<LightMyRequestResponse> {
    const response = await this.app.inject({ method: 'GET', url, headers: this.headers() });
    this.remember(response);
    return response;
  }

  /**
   * Posts a form with the CSRF token of the last page fetched (or of `formPage`, fetched first; or
   * `csrf`, a token to send instead, as a page kept open from before would). With `node`, to that app
   * instead: another node of the same service (its database and master key), as a browser's request
   * reaches whichever node the load balancer picks.
   */
  async post(
    url: string,
    form: Record<string, string | string[]>,
    options: { formPage?: string; csrf?: boolean | string; node?: FastifyInstance } = {},
  ): Promise<LightMyRequestResponse> {
    if (options.formPage) await this.get(options.formPage);
    const fields = new URLSearchParams();
    const token =
      typeof options.csrf === 'string' ? options.csrf : options.csrf === false ? undefined : this.csrfToken;
    if (token) fields.append('_csrf', token);
    for (const [key, value] of Object.entries(form)) {
      for (const v of Array.isArray(value) ? value : [value]) fields.append(key, v);
    }
    const response = await (options.node ?? this.app).inject({
      method: 'POST',
      url,
      headers: { ...this.headers(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: fields.toString(),
    });
    this.remember(response);
    return response;
  }

  /**
   * Posts a multipart form (a file upload) as a browser does: the CSRF token of the last page fetched
   * first (unless `csrf` is false, or a string to send instead), then `fields`, then the files in order.
   * `tokenLast` puts the token after the files, to test that only a leading token counts; `fieldsLast`
   * puts `fields` after the files, as only a hand-made request would.
   */
  async postMultipart(
    url: string,
    files: UploadFile[],
    options: {
      csrf?: boolean | string;
      fields?: Record<string, string>;
      tokenLast?: boolean;
      fieldsLast?: boolean;
    } = {},
  ): Promise<LightMyRequestResponse> {
    const boundary = `----s2sTestBoundary${Math.random().toString(16).slice(2)}`;
    const chunks: Buffer[] = [];
    const field = (name: string, value: string) =>
      chunks.push(
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
      );
    const token =
      typeof options.csrf === 'string' ? options.csrf : options.csrf === false ? undefined : this.csrfToken;
    if (token !== undefined && !options.tokenLast) field('_csrf', token);
    const fields = () => {
      for (const [name, value] of Object.entries(options.fields ?? {})) field(name, value);
    };
    if (!options.fieldsLast) fields();
    for (const file of files) {
      const filename = file.filename.replace(/"/g, '%22');
      chunks.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${file.field ?? 'files'}"; filename="${filename}"\r\n` +
            `Content-Type: ${file.contentType ?? 'application/octet-stream'}\r\n\r\n`,
        ),
        typeof file.content === 'string' ? Buffer.from(file.content) : file.content,
        Buffer.from('\r\n'),
      );
    }
    if (options.fieldsLast) fields();
    if (token !== undefined && options.tokenLast) field('_csrf', token);
    chunks.push(Buffer.from(`--${boundary}--\r\n`));
    const response = await this.app.inject({
      method: 'POST',
      url,
      headers: { ...this.headers(), 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: Buffer.concat(chunks),
    });
    this.remember(response);
    return response;
  }

  /**
   * Signs in through the form, then opens the page it leads to, as a browser does: a form's token
   * belongs to the session it was shown in (decision 84), so the sign-in page's is no use after.
   * Answers the sign-in's own response.
   */
  async signIn(username: string, password = TEST_PASSWORD): Promise<LightMyRequestResponse> {
    const response = await this.post('/sign-in', { username, password }, { formPage: '/sign-in' });
    if (response.statusCode === 302 && response.headers.location) await this.get(response.headers.location);
    return response;
  }

  /** Sets a cookie in this browser as someone else could (a sibling site of the domain, a shared PC). */
  plant(name: string, value: string): void {
    this.cookies.set(name, value);
  }

  /**
   * Keeps the cookies `response` set, as the browser showing it does. Of two answers to requests made at
   * once, the agent keeps those of whichever it received last, which either may be.
   */
  adopt(response: LightMyRequestResponse): void {
    this.remember(response);
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  /** The names of the cookies this browser holds. */
  cookieNames(): string[] {
    return [...this.cookies.keys()];
  }

  /** The Cookie header this browser sends, and the CSRF token of the last page: for hand-made requests. */
  session(): { cookie: string; csrfToken: string } {
    return { cookie: this.headers().cookie ?? '', csrfToken: this.csrfToken ?? '' };
  }

  private headers(): Record<string, string> {
    // Values are kept decoded (as light-my-request gives them) and encoded again, as the server set them:
    // a flash message holding ';' or ',' then comes back whole.
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; ');
    return cookie ? { cookie } : {};
  }

  private remember(response: LightMyRequestResponse): void {
    for (const c of response.cookies) {
      if (c.value === '' || (c.expires && c.expires.getTime() < Date.now())) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    // A form's token, else the one a signed-in page gives its script (the keep-alive's, app.js).
    const token =
      /name="_csrf" value="([^"]+)"/.exec(response.body)?.[1] ??
      /data-csrf-token="([^"]+)"/.exec(response.body)?.[1];
    if (token) this.csrfToken = token;
  }
}

/** The hidden fields of the form posting to `action`, as a browser sends them back (less the CSRF token). */
export function hiddenFields(html: string, action: string): Record<string, string[]> {
  const form = new RegExp(`<form method="post" action="${action}"[\\s\\S]*?</form>`).exec(html)?.[0];
  assert.ok(form, `a form posting to ${action}`);
  const fields: Record<string, string[]> = {};
  for (const [, name, value] of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    if (name === '_csrf') continue;
    fields[name as string] = [...(fields[name as string] ?? []), value as string];
  }
  return fields;
}

/** The text of the GOV.UK error summary, for asserting on the messages users see. */
export function errorSummary(html: string): string {
  const match = /<div class="govuk-error-summary"[\s\S]*?<\/ul>/.exec(html);
  return match
    ? match[0]
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim()
    : '';
}

/** A new user of the role, in the organisation, signed in to the test app. */
export async function signedInUser(
  t: TestApp,
  role: Role,
  org: { laNumber?: string | null; establishmentNumber?: string | null },
): Promise<{ agent: Agent; user: UserRow }> {
  const user = await makeUser(t.deps.db, role, org);
  const agent = new Agent(t.app);
  const response = await agent.signIn(user.username);
  if (response.statusCode !== 302)
    throw new Error(`${user.username} could not sign in (${response.statusCode})`);
  return { agent, user };
}

/** A page's text without tags and with its entities decoded, as users read it, for asserting on. */
export function textOf(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

/**
 * The user signed in on a second app node with a connection of its own to the database, as another
 * server of s2s has (on SQLite the first node's one connection stays taken while a read of it is held).
 * Close it after.
 */
export async function signedInOnAnotherNode(
  database: TestDatabase,
  user: UserRow,
): Promise<{ node: TestApp; agent: Agent; close: () => Promise<void> }> {
  const node = await anotherNode(database);
  const agent = new Agent(node.app);
  assert.equal((await agent.signIn(user.username)).statusCode, 302);
  return { node, agent, close: node.close };
}
