#!/usr/bin/env node
// The `s2s-client` command (an MIS's side of the REST API): runs the TypeScript sources through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../src/client/main.ts');
