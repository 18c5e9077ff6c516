// Bundles TypeScript entry points (test files, src/cli.ts) into plain JavaScript for the test run.
// Why: with tsx, every module a process loads, its dependencies' included, crosses to Node's off-thread
// loader hooks, which costs one to three CPU-seconds per process; the suite starts several hundred
// processes. The bundles need no hooks. The dependencies are bundled too: loaded natively, their 1,200
// files (264 of them Kysely's) took a process about 0.5 CPU-seconds more to reach the app (decision 7).
// Each source file keeps its own location: import.meta.url, .dirname and .filename are replaced by the
// original file's, so templates, fixtures and worker modules are found beside the sources as before.
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
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
    external: LOADED_FROM_OWN_FOLDER,
    // The dependencies' CommonJS modules require Node's modules and the packages left external.
    banner: {
      js: "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);",
    },
    sourcemap: 'linked',
    sourcesContent: false,
    plugins: [sourceLocations],
    logLevel: 'warning',
  });
  await keepOwnCodeInSourceMaps(outdir);
}

/**
 * Packages left to load from node_modules: native addons, packages that find files beside their own
 * modules (pino's transport workers, axe-core's script), and the test tools that start programs of their
 * own (Chromium, a TypeScript compiler, an S3 or single sign-on server) or read their own files (the
 * OpenAPI schemas).
 */
const LOADED_FROM_OWN_FOLDER = [
  'better-sqlite3',
  '@node-rs/argon2',
  'pg-native',
  'pino',
  'axe-core',
  'playwright-core',
  'typescript',
  'tsx',
  'esbuild',
  'oidc-provider',
  's3rver',
  '@seriousme/openapi-schema-validator',
];

/**
 * Each bundle's source map keeps only the mappings to the project's own files: a stack trace names
 * src/ and test/ lines as before, and Node (--enable-source-maps) reads a map a third the size at every
 * process start. Code of a dependency is left unmapped (its frames name the bundle's line).
 */
async function keepOwnCodeInSourceMaps(dir) {
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.map')) continue;
    const file = join(entry.parentPath, entry.name);
    const map = JSON.parse(await readFile(file, 'utf8'));
    await writeFile(file, JSON.stringify(ownCodeOnly(map)));
  }
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** The fields of a source map's segment (base-64 VLQ numbers). */
function decodeSegment(text) {
  const values = [];
  let value = 0;
  let shift = 0;
  for (const char of text) {
    const digit = BASE64.indexOf(char);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      values.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return values;
}

function encodeSegment(values) {
  let text = '';
  for (const number of values) {
    let value = number < 0 ? (-number << 1) | 1 : number << 1;
    do {
      let digit = value & 31;
      value >>>= 5;
      if (value > 0) digit |= 32;
      text += BASE64[digit];
    } while (value > 0);
  }
  return text;
}

/**
 * `map` with its segments into node_modules unmapped (and those sources dropped). Segments' fields are
 * differences from the one before (the generated column from the line's previous segment, the others from
 * the map's), so they are read whole and written again.
 */
function ownCodeOnly(map) {
  const kept = map.sources.map((source) => !source.includes('node_modules/'));
  let count = 0;
  const index = kept.map((keep) => (keep ? count++ : undefined));
  const read = { source: 0, line: 0, column: 0, name: 0 };
  const written = { source: 0, line: 0, column: 0, name: 0 };
  const mappings = map.mappings.split(';').map((line) => {
    let readColumn = 0;
    let writtenColumn = 0;
    let unmapped = false;
    const segments = [];
    for (const text of line.split(',')) {
      if (!text) continue;
      const [column, source, sourceLine, sourceColumn, name] = decodeSegment(text);
      readColumn += column;
      if (source === undefined) continue;
      read.source += source;
      read.line += sourceLine;
      read.column += sourceColumn;
      if (name !== undefined) read.name += name;
      if (!kept[read.source]) {
        // Unmapped from here: a position with no segment of its own takes the one before it, on this line
        // or an earlier one, which may be the project's.
        if (!unmapped) {
          segments.push(encodeSegment([readColumn - writtenColumn]));
          writtenColumn = readColumn;
          unmapped = true;
        }
        continue;
      }
      unmapped = false;
      const fields = [
        readColumn - writtenColumn,
        index[read.source] - written.source,
        read.line - written.line,
        read.column - written.column,
      ];
      if (name !== undefined) fields.push(read.name - written.name);
      writtenColumn = readColumn;
      written.source = index[read.source];
      written.line = read.line;
      written.column = read.column;
      if (name !== undefined) written.name = read.name;
      segments.push(encodeSegment(fields));
    }
    return segments.join(',');
  });
  return { ...map, sources: map.sources.filter((_, i) => kept[i]), mappings: mappings.join(';') };
}

/** Where `bundle` puts the bundle of the project file `entry` (e.g. `src/cli.ts`) in `outdir`. */
export function bundledPath(outdir, entry) {
  return `${outdir}/${entry.replace(/\.ts$/, '.mjs')}`;
}
