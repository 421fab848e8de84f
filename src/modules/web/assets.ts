import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { findPackageJSON } from 'node:module';
import path from 'node:path';
import { brotliCompress, brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';

/**
 * The UI's static files, all from this repository or from npm packages (nothing from a CDN),
 * read once at start. Each is served under a name that carries a hash of its content, so browsers
 * may cache it for a year (`immutable`) and a new release is fetched at once. Text files are
 * compressed when first asked for (not at start, which it would slow by a second), not per request.
 */
export interface Asset {
  url: string;
  type: string;
  body: Buffer;
  /** The body compressed with a Content-Encoding the client accepts, or undefined to send it as it is. */
  encoded(acceptEncoding: string): { encoding: 'br' | 'gzip'; body: Buffer } | undefined;
  etag: string;
}

/** Brotli's quality 11 takes ~1.9 s for Chart.js on a 2-core server; quality 5, 44 ms for 10 % more bytes. */
const QUICK_BROTLI = { params: { [zlib.BROTLI_PARAM_QUALITY]: 5 } };
const BEST_BROTLI = { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } };

function compressedLazily(body: Buffer): Asset['encoded'] {
  let br: Buffer | undefined;
  let gzip: Buffer | undefined;
  return (acceptEncoding) => {
    if (/\bbr\b/.test(acceptEncoding)) {
      if (br === undefined) {
        // The first request gets a quick compression; the smallest one is made on the thread pool
        // (the event loop serves on meanwhile) and replaces it when done.
        br = brotliCompressSync(body, QUICK_BROTLI);
        brotliCompress(body, BEST_BROTLI, (error, best) => {
          if (error === null) br = best;
        });
      }
      return { encoding: 'br', body: br };
    }
    if (/\bgzip\b/.test(acceptEncoding)) return { encoding: 'gzip', body: (gzip ??= gzipSync(body, { level: 9 })) };
    return undefined;
  };
}

const OWN = path.join(import.meta.dirname, 'assets');
const packageDir = (name: string) => path.dirname(findPackageJSON(name, import.meta.url)!);

/**
 * Logical name → file, or files served as one script. app.css is built from styles/app.css by
 * `npm run build:css` (committed). app.js comes after HTMX in one script, which pages load async:
 * one request, the two in order, and DOMContentLoaded does not wait for them.
 */
const SOURCES = {
  'app.css': path.join(OWN, 'app.css'),
  'app.js': [path.join(packageDir('htmx.org'), 'dist/htmx.min.js'), path.join(OWN, 'app.js')] as const,
  'alpine.js': path.join(packageDir('@alpinejs/csp'), 'dist/cdn.min.js'),
  'chart.js': path.join(packageDir('chart.js'), 'dist/chart.umd.min.js'),
  'inter-latin.woff2': path.join(packageDir('@fontsource-variable/inter'), 'files/inter-latin-wght-normal.woff2'),
  'inter-latin-ext.woff2': path.join(packageDir('@fontsource-variable/inter'), 'files/inter-latin-ext-wght-normal.woff2'),
  // Material Symbols Outlined cut down to the icons the views use (`npm run build:icons`, committed).
  'material-symbols.woff2': path.join(OWN, 'material-symbols.woff2'),
} as const;

export type AssetName = keyof typeof SOURCES;

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.woff2': 'font/woff2',
};

export interface AssetTable {
  /** The fingerprinted URL of an asset, for pages. */
  url(name: AssetName): string;
  /** The asset behind a fingerprinted file name, if any. */
  byFile(file: string): Asset | undefined;
}

function fingerprinted(name: string, body: Buffer): string {
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 12);
  const ext = path.extname(name);
  return `${path.basename(name, ext)}.${hash}${ext}`;
}

/** A library (which may define its global with `var`), then our script in a function of its own: no globals, and its 'use strict' holds. */
function joinScripts([library, own]: readonly [string, string]): Buffer {
  return Buffer.from(`${readFileSync(library, 'utf8')}\n;(() => {\n${readFileSync(own, 'utf8')}\n})();\n`);
}

export function loadAssets(): AssetTable {
  const byName = new Map<string, Asset>();
  const byFile = new Map<string, Asset>();
  // Fonts first: the stylesheet names them as /assets/<logical name> and gets their real URLs.
  const order = (Object.keys(SOURCES) as AssetName[]).sort((a, b) => Number(a.endsWith('.css')) - Number(b.endsWith('.css')));
  for (const name of order) {
    const source = SOURCES[name];
    let body = typeof source === 'string' ? readFileSync(source) : joinScripts(source);
    const type = TYPES[path.extname(name)]!;
    if (name.endsWith('.css')) {
      body = Buffer.from(body.toString('utf8').replace(/\/assets\/([\w.-]+)/g, (whole, logical: string) => byName.get(logical)?.url ?? whole));
    }
    const file = fingerprinted(name, body);
    // Fonts are compressed already.
    const asset: Asset = { url: `/assets/${file}`, type, body, etag: `"${file}"`, encoded: type.startsWith('text/') ? compressedLazily(body) : () => undefined };
    byName.set(name, asset);
    byFile.set(file, asset);
  }
  return {
    url: (name) => byName.get(name)!.url,
    byFile: (file) => byFile.get(file),
  };
}
