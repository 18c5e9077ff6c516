// Bundles TypeScript entry points (test files, src/cli.ts) into plain JavaScript for the test run.
// Why: with tsx, every module a process loads, its dependencies' included, crosses to Node's off-thread
// loader hooks, which costs one to three CPU-seconds per process; the suite starts several hundred
// processes. The bundles need no hooks: dependencies stay external and load natively.
// Each source file keeps its own location: import.meta.url, .dirname and .filename are replaced by the
// original file's, so templates, fixtures and worker modules are found beside the sources as before.
import { readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = dirname(import.meta.dirname);

const sourceLocations = {
  name: 'source-locations',
  setup(build) {
    build.onLoad({ filter: /\.[cm]?[jt]s$/ }, async ({ path }) => {
      if (path.includes('/node_modules/')) return undefined;
      const text = (await readFile(path, 'utf8'))
        .replaceAll('import.meta.dirname', JSON.stringify(dirname(path)))
        .replaceAll('import.meta.filename', JSON.stringify(path))
        .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(path).href));
      return { contents: text, loader: path.endsWith('.ts') ? 'ts' : 'js' };
    });
  },
};

/**
 * Bundles `entries` (paths relative to the project) into `outdir`, which is emptied first; an entry
 * `test/a/b.test.ts` becomes `OUTDIR/test/a/b.test.mjs`. The folder must be inside the project, so that
 * the bundles' imports of packages find node_modules.
 */
export async function bundle(entries, outdir) {
  await rm(outdir, { recursive: true, force: true });
  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: entries,
    outdir,
    outbase: ROOT,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: 'inline',
    plugins: [sourceLocations],
    logLevel: 'warning',
  });
}

/** Where `bundle` puts the bundle of the project file `entry` (e.g. `src/cli.ts`) in `outdir`. */
export function bundledPath(outdir, entry) {
  return `${outdir}/${entry.replace(/\.ts$/, '.mjs')}`;
}
