import { spawn } from 'node:child_process';

/** The `sentinel` command the package installs. */
export const SENTINEL_BIN = new URL('../../bin/sentinel.js', import.meta.url).pathname;

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `sentinel ARGS` with only PATH, LOG_LEVEL=warn and `env` set, and resolves with its exit
 * code and output. A command that keeps running (`serve`) is told to stop (SIGTERM) once its
 * stdout matches `until`; anything still running after a minute fails the test.
 */
export function runSentinel(args: string[], env: Record<string, string>, until?: RegExp): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SENTINEL_BIN, ...args], { env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let stopping = false;
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`sentinel ${args.join(' ')} timed out\n${stdout}\n${stderr}`)); }, 60_000);
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (!stopping && until?.test(stdout)) {
        stopping = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}
