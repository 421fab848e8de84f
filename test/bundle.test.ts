import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config.ts';
import { acquireBuildLock, buildBundle, builtEntry, fingerprint } from '../bin/bundle.ts';

const REPO_DIR = path.resolve(import.meta.dirname, '..');
const run = promisify(execFile);

// The server runs from the bundle that bin/bundle.ts builds: what differs from running the sources
// is how files find what lies next to them, and the worker thread's entry point.
describe('server bundle', () => {
  it('lets one start build stale sources while the others wait for it, and takes over a lock left by a start that died', async () => {
    const id = `lock-test-${process.pid}`;
    const first = await acquireBuildLock(id);
    assert.ok(first, 'the first start takes the lock');
    let secondGot: (() => void) | undefined | 'waiting' = 'waiting';
    const second = acquireBuildLock(id).then((release) => (secondGot = release));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(secondGot, 'waiting', 'the second start waits while the first builds');
    first();
    const release = await second;
    assert.ok(release, 'then takes the lock (no bundle was built for it)');
    // Its holder died: a lock older than the stale time is taken over.
    const takenOver = await acquireBuildLock(id, 0);
    assert.ok(takenOver);
    takenOver();
  });

  it('is built for the current sources, and the launcher runs it', { timeout: 300_000 }, async () => {
    const entry = await buildBundle();
    assert.equal(entry, builtEntry(), 'a build for these sources is found again');
    assert.match(fileURLToPath(entry), new RegExp(`/dist/${fingerprint()}/sentinel\\.js$`));
    const dataDir = mkdtempSync(path.join(tmpdir(), 'sentinel-bundle-'));
    try {
      const { stdout } = await run(process.execPath, ['bin/sentinel.js', 'migrate'], { cwd: REPO_DIR, env: { PATH: process.env.PATH ?? '', SENTINEL_DATA_DIR: dataDir, LOG_LEVEL: 'warn' } });
      assert.match(stdout, /Applied: 0001_core/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('starts the background worker from its own bundled entry, which loads and stops', { timeout: 300_000 }, async () => {
    const entry = fileURLToPath(await buildBundle());
    const buildDir = path.dirname(entry);
    // The code that starts the worker names the bundled entry next to it, not the TypeScript source.
    const starter = readdirSync(buildDir).map((file) => readFileSync(path.join(buildDir, file), 'utf8')).find((code) => /new [\w$.]*Worker\(new URL\(/.test(code));
    assert.match(starter ?? '', /new [\w$.]*Worker\(new URL\("\.\/sync-worker\.js", ?import\.meta\.url\)/);
    assert.ok(existsSync(path.join(buildDir, 'sync-worker.js')));

    const dataDir = mkdtempSync(path.join(tmpdir(), 'sentinel-bundle-'));
    try {
      await run(process.execPath, ['bin/sentinel.js', 'migrate'], { cwd: REPO_DIR, env: { PATH: process.env.PATH ?? '', SENTINEL_DATA_DIR: dataDir, LOG_LEVEL: 'warn' } });
      const config = loadConfig({ SENTINEL_DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
      const worker = new Worker(path.join(buildDir, 'sync-worker.js'), { workerData: { config, secretKey: 'bundle-test-secret-key-of-forty-characters' }, execArgv: [] });
      const failed = new Promise<never>((_, reject) => worker.once('error', reject));
      worker.postMessage({ type: 'stop' });
      const stopped = new Promise<string>((resolve) => worker.on('message', (reply: { type: string }) => reply.type === 'stopped' && resolve(reply.type)));
      assert.equal(await Promise.race([stopped, failed]), 'stopped');
      await worker.terminate();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('requires the built-in modules, so that loading them does not load Node\'s own undici', { timeout: 300_000 }, async () => {
    await buildBundle();
    // An ES module import of node:http builds its facade, which reads the lazy `WebSocket` export.
    const dir = mkdtempSync(path.join(tmpdir(), 'sentinel-bundle-'));
    try {
      const probe = path.join(dir, 'probe.cjs');
      writeFileSync(probe, "process.on('exit', () => process.stderr.write(`undici loaded: ${process.moduleLoadList.some((name) => name.includes('deps/undici'))}\\n`));");
      const { stderr } = await run(process.execPath, ['--require', probe, 'bin/sentinel.js', 'openapi'], { cwd: REPO_DIR, env: { PATH: process.env.PATH ?? '', SENTINEL_DATA_DIR: dir, LOG_LEVEL: 'warn' } });
      assert.match(stderr, /undici loaded: false/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps the named exports of every part it loads lazily (a CommonJS package may lose them)', { timeout: 300_000 }, async () => {
    const buildDir = path.dirname(fileURLToPath(await buildBundle()));
    const code = readdirSync(buildDir).filter((file) => file.endsWith('.js')).map((file) => readFileSync(path.join(buildDir, file), 'utf8')).join('\n');
    const wanted = new Map<string, Set<string>>();
    // (The bundle is minified: whitespace around the braces may or may not be there.)
    const patterns = [/\{ ?([\w, :]+?) ?\} ?= ?await import\("\.\/([\w.-]+\.js)"\)/g, /import\("\.\/([\w.-]+\.js)"\)\.then\(\(\{ ?([\w, :]+?) ?\}\)/g];
    for (const [index, pattern] of patterns.entries()) {
      for (const match of code.matchAll(pattern)) {
        const [names, file] = index === 0 ? [match[1]!, match[2]!] : [match[2]!, match[1]!];
        const set = wanted.get(file) ?? new Set<string>();
        for (const name of names.split(',')) set.add(name.split(':')[0]!.trim());
        wanted.set(file, set);
      }
    }
    assert.ok(wanted.size >= 3, `lazily loaded parts found: ${[...wanted.keys()].join(', ')}`);
    for (const [file, names] of wanted) {
      const loaded = await import(path.join(buildDir, file)) as Record<string, unknown>;
      for (const name of names) assert.notEqual(loaded[name], undefined, `${file} exports ${name}`);
    }
  });
});
