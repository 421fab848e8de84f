/**
 * Builds the web UI's icon font (`npm run build:icons`): Material Symbols Outlined cut down to the
 * names the views use, from the npm package, written next to the stylesheet and committed like it
 * (the whole font is 4 MB; the subset a few KB). Needs Python 3 with fontTools and brotli (Debian:
 * python3-fonttools python3-brotli). A manifest records the names the font has and its hash, which
 * the tests compare with the views.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { findPackageJSON } from 'node:module';
import path from 'node:path';
import { iconCandidates } from './icon-names.ts';

const ASSETS = path.resolve(import.meta.dirname, '../src/modules/web/assets');
const font = path.join(ASSETS, 'material-symbols.woff2');
const source = path.join(path.dirname(findPackageJSON('material-symbols', import.meta.url)!), 'material-symbols-outlined.woff2');
const python = process.env.PYTHON ?? '/usr/bin/python3';

const output = execFileSync(python, [path.join(import.meta.dirname, 'subset-icons.py'), source, font], { input: iconCandidates().join('\n'), encoding: 'utf8' });
const names = JSON.parse(output.trim().split('\n').at(-1)!) as string[];
const sha256 = createHash('sha256').update(readFileSync(font)).digest('hex');
writeFileSync(path.join(ASSETS, 'material-symbols.json'), `${JSON.stringify({ sha256, names }, null, 2)}\n`);
console.log(`${names.length} icons, ${readFileSync(font).length} bytes: ${path.relative(process.cwd(), font)}`);
