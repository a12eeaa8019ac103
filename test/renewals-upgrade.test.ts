import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { afterAll, describe, expect, it } from 'vitest';
import { migrationsFolder, openDatabase, queryRows } from '../src/db/client.js';
import { productMigrations } from '../src/products/index.js';

/** The core's 0013_renewals moves the job listing's reminders and renewals under the generic key. */
const before = mkdtempSync(path.join(tmpdir(), 'devboard-before-renewals-'));
afterAll(() => rmSync(before, { recursive: true, force: true }));

describe('the upgrade to the generic renewal tables', () => {
  it("copies listing_reminders and listing_renewals, so that none is sent or charged again", async () => {
    // The core's migrations as they were before 0013.
    cpSync(migrationsFolder, before, { recursive: true });
    const journal = JSON.parse(readFileSync(path.join(before, 'meta/_journal.json'), 'utf8')) as { entries: Array<{ tag: string }> };
    journal.entries = journal.entries.filter((e) => e.tag < '0013');
    writeFileSync(path.join(before, 'meta/_journal.json'), JSON.stringify(journal));

    const database = await openDatabase({ dataDir: 'memory://' });
    try {
      await migrate(database.db as never, { migrationsFolder: before });
      for (const statement of [
        `insert into users (username, email, password_hash) values ('ann', 'ann@example.com', 'x')`,
        `insert into articles (user_id, title, body_markdown, body_html, job_listing, published) values (1, 'Job', 'x', 'x', true, true)`,
        `insert into listing_reminders values (1, '2026-03-01T00:00:00Z', '2026-02-28T01:00:00Z')`,
        `insert into listing_renewals (article_id, paid_until, user_id, outcome, failure_message, lease_until, notified_at)
          values (1, '2026-03-01T00:00:00Z', 1, 'declined', 'Your card was declined.', '2026-02-28T23:05:00Z', '2026-02-28T23:10:00Z')`,
      ]) {
        await database.db.execute(statement);
      }
      await database.migrate(productMigrations);
      const reminders = await queryRows(database.db, `select product, subject_id, period_end = '2026-03-01T00:00:00Z' as same_end from renewal_reminders`);
      expect(reminders).toEqual([{ product: 'job_listing', subject_id: 1, same_end: true }]);
      const renewals = await queryRows(database.db, `select product, subject_id, user_id, outcome, notified_at is not null as notified from renewals`);
      expect(renewals).toEqual([{ product: 'job_listing', subject_id: 1, user_id: 1, outcome: 'declined', notified: true }]);
    } finally {
      await database.close();
    }
  });
});
