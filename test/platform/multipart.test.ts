// The HTTP server's multipart handling: a page's form carries its CSRF token as its first field, read
// before the route runs (and before any file is read), the route getting the rest as
// request.multipartParts; a route with config.readsOwnMultipart (the REST API) is left its whole body.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Multipart } from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { createHttpServer } from '../../src/platform/web/http.ts';
import { Agent } from '../support/web.ts';

let app: FastifyInstance;
/** Whether each route's handler ran, and what it read. */
const seen: { route: string; parts: string[]; multipartParts: boolean }[] = [];

async function partNames(parts: AsyncIterable<Multipart>): Promise<string[]> {
  const names: string[] = [];
  for await (const part of parts) {
    if (part.type === 'file') {
      names.push(`file ${part.fieldname} ${part.filename} ${(await part.toBuffer()).toString()}`);
    } else {
      names.push(`field ${part.fieldname} ${String(part.value)}`);
    }
  }
  return names;
}

before(async () => {
  app = await createHttpServer({
    logger: createLogger('silent'),
    cookieSecret: 'a-cookie-secret-for-the-multipart-tests',
    trustProxy: false,
    requestLimits: loadConfig({}).requestLimits,
    pageContext: () => ({}),
    multipart: { maxFileBytes: 1024, maxFiles: 5 },
  });
  app.get('/form', async (_request, reply) =>
    reply.type('text/html').send(`<input type="hidden" name="_csrf" value="${reply.formToken()}">`),
  );
  app.post('/page', { preHandler: [app.csrfProtection] }, async (request: FastifyRequest) => {
    const parts = request.multipartParts ? await partNames(request.multipartParts) : [];
    seen.push({ route: 'page', parts, multipartParts: request.multipartParts !== undefined });
    return { ok: true };
  });
  app.post('/own', { config: { readsOwnMultipart: true } }, async (request: FastifyRequest) => {
    const parts = await partNames(request.parts());
    seen.push({ route: 'own', parts, multipartParts: request.multipartParts !== undefined });
    return { ok: true };
  });
  await app.ready();
});
after(async () => {
  await app.close();
});

const files = [
  { filename: 'one.txt', content: 'first file' },
  { filename: 'two.txt', content: 'second file' },
];

describe('multipart forms', () => {
  test('a page route gets the parts after its CSRF token, which came first', async () => {
    seen.length = 0;
    const agent = new Agent(app);
    await agent.get('/form');
    const response = await agent.postMultipart('/page', files, { fields: { note: 'hello' } });
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(seen, [
      {
        route: 'page',
        parts: ['field note hello', 'file files one.txt first file', 'file files two.txt second file'],
        multipartParts: true,
      },
    ]);
  });

  test('a file name is as the browser meant it: %22, %0D and %0A (how browsers send ", CR and LF) read back', async () => {
    seen.length = 0;
    const agent = new Agent(app);
    await agent.get('/form');
    // The agent escapes '"' as browsers do; the line breaks are written escaped here.
    const response = await agent.postMultipart('/page', [
      { filename: 'my "notes".txt', content: 'quoted' },
      { filename: 'two%0D%0Alines%25.txt', content: 'broken' },
    ]);
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(seen[0]?.parts, [
      'file files my "notes".txt quoted',
      'file files two\r\nlines%25.txt broken',
    ]);
  });

  test('a page route refuses a form whose first part is not its CSRF token, before the route runs', async () => {
    seen.length = 0;
    const agent = new Agent(app);
    await agent.get('/form');
    for (const options of [{ csrf: false }, { csrf: 'not-the-token' }, { tokenLast: true }]) {
      const response = await agent.postMultipart('/page', files, options);
      assert.equal(response.statusCode, 403, JSON.stringify(options));
      assert.match(response.body, /The form has expired/);
    }
    assert.deepEqual(seen, [], 'the route never ran');
  });

  test('a route with config.readsOwnMultipart reads every part itself, with no CSRF token', async () => {
    seen.length = 0;
    const agent = new Agent(app);
    const response = await agent.postMultipart('/own', files, { csrf: false });
    assert.equal(response.statusCode, 200, response.body);
    // A leading _csrf field is not taken away either: it is just a part the route reads.
    const withField = await agent.postMultipart('/own', files.slice(0, 1), { csrf: 'a-field' });
    assert.equal(withField.statusCode, 200, withField.body);
    assert.deepEqual(seen, [
      {
        route: 'own',
        parts: ['file files one.txt first file', 'file files two.txt second file'],
        multipartParts: false,
      },
      {
        route: 'own',
        parts: ['field _csrf a-field', 'file files one.txt first file'],
        multipartParts: false,
      },
    ]);
  });
});
