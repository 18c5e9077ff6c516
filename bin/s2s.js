#!/usr/bin/env node
// The `s2s` command: runs the TypeScript sources through tsx, so there is no build step to forget.
// S2S_BUNDLE_DIR names a folder of bundles to run instead, which start without loader hooks: the test
// runner builds them (scripts/run-tests.js) for the several hundred commands the tests run.
if (process.env.S2S_BUNDLE_DIR) {
  await import(`${process.env.S2S_BUNDLE_DIR}/src/cli.mjs`);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}
