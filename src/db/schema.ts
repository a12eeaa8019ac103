import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { organizations } from './organization-schema.js';

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
};

export const users = pgTable(
  'users',
  {
  id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
  username: text('username').notNull(),
  email: text('email').notNull().unique(),
  passwordHash: text('password_hash').notNull(),
  admin: boolean('admin').notNull().default(false),
  canPostJobs: boolean('can_post_jobs').notNull().default(false),
  stripeCustomerKey: text('stripe_customer_key').unique(),
  /** Login attempts counted against the account since failedLoginsSince (the per-account throttle). */
  failedLogins: integer('failed_logins').notNull().default(0),
  failedLoginsSince: timestamp('failed_logins_since', { withTimezone: true }),
  ...timestamps,
  },
  (t) => [uniqueIndex('users_username_lower_idx').on(sql`lower(${t.username})`)],
);

export const sessions = pgTable(
  'sessions',
  {
    /** sha256 of the cookie value: a database leak does not leak live sessions. */
    idHash: text('id_hash').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    ...timestamps,
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

export const apiTokens = pgTable(
  'api_tokens',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull().unique(),
    name: text('name').notNull().default('API token'),
    /** Null: valid until revoked. */
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    /** Updated at most once a minute, so a busy token does not write on every request. */
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [index('api_tokens_user_idx').on(t.userId)],
);

/** Password-reset links: only the hash of the secret is kept; each is used at most once, before it expires. */
export const passwordResets = pgTable(
  'password_resets',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull().unique(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [index('password_resets_user_idx').on(t.userId)],
);


export const articles = pgTable(
  'articles',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id),
    title: text('title').notNull(),
    bodyMarkdown: text('body_markdown').notNull(),
    bodyHtml: text('body_html').notNull(),
    tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
    jobListing: boolean('job_listing').notNull().default(false),
    published: boolean('published').notNull().default(false),
    publishedAt: timestamp('published_at', { withTimezone: true }),
    /** Derived from the charges table (see docs/payments.md); null = never paid. */
    paidUntil: timestamp('paid_until', { withTimezone: true }),
    bumpedAt: timestamp('bumped_at', { withTimezone: true }),
    /** A job listing's opt-in: when its paid week ends, the poster's card is charged for another. */
    autoRenew: boolean('auto_renew').notNull().default(false),
    /** Posted on behalf of this organization (its author a member when it was set); null = the author's own. */
    organizationId: integer('organization_id').references(() => organizations.id),
    ...timestamps,
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('articles_user_idx').on(t.userId, t.id),
    index('articles_published_idx')
      .on(t.publishedAt.desc(), t.id.desc())
      .where(sql`${t.published}`),
    // /jobs: live listings newest-bumped first, and their count.
    index('articles_jobs_bumped_idx')
      .on(t.bumpedAt.desc(), t.id.desc(), t.paidUntil)
      .where(sql`${t.published} and ${t.jobListing}`),
    index('articles_jobs_paid_until_idx')
      .on(t.paidUntil)
      .where(sql`${t.published} and ${t.jobListing}`),
  ],
);

export const chargeStatuses = [
  'pending',
  'requires_action',
  'processing',
  'succeeded',
  'failed',
  'canceled',
  'refunded',
  'partially_refunded',
  'disputed',
] as const;
export type ChargeStatus = (typeof chargeStatuses)[number];

export const charges = pgTable(
  'charges',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id),
    articleId: integer('article_id').references(() => articles.id),
    product: text('product').notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    status: text('status', { enum: chargeStatuses }).notNull().default('pending'),
    /**
     * The id (pi_…) of the PaymentIntent that pays this row: the one checkout created for it, or the
     * one Stripe's hosted Checkout Session made; null until Stripe has answered. The column keeps the
     * seed's name, stripe_charge_key.
     */
    paymentIntentId: text('stripe_charge_key').unique(),
    /**
     * A random value put in the metadata of the PaymentIntent we create for this row: until the
     * intent's id is stored, it tells our intent from another that merely names this charge.
     */
    intentNonce: text('intent_nonce'),
    /** The Stripe Checkout Session (cs_…) made for this row when the buyer pays on Stripe's page. */
    checkoutSessionId: text('checkout_session_id').unique(),
    /** The Stripe Charge id (ch_…) of the PaymentIntent's latest charge. */
    stripeLatestCharge: text('stripe_latest_charge'),
    amountRefunded: bigint('amount_refunded', { mode: 'number' }).notNull().default(0),
    failureCode: text('failure_code'),
    failureMessage: text('failure_message'),
    declineCode: text('decline_code'),
    /** What the product needs beyond an article (e.g. a billboard's headline), validated by the product. */
    productData: jsonb('product_data').$type<Record<string, unknown>>().notNull().default({}),
    /** Lets the owner finish 3-D Secure in the browser; shown only to them. */
    stripeClientSecret: text('stripe_client_secret'),
    /** Hash of the request that created the row: the same idempotency key with other parameters is a 409. */
    requestFingerprint: text('request_fingerprint').notNull().default(''),
    /** Stripe's fee and the balance transaction it came from (fetched with the charge, or by reconcile). */
    stripeFee: bigint('stripe_fee', { mode: 'number' }),
    stripeBalanceTransaction: text('stripe_balance_transaction'),
    /** Set when the e-mailed receipt was handed to the mail transport (at most once). */
    receiptSentAt: timestamp('receipt_sent_at', { withTimezone: true }),
    cardBrand: text('card_brand'),
    cardLast4: text('card_last4'),
    idempotencyKey: text('idempotency_key').notNull(),
    /**
     * Who paid, when not the buyer (user_id): the organization whose Stripe customer (or balance) the
     * payment came from. Receipts are made out to it, renewals charge its card, finance groups by it.
     */
    payerOrganizationId: integer('payer_organization_id').references(() => organizations.id),
    paidAt: timestamp('paid_at', { withTimezone: true }),
    ...timestamps,
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('charges_user_idempotency_key_idx').on(t.userId, t.idempotencyKey),
    index('charges_article_idx').on(t.articleId),
    index('charges_user_idx').on(t.userId, t.createdAt.desc()),
    index('charges_created_idx').on(t.createdAt),
    index('charges_paid_idx').on(t.paidAt),
    index('charges_receipt_due_idx').on(t.id).where(sql`${t.receiptSentAt} is null and ${t.status} = 'succeeded'`),
    check('charges_amount_positive', sql`${t.amount} > 0`),
    check(
      'charges_amount_refunded_range',
      sql`${t.amountRefunded} >= 0 and ${t.amountRefunded} <= ${t.amount}`,
    ),
    check(
      'charges_status_known',
      sql.raw(`status in (${chargeStatuses.map((s) => `'${s}'`).join(', ')})`),
    ),
  ],
);

