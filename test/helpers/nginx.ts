import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.ts';

/** Debian's package `nginx` installs the server here. */
export const NGINX_BINARY = process.env.NGINX_BINARY ?? '/usr/sbin/nginx';

/** Why a test behind nginx cannot run, or undefined when it can. */
export function nginxUnavailable(): string | undefined {
  return existsSync(NGINX_BINARY) ? undefined : `${NGINX_BINARY} is missing: install the Debian package "nginx" (apt-get install -y nginx)`;
}

export interface Nginx {
  url: string;
  /** nginx's error log, for failing-test messages. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * The proxy part of the configuration in docs/deploy/scale-out.md, without TLS: WebSockets get the
 * Upgrade headers, and a node that refuses connections or answers 502/503 is skipped
 * (`proxy_next_upstream`). A POST already sent to a node that then dies is not sent again (nginx
 * never repeats a non-idempotent request): its client gets a 502 and decides.
 */
function serverBlock(port: number): string {
  return `
    server {
        listen 127.0.0.1:${port};
        client_max_body_size 5m;

        location /api/v1/live {
            proxy_pass http://sentinel;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 1h;
        }
        location / {
            proxy_pass http://sentinel;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_next_upstream error timeout http_502 http_503;
        }
    }`;
}

function config(dir: string, port: number, upstreams: string[], workers: number): string {
  const temp = (name: string) => `${name}_temp_path ${path.join(dir, name)};`;
  return `daemon off;
worker_processes ${workers};
pid ${path.join(dir, 'nginx.pid')};
error_log ${path.join(dir, 'error.log')} warn;
events { worker_connections 4096; }
http {
    access_log off;
    ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n    ')}
    upstream sentinel {
        ${upstreams.map((address) => `server ${address} max_fails=2 fail_timeout=5s;`).join('\n        ')}
        keepalive 64;
    }
${serverBlock(port)}
}
`;
}

/**
 * A throwaway nginx in front of `upstreams` (`host:port` each): its own configuration, logs and
 * temporary files in a temporary directory (`-p`/`-c`/`-e`, nothing under /etc or /var), on a free
 * loopback port; resolves once a request through it reaches a node's /health.
 */
export async function startNginx(upstreams: string[], options: { workers?: number } = {}): Promise<Nginx> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sentinel-nginx-'));
  // Run as root, nginx's workers drop to nobody, who must reach the temporary files beneath.
  chmodSync(dir, 0o755);
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const conf = path.join(dir, 'nginx.conf');
    writeFileSync(conf, config(dir, port, upstreams, options.workers ?? 1));
    const errorLog = path.join(dir, 'error.log');
    const child: ChildProcess = spawn(NGINX_BINARY, ['-p', dir, '-c', conf, '-e', errorLog], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    let exited = false;
    child.once('close', () => (exited = true));
    const url = `http://127.0.0.1:${port}`;
    const log = () => `${stderr}${existsSync(errorLog) ? readFileSync(errorLog, 'utf8').slice(-4000) : ''}`;
    for (const deadline = Date.now() + 20_000; Date.now() < deadline && !exited;) {
      try {
        if ((await fetch(`${url}/health`)).ok && !exited) {
          return {
            url,
            log,
            async stop() {
              if (!exited) {
                const closed = new Promise((resolve) => child.once('close', resolve));
                child.kill('SIGTERM');
                await closed;
              }
              rmSync(dir, { recursive: true, force: true });
            },
          };
        }
      } catch { /* not listening yet */ }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill('SIGKILL');
    const output = log();
    if (/Address already in use/.test(output) && attempt < 5) continue;
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`nginx did not start: ${output}`);
  }
}
