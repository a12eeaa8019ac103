import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type Stripe from 'stripe';
import { systemClock } from './clock.js';
import { loadConfig } from './config.js';
import { openDatabase } from './db/client.js';
import { makePrivate } from './private-files.js';
import { exitIfBusy, lockDataDir } from './operations/data-lock.js';
import { createLogger } from './operations/logging.js';

// Whatever this process creates (the embedded database's files, the local Stripe's state, mail,
// secrets) is readable by its user only; PGlite creates its own files, so a umask is what reaches them.
process.umask(0o077);
const config = loadConfig();
makePrivate(config.dataDir);
const logger = createLogger(config.logLevel);

// The embedded database and the local Stripe's state file belong to one process: a second server or
// a CLI already using DATA_DIR is refused rather than risking the data.
const dataDirLock = !config.database.databaseUrl || !config.stripe.secretKey ? exitIfBusy(() => lockDataDir(config.dataDir, 'server (npm start)')) : undefined;

// Signals are handled from here on, so a Ctrl-C during start-up also releases the lock (the default
// action would end the process without its exit handlers). Each part opened below adds how to stop
// it; a signal stops what is open, newest first. A part still opening (the embedded database's worker
// loading) is let finish and then stopped: ending the process under a worker in mid-start can crash it.
const stops: Array<() => unknown> = [];
let opening: Promise<unknown> = Promise.resolve();
let closing = false;
async function shutdown(signal: string) {
  if (closing) return;
  closing = true;
  logger.info({ signal }, 'shutting down');
  await opening;
  for (const stop of stops.reverse()) {
    try {
      await stop();
    } catch (error) {
      logger.warn({ message: (error as Error).message }, 'a part did not stop cleanly');
    }
  }
  dataDirLock?.release();
  process.exit(0);
}
/** One step of start-up, with how to stop what it opened; after a signal, start-up goes no further. */
async function open<T>(part: Promise<T>, stop?: (opened: T) => unknown): Promise<T> {
  const registered = part.then((opened) => void (stop && stops.push(() => stop(opened))), () => undefined);
  opening = registered;
  const opened = await part;
  await registered;
  // Shutdown has taken over: it stops what is open and ends the process.
  if (closing) await new Promise<never>(() => {});
  return opened;
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

// The database opens (on its own thread) while this one loads the rest of the app: most of a
// restart is each of the two, and they need each other only from the migrations on.
const products = import('./products/index.js');
const databaseOpened = open(openDatabase({
  ...config.database,
  template: async () => (await products).productMigrations,
  // The message only: pg attaches the client (and its connection settings) to the error.
  onConnectionError: (error) => logger.warn({ message: error.message }, 'idle PostgreSQL connection lost; the pool replaces it'),
  // Nothing replaces a dead embedded database within the process: stop, so a supervisor restarts it.
  onEmbeddedFailure: (error) => {
    logger.fatal({ message: error.message }, 'embedded database stopped; exiting');
    process.exit(1);
  },
}), (opened) => opened.close());
// Its failure is thrown where it is awaited, below, not reported as unhandled while the imports run.
databaseOpened.catch(() => undefined);
const [
  { productMigrations },
  { ensureAdmin },
  { buildApp },
  { seedDemoData },
  { CONTROL_PREFIX, controlPlugin, publishControl },
  { PeriodicTaskRunner },
  { sweepRateLimits },
  { startupBanner },
  { connectStripe },
  { reconcile },
  { STRIPE_API_VERSION },
  { handlers },
] = await Promise.all([
  products,
  import('./accounts/bootstrap.js'),
  import('./app.js'),
  import('./demo.js'),
  import('./operations/control.js'),
  import('./operations/periodic.js'),
  import('./http/rate-limit-store.js'),
  import('./operations/banner.js'),
  import('./payments/connect.js'),
  import('./payments/reconcile.js'),
  import('./payments/stripe.js'),
  import('./payments/webhooks/handlers/index.js'),
]).catch(async (error: unknown) => {
  // A fresh DATA_DIR may be being created meanwhile: let it finish and close it, so a failed import
  // never leaves a half-made database that the next start would take for a made one.
  await databaseOpened.then((opened) => opened.close(), () => undefined);
  throw error;
});
const database = await databaseOpened;
await open(database.migrate(productMigrations));

// Instances starting together on one PostgreSQL create the admin (and the demo data) once.
const bootstrap = await open(database.exclusively('bootstrap', () => ensureAdmin(database.db, config.admin, config.demoData ? config.dataDir : undefined)));
const admin = bootstrap.ran ? bootstrap.value : undefined;

const mailDir = path.join(config.dataDir, 'mail');
const stripe = await open(connectStripe(config.stripe, config.dataDir), (connected) => connected.local?.close());

const webhookSecrets = [...config.stripe.webhookSecrets];
const app = await open(buildApp({
  database,
  clock: systemClock,
  sessionSecret: config.sessionSecret,
  stripe: stripe.gateway,
  webhookSecrets,
  webhookPollMs: 2_000,
  rateLimits: config.rateLimits,
  publicUrl: config.publicUrl,
  checkoutMode: config.checkoutMode,
  trustProxy: config.trustProxy,
  hstsMaxAge: config.hstsMaxAge,
  mail: { dir: mailDir, smtpUrl: config.smtpUrl, baseUrl: config.publicUrl },
  logger,
}), (built) => built.close()); // stops accepting connections and drains in-flight requests

// The CLIs on this machine ask the running server through its control routes (src/operations/control.ts).
const controlToken = randomBytes(32).toString('hex');
await app.register(controlPlugin, { prefix: CONTROL_PREFIX, token: controlToken, database });

if (config.demoData) {
  await open(database.exclusively('bootstrap', () => seedDemoData(database.db, (markdown, authorId) => app.markdown.render(markdown, authorId), systemClock, app.payments.checkout, logger)));
}

// Periodic work, run by one instance at a time, about once per interval across all of them.
const periodic: Array<InstanceType<typeof PeriodicTaskRunner>> = [
  new PeriodicTaskRunner(database, systemClock, {
    name: 'rate-limit-sweep',
    intervalMs: 10 * 60_000,
    run: async () => {
      await sweepRateLimits(database.db, systemClock.now());
    },
  }, logger),
];
if (database.driver === 'pglite') {
  // Autovacuum never runs in PGlite (single-user mode): its rule is applied every 5 minutes instead.
  periodic.push(
    new PeriodicTaskRunner(database, systemClock, {
      name: 'embedded-vacuum',
      intervalMs: 5 * 60_000,
      run: async () => {
        const done = await database.maintain();
        if (done.length > 0) logger.info({ done }, 'embedded database vacuumed');
      },
    }, logger),
  );
}
if (config.reconcileIntervalMinutes > 0) {
  const deps = { db: database.db, clock: systemClock, catalog: app.payments.catalog, stripe: stripe.gateway };
  periodic.push(
    new PeriodicTaskRunner(database, systemClock, {
      name: 'reconcile',
      intervalMs: config.reconcileIntervalMinutes * 60_000,
      run: async () => {
        const since = new Date(systemClock.now().getTime() - 3 * 24 * 3600_000);
        const report = await reconcile(deps, { since, trigger: 'schedule' });
        logger.info({ repaired: report.repaired, findings: report.findings.length }, 'scheduled reconcile');
      },
    }, logger),
  );
}
for (const task of app.scheduledTasks) {
  const intervalMs = task.intervalMs(config);
  if (intervalMs <= 0) continue;
  periodic.push(
    new PeriodicTaskRunner(database, systemClock, {
      name: task.name,
      intervalMs,
      run: async () => {
        // What a product's task does is claimed in the database, so even an overlap does each step once.
        const report = await task.run(systemClock.now());
        if (report) logger.info(report, task.name);
      },
    }, logger),
  );
}

stops.push(() => Promise.all(periodic.map((runner) => runner.stop())));

await open(app.listen({ port: config.port, host: config.host }));
const bound = app.server.address() as AddressInfo;
const loopback = ['0.0.0.0', '::', '127.0.0.1', '::1'].includes(bound.address) ? '127.0.0.1' : bound.address;
const control = publishControl(config.dataDir, `http://${loopback.includes(':') ? `[${loopback}]` : loopback}:${bound.port}`, controlToken);
stops.push(() => control.remove());

if (stripe.local) {
  // The embedded default wires its own webhooks: register our endpoint and trust the secret it returns.
  // Pinned to the SDK's API version, so event payloads have the shape this code is typed against.
  const endpoint = await open(
    stripe.gateway.client.webhookEndpoints.create({
      url: `http://127.0.0.1:${bound.port}/webhooks/stripe`,
      api_version: STRIPE_API_VERSION,
      enabled_events: Object.keys(handlers) as Stripe.WebhookEndpointCreateParams.EnabledEvent[],
    }),
  );
  webhookSecrets.push(endpoint.secret!);
}
for (const runner of periodic) runner.start();
const facts = {
  url: config.publicUrl,
  database: database.driver === 'pglite' ? `embedded PGlite in ${path.join(config.dataDir, 'pglite')}` : 'PostgreSQL (DATABASE_URL)',
  stripe: stripe.local ? `local Stripe on ${stripe.local.url} (no STRIPE_SECRET_KEY set); test cards in docs/local-stripe.md` : config.stripe.apiUrl ? `STRIPE_API_URL ${config.stripe.apiUrl}` : 'Stripe (STRIPE_SECRET_KEY)',
  mail: config.smtpUrl ? 'SMTP (SMTP_URL)' : `.eml files in ${mailDir}`,
  admin,
};
// A person at a terminal gets a banner, with the demo admin's password; a log collector gets one
// JSON entry without it (it stays in DATA_DIR/demo-admin-password).
if (process.stdout.isTTY) console.log(startupBanner(facts));
else logger.info({ url: facts.url, database: facts.database, stripe: facts.stripe, mail: facts.mail, admin: admin?.email }, `DevBoard on ${facts.url}`);
