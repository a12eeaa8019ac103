import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import type autocannon from 'autocannon';
import { answered } from '../scripts/api/client.js';
import { ADMIN, CHECKOUT_PAIRS, CHECKOUT_ROUND, CONNECTIONS, WARMUP } from './config.js';
import { adminClient, benchPoster, sleep } from './lib.js';
import { attack, cpuSeconds, median, percentile, postgresCpuSampler, probeNewConnections } from './measure.js';
import type { StripeControl } from './stripe-control.js';

/** The processes and addresses one checkout comparison drives: the app, the bare peer, the durable peer. */
export interface CheckoutSides {
  base: string;
  appWebhooks: string;
  app: () => ChildProcess;
  stripe: StripeControl;
  peer: { url: string; process: ChildProcess };
  durable: { url: string; webhooks: string; process: ChildProcess };
  /** PostgreSQL's scratch databases (app, durable peer), whose backends' CPU is read; none on PGlite. */
  postgres?: { app: string; peer: string };
}

// Checkouts: returning buyers paying with a saved card, the app against the peers.
export interface Buyer {
  token: string;
  customer: string;
  card: string;
  article: number;
}
/**
 * One buyer per connection: signs up, gets permission, posts a job listing and pays for it once
 * with a new card it saves, so every measured checkout is a returning buyer's. The first one's
 * Stripe round trips are counted, for the request path alone: webhooks wait until they are taken.
 */
export async function addBuyers(base: string, stripe: StripeControl) {
  const buyers: Buyer[] = [];
  const counted = { stripe_calls_first_time_buyer: 0, stripe_calls_list_saved_cards: 0 };
  const admin = await adminClient(base, ADMIN);
  for (let i = 0; i < CONNECTIONS; i++) {
    const { client, token, article } = await benchPoster(base, admin, i);
    if (i === 0) {
      await stripe.call('setDeliveryFaults', { hold: true });
      await stripe.call('clearRequestCounts');
    }
    const first = await client.POST('/api/v1/charges', { body: { product: 'job_listing', article_id: article, payment_method: 'pm_card_visa', save_card: true } });
    if (first.response.status !== 201) throw new Error(`first payment failed: ${JSON.stringify(first.error ?? first.data)}`);
    if (i === 0) {
      counted.stripe_calls_first_time_buyer = stripeTotal(await stripe.call('requestCounts'));
      await stripe.call('clearRequestCounts');
    }
    const [saved] = answered(await client.GET('/api/v1/payment_methods')).payment_methods;
    if (!saved) throw new Error('the first payment saved no card');
    const card = saved.id;
    if (i === 0) {
      counted.stripe_calls_list_saved_cards = stripeTotal(await stripe.call('requestCounts'));
      await stripe.call('setDeliveryFaults', {});
      await stripe.call('releaseWebhooks');
    }
    // The peer is handed the customer the app made for this buyer, as its caller would know it.
    const pm = (await (await fetch(`${stripe.url}/v1/payment_methods/${card}`, { headers: { authorization: `Bearer ${stripe.secretKey}` } })).json()) as { customer: string };
    buyers.push({ token, customer: pm.customer, card, article });
  }
  await stripe.call('webhooksIdle');
  return { buyers, ...counted };
}

const stripeTotal = (counts: Record<string, number>) => Object.values(counts).reduce((s, n) => s + n, 0);

/** autocannon options that post each connection's buyer's checkout, each request under a new idempotency key. */
function checkoutRequests(buyers: Buyer[], body: (buyer: Buyer) => unknown, headers: (buyer: Buyer) => Record<string, string>): Partial<autocannon.Options> {
  let next = 0;
  return {
    method: 'POST',
    setupClient: (client) => {
      const buyer = buyers[next++ % buyers.length]!;
      client.setHeaders({ 'content-type': 'application/json', ...headers(buyer) });
      client.setBody(JSON.stringify(body(buyer)));
    },
    requests: [{ setupRequest: (request) => ({ ...request, headers: { ...request.headers, 'idempotency-key': randomUUID() } }) }],
  };
}
const appCheckout = (buyers: Buyer[]) =>
  checkoutRequests(
    buyers,
    (buyer) => ({ product: 'job_listing', article_id: buyer.article, payment_method: buyer.card }),
  (buyer) => ({ authorization: `Bearer ${buyer.token}` }),
);
const peerCheckout = (buyers: Buyer[]) =>
  checkoutRequests(
    buyers,
    (buyer) => ({ customer: buyer.customer, payment_method: buyer.card, article_id: buyer.article }),
  () => ({}),
);

