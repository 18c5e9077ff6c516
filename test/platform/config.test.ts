import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';

test('defaults run the service on SQLite under ./data with demo data', () => {
  const config = loadConfig({});
  assert.equal(config.env, 'development');
  assert.equal(config.port, 3000);
  assert.equal(config.databaseUrl, 'sqlite:./data/s2s.sqlite');
  assert.equal(config.seedDemoData, true);
  assert.equal(config.cookieSecret.length, 64);
});

test('a bad value stops start-up with a message naming the variable', () => {
  assert.throws(
    () => loadConfig({ PORT: 'eighty' }),
    (e: unknown) => e instanceof ConfigError && /PORT/.test(e.message),
  );
  assert.throws(
    () => loadConfig({ DATABASE_URL: 'mysql://x' }),
    /DATABASE_URL: must start with sqlite: or postgres/,
  );
});

test('production needs a cookie secret and never loads demo data', () => {
  assert.throws(() => loadConfig({ S2S_ENV: 'production' }), /COOKIE_SECRET: must be set in production/);
  const secret = 'x'.repeat(40);
  assert.equal(loadConfig({ S2S_ENV: 'production', COOKIE_SECRET: secret }).seedDemoData, false);
  assert.throws(
    () => loadConfig({ S2S_ENV: 'production', COOKIE_SECRET: secret, SEED_DEMO_DATA: 'true' }),
    /demo data is never loaded in production/,
  );
});
