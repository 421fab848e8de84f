// A sync's merge reads the alerts it will update, then writes them in chunks: a person's change
// made in between (docs/requirements.md, PLT-7: no acknowledged write is lost) must survive it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import type { PlatformDatabase } from '../src/platform/db/schema.ts';
import { createAlertsMerge, type NormalizedAlert } from '../src/modules/alerts/alerts.merge.ts';
import { dialects, startServer, type TestServer } from './helpers/harness.ts';
import { makeAlert } from './helpers/factories.ts';

for (const dialect of dialects()) {
  describe(`a sync's merge and a person's change at the same time (${dialect})`, () => {
    let server: TestServer;
    let tenantId: string;
    let integrationId: string;
    before(async () => {
      server = await startServer(dialect);
      const admin = await server.api.adminToken();
      tenantId = (await server.api.createTenant(admin, 'Merge Races')).id;
      const integration = await server.api.post(`/api/v1/integrations?tenant_id=${tenantId}`, { name: 'Grafana', type: 'grafana', config: { url: 'http://127.0.0.1:9' }, secret: 'glsa_token' }, admin);
      assert.equal(integration.status, 201, integration.text);
      integrationId = integration.body.id;
    });
    after(() => server.close());

    /** The merge on a handle that lets `change` in just before the merge's first write transaction. */
    function mergeWithChangeBeforeWriting(change: () => Promise<void>) {
      const raw = server.db.kysely;
      let pending: (() => Promise<void>) | undefined = change;
      const db = new Proxy(raw, {
        get(target, property) {
          if (property !== 'transaction') return Reflect.get(target, property);
          return () => {
            const builder = target.transaction();
            return {
              execute: async <T>(work: Parameters<typeof builder.execute<T>>[0]) => {
                const run = pending;
                pending = undefined;
                await run?.();
                return builder.execute(work);
              },
            };
          };
        },
      }) as Kysely<PlatformDatabase>;
      return createAlertsMerge(db);
    }

    const reported = (externalId: string, fields: Partial<NormalizedAlert>): NormalizedAlert => ({
      external_id: externalId, title: 'Disk full', description: '', severity: 'high', vendor_severity: 'high', source: 'grafana', asset: null, time: null, ...fields,
    });
    const statusOf = async (id: string) => (await server.db.kysely.selectFrom('alerts').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;

    it('keeps a resolution made while the merge updates the alert\'s other fields', async () => {
      const seen = Date.now() - 60_000;
      const id = await makeAlert(server, tenantId, { integration_id: integrationId, external_id: 'kept-1', title: 'Disk full', severity: 'high', first_seen: seen, last_seen: seen, opened_at: seen });
      const merge = mergeWithChangeBeforeWriting(async () => {
        await server.db.kysely.updateTable('alerts').set({ status: 'resolved', resolved_at: Date.now() }).where('id', '=', id).execute();
      });
      const changes = await merge.mergeFromFeed(tenantId, { integrationId, systemId: '', resolveMissing: false }, [reported('kept-1', { title: 'Disk almost full', time: seen })], Date.now());
      assert.deepEqual(changes.reopened, []);
      assert.equal(await statusOf(id), 'resolved', 'the person\'s resolution stands');
      const row = await server.db.kysely.selectFrom('alerts').select('title').where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal(row.title, 'Disk almost full', 'the feed\'s own fields are still updated');
    });

    it('does not reopen (nor audit a reopening of) an alert whose status moved on since it was read', async () => {
      const seen = Date.now() - 60_000;
      const id = await makeAlert(server, tenantId, { integration_id: integrationId, external_id: 'kept-2', status: 'acknowledged', first_seen: seen, last_seen: seen, opened_at: seen });
      const merge = mergeWithChangeBeforeWriting(async () => {
        await server.db.kysely.updateTable('alerts').set({ status: 'resolved', resolved_at: Date.now() }).where('id', '=', id).execute();
      });
      const recorded: string[] = [];
      const changes = await merge.mergeFromFeed(tenantId, { integrationId, systemId: '', resolveMissing: false }, [reported('kept-2', { time: Date.now() - 1_000 })], Date.now(),
        async (reopened) => void recorded.push(...reopened.map((alert) => alert.id)));
      assert.deepEqual([changes.reopened, recorded], [[], []]);
      assert.equal(await statusOf(id), 'resolved');
    });
  });
}
