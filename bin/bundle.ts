// The server bundle: src/ and its npm dependencies in a few files that esbuild writes under
// dist/<fingerprint>/, so that a start reads a handful of files instead of ~1,500 (resolving and
// loading them was half of the start-up). The fingerprint covers everything a bundle is built
// from; a change to any source file, the installed packages or this file gives a new one.
// `node bin/bundle.ts` builds it (npm runs that after `npm ci`); bin/sentinel.js builds it when stale.
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';

const ROOT = path.resolve(import.meta.dirname, '..');
const SRC = path.join(ROOT, 'src');
const DIST = path.join(ROOT, 'dist');
/** The bundle's entry points: the CLI and the background worker thread (src/modules/integrations/sync-worker-client.ts starts it). */
const ENTRIES = { sentinel: 'src/main.ts', 'sync-worker': 'src/modules/integrations/sync-worker.ts' };
/**
 * Left to Node at run time: a native add-on, packages that read files next to their code (fonts,
 * the Swagger UI's pages), an optional driver that may be missing, and undici, whose CommonJS
 * entry's named exports esbuild cannot see (a dynamic import of it got only `default`), and luxon, whose
 * CommonJS copy src/platform/jobs/scheduled.ts configures at run time for cron-parser.
 */
const EXTERNAL = ['@node-rs/argon2', 'pdfkit', '@fastify/swagger-ui', 'pg-native', 'undici', 'luxon'];
/** JSON files from this size on are parsed as JSON at run time (jsonParsePlugin). */
const LARGE_JSON_BYTES = 10_000;
/** Older builds kept, so that a server still running one can load its lazily imported parts. */
const KEEP_BUILDS = 3;
/** A build lock older than this was left by a start that died while building: it is taken over. */
const LOCK_STALE_MS = 120_000;

/** A hash of the name, size and modification time of every file and folder the bundle is built from. */
export function fingerprint(): string {
  const lines: string[] = [];
  const note = (file: string) => {
    const stat = statSync(file, { throwIfNoEntry: false });
    lines.push(`${file.slice(ROOT.length + 1)} ${stat === undefined ? 'missing' : `${stat.size} ${stat.mtimeMs}`}`);
  };
  // Folders too: a deleted file changes its folder's modification time. Walked folder by folder:
  // readdirSync's `recursive` option took ten times the CPU time, on every start.
  const walk = (dir: string) => {
    note(dir);
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(path.join(dir, entry.name));
      else note(path.join(dir, entry.name));
    }
  };
  walk(SRC);
  // npm rewrites node_modules/.package-lock.json whenever it installs.
  for (const file of ['package.json', 'package-lock.json', 'node_modules/.package-lock.json', 'bin/bundle.ts']) note(path.join(ROOT, file));
  return createHash('sha256').update(lines.sort().join('\n')).digest('hex').slice(0, 16);
}

/** The built entry point for these sources (a file URL), or undefined when it is not built yet. */
export function builtEntry(id = fingerprint()): string | undefined {
  const file = path.join(DIST, id, 'sentinel.js');
  return statSync(file, { throwIfNoEntry: false }) === undefined ? undefined : pathToFileURL(file).href;
}

/**
 * Source files refer to their own location (`import.meta.url`, `import.meta.dirname`) to find
 * files next to them or to start a worker. In the bundle `import.meta` is the output file's, so
 * each use is rewritten to the source file's location, relative to the output folder (the bundle
 * keeps working when the checkout moves); `new URL('./x.ts', import.meta.url)` naming an entry
 * point becomes that entry's output file.
 */
function sourceLocationPlugin(outdir: string): Plugin {
  const entryOutputs = new Map(Object.entries(ENTRIES).map(([name, file]) => [path.join(ROOT, file), `./${name}.js`]));
  return {
    name: 'source-location',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, async ({ path: file }) => {
        let contents = await readFile(file, 'utf8');
        if (!file.startsWith(SRC + path.sep) || !contents.includes('import.meta')) return { contents, loader: 'ts' };
        const fromOutput = (target: string) => JSON.stringify(path.relative(outdir, target).split(path.sep).join('/'));
        contents = contents.replace(/new URL\((['"])(\.{1,2}\/[^'"]+)\1, import\.meta\.url\)|import\.meta\.(url|dirname|filename)/g, (_whole, _quote, relative: string | undefined, property: string | undefined) => {
          if (relative !== undefined) {
            const output = entryOutputs.get(path.resolve(path.dirname(file), relative));
            return `new URL(${output === undefined ? fromOutput(path.resolve(path.dirname(file), relative)) : JSON.stringify(output)}, import.meta.url)`;
          }
          const location = `new URL(${fromOutput(property === 'dirname' ? path.dirname(file) : file)}, import.meta.url)`;
          return property === 'url' ? `${location}.href` : `__sourceLocationPath(${location})`;
        });
        return { contents, loader: 'ts' };
      });
    },
  };
}

