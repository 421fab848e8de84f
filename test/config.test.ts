import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.ts';

describe('configuration', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({});
    assert.equal(config.port, 8000);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.dataDir, path.resolve('./data'));
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.accessTokenMinutes, 15);
    assert.equal(config.refreshTokenDays, 7);
    assert.equal(config.sessionIdleMinutes, 30);
    assert.equal(config.maxSessions, 3);
    assert.equal(config.rateLimitPerMinute, 100);
    assert.deepEqual(config.corsOrigins, []);
    assert.equal(config.trustProxy, false);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.adminUsername, 'admin');
    assert.equal(config.responseCacheBytes, 64 * 1024 * 1024);
    assert.equal(config.plantMaxOpen, 64);
    assert.equal(config.plantIdleMs, 300_000);
    assert.equal(config.redisUrl, undefined);
  });

  it('parses valid values', () => {
    const config = loadConfig({
      PORT: '9000', DATABASE_URL: 'postgres://u:p@db:5432/sentinel', SENTINEL_CORS_ORIGINS: 'https://a.example, https://b.example:8443',
      SENTINEL_TRUST_PROXY: '10.0.0.0/8,127.0.0.1', SENTINEL_MAX_SESSIONS: '5', LOG_LEVEL: 'debug', SENTINEL_ADMIN_USERNAME: 'Root',
      SENTINEL_RESPONSE_CACHE_MB: '0', SENTINEL_PLANT_MAX_OPEN: '8', SENTINEL_PLANT_IDLE_SECONDS: '60',
    });
    assert.equal(config.port, 9000);
    assert.equal(config.databaseUrl, 'postgres://u:p@db:5432/sentinel');
    assert.deepEqual(config.corsOrigins, ['https://a.example', 'https://b.example:8443']);
    assert.equal(config.trustProxy, '10.0.0.0/8,127.0.0.1');
    assert.equal(config.maxSessions, 5);
    assert.equal(config.adminUsername, 'root');
    assert.equal(config.responseCacheBytes, 0);
    assert.equal(config.plantMaxOpen, 8);
    assert.equal(config.plantIdleMs, 60_000);
    assert.equal(loadConfig({ REDIS_URL: 'rediss://:secret@cache.internal:6380/2' }).redisUrl, 'rediss://:secret@cache.internal:6380/2');
  });

  it('fails fast with a message naming the variable', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ PORT: '80a' }, /PORT must be a whole number/],
      [{ PORT: '70000' }, /PORT must be between 0 and 65535/],
      [{ DATABASE_URL: 'sqlite:///x' }, /DATABASE_URL must start with postgres/],
      [{ SENTINEL_SECRET_KEY: 'short' }, /SENTINEL_SECRET_KEY must be at least 32/],
      [{ SENTINEL_ACCESS_TOKEN_MINUTES: '0' }, /SENTINEL_ACCESS_TOKEN_MINUTES must be between/],
      [{ SENTINEL_CORS_ORIGINS: 'https://a.example/path' }, /bare origins/],
      [{ SENTINEL_CORS_ORIGINS: 'not a url' }, /invalid origin/],
      [{ SENTINEL_TRUST_PROXY: 'yes please' }, /SENTINEL_TRUST_PROXY/],
      [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
      [{ SENTINEL_RATE_LIMIT_PER_MINUTE: '-1' }, /SENTINEL_RATE_LIMIT_PER_MINUTE must be a whole number/],
      [{ SENTINEL_ADMIN_USERNAME: 'a b' }, /SENTINEL_ADMIN_USERNAME/],
      [{ SENTINEL_RESPONSE_CACHE_MB: '5000' }, /SENTINEL_RESPONSE_CACHE_MB must be between 0 and 4096/],
      [{ SENTINEL_PLANT_MAX_OPEN: '0' }, /SENTINEL_PLANT_MAX_OPEN must be between 1/],
      [{ SENTINEL_PLANT_IDLE_SECONDS: 'soon' }, /SENTINEL_PLANT_IDLE_SECONDS must be a whole number/],
      [{ REDIS_URL: 'cache.internal:6379' }, /REDIS_URL must start with redis:\/\/ or rediss:\/\//],
      [{ REDIS_URL: 'redis://[bad' }, /REDIS_URL is not a valid URL/],
    ];
    for (const [env, message] of cases) {
      assert.throws(() => loadConfig(env), (error: unknown) => error instanceof ConfigError && message.test(error.message), JSON.stringify(env));
    }
  });
});
