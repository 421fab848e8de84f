import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MODULE_MIGRATIONS } from '../src/modules/index.ts';
import { createJobsRepo } from '../src/modules/operations/jobs.repo.ts';
import { createJobsService } from '../src/modules/operations/jobs.service.ts';
import { openMemoryDatabase, type Db } from '../src/platform/db/database.ts';
import { migrateToLatest } from '../src/platform/db/migrator.ts';
import type { ScheduledJob } from '../src/platform/jobs/scheduled.ts';

const HOUR = 3_600_000;
const START = Date.parse('2026-11-30T10:30:00Z');
const backup: ScheduledJob = { name: 'backup', description: 'Back up', cron: '0 */6 * * *', tenantRunnable: false, run: async () => undefined };

describe('scheduled jobs\' next slot', () => {
  let db: Db;
  before(async () => {
    db = openMemoryDatabase();
    await migrateToLatest(db, MODULE_MIGRATIONS);
  });
  after(() => db.close());

  it('is kept by a restart while it is still ahead, and computed again once it has passed or the job changed', async () => {
    const repo = createJobsRepo(db.kysely);
    const stored = async () => (await repo.definitions()).find((job) => job.name === 'backup')!;
    await repo.ledger.define([backup], START);
    assert.equal(Number((await stored()).next_run_at), Date.parse('2026-11-30T12:00:00Z'));
    await repo.ledger.define([backup], START + HOUR);
    assert.equal(Number((await stored()).updated_at), START, 'unchanged and still ahead: left as it was');
    await repo.ledger.define([backup], START + 2 * HOUR);
    assert.equal(Number((await stored()).next_run_at), Date.parse('2026-11-30T18:00:00Z'), 'passed: the next one after now');
    await repo.ledger.define([{ ...backup, cron: '0 */2 * * *' }], START + 2 * HOUR);
    assert.equal(Number((await stored()).next_run_at), Date.parse('2026-11-30T14:00:00Z'), 'a new schedule: its own next slot');
  });

  it('is listed as the next slot after now, even when the stored one (from the last start) has passed', async () => {
    const repo = createJobsRepo(db.kysely);
    await repo.ledger.define([backup], START);
    const listedAt = async (now: number) => (await createJobsService(repo, () => now).list(undefined)).items.find((job) => job.name === 'backup')!.next_run_at;
    assert.equal(await listedAt(START + HOUR), '2026-11-30T12:00:00.000Z');
    assert.equal(await listedAt(START + 30 * HOUR), '2026-12-01T18:00:00.000Z');
  });
});
