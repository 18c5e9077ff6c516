// Runs `s2s-client` in this process (bin/s2s-client.js). Exit codes: see cli.ts.
import { processOutput } from '../platform/cli.ts';
import { runClient } from './cli.ts';

try {
  process.exitCode = await runClient(process.argv.slice(2), processOutput);
} catch (error) {
  process.stderr.write(`s2s-client: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 3;
}
