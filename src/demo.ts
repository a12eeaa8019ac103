import type { Logger } from 'pino';
import { createUser, findUserByEmail } from './accounts/service.js';
import { createArticle } from './articles/service.js';
import type { Clock } from './clock.js';
import type { Db } from './db/client.js';

export const DEMO_POSTER = { username: 'acme_jobs', email: 'jobs@acme.example', password: 'demo-password' };

/** A demo community on first start: a job poster with permission and a few articles. */
export async function seedDemoData(db: Db, clock: Clock, logger: Logger): Promise<void> {
  if (await findUserByEmail(db, DEMO_POSTER.email)) return;
  const poster = await createUser(db, DEMO_POSTER, { canPostJobs: true });
  const now = clock.now();
  await createArticle(
    db,
    poster,
    {
      title: 'Why we moved our payments to PaymentIntents',
      body_markdown: 'SCA made the legacy Charges API a dead end. Here is what changed for us.\n\n- idempotency keys\n- webhooks as a durable inbox',
      tags: ['payments', 'stripe'],
      published: true,
    },
    now,
  );
  await createArticle(
    db,
    poster,
    {
      title: 'Senior TypeScript Engineer (remote)',
      body_markdown: 'Acme is hiring a **senior TypeScript engineer** to work on billing.\n\nApply at [acme.example](https://acme.example/jobs).',
      tags: ['hiring', 'typescript'],
      job_listing: true,
      published: true,
    },
    now,
  );
  await createArticle(
    db,
    poster,
    {
      title: 'Platform Engineer, Berlin',
      body_markdown: 'Help us run PostgreSQL at scale. On-site in Berlin.',
      tags: ['hiring', 'postgres'],
      job_listing: true,
      published: true,
    },
    now,
  );
  logger.info(`demo data created (job poster ${DEMO_POSTER.email} / ${DEMO_POSTER.password})`);
}
