#!/usr/bin/env node
// Launcher: runs the server bundle (bin/bundle.ts), built first when the sources changed since the
// last build, with V8's on-disk compile cache so that a restart skips most parsing. Without esbuild
// (an install without the development packages) or with SENTINEL_BUNDLE=off it runs the TypeScript
// sources with Node's built-in type stripping.
import { existsSync } from 'node:fs';
import module from 'node:module';
import path from 'node:path';

if (!process.features.typescript) {
  console.error(`Sentinel needs Node.js >= 22.18, which runs TypeScript by stripping the types; this is Node.js ${process.versions.node}.`);
  process.exit(1);
}

// V8 sizes the young generation from the machine's memory (64 MiB semi-spaces on a 24 GiB host) and
// a server under steady load grows it to that size: ~100 MiB of resident memory for no measured
// gain in throughput. Objects of requests in flight that outlive two scavenges are promoted, and V8
// lets such garbage grow the old space up to 4× its live size before a full collection; 1.5× here.
// `serve` starts again in the same process (execve) with these flags, unless NODE_OPTIONS or
// Node's arguments size the young generation already (--max-semi-space-size=N; 0 = V8's sizing).
// `npm start` and the systemd unit give them on the command line: one Node start (~100 ms) fewer.
const SERVE_V8_FLAGS = ['--max-semi-space-size=16', '--heap-growing-percent=50'];
const semiSpaceFlag = /--max[-_]semi[-_]space[-_]size/;
if (process.argv[2] === 'serve' && typeof process.execve === 'function'
  && ![...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((option) => semiSpaceFlag.test(option))) {
  try {
    process.execve(process.execPath, [process.execPath, ...SERVE_V8_FLAGS, ...process.execArgv, ...process.argv.slice(1)]);
  } catch {
    // Not replaced (a platform without execve(2) support): V8's sizing it is.
  }
}

/**
 * V8's compile cache (the bundle's parsed and compiled code, ~250 ms of a start without it). A server
 * keeps it in its data directory: Node's default, the temp directory, is emptied at every restart
 * by systemd's PrivateTmp (docs/deploy/systemd-nginx.md) and at boot on many hosts. NODE_COMPILE_CACHE
 * names another place; other commands, and a data directory that cannot hold it, use Node's default.
 * The server's cache directory, or undefined when the cache is elsewhere or off.
 */
function enableCompileCache() {
  if (typeof module.enableCompileCache !== 'function') return;
  if (process.argv[2] === 'serve' && process.env.NODE_COMPILE_CACHE === undefined) {
    // The data directory may be set in .env, which the server reads too (and reports if unreadable).
    try {
      if (existsSync('.env')) process.loadEnvFile('.env');
    } catch {
      // The server's own reading of it says what is wrong.
    }
    const dataDir = path.resolve(process.env.SENTINEL_DATA_DIR ?? './data');
    const dir = path.join(dataDir, 'compile-cache');
    if (module.enableCompileCache(dir).status !== module.constants.compileCacheStatus.FAILED) return dir;
  }
  module.enableCompileCache();
  return undefined;
}
const serverCompileCache = enableCompileCache();

async function serverEntry() {
  if (process.env.SENTINEL_BUNDLE === 'off') return '../src/main.ts';
  const { builtEntry, buildBundle } = await import('./bundle.ts');
  const built = builtEntry();
  if (built !== undefined) return built;
  try {
    await import('esbuild');
  } catch {
    return '../src/main.ts';
  }
  try {
    return await buildBundle();
  } catch (error) {
    // The sources report a mistake in them better than the bundler; an unwritable dist/ only costs start-up time.
    console.error(`Running the sources: the server bundle could not be built (${error instanceof Error ? error.message.split('\n')[0] : error}).`);
    return '../src/main.ts';
  }
}

await import(await serverEntry());

// Once the server is up and its cache written (main.ts flushes it 2 s after listening), entries of
// builds no longer run are pruned (bin/compile-cache.ts), off the start's path.
if (serverCompileCache !== undefined) {
  setTimeout(() => {
    import('./compile-cache.ts').then(({ pruneCompileCache }) => pruneCompileCache(serverCompileCache)).catch(() => {
      // A cache that cannot be read or pruned only costs disk space.
    });
  }, 30_000).unref();
}
