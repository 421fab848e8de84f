import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MODULES } from '../src/modules/index.ts';
import { PLATFORM_PERMISSIONS, TENANT_PERMISSIONS } from '../src/platform/auth/permissions.ts';

type Pick = (module: (typeof MODULES)[number]) => readonly string[] | undefined;

/** Which modules declare each name. */
function owners(pick: Pick): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const module of MODULES) for (const name of pick(module) ?? []) found.set(name, [...(found.get(name) ?? []), module.name]);
  return found;
}

describe('Module registry', () => {
  it('names every module once', () => {
    assert.equal(new Set(MODULES.map((m) => m.name)).size, MODULES.length);
  });

  it('gives every permission of the role table to exactly one module', () => {
    const byPermission = owners((m) => m.permissions);
    for (const permission of [...TENANT_PERMISSIONS, ...PLATFORM_PERMISSIONS]) {
      assert.equal(byPermission.get(permission)?.length, 1, `${permission} is introduced by ${byPermission.get(permission)?.join(', ') ?? 'no module'}`);
    }
  });

  it('declares each event type, cached resource and migration in one module only', () => {
    const declarations: [string, Pick][] = [['event', (m) => m.events], ['cached resource', (m) => m.cachedResources], ['migration', (m) => Object.keys(m.migrations ?? {})]];
    for (const [what, pick] of declarations) {
      for (const [name, modules] of owners(pick)) assert.equal(modules.length, 1, `${what} ${name} is declared by ${modules.join(', ')}`);
    }
  });
});