/**
 * One row per charge whose product was fulfilled: the primary key makes fulfilment happen at most
 * once whichever path (checkout, webhook, reconcile) settles the charge first.
 */
export const fulfilments = pgTable('fulfilments', {
  chargeId: integer('charge_id')
    .primaryKey()
    .references(() => charges.id),
  product: text('product').notNull(),
  fulfilledAt: timestamp('fulfilled_at', { withTimezone: true }).notNull(),
  /** Set when a full refund or a dispute reversed it; cleared if a dispute is won. */
  reversedAt: timestamp('reversed_at', { withTimezone: true }),
});

/**
 * The durable webhook inbox: every verified event is stored before we answer 200, keyed by Stripe's
 * event id so a duplicate delivery is a no-op, and processed from here with retries.
 */
export const stripeEvents = pgTable(
  'stripe_events',
  {
    id: text('id').primaryKey(),
    type: text('type').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    /** When the event may next be claimed: a lease while a worker has it, a backoff after a failure. */
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull(),
    lastError: text('last_error'),
    processedAt: timestamp('processed_at', { withTimezone: true }),
    /** handled, or ignored for event types we do not act on. */
    outcome: text('outcome'),
  },
  // In the order the worker claims: its claim reads the first due rows, however long the backlog.
  (t) => [index('stripe_events_due_idx').on(t.nextAttemptAt, t.id).where(sql`${t.processedAt} is null`)],
);