/**
 * Large JSON files (mime-db's 186 KB table, which @fastify/compress loads at every start) become
 * `JSON.parse` of a string instead of esbuild's object literal: V8 parses JSON several times faster
 * than the same data as JavaScript (~14 → ~6 ms of every start for mime-db).
 */
function jsonParsePlugin(): Plugin {
  return {
    name: 'json-parse',
    setup(build) {
      build.onLoad({ filter: /\.json$/ }, async ({ path: file }) => {
        const text = await readFile(file, 'utf8');
        if (text.length < LARGE_JSON_BYTES) return undefined;
        return { contents: `module.exports = JSON.parse(${JSON.stringify(JSON.stringify(JSON.parse(text)))});`, loader: 'js' };
      });
    },
  };
}

/**
 * Node's built-in modules imported by ES modules are required instead. An ES module import of a
 * built-in builds the module's facade, which reads every export: `node:http`'s `WebSocket` export
 * then loads Node's own copy of undici (~30 ms of every start) although nothing here uses it.
 */
function builtinRequirePlugin(): Plugin {
  return {
    name: 'builtin-require',
    setup(build) {
      build.onResolve({ filter: /^[a-z0-9:_/]+$/ }, ({ path: name, kind }) => (kind === 'import-statement' && isBuiltin(name) ? { path: name, namespace: 'builtin-require' } : undefined));
      build.onLoad({ filter: /.*/, namespace: 'builtin-require' }, ({ path: name }) => ({ contents: `module.exports = require(${JSON.stringify(name)});`, loader: 'js' }));
    },
  };
}

/**
 * Takes the lock on building `id` (an exclusive lock file): concurrent starts on stale sources build
 * once, the others wait for that build. Its release, or undefined when another start built it meanwhile.
 */
export async function acquireBuildLock(id: string, staleMs = LOCK_STALE_MS): Promise<(() => void) | undefined> {
  const lock = path.join(DIST, `.${id}.lock`);
  mkdirSync(DIST, { recursive: true });
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      return () => rmSync(lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (builtEntry(id) !== undefined) return undefined;
    const lockedAt = statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
    if (Date.now() - lockedAt > staleMs) rmSync(lock, { force: true });
    else await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Builds the bundle for the current sources (unless it exists) and removes all but the newest older builds; its entry's file URL. */
export async function buildBundle(): Promise<string> {
  const id = fingerprint();
  const existing = builtEntry(id);
  if (existing !== undefined) return existing;
  const release = await acquireBuildLock(id);
  if (release === undefined) return builtEntry(id)!;
  try {
    // Another start may have built it and let go of the lock just before this one took it.
    return builtEntry(id) ?? await buildUnlocked(id);
  } finally {
    release();
  }
}

async function buildUnlocked(id: string): Promise<string> {
  const { build } = await import('esbuild');
  const outdir = path.join(DIST, id);
  // Written aside and renamed into place: a start that runs at the same time never sees half a build.
  const staging = path.join(DIST, `.${id}-${process.pid}`);
  try {
    await build({
      absWorkingDir: ROOT,
      entryPoints: ENTRIES,
      outdir: staging,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: `node${process.versions.node.split('.')[0]}`,
      external: EXTERNAL,
      plugins: [builtinRequirePlugin(), sourceLocationPlugin(outdir), jsonParsePlugin()],
      // CommonJS packages in an ES module bundle still call require(); the rewritten import.meta.dirname and .filename need fileURLToPath.
      banner: { js: "import { createRequire as __createRequire } from 'node:module'; import { fileURLToPath as __sourceLocationPath } from 'node:url'; const require = __createRequire(import.meta.url);" },
      // Whitespace and syntax only (names stay, for stack traces): 40 % less code to read and decode at each start.
      minifyWhitespace: true,
      minifySyntax: true,
      logLevel: 'error',
    });
    renameSync(staging, outdir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    // Another start built the same sources first.
    if (builtEntry(id) === undefined) throw error;
  }
  const older = readdirSync(DIST, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== id)
    .map((entry) => ({ dir: path.join(DIST, entry.name), mtime: statSync(path.join(DIST, entry.name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const { dir } of older.slice(KEEP_BUILDS)) rmSync(dir, { recursive: true, force: true });
  return builtEntry(id)!;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await import('esbuild');
  } catch {
    // An install without the development packages (npm ci --omit=dev) runs the sources.
    console.log('esbuild is not installed: Sentinel will run its TypeScript sources (a slower start).');
    process.exit(0);
  }
  const started = Date.now();
  try {
    const entry = await buildBundle();
    console.log(`Built ${path.relative(ROOT, path.dirname(fileURLToPath(entry)))} in ${Date.now() - started} ms.`);
  } catch (error) {
    // Not a failed install: bin/sentinel.js then runs the sources and tries again at the next start.
    console.error(`The server bundle could not be built; Sentinel will run its TypeScript sources. ${error instanceof Error ? error.message : String(error)}`);
  }
}
