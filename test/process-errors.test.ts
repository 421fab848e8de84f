import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

const MODULE = new URL('../src/platform/process-errors.ts', import.meta.url).href;

describe('process error policy', () => {
  it('logs an unhandled rejection at error level and keeps running', () => {
    const script = `
      import { logUnhandledRejections } from ${JSON.stringify(MODULE)};
      logUnhandledRejections({ error: (obj, msg) => console.log('logged:', msg, String(obj.err)) });
      void Promise.reject(new Error('forgotten await'));
      setTimeout(() => console.log('still running'), 50);
    `;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /logged: unhandled promise rejection .*Error: forgotten await/);
    assert.match(run.stdout, /still running/);
  });
});
