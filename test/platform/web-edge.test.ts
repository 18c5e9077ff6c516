// The web layer (src/platform/web/) is imported by the web edge only (ARCHITECTURE.md: the domain layer
// has no HTTP in it, routes stay thin). The web edge, by its files' names: src/platform/web/ itself,
// src/app.ts (the composition root), and files named routes.ts or *-routes.ts (a feature's pages), api.ts
// (its part of the REST API), web.ts (the route helpers a feature's routes share) or plugin.ts (the REST
// API's Fastify plugin). What else needs something there that is not about HTTP (escaping markup for an
// email, an id made from a form's) has it moved out of platform/web first.
// Nor does anything but the web edge import Fastify ('fastify', '@fastify/...'), types included: a domain
// module that needs a request's words takes them as a function, or its tables move to a module without
// HTTP (transfers/category-words.ts). The REST API's own HTTP plumbing in src/api/ (operation.ts,
// problems.ts, file-content.ts: what every feature's api.ts builds its handlers and answers with) is of
// the edge, named below.
import assert from 'node:assert/strict';
import { posix } from 'node:path';
import { test } from 'node:test';
import { sourceFiles } from '../support/i18n.ts';

const WEB_LAYER = 'platform/web/';

/** The REST API's HTTP plumbing, which every feature's api.ts uses: of the web edge, though not so named. */
const API_PLUMBING: ReadonlySet<string> = new Set([
  'api/operation.ts',
  'api/problems.ts',
  'api/file-content.ts',
]);

/** Whether the file at `path` (relative to src/) is of the web edge. */
function isWebEdge(path: string): boolean {
  return (
    path.startsWith(WEB_LAYER) ||
    API_PLUMBING.has(path) ||
    path === 'app.ts' ||
    /(^|\/|-)routes\.ts$/.test(path) ||
    /(^|\/)(api|web|plugin)\.ts$/.test(path)
  );
}

/** The modules a TypeScript source imports (static, type-only, dynamic and bare imports alike). */
function importsOf(source: string): string[] {
  const found = source.matchAll(/\b(?:from|import)\s*\(?\s*['"]([^'"\n]+)['"]/g);
  return [...found].map((match) => match[1] as string);
}

test('only the web edge imports src/platform/web/', () => {
  const offending = sourceFiles()
    .map(([file, source]) => [file.split('\\').join('/'), source] as const)
    .filter(([file]) => file.endsWith('.ts') && !isWebEdge(file))
    .flatMap(([file, source]) =>
      importsOf(source)
        .filter((specifier) => specifier.startsWith('.'))
        .filter((specifier) => posix.join(posix.dirname(file), specifier).startsWith(WEB_LAYER))
        .map((specifier) => `src/${file} imports ${specifier}`),
    );
  assert.deepEqual(
    offending,
    [],
    'Move what these need out of src/platform/web/ (to a module of src/platform/ that is not about HTTP), ' +
      'or, if the file is itself a route helper, name it as the web edge is named (routes.ts, api.ts, web.ts)',
  );
});

/** Whether a module specifier is Fastify or one of its plugins. */
function isFastify(specifier: string): boolean {
  return specifier === 'fastify' || specifier.startsWith('fastify/') || specifier.startsWith('@fastify/');
}

test('only the web edge imports Fastify, types included', () => {
  const offending = sourceFiles()
    .map(([file, source]) => [file.split('\\').join('/'), source] as const)
    .filter(([file]) => file.endsWith('.ts') && !isWebEdge(file))
    .flatMap(([file, source]) =>
      importsOf(source)
        .filter(isFastify)
        .map((specifier) => `src/${file} imports ${specifier}`),
    );
  assert.deepEqual(
    offending,
    [],
    'Domain code has no HTTP in it: take what it needs from the request as a plain value or function, move ' +
      'its tables to a module without HTTP, or, if the file is itself a route helper, name it as the web ' +
      'edge is named (routes.ts, api.ts, web.ts)',
  );
});

test('the Fastify rule sees type-only and plugin imports, and not modules merely named like it', () => {
  const specifiers = importsOf(
    [
      "import type { FastifyRequest } from 'fastify';",
      "import cookie from '@fastify/cookie';",
      "import { fastifyLike } from './fastify-like.ts';",
    ].join('\n'),
  );
  assert.deepEqual(specifiers.filter(isFastify), ['fastify', '@fastify/cookie']);
});

test('the rule sees an import of the web layer, relative from anywhere, and the web edge by its names', () => {
  assert.deepEqual(
    importsOf(
      [
        "import { oneValue } from '../platform/web/form-values.ts';",
        "import type { X } from '../web/http.ts';",
        "const views = await import('./web/views.ts');",
        "import '../platform/web/http.ts';",
      ].join('\n'),
    ),
    ['../platform/web/form-values.ts', '../web/http.ts', './web/views.ts', '../platform/web/http.ts'],
  );
  assert.ok(posix.join('platform/i18n', '../web/http.ts').startsWith(WEB_LAYER));
  assert.ok(!posix.join('reports', './web.ts').startsWith(WEB_LAYER));
  for (const edge of ['collect/returns-routes.ts', 'auth/routes.ts', 'reports/api.ts', 'collect/web.ts']) {
    assert.ok(isWebEdge(edge), `${edge} is of the web edge`);
  }
  for (const domain of [
    'reports/query.ts',
    'collect/upload-form.ts',
    'collect/bulk-load.ts',
    'api/token-service.ts',
  ]) {
    assert.ok(!isWebEdge(domain), `${domain} is not`);
  }
});
