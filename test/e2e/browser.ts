// Browser journeys: the real service in its own process (as `npm start` runs it, with demo data), driven
// by headless Chromium. Every page visited is checked with axe-core, and laid out 320 CSS pixels wide to
// check that it does not scroll sideways (WCAG 1.4.10 Reflow, which axe does not check).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { type Browser, type CDPSession, chromium, type Page } from 'playwright-core';
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

/** The width, in CSS pixels, at which every page must still read without scrolling sideways. */
export const REFLOW_WIDTH = 320;

/**
 * What keeps the page now shown from reflowing at 320 CSS pixels wide (WCAG 2.2 1.4.10 Reflow: a
 * 1280-pixel window zoomed to 400%), none when it reflows. The page is laid out 320 by 640 pixels, then
 * at its own size again. With `openMenu`, it is measured a second time with the header's menu opened by
 * its menu button (shown below 641 pixels), each problem then said to be with the menu open; the menu
 * is closed again after. It fails when the document scrolls sideways, naming the widest elements that
 * reach past its right edge (the outermost of each: a table, not its cells; the element whose text does
 * not wrap, not its words). Only content that needs two dimensions, a wide table, may be wider, and then
 * in a region of its own that scrolls: focusable, with the role region and a name (the
 * `.s2s-table-scroll` pattern), so keyboard users can scroll it too. A box that scrolls sideways without
 * being such a region is a problem even when the page fits; what an element with hidden overflow cuts off
 * (a visually hidden text) is not.
 */
