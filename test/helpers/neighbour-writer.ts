/**
 * A second Sentinel process sharing the test server's database: it writes in a loop (a
 * read-then-write transaction, then a single-statement write, like a login or a ticket) until its
 * stdin closes, then prints how many writes it made and how many failed, as one JSON line.
 * Started by test/two-processes.test.ts with the server's SENTINEL_DATA_DIR or DATABASE_URL.
 */
import { openDatabase } from '../../src/platform/db/database.ts';
import { newId } from '../../src/platform/ids.ts';

const db = openDatabase({ dataDir: process.env.SENTINEL_DATA_DIR ?? './data', databaseUrl: process.env.DATABASE_URL || undefined });
let stopping = false;
process.stdin.on('data', () => undefined).on('end', () => (stopping = true));

const auditRow = (action: string) => {
  const now = Date.now();
  return { id: newId(now), action, outcome: 'success', created_at: now, updated_at: now };
};

let writes = 0;
const failures: string[] = [];
process.stdout.write('ready\n');
while (!stopping) {
  try {
    await db.kysely.transaction().execute(async (trx) => {
      await trx.selectFrom('audit_logs').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
      await trx.insertInto('audit_logs').values(auditRow('neighbour.transaction')).execute();
    });
    await db.kysely.insertInto('audit_logs').values(auditRow('neighbour.single')).execute();
    writes += 2;
  } catch (error) {
    failures.push(error instanceof Error ? error.message : String(error));
  }
  // Let stdin be read; the loop still keeps the write lock busy most of the time.
  await new Promise((resolve) => setImmediate(resolve));
}
await db.close();
process.stdout.write(`${JSON.stringify({ writes, failures: failures.length, firstFailure: failures[0] ?? null })}\n`);