export const refunds = pgTable(
  'refunds',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    chargeId: integer('charge_id')
      .notNull()
      .references(() => charges.id),
    stripeRefundId: text('stripe_refund_id').unique(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    reason: text('reason'),
    status: text('status').notNull(),
    /** Who asked: a user for refunds from our console or API; null for one made at Stripe. */
    requestedBy: integer('requested_by').references(() => users.id),
    idempotencyKey: text('idempotency_key').unique(),
    ...timestamps,
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('refunds_charge_idx').on(t.chargeId), check('refunds_amount_positive', sql`${t.amount} > 0`)],
);

export const disputes = pgTable(
  'disputes',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    chargeId: integer('charge_id')
      .notNull()
      .references(() => charges.id),
    stripeDisputeId: text('stripe_dispute_id').notNull().unique(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    reason: text('reason').notNull(),
    status: text('status').notNull(),
    evidenceDueBy: timestamp('evidence_due_by', { withTimezone: true }),
    closedAt: timestamp('closed_at', { withTimezone: true }),
    ...timestamps,
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('disputes_charge_idx').on(t.chargeId)],
);

/** Append-only: a trigger in the migration refuses UPDATE and DELETE. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    /** user:<id>, stripe, reconcile or system. */
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    subjectType: text('subject_type').notNull(),
    subjectId: text('subject_id').notNull(),
    before: jsonb('before'),
    after: jsonb('after'),
  },
  (t) => [index('audit_log_at_idx').on(t.at.desc()), index('audit_log_subject_idx').on(t.subjectType, t.subjectId)],
);

/**
 * A PaymentIntent that names one of our charges (or products) but is not the one we created for it,
 * or not for the amount and currency we sold: recorded once per intent, never fulfilled.
 */
export const paymentMismatches = pgTable(
  'payment_mismatches',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    stripePaymentIntent: text('stripe_payment_intent').notNull().unique(),
    /** The charge its metadata names, when we have that row. */
    chargeId: integer('charge_id').references(() => charges.id),
    /** not_our_intent, amount or currency. */
    reason: text('reason').notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    expectedAmount: bigint('expected_amount', { mode: 'number' }),
    expectedCurrency: text('expected_currency'),
    intentStatus: text('intent_status').notNull(),
    metadata: jsonb('metadata').$type<Record<string, string>>().notNull().default({}),
    detectedAt: timestamp('detected_at', { withTimezone: true }).notNull(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('payment_mismatches_detected_idx').on(t.detectedAt.desc())],
);

export const reconcileRuns = pgTable('reconcile_runs', {
  id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
  since: timestamp('since', { withTimezone: true }).notNull(),
  trigger: text('trigger').notNull(),
  report: jsonb('report').$type<Record<string, unknown>>(),
});

/**
 * Rate-limit counters shared by every app instance (src/http/rate-limit-store.ts): one row per route
 * and client (or member), counting hits until `resets_at`. Expired rows are swept periodically.
 */
export const rateLimitHits = pgTable(
  'rate_limit_hits',
  {
    key: text('key').primaryKey(),
    hits: integer('hits').notNull(),
    resetsAt: timestamp('resets_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('rate_limit_hits_resets_at_idx').on(t.resetsAt)],
);

/** When each named periodic task (src/operations/periodic.ts) last started and finished, across instances. */
export const periodicRuns = pgTable('periodic_runs', {
  name: text('name').primaryKey(),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
});

export type User = typeof users.$inferSelect;
export type Article = typeof articles.$inferSelect;
export type Charge = typeof charges.$inferSelect;
export type StripeEventRow = typeof stripeEvents.$inferSelect;
export type Refund = typeof refunds.$inferSelect;
export type Dispute = typeof disputes.$inferSelect;
export type PaymentMismatch = typeof paymentMismatches.$inferSelect;
export type ApiToken = typeof apiTokens.$inferSelect;