export async function reflowProblems(page: Page, options: { openMenu?: boolean } = {}): Promise<string[]> {
  const size = page.viewportSize();
  assert.ok(size, 'the page has a viewport of its own');
  // Through the DevTools protocol rather than page.setViewportSize, which resizes the browser's window too
  // and took twice as long; the page's own size is then set back as Playwright set it (a context's
  // defaults: not a phone, one device pixel per CSS pixel).
  const devTools = await devToolsOf(page);
  const metrics = (width: number, height: number) => ({
    width,
    height,
    screenWidth: width,
    screenHeight: height,
    deviceScaleFactor: 1,
    mobile: false,
    screenOrientation: { angle: 0, type: 'landscapePrimary' as const },
  });
  await devTools.send('Emulation.setDeviceMetricsOverride', metrics(REFLOW_WIDTH, 640));
  try {
    // The components' scripts that follow the width (the menu hides behind its button below 641 pixels)
    // have done so by the next frame: the page is measured as it is shown at that width.
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(resolve)));
    const measure = () => {
      const root = document.documentElement;
      const width = root.clientWidth;
      const problems: string[] = [];
      const describe = (element: Element) => {
        const classes = [...element.classList].map((name) => `.${name}`).join('');
        const text = ((element as HTMLElement).innerText ?? element.textContent ?? '')
          .replace(/\s+/g, ' ')
          .trim();
        const words = text.length > 40 ? `${text.slice(0, 39)}…` : text;
        return `<${element.localName}${element.id ? `#${element.id}` : ''}${classes}>${words ? ` "${words}"` : ''}`;
      };
      const elements = [...document.body.querySelectorAll('*')];
      // A box that scrolls sideways must be a region keyboard users can reach and scroll.
      for (const element of elements) {
        if (element.clientWidth === 0 || element.scrollWidth <= element.clientWidth + 1) continue;
        if (!/^(auto|scroll)$/.test(getComputedStyle(element).overflowX)) continue;
        if (/^(input|textarea|select)$/.test(element.localName)) continue;
        const named =
          element.getAttribute('aria-label')?.trim() || element.getAttribute('aria-labelledby')?.trim();
        const focusable = element.hasAttribute('tabindex') && (element as HTMLElement).tabIndex >= 0;
        if (element.getAttribute('role') !== 'region' || !focusable || !named) {
          problems.push(
            `${describe(element)} scrolls sideways but is not a region keyboard users can scroll (tabindex="0" role="region" aria-label)`,
          );
        }
      }
      if (root.scrollWidth <= width) return problems;
      // What reaches past the right edge: boxes, and runs of text that do not wrap, that nothing clips (a
      // region that scrolls, a visually hidden text's box). An absolutely positioned box is clipped only by
      // the boxes it is positioned in.
      const hides = (style: CSSStyleDeclaration) => style.clipPath !== 'none' || style.clip !== 'auto';
      const clipped = (element: Element) => {
        let position = getComputedStyle(element).position;
        for (let box = element.parentElement; box && box !== root; box = box.parentElement) {
          const style = getComputedStyle(box);
          if (position === 'fixed') return true;
          if (hides(style)) return true;
          if (position === 'absolute' && style.position === 'static' && style.transform === 'none') continue;
          if (style.overflowX !== 'visible') return true;
          position = style.position;
        }
        return position === 'fixed';
      };
      const range = document.createRange();
      const tooWide = new Map<Element, number>();
      for (const element of elements) {
        const style = getComputedStyle(element);
        if (style.display === 'none') continue;
        // A visually hidden text's box takes room (however small), the words it cuts off do not.
        let right = element.getBoundingClientRect().right;
        if (style.overflowX === 'visible' && !hides(style)) {
          for (const child of element.childNodes) {
            if (child.nodeType !== Node.TEXT_NODE || !child.textContent?.trim()) continue;
            range.selectNodeContents(child);
            right = Math.max(right, range.getBoundingClientRect().right);
          }
        }
        if (right > width + 0.5 && !clipped(element)) tooWide.set(element, right);
      }
      // The outermost of each: the table, not its cells.
      const outermost = [...tooWide].filter(([element]) => {
        for (let box = element.parentElement; box; box = box.parentElement)
          if (tooWide.has(box)) return false;
        return true;
      });
      const widest = outermost
        .sort(([, a], [, b]) => b - a)
        .slice(0, 5)
        .map(([element, right]) => `${describe(element)} reaches ${Math.round(right)} px`);
      problems.unshift(
        `the page scrolls sideways: ${root.scrollWidth} px wide in ${width}; ${widest.join('; ') || 'no element found'}`,
      );
      return problems;
    };
    const problems = await page.evaluate(measure);
    if (!options.openMenu) return problems;
    // A click on the menu's button opens the menu as a user's would, another closes it.
    const toggle = async () =>
      page.evaluate(() => {
        const button = document.querySelector<HTMLButtonElement>('.govuk-service-navigation__toggle');
        if (!button || button.hidden) return false;
        button.click();
        return true;
      });
    if (!(await toggle())) return [...problems, 'the menu button is not shown at 320 CSS pixels'];
    try {
      const withMenu = await page.evaluate(measure);
      return [...problems, ...withMenu.map((problem) => `with the menu open, ${problem}`)];
    } finally {
      await toggle();
    }
  } finally {
    await devTools.send('Emulation.setDeviceMetricsOverride', metrics(size.width, size.height));
    // The components' scripts that follow the width (the menu, a button below 641 pixels) have done so
    // by the next frame: the page is then as it was for whatever the journey does next.
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(resolve)));
  }
}

const devToolsSessions = new WeakMap<Page, CDPSession>();

async function devToolsOf(page: Page): Promise<CDPSession> {
  let session = devToolsSessions.get(page);
  if (!session) {
    session = await page.context().newCDPSession(page);
    devToolsSessions.set(page, session);
  }
  return session;
}

/**
 * Fails unless the page now shown reflows at 320 CSS pixels wide (`reflowProblems`). axe-core does not
 * check this (WCAG 1.4.10); a wide table belongs in a `.s2s-table-scroll` region (`tableScroll` in
 * src/platform/web/views/macros.njk), long words must wrap. `Journey.check` runs it once for each page
 * structure in each language (the structure leaves out the words, on which reflowing depends too, and
 * Welsh words are often longer), with the menu open once for each menu in each language; the service's
 * styles let any word break where it would overflow, so that a page built alike fits too with other
 * words of the same language (a longer file name), a table's longer words aside, which scroll in the
 * table's region.
 */
