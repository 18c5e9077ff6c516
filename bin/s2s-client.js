#!/usr/bin/env node
// The `s2s-client` command (an MIS's side of the REST API): runs the TypeScript sources through tsx, or
// with S2S_BUNDLE_DIR the test run's bundle of them (see bin/s2s.js).
if (process.env.S2S_BUNDLE_DIR) {
  await import(`${process.env.S2S_BUNDLE_DIR}/src/client/main.mjs`);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/client/main.ts');
}