type Cpu = Record<'app' | 'postgres' | 'postgres_peer' | 'postgres_writers' | 'stripe' | 'peer' | 'durable' | 'load', number>;
const cpuSince = (before: Cpu, after: Cpu) => Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - before[k as keyof Cpu]])) as Cpu;
const cpuSum = (a: Cpu, b: Cpu) => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v + b[k as keyof Cpu]])) as Cpu;
const noCpu: Cpu = { app: 0, postgres: 0, postgres_peer: 0, postgres_writers: 0, stripe: 0, peer: 0, durable: 0, load: 0 };
/** Stripe round trips on the request path: the webhook handlers' re-reads of PaymentIntents aside. */
const isReread = (route: string) => route.startsWith('GET /v1/payment_intents/');

/**
 * One side's measured rounds: req/s over all its rounds, the rounds' median p50 and worst p99.
 * CPU is per PaymentIntent created in its windows, not per answer autocannon counted: the requests
 * in flight when a round ends are abandoned by autocannon but still done by the server.
 */
function side(rounds: autocannon.Result[], cpu: Record<string, number>, stripeCalls: Record<string, number>) {
  const requests = rounds.reduce((s, r) => s + r.requests.total, 0);
  const non2xx = rounds.reduce((s, r) => s + r.non2xx, 0);
  const succeeded = requests - non2xx;
  const creates = stripeCalls['POST /v1/payment_intents'] ?? 0;
  const requestPathCalls = Object.entries(stripeCalls).filter(([route]) => !isReread(route)).reduce((s, [, n]) => s + n, 0);
  return {
    rps: requests / (CHECKOUT_ROUND * rounds.length),
    p50: median(rounds.map((r) => r.latency.p50)),
    p99: Math.max(...rounds.map((r) => r.latency.p99)),
    requests,
    non2xx,
    errors: rounds.reduce((s, r) => s + r.errors, 0),
    succeeded,
    payment_intents_created: creates,
    stripe_calls_per_checkout: creates ? requestPathCalls / creates : null,
    cpu_ms_per_checkout: Object.fromEntries(Object.entries(cpu).map(([k, seconds]) => [k, (seconds * 1000) / Math.max(1, creates)])),
  };
}

/**
 * The app's checkout, the bare peer's and the durable peer's in alternating rounds (app, peer,
 * durable peer, app …), so all meet the same moments of this shared machine; each ratio is the
 * median of the rounds' ratios of successful checkouts. CPU is read from /proc at each round's
 * start, so the windows are contiguous. A side's own processes (the app, or a peer, and the backends
 * of its own PostgreSQL database) count over all windows, as they may finish a round's webhooks in
 * the next; the local Stripe and PostgreSQL's shared writers are split by whose round it was. Each
 * round lasts until the requests it left in flight have reached Stripe and its webhooks have been
 * delivered. Only the side's own webhook endpoint is on in its rounds: another's PaymentIntents are
 * none of its business.
 */
