// The OpenAPI document: OpenAPI 3.1's required structure, every /api/v1 route the app registered is in
// it and every operation in it is a route, each operation has responses (success and the errors every
// operation may give), every $ref resolves; and the reference page renders it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { createTestApp, type TestApp } from '../support/web.ts';

type Json = Record<string, unknown>;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function refsOf(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) refsOf(item, found);
  else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref' && typeof inner === 'string') found.push(inner);
      else refsOf(inner, found);
    }
  }
  return found;
}

describe('the OpenAPI document', () => {
  let database: TestDatabase;
  let t: TestApp;
  let document: Json;
  before(async () => {
    database = await createTestDatabase('sqlite');
    t = await createTestApp(database.db);
    const response = await t.app.inject({ method: 'GET', url: '/api/openapi.json' });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    document = response.json();
  });
  after(async () => {
    await t.app.close();
    await database.drop();
  });

  test('is valid against the OpenAPI 3.1 schema', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    assert.deepEqual(result.errors ?? [], []);
    assert.equal(result.valid, true);
    assert.equal(validator.version, '3.1');
  });

  test('has the structure OpenAPI 3.1 requires', () => {
    assert.match(String(document.openapi), /^3\.1\.\d+$/);
    const info = document.info as Json;
    assert.equal(typeof info.title, 'string');
    assert.equal(typeof info.version, 'string');
    const paths = document.paths as Record<string, Record<string, Json>>;
    assert.ok(Object.keys(paths).length > 0);
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(paths)) {
      assert.match(path, /^\//, `${path} starts with /`);
      for (const [method, operation] of Object.entries(item)) {
        assert.ok(METHODS.includes(method), `${method} ${path} is an HTTP method`);
        assert.equal(typeof operation.operationId, 'string');
        assert.ok(!ids.has(String(operation.operationId)), `${operation.operationId} is unique`);
        ids.add(String(operation.operationId));
        const responses = operation.responses as Record<string, Json>;
        assert.ok(responses && Object.keys(responses).length > 0, `${method} ${path} has responses`);
        assert.ok(
          Object.keys(responses).some((s) => /^2\d\d$/.test(s)),
          `${method} ${path} has a success`,
        );
        for (const status of ['401', '403', '429'])
          assert.ok(responses[status], `${method} ${path} ${status}`);
        for (const [status, response] of Object.entries(responses)) {
          assert.match(status, /^[1-5](\d\d|XX)$|^default$/);
          assert.equal(
            typeof response.description,
            'string',
            `${method} ${path} ${status} has a description`,
          );
        }
        // Every path parameter is declared, and every declared one is in the path.
        const declared = ((operation.parameters ?? []) as Json[])
          .filter((p) => p.in === 'path')
          .map((p) => p.name);
        const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        assert.deepEqual(declared.sort(), inPath.sort(), `${method} ${path} path parameters`);
        assert.ok(Array.isArray(operation.security), `${method} ${path} says how to authenticate`);
      }
    }
  });

  test('every $ref resolves', () => {
    for (const ref of refsOf(document)) {
      assert.match(ref, /^#\//);
      let node: unknown = document;
      for (const part of ref.slice(2).split('/')) node = (node as Json | undefined)?.[part];
      assert.ok(node, `${ref} resolves`);
    }
    const schemes = (document.components as Json).securitySchemes as Json;
    for (const op of Object.values(document.paths as Record<string, Record<string, Json>>).flatMap(
      Object.values,
    )) {
      for (const requirement of op.security as Json[]) {
        for (const name of Object.keys(requirement)) assert.ok(schemes[name], `security scheme ${name}`);
      }
    }
  });

  test('every /api/v1 route is in the document, and every operation in it is a route', () => {
    const routes = t.app.apiRouteTable.map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`).sort();
    const documented = Object.entries(document.paths as Record<string, Record<string, Json>>)
      .flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    assert.ok(routes.length >= 8);
    assert.deepEqual(documented, routes);
    // And the routes really answer (401 without a token, not 404).
    for (const route of t.app.apiRouteTable) {
      assert.ok(
        t.app.hasRoute({ method: route.method as 'GET', url: route.url }),
        `${route.method} ${route.url} is registered`,
      );
    }
  });

  test('the reference page renders every operation, for anyone', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/docs' });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/html/);
    for (const path of Object.keys(document.paths as Json)) {
      assert.ok(response.body.includes(path), `${path} is on the page`);
    }
    assert.match(response.body, /id="problem-insufficient-scope"/);
    assert.match(response.body, /<code>Authorization: Bearer s2s_…<\/code>/);
    assert.match(
      response.body,
      /Each token may make \d+ requests a minute; past that the API answers 429 with <code>Retry-After<\/code>\./,
    );
    // Server-rendered: the layout's scripts only (GOV.UK Frontend), no client framework.
    for (const src of response.body.matchAll(/<script[^>]*src="([^"]+)"/g)) {
      assert.match(String(src[1]), /^\/(static|assets)\//);
    }
  });

  test('the reference page in Welsh: its own words; what the OpenAPI document says stays English', async () => {
    const switched = await t.app.inject({ method: 'GET', url: '/api/docs?lang=cy' });
    assert.equal(switched.statusCode, 302);
    const cookie = String(switched.headers['set-cookie'] ?? '').split(';')[0] ?? '';
    const response = await t.app.inject({ method: 'GET', url: '/api/docs', headers: { cookie } });
    assert.equal(response.statusCode, 200);
    assert.match(response.body, /<html lang="cy"/);
    assert.match(response.body, /Cyfeirnod API<\/h1>/);
    assert.match(response.body, /Mewngofnodi gyda thocyn/);
    assert.match(response.body, /Mae pob gwall yn <code>application\/problem\+json<\/code>/);
  });
});
