import assert from 'node:assert/strict';
import { ProviderError, createVendorHttp } from '../../src/modules/integrations/vendor-http.ts';
import type { ProviderContext, SecretValue } from '../../src/modules/integrations/providers/types.ts';

/** A provider context for tests: fast retries, TLS not verified, extra config merged in. */
export function providerContext(
  url: string,
  secret: SecretValue | undefined,
  options: { timeoutMs?: number; maxRetries?: number; config?: Record<string, unknown> } = {},
): ProviderContext {
  return {
    config: { url, verify_tls: false, poll_interval_seconds: 60, ...options.config },
    secret,
    http: createVendorHttp({ baseUrl: url, verifyTls: false, timeoutMs: options.timeoutMs ?? 5000, maxRetries: options.maxRetries ?? 3, backoffMs: 10 }),
    state: new Map(),
  };
}

/** Asserts that the promise rejects with a ProviderError of `kind` (and a message matching `message`). */
export async function rejectsWithKind(promise: Promise<unknown>, kind: string, message?: RegExp): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ProviderError, `expected a ProviderError, got ${String(error)}`);
    assert.equal(error.kind, kind, error.message);
    if (message) assert.match(error.message, message);
    return error;
  }
  assert.fail(`expected a ProviderError(${kind})`);
}
