import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import pino from 'pino';
import type Stripe from 'stripe';
import { ensureAdmin } from './accounts/bootstrap.js';
import { buildApp } from './app.js';
import { systemClock } from './clock.js';
import { loadConfig } from './config.js';
import { openDatabase } from './db/client.js';
import { seedDemoData } from './demo.js';
import { makePrivate } from './private-files.js';
import { CONTROL_PREFIX, controlPlugin, publishControl } from './operations/control.js';
import { exitIfBusy, lockDataDir } from './operations/data-lock.js';
import { connectStripe } from './payments/connect.js';
import { reconcile } from './payments/reconcile.js';
import { STRIPE_API_VERSION } from './payments/stripe.js';
import { handlers } from './payments/webhooks/handlers/index.js';

// Whatever this process creates (the embedded database's files, the local Stripe's state, mail,
// secrets) is readable by its user only; PGlite creates its own files, so a umask is what reaches them.
process.umask(0o077);
const config = loadConfig();
makePrivate(config.dataDir);
const logger = pino({ level: config.logLevel });

// The embedded database and the local Stripe's state file belong to one process: a second server or
// a CLI already using DATA_DIR is refused rather than risking the data.
const dataDirLock = !config.database.databaseUrl || !config.stripe.secretKey ? exitIfBusy(() => lockDataDir(config.dataDir, 'server (npm start)')) : undefined;

const database = await openDatabase({
  ...config.database,
  // The message only: pg attaches the client (and its connection settings) to the error.
  onConnectionError: (error) => logger.warn({ message: error.message }, 'idle PostgreSQL connection lost; the pool replaces it'),
});
await database.migrate();

const admin = await ensureAdmin(database.db, config.admin, config.demoData);
if (admin?.generatedPassword) {
  // Printed once, when the demo admin is created; it is never logged again.
  console.log(`\n  Demo admin created: ${admin.email} / ${admin.generatedPassword}\n`);
}

const stripe = await connectStripe(config.stripe, config.dataDir);
if (stripe.local) logger.info(`local Stripe (no STRIPE_SECRET_KEY set) on ${stripe.local.url}`);

const webhookSecrets = [...config.stripe.webhookSecrets];
const app = await buildApp({
  database,
  clock: systemClock,
  sessionSecret: config.sessionSecret,
  stripe: stripe.gateway,
  webhookSecrets,
  webhookPollMs: 2_000,
  rateLimits: config.rateLimits,
  publicUrl: config.publicUrl,
  trustProxy: config.trustProxy,
  hstsMaxAge: config.hstsMaxAge,
  mail: { dir: path.join(config.dataDir, 'mail'), smtpUrl: config.smtpUrl, baseUrl: config.publicUrl },
  logger: { level: config.logLevel },
});

// The CLIs on this machine ask the running server through its control routes (src/operations/control.ts).
const controlToken = randomBytes(32).toString('hex');
await app.register(controlPlugin, { prefix: CONTROL_PREFIX, token: controlToken, database });

if (config.demoData) await seedDemoData(database.db, (markdown) => app.markdown.render(markdown), systemClock, app.payments.checkout, logger);

let closing = false;
let control: { remove(): void } | undefined;
async function shutdown(signal: string) {
  if (closing) return;
  closing = true;
  logger.info({ signal }, 'shutting down');
  control?.remove();
  await app.close(); // stops accepting connections and drains in-flight requests
  await stripe.local?.close();
  await database.close();
  dataDirLock?.release();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

await app.listen({ port: config.port, host: config.host });
const bound = app.server.address() as AddressInfo;
const loopback = ['0.0.0.0', '::', '127.0.0.1', '::1'].includes(bound.address) ? '127.0.0.1' : bound.address;
control = publishControl(config.dataDir, `http://${loopback.includes(':') ? `[${loopback}]` : loopback}:${bound.port}`, controlToken);

if (stripe.local) {
  // The embedded default wires its own webhooks: register our endpoint and trust the secret it returns.
  // Pinned to the SDK's API version, so event payloads have the shape this code is typed against.
  const endpoint = await stripe.gateway.client.webhookEndpoints.create({
    url: `http://127.0.0.1:${bound.port}/webhooks/stripe`,
    api_version: STRIPE_API_VERSION,
    enabled_events: Object.keys(handlers) as Stripe.WebhookEndpointCreateParams.EnabledEvent[],
  });
  webhookSecrets.push(endpoint.secret!);
}
if (config.reconcileIntervalMinutes > 0) {
  const deps = { db: database.db, clock: systemClock, catalog: app.payments.catalog, stripe: stripe.gateway };
  const timer = setInterval(() => {
    const since = new Date(Date.now() - 3 * 24 * 3600_000);
    reconcile(deps, { since, trigger: 'schedule' }).then(
      (report) => logger.info({ repaired: report.repaired, findings: report.findings.length }, 'scheduled reconcile'),
      (err) => logger.warn({ err }, 'scheduled reconcile failed'),
    );
  }, config.reconcileIntervalMinutes * 60_000);
  timer.unref();
}
if (config.listingUpkeepIntervalMinutes > 0) {
  // Every instance may run it: each reminder and renewal is claimed in the database, so it happens once.
  const timer = setInterval(() => {
    app.listingUpkeep(systemClock.now()).then(
      (report) => {
        if (report.reminders + report.notices + Object.keys(report.renewals).length > 0) logger.info(report, 'listing upkeep');
      },
      (err) => logger.warn({ err }, 'listing upkeep failed'),
    );
  }, config.listingUpkeepIntervalMinutes * 60_000);
  timer.unref();
}
logger.info(`DevBoard on ${config.publicUrl} (database: ${database.driver})`);
