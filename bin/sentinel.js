#!/usr/bin/env node
// Launcher: runs the TypeScript sources with Node's built-in type stripping (no build step and no
// compiler at run time), with V8's on-disk compile cache so that a restart skips most parsing.
import module from 'node:module';

if (!process.features.typescript) {
  console.error(`Sentinel needs Node.js >= 22.18, which runs TypeScript by stripping the types; this is Node.js ${process.versions.node}.`);
  process.exit(1);
}
module.enableCompileCache?.();
await import('../src/main.ts');
