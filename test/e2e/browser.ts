// Browser journeys: the real service in its own process (as `npm start` runs it, with demo data), driven
// by headless Chromium. Every page visited is checked with axe-core.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { DEMO_PASSWORD } from '../../src/demo/seed.ts';
import { createDatabase } from '../../src/platform/db/database.ts';
import type { Db } from '../../src/platform/db/schema.ts';

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const AXE_SOURCE = readFileSync(
  join(import.meta.dirname, '..', '..', 'node_modules', 'axe-core', 'axe.min.js'),
  'utf8',
);

export interface RunningService {
  baseUrl: string;
  databaseUrl: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Starts `s2s serve` on a fresh SQLite database with the demo data, as a newcomer would. `env` adds
 * settings (such as TWO_FACTOR_REQUIRED=true); `port`, when the address must be known beforehand (to
 * register it with a single sign-on provider).
 */
export async function startService(
  env: Record<string, string> = {},
  options: { port?: number } = {},
): Promise<RunningService> {
  const dir = mkdtempSync(join(tmpdir(), 's2s-e2e-'));
  const port = options.port ?? (await freePort());
  const databaseUrl = `sqlite:${join(dir, 's2s.sqlite')}`;
  const child: ChildProcess = spawn(process.execPath, ['bin/s2s.js', 'serve'], {
    env: {
      ...process.env,
      S2S_ENV: 'test',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      FILE_STORE_DIR: join(dir, 'files'),
      MASTER_KEY_FILE: join(dir, 'master.key'),
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`s2s serve exited with code ${child.exitCode}`);
    try {
      if ((await fetch(`${baseUrl}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (attempt > 300) throw new Error('s2s serve did not become healthy');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    baseUrl,
    databaseUrl,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS, headless: true });
}

export interface ForJourneys {
  readonly service: RunningService;
  readonly browser: Browser;
  /** The service's own database, for a test to arrange data and to check what was recorded. */
  readonly db: Db;
}

/**
 * The service (started by `start`, by default with the demo data) and a browser for the journeys of the
 * describe block this is called in: started before its tests, stopped after them.
 */
export function forJourneys(start: () => Promise<RunningService> = () => startService()): ForJourneys {
  const running = {} as { service: RunningService; browser: Browser; db: Db };
  before(async () => {
    running.service = await start();
    running.browser = await launchBrowser();
    running.db = createDatabase(running.service.databaseUrl);
  });
  after(async () => {
    await running.db?.destroy();
    await running.browser?.close();
    await running.service?.stop();
  });
  return running;
}

/** Runs axe-core (WCAG 2.0-2.2 A and AA rules) on the page and fails on any violation. */
export async function assertAccessible(page: Page): Promise<void> {
  // A journey's pages have axe already (Journey.open); another page gets it now. Both go through the
  // DevTools protocol, so the page's CSP (no inline scripts) is kept on.
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    // biome-ignore lint/suspicious/noExplicitAny: axe is injected into the page at run time
    const axe = (globalThis as any).axe;
    const results = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
      // Only violations fail a page: axe then skips describing every element that passed.
      resultTypes: ['violations'],
    });
    return results.violations.map(
      (v: { id: string; help: string; nodes: { target: string[] }[] }) =>
        `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`,
    );
  });
  assert.deepEqual(violations, [], `accessibility violations on ${page.url()}`);
}

/**
 * What axe's verdict on a page depends on, without the page's words: every element with its attributes,
 * each run of text as one mark, and each uuid or number in an attribute replaced by the order in which it
 * first appears (so what refers to what, a label's `for` or an `aria-describedby`, and any repeated id
 * are kept). Words in attributes (an `aria-label`, a `title`, alternative text, the wording a component's
 * script shows) are a mark too when there are any, and the language a `lang` names: so a page in Welsh is
 * built like the same page in English, and an attribute left empty by a translation is not. The CSP nonce
 * and the CSRF token, new on every request, are left out.
 *
 * The service's menu and its language switch are one mark each in the page's structure, and have
 * structures of their own, in which where a link leads and in what order the items come are left out:
 * the menu is the signed-in user's, the same items on all their pages with the page's own marked, and the
 * switch links to the page shown in the other language. So the first structure is the page's, then the
 * menu's and the switch's when the page has them; a page is passed over only when axe has passed every
 * one of them (`Journey.check`): another user's page shares a verdict, and each kind of menu is still
 * checked.
 */
export async function pageStructure(page: Page): Promise<string[]> {
  const structures = await page.evaluate(() => {
    const WORDS =
      /^(aria-label|aria-description|aria-roledescription|aria-valuetext|alt|title|placeholder|data-i18n\..+|lang)$/;
    const REGIONS: Record<string, string> = {
      'govuk-service-navigation__wrapper': '<menu/>',
      's2s-language-toggle': '<language-switch/>',
    };
    const order = new Map<string, number>();
    const canonical = (value: string) =>
      value.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+/gi, (token) => {
        if (!order.has(token)) order.set(token, order.size);
        return `#${order.get(token)}`;
      });
    const value = (attribute: Attr, inRegion: boolean) => {
      if (inRegion && attribute.name === 'href') return attribute.value ? 'H' : '';
      return WORDS.test(attribute.name) ? (attribute.value.trim() ? 'W' : '') : canonical(attribute.value);
    };
    const regions: Element[] = [];
    const serialise = (node: Node, inRegion: boolean, isRoot: boolean): string => {
      if (node.nodeType === Node.TEXT_NODE) return node.textContent?.trim() ? 'T' : '';
      if (!(node instanceof Element)) return '';
      const region = [...node.classList].find((name) => name in REGIONS);
      if (region && !isRoot) {
        regions.push(node);
        return REGIONS[region] as string;
      }
      const attributes = [...node.attributes]
        .filter((a) => a.name !== 'nonce' && !(a.name === 'value' && node.getAttribute('name') === '_csrf'))
        .map((a) => `${a.name}="${value(a, inRegion)}"`)
        .sort();
      const children = [...node.childNodes].map((child) => serialise(child, inRegion, false));
      if (inRegion) children.sort();
      return `<${node.localName} ${attributes.join(' ')}>${children.join('')}</${node.localName}>`;
    };
    const structures = [serialise(document.documentElement, false, true)];
    for (const region of regions) {
      order.clear();
      structures.push(serialise(region, true, true));
    }
    return structures;
  });
  return structures.map((structure) => createHash('sha256').update(structure).digest('hex'));
}

/**
 * Structures (`pageStructure`) axe has passed. The test runner gives the run's processes a folder to
 * share them in (S2S_AXE_PASSED_DIR: a journey then passes over a page another journey's axe run has
 * passed); without one, they are this process's.
 */
const passedStructures = new Set<string>();
const sharedPassed = process.env.S2S_AXE_PASSED_DIR;

function hasPassed(structure: string): boolean {
  if (passedStructures.has(structure)) return true;
  if (sharedPassed === undefined || !existsSync(join(sharedPassed, structure))) return false;
  passedStructures.add(structure);
  return true;
}

function recordPassed(structures: string[]): void {
  for (const structure of structures) {
    passedStructures.add(structure);
    if (sharedPassed !== undefined) writeFileSync(join(sharedPassed, structure), '');
  }
}

/**
 * A browser tab that keeps count of the documents it loads, so a journey can prove that axe checked
 * every page it visited (including a form shown again with its errors).
 */
export class Journey {
  private loads = 0;
  private readonly checkedLoads = new Set<number>();
  private readonly unchecked: string[] = [];
  /** Uncaught script errors, and what the page's Content Security Policy blocked, since the last check. */
  private readonly scriptProblems: string[] = [];

  private constructor(readonly page: Page) {
    page.on('pageerror', (error) => this.scriptProblems.push(`${page.url()}: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/.test(message.text())) {
        this.scriptProblems.push(`${page.url()}: ${message.text()}`);
      }
    });
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) this.loads += 1;
    });
  }

  static async open(browser: Browser, baseUrl: string): Promise<Journey> {
    const context = await browser.newContext({ baseURL: baseUrl });
    // Loaded into every document as it starts: the browser then compiles axe once, not at every check.
    await context.addInitScript({ content: AXE_SOURCE });
    return new Journey(await context.newPage());
  }

  /**
   * Checks the page now shown with axe, unless one of the same structure (`pageStructure`) has passed: a
   * page that differs from it only in its words (another user's name, other dates and counts, the other
   * language) gets the same verdict. Call after every navigation. Fails too on a script error or on
   * anything the Content Security Policy blocked since the last check: a page whose scripts or styles
   * do not run as written is not the page that was checked.
   */
  async check(): Promise<void> {
    await this.page.waitForLoadState('load');
    const structures = await pageStructure(this.page);
    assert.deepEqual(
      this.scriptProblems.splice(0),
      [],
      'script errors, or content the page’s policy blocked',
    );
    if (!structures.every(hasPassed)) {
      await assertAccessible(this.page);
      recordPassed(structures);
    }
    this.checkedLoads.add(this.loads);
  }

  /**
   * The page now shown is another service's (the single sign-on provider a test runs): it is not s2s's
   * to make accessible, so it is passed over, and said so here rather than left unchecked.
   */
  async passOverOtherService(): Promise<void> {
    await this.page.waitForLoadState('load');
    this.checkedLoads.add(this.loads);
  }

  /** Fails unless every page loaded in this journey was checked. */
  assertEveryPageChecked(): void {
    for (let load = 1; load <= this.loads; load += 1) {
      if (!this.checkedLoads.has(load)) this.unchecked.push(`page load #${load}`);
    }
    assert.deepEqual(this.unchecked, [], 'pages visited without an accessibility check');
  }

  async close(): Promise<void> {
    await this.page.context().close();
  }
}

export async function signIn(journey: Journey, username: string, password: string): Promise<void> {
  const { page } = journey;
  await page.goto('/sign-in');
  await journey.check();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await journey.check();
}

/** A browser of the demo user's own, signed in with the demo password, on the home page. */
export async function signedInAs(
  browser: Browser,
  service: RunningService,
  username: string,
): Promise<Journey> {
  const journey = await Journey.open(browser, service.baseUrl);
  await signIn(journey, username, DEMO_PASSWORD);
  assert.equal(new URL(journey.page.url()).pathname, '/', `${username} is signed in`);
  return journey;
}

/** An item of the service's menu, by its exact name. */
export const menuLink = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Menu' }).getByRole('link', { name, exact: true });

export async function menuItems(journey: Journey): Promise<string[]> {
  return journey.page.getByRole('navigation', { name: 'Menu' }).getByRole('link').allInnerTexts();
}
