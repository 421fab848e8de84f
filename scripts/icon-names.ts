import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const WEB = path.resolve(import.meta.dirname, '../src/modules/web');

/**
 * The words the web UI might draw as icons: every quoted lowercase word of its TypeScript files
 * (`icon('shield')`, and names kept in data such as the sidebar's `icon: 'group'`). The subset keeps
 * those that are Material Symbols names; a few ordinary words that happen to be icon names cost a
 * few hundred bytes each.
 */
export function iconCandidates(): string[] {
  const words = new Set<string>();
  for (const file of readdirSync(WEB, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.ts')) continue;
    for (const match of readFileSync(path.join(WEB, file), 'utf8').matchAll(/['"`]([a-z][a-z0-9_]{1,40})['"`]/g)) words.add(match[1]!);
  }
  return [...words].sort();
}

/** The names passed to `icon('…')` literally: these must be in the subset. */
export function literalIconNames(): string[] {
  const names = new Set<string>();
  for (const file of readdirSync(WEB, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.ts')) continue;
    for (const match of readFileSync(path.join(WEB, file), 'utf8').matchAll(/\bicon\(\s*['"`]([a-z0-9_]+)['"`]/g)) names.add(match[1]!);
  }
  return [...names].sort();
}
