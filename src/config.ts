import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { DatabaseOptions } from './db/client.js';

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  /** The origin buyers reach the app at: Stripe returns them here after a redirect, e-mails link here. */
  PUBLIC_URL: z.string().url().optional(),
  DATA_DIR: z.string().default('./.data'),
  DATABASE_URL: z.string().optional(),
  ADMIN_EMAIL: z.string().email().optional(),
  ADMIN_PASSWORD: z.string().min(8).optional(),
  SESSION_SECRET: z.string().min(32).optional(),
  DEMO_DATA: z.enum(['0', '1']).optional(),
  LOG_LEVEL: z.string().default('info'),
  STRIPE_SECRET_KEY: z.string().optional(),
  STRIPE_PUBLISHABLE_KEY: z.string().optional(),
  STRIPE_API_URL: z.string().url().optional(),
  STRIPE_WEBHOOK_SECRET: z.string().optional(),
  SMTP_URL: z.string().url().optional(),
  /** 0 turns rate limits off: only for load tests from one address (bench, soak). */
  RATE_LIMITS: z.enum(['0', '1']).default('1'),
  /** How buyers pay: the Payment Element on our page, or also Stripe's hosted checkout page. */
  CHECKOUT_MODE: z.enum(['elements', 'hosted']).default('elements'),
  RECONCILE_INTERVAL_MINUTES: z.coerce.number().int().min(0).default(60),
  RENEWALS_INTERVAL_MINUTES: z.coerce.number().int().min(0).max(60).optional(),
  /** RENEWALS_INTERVAL_MINUTES's first name, from when only job listings renewed: still read. */
  LISTING_UPKEEP_INTERVAL_MINUTES: z.coerce.number().int().min(0).max(60).optional(),
  TRUST_PROXY: z
    .string()
    .trim()
    .default('false')
    .transform((v, ctx): TrustProxy => {
      if (v === 'false' || v === '') return false;
      if (v === 'true') return true;
      const list = v.split(',').map((s) => s.trim());
      if (list.every((s) => /^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(s) || ['loopback', 'linklocal', 'uniquelocal'].includes(s))) return list;
      ctx.addIssue({ code: 'custom', message: 'true, false, or comma-separated proxy addresses/CIDRs' });
      return z.NEVER;
    }),
  /** Strict-Transport-Security max-age in seconds, sent on HTTPS responses; 0 sends none. */
  HSTS_MAX_AGE: z.coerce.number().int().min(0).default(15552000),
});

/** Fastify's trustProxy: which proxies' X-Forwarded-For/-Proto/-Host headers are believed. */
export type TrustProxy = boolean | string[];

export interface Config {
  port: number;
  host: string;
  /** The app's origin as buyers reach it, without a trailing slash (return_url, links in e-mails). */
  publicUrl: string;
  dataDir: string;
  database: DatabaseOptions;
  admin?: { email: string; password: string };
  sessionSecret: string;
  demoData: boolean;
  logLevel: string;
  /** `hosted` also offers "Pay on Stripe's checkout page" (Checkout Sessions) beside the Payment Element. */
  checkoutMode: 'elements' | 'hosted';
  /** How often the server reconciles with Stripe; 0 turns it off. */
  reconcileIntervalMinutes: number;
  /** Listing reminders and auto-renewals; at most 60, so a renewal always falls in its last hour. */
  renewalsIntervalMinutes: number;
  rateLimits: boolean;
  trustProxy: TrustProxy;
  hstsMaxAge: number;
  /** Receipts go out through SMTP when set, else as .eml files under DATA_DIR/mail. */
  smtpUrl?: string;
  stripe: {
    secretKey?: string;
    publishableKey?: string;
    apiUrl?: string;
    webhookSecrets: string[];
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  const embedded = !e.DATABASE_URL;
  // Instances on one database must share the key of their CSRF tokens, or a form served by one is
  // refused by the next; a secret generated into each instance's own DATA_DIR would differ.
  if (!embedded && !e.SESSION_SECRET && env.NODE_ENV === 'production') {
    throw new Error('invalid configuration: SESSION_SECRET: required in production with DATABASE_URL (every instance must have the same one)');
  }
  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl: (e.PUBLIC_URL ?? `http://${e.HOST === '0.0.0.0' ? 'localhost' : e.HOST}:${e.PORT}`).replace(/\/+$/, ''),
    dataDir: e.DATA_DIR,
    database: embedded
      ? { dataDir: path.join(e.DATA_DIR, 'pglite') }
      : { databaseUrl: e.DATABASE_URL },
    admin: e.ADMIN_EMAIL && e.ADMIN_PASSWORD ? { email: e.ADMIN_EMAIL, password: e.ADMIN_PASSWORD } : undefined,
    sessionSecret: e.SESSION_SECRET ?? persistentSecret(e.DATA_DIR, 'session-secret'),
    demoData: e.DEMO_DATA ? e.DEMO_DATA === '1' : embedded,
    logLevel: e.LOG_LEVEL,
    checkoutMode: e.CHECKOUT_MODE,
    reconcileIntervalMinutes: e.RECONCILE_INTERVAL_MINUTES,
    renewalsIntervalMinutes: e.RENEWALS_INTERVAL_MINUTES ?? e.LISTING_UPKEEP_INTERVAL_MINUTES ?? 5,
    rateLimits: e.RATE_LIMITS === '1',
    trustProxy: e.TRUST_PROXY,
    hstsMaxAge: e.HSTS_MAX_AGE,
    smtpUrl: e.SMTP_URL,
    stripe: {
      secretKey: e.STRIPE_SECRET_KEY,
      publishableKey: e.STRIPE_PUBLISHABLE_KEY,
      apiUrl: e.STRIPE_API_URL,
      webhookSecrets: (e.STRIPE_WEBHOOK_SECRET ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    },
  };
}

/**
 * A secret generated once and kept in DATA_DIR (readable by this user only), so restarts keep it:
 * the session secret, the embedded local Stripe's keys.
 */
export function persistentSecret(dataDir: string, name: string, make: () => string = () => randomBytes(32).toString('hex')): string {
  const file = path.join(dataDir, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = make();
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}