export async function checkoutsAgainstPeers(sides: CheckoutSides, buyers: Buyer[], charges: number) {
  const { base, appWebhooks, stripe, postgres } = sides;
  const appUrl = `${base}/api/v1/charges`;
  /** Until the server has finished what autocannon left in flight (no new PaymentIntent for 300 ms) and its webhooks are delivered. */
  const pause = async () => {
    let last = -1;
    for (let quiet = 0, waited = 0; quiet < 3 && waited < 10_000; waited += 100) {
      const creates = (await stripe.call('requestCounts'))['POST /v1/payment_intents'] ?? 0;
      quiet = creates === last ? quiet + 1 : 0;
      last = creates;
      await sleep(100);
    }
    await stripe.call('webhooksIdle');
  };
  const postgresCpu = postgres && postgresCpuSampler(postgres.app, postgres.peer);
  const cpu = (): Cpu => {
    const own = process.cpuUsage();
    const pgCpu = postgresCpu?.read() ?? { app: 0, peer: 0, writers: 0 };
    return {
      app: cpuSeconds(sides.app().pid!),
      postgres: pgCpu.app,
      postgres_peer: pgCpu.peer,
      postgres_writers: pgCpu.writers,
      stripe: cpuSeconds(stripe.process.pid!),
      peer: cpuSeconds(sides.peer.process.pid!),
      durable: cpuSeconds(sides.durable.process.pid!),
      load: (own.user + own.system) / 1e6,
    };
  };
  const callsSince = (before: Record<string, number>, after: Record<string, number>) =>
    Object.fromEntries(Object.entries(after).map(([route, n]) => [route, n - (before[route] ?? 0)]));
  const addCalls = (into: Record<string, number>, more: Record<string, number>) => {
    for (const [route, n] of Object.entries(more)) into[route] = (into[route] ?? 0) + n;
  };
  const order = [
    { name: 'app', url: appUrl, requests: appCheckout(buyers), webhooks: appWebhooks },
    { name: 'peer', url: sides.peer.url, requests: peerCheckout(buyers), webhooks: null },
    { name: 'durable', url: sides.durable.url, requests: peerCheckout(buyers), webhooks: sides.durable.webhooks },
  ] as const;
  for (const s of order) {
    await stripe.call('enableWebhooksOnly', s.webhooks);
    await attack(s.url, WARMUP, s.requests);
    await pause();
  }
  const measured = order.map(() => ({ rounds: [] as autocannon.Result[], cpu: noCpu, calls: {} as Record<string, number> }));
  const newConnections: number[] = [];
  for (let i = 0; i < CHECKOUT_PAIRS; i++) {
    for (const [k, s] of order.entries()) {
      await stripe.call('enableWebhooksOnly', s.webhooks);
      const [cpu0, calls0] = [cpu(), await stripe.call('requestCounts')];
      const probe = s.name === 'app' ? probeNewConnections(`${base}/assets/app.css`) : undefined;
      measured[k]!.rounds.push(await attack(s.url, CHECKOUT_ROUND, s.requests));
      if (probe) newConnections.push(...(await probe.stop()));
      await pause();
      const [cpu1, calls1] = [cpu(), await stripe.call('requestCounts')];
      measured[k]!.cpu = cpuSum(measured[k]!.cpu, cpuSince(cpu0, cpu1));
      addCalls(measured[k]!.calls, callsSince(calls0, calls1));
    }
  }
  postgresCpu?.stop();
  await stripe.call('enableWebhooksOnly', appWebhooks);
  const [appM, peerM, durableM] = measured as [(typeof measured)[0], (typeof measured)[0], (typeof measured)[0]];
  const all = cpuSum(cpuSum(appM.cpu, peerM.cpu), durableM.cpu);
  const ok = (r: autocannon.Result) => r.requests.total - r.non2xx;
  const against = (other: typeof appM) => {
    const rounds = appM.rounds.map((a, i) => {
      const p = other.rounds[i]!;
      return { app_rps: ok(a) / CHECKOUT_ROUND, peer_rps: ok(p) / CHECKOUT_ROUND, ratio: Number((ok(a) / Math.max(1, ok(p))).toFixed(3)), app_p99: a.latency.p99, peer_p99: p.latency.p99 };
    });
    const ratios = rounds.map((r) => r.ratio);
    return { ratio: median(ratios), ratio_range: [Math.min(...ratios), Math.max(...ratios)], rounds };
  };
  const pg = postgres !== undefined;
  const appSide = side(appM.rounds, { app: all.app, ...(pg ? { postgres: all.postgres + appM.cpu.postgres_writers + peerM.cpu.postgres_writers } : {}), stripe: appM.cpu.stripe }, appM.calls);
  const peerSide = side(peerM.rounds, { peer: all.peer, stripe: peerM.cpu.stripe }, peerM.calls);
  const durableSide = side(durableM.rounds, { peer: all.durable, ...(pg ? { postgres: all.postgres_peer + durableM.cpu.postgres_writers } : {}), stripe: durableM.cpu.stripe }, durableM.calls);
  const bare = against(peerM);
  const durable = against(durableM);
  return {
    charges,
    round_seconds: CHECKOUT_ROUND,
    ...bare,
    app: appSide,
    peer: peerSide,
    durable: { ...durable, peer: durableSide },
    // A fresh connection's whole answer (GET /assets/app.css) during the app's rounds, ms.
    new_connection_ms: { probes: newConnections.length, p50: percentile(newConnections, 50), p99: percentile(newConnections, 99), max: percentile(newConnections, 100) },
    // The app's webhook handlers re-reading PaymentIntents, in any side's rounds.
    webhook_rereads: measured.flatMap((m) => Object.entries(m.calls)).filter(([route]) => isReread(route)).reduce((s, [, n]) => s + n, 0),
    // The bench process's own CPU: autocannon, per request it sent.
    load_cpu_ms_per_request: {
      app: (appM.cpu.load * 1000) / Math.max(1, appSide.requests),
      peer: (peerM.cpu.load * 1000) / Math.max(1, peerSide.requests),
      durable: (durableM.cpu.load * 1000) / Math.max(1, durableSide.requests),
    },
  };
}