export async function assertReflows(page: Page, options: { openMenu?: boolean } = {}): Promise<void> {
  assert.deepEqual(
    await reflowProblems(page, options),
    [],
    `reflow at ${REFLOW_WIDTH} CSS pixels on ${page.url()}`,
  );
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
 * checked. Each structure is named for what it is a structure of: `page-`, `menu-` or `language-switch-`
 * and its hash.
 */
export async function pageStructure(page: Page): Promise<string[]> {
  const structures = await page.evaluate(() => {
    const WORDS =
      /^(aria-label|aria-description|aria-roledescription|aria-valuetext|alt|title|placeholder|data-i18n\..+|lang)$/;
    const REGIONS: Record<string, string> = {
      'govuk-service-navigation__wrapper': 'menu',
      's2s-language-toggle': 'language-switch',
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
        return `<${REGIONS[region]}/>`;
      }
      const attributes = [...node.attributes]
        .filter((a) => a.name !== 'nonce' && !(a.name === 'value' && node.getAttribute('name') === '_csrf'))
        .map((a) => `${a.name}="${value(a, inRegion)}"`)
        .sort();
      const children = [...node.childNodes].map((child) => serialise(child, inRegion, false));
      if (inRegion) children.sort();
      return `<${node.localName} ${attributes.join(' ')}>${children.join('')}</${node.localName}>`;
    };
    const structures = [{ name: 'page', structure: serialise(document.documentElement, false, true) }];
    for (const region of regions) {
      order.clear();
      const name = REGIONS[[...region.classList].find((c) => c in REGIONS) as string] as string;
      structures.push({ name, structure: serialise(region, true, true) });
    }
    return structures;
  });
  return structures.map(
    ({ name, structure }) => `${name}-${createHash('sha256').update(structure).digest('hex')}`,
  );
}

/**
 * Structures (`pageStructure`) axe has passed, and those the reflow check has passed in a language
 * (`reflow-cy-page-…`, `reflow-en-open-menu-…` for a menu opened). The test runner gives the run's
 * processes a folder to share them in (S2S_AXE_PASSED_DIR: a journey then passes over a page another
 * journey's run has passed); without one, they are this process's.
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
   * Checks the page now shown with axe unless one of the same structure (`pageStructure`) has passed: a
   * page that differs from it only in its words (another user's name, other dates and counts, the other
   * language) gets the same verdict. Checks that it reflows at 320 CSS pixels wide (`assertReflows`)
   * unless one of the same structure in the same language has, and with its menu open unless the same
   * menu has in that language. Call after every navigation. Fails too on a script error or on
   * anything the Content Security Policy blocked since the last check: a page whose scripts or styles
   * do not run as written is not the page that was checked. Answers the page's own structure (the first
   * of `pageStructure`'s).
   */
  async check(): Promise<string> {
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
    // Reflowing depends on the words too (Welsh ones are often longer): each structure is laid out once in
    // each language, and the menu of each structure (a role's items) opened once in each language.
    const language = await this.page.evaluate(() => document.documentElement.lang);
    const [page] = structures.map((structure) => `reflow-${language}-${structure}`);
    const menu = structures.find((structure) => structure.startsWith('menu-'));
    const openMenu = menu && `reflow-${language}-open-${menu}`;
    const measured = [page, openMenu].filter((key) => key !== undefined);
    if (!measured.every(hasPassed)) {
      await assertReflows(this.page, { openMenu: openMenu !== undefined && !hasPassed(openMenu) });
      recordPassed(measured);
    }
    this.checkedLoads.add(this.loads);
    return structures[0] as string;
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
