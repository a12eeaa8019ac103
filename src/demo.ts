import type { Logger } from 'pino';
import { createUser, findUserByEmail } from './accounts/service.js';
import { createArticle, type RenderMarkdown } from './articles/service.js';
import type { Clock } from './clock.js';
import type { Db } from './db/client.js';
import type { Checkout } from './payments/checkout.js';
import { addMember, createOrganization } from './organizations/service.js';
import { organizationPayer } from './organizations/payer.js';
import { memberPayer } from './payments/payer.js';

export const DEMO_POSTER = { username: 'acme_jobs', email: 'jobs@acme.example', password: 'demo-password' };
export const DEMO_RECRUITER = { username: 'acme_recruiter', email: 'recruiting@acme.example', password: 'demo-password' };

/**
 * A demo community on first start: a job poster with permission, a few articles, two job listings
 * paid through the real checkout (against the local Stripe) and a billboard. The poster is the admin
 * of an organization, Acme, with a recruiter as its other member. Acme bought 10 credits by card (with
 * its own Stripe customer), and the first listing, on its behalf, is paid with one of them.
 */
export async function seedDemoData(db: Db, render: RenderMarkdown, clock: Clock, checkout: Checkout, logger: Logger): Promise<void> {
  if (await findUserByEmail(db, DEMO_POSTER.email)) return;
  const poster = await createUser(db, DEMO_POSTER, { canPostJobs: true });
  const now = clock.now();
  const recruiter = await createUser(db, DEMO_RECRUITER);
  const { organization: acme } = await createOrganization(db, poster, { name: 'Acme', slug: 'acme' }, now);
  await addMember(db, poster, acme.slug, { username: recruiter.username, role: 'member' }, now);
  await createArticle(
    db,
    render,
    poster,
    {
      title: 'Why we moved our payments to PaymentIntents',
      body_markdown: 'SCA made the legacy Charges API a dead end. Here is what changed for us.\n\n- idempotency keys\n- webhooks as a durable inbox',
      tags: ['payments', 'stripe'],
      published: true,
    },
    now,
  );
  const first = await createArticle(
    db,
    render,
    poster,
    {
      title: 'Senior TypeScript Engineer (remote)',
      body_markdown: 'Acme is hiring a **senior TypeScript engineer** to work on billing.\n\nApply at [acme.example](https://acme.example/jobs).',
      tags: ['hiring', 'typescript'],
      job_listing: true,
      published: true,
      organization: acme.slug,
    },
    now,
  );
  const second = await createArticle(
    db,
    render,
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
  await createArticle(
    db,
    render,
    poster,
    {
      title: 'Draft: Staff Engineer, Payments',
      body_markdown: 'Not paid yet: open it in the editor to see "Publish and pay".',
      tags: ['hiring'],
      job_listing: true,
    },
    now,
  );
  const credits = await checkout.create(poster, organizationPayer(acme), { product: 'credit_pack', quantity: 10, organization: acme.slug, payment_method: 'pm_card_visa' }, 'demo-credits-acme');
  if (credits.kind !== 'paid') logger.warn({ outcome: credits.kind }, "demo purchase of Acme's credits did not succeed");
  const purchases = [
    { article: first.article, way: { pay_with: 'credits', organization: acme.slug } },
    { article: second.article, way: { payment_method: 'pm_card_visa', save_card: true } },
  ];
  for (const { article, way } of purchases) {
    const paid = await checkout.create(poster, memberPayer(poster), { product: 'job_listing', article_id: article.id, ...way }, `demo-listing-${article.id}`);
    if (paid.kind !== 'paid') logger.warn({ outcome: paid.kind }, 'demo listing payment did not succeed');
  }
  await checkout.create(poster, memberPayer(poster), { product: 'billboard', payment_method: 'pm_card_mastercard', headline: 'Acme is hiring: see our jobs', link_url: 'https://acme.example/jobs' }, 'demo-billboard-1');
  logger.info(`demo data created (job poster ${DEMO_POSTER.email} / ${DEMO_POSTER.password}, admin of the organization Acme; its member ${DEMO_RECRUITER.email} / ${DEMO_RECRUITER.password})`);
}
