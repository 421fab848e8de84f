#!/usr/bin/env node
// Launcher: runs the TypeScript sources through tsx (no build step), on any Node >= 22.12.
// Node releases before 22.13 keep node:sqlite behind a flag; re-run with it there.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

let hasSqlite = true;
try {
  await import('node:sqlite');
} catch {
  hasSqlite = false;
}

if (!hasSqlite && !process.execArgv.includes('--experimental-sqlite')) {
  const result = spawnSync(process.execPath, ['--experimental-sqlite', '--no-warnings=ExperimentalWarning', ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}

const { register } = await import('tsx/esm/api');
register();
await import('../src/main.ts');
