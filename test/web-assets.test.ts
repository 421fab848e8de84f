import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { brotliDecompressSync } from 'node:zlib';
import { loadAssets } from '../src/modules/web/assets.ts';
import { until } from './web-fixture.ts';

describe('web assets', () => {
  it('answers the first request with a quick compression, then with the smallest one made on the thread pool', async () => {
    const assets = loadAssets();
    const chart = assets.byFile(assets.url('chart.js').replace('/assets/', ''))!;
    const first = chart.encoded('gzip, deflate, br')!;
    assert.equal(first.encoding, 'br');
    let latest = first.body;
    await until(async () => {
      latest = chart.encoded('br')!.body;
      return latest.length < first.body.length;
    }, 30_000);
    assert.deepEqual(brotliDecompressSync(first.body), chart.body);
    assert.deepEqual(brotliDecompressSync(latest), chart.body);
  });

  it('serves HTMX and app.js as one script, app.js in a function of its own', () => {
    const assets = loadAssets();
    const script = assets.byFile(assets.url('app.js').replace('/assets/', ''))!.body.toString('utf8');
    assert.match(script, /^var htmx=function\(\)/, 'HTMX first, defining its global');
    assert.match(script, /\n;\(\(\) => \{\n\/\/ Sentinel web UI behaviour[\s\S]*'use strict';[\s\S]*\n\}\)\(\);\n$/);
  });
});
