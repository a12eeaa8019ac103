import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** Rewrites the results table in docs/benchmarks.md from the JSON files in bench/results. */
export function writeReport(): void {
  const files = ['latest', 'latest-postgres', 'quick', 'quick-postgres'].map((n) => `bench/results/${n}.json`).filter(existsSync);
  const runs = files.map((f) => ({ file: f, r: JSON.parse(readFileSync(f, 'utf8')) as Record<string, any> }));
  const fmt = (n: number | null | undefined, digits = 0) => (n === null || n === undefined || Number.isNaN(n) ? '—' : n.toFixed(digits));
  const lines: string[] = [];
  for (const { file, r } of runs) {
    lines.push(`### ${r.driver === 'postgres' ? 'PostgreSQL' : 'PGlite (embedded)'}, ${r.quick ? 'quick' : 'full'} run — \`${file}\``);
    lines.push('');
    lines.push(`${r.date} · ${r.machine} · ${r.connections} connections, ${r.window_seconds} s measured after a warm-up · dataset ${r.growth.articles[1]} articles / ${r.growth.charges[1]} charges`);
    lines.push('');
    lines.push('| route | req/s | ratio to baseline | p50 ms | p99 ms |');
    lines.push('|---|---:|---:|---:|---:|');
    lines.push(`| baseline: bare Fastify, ${r.baseline.body_bytes} B JSON from memory (${r.baseline.rounds} rounds, alternating with the /jobs routes) | ${fmt(r.baseline.rps)} | 1 | ${r.baseline.p50} | ${r.baseline.p99} |`);
    for (const [route, v] of Object.entries(r.routes as Record<string, any>)) {
      lines.push(`| ${route} | ${fmt(v.rps)} | ${fmt(v.ratio, 3)} | ${v.p50} | ${v.p99} |`);
    }
    const c = r.checkouts;
    lines.push(`| POST /api/v1/charges (returning buyer, saved card) | ${fmt(c.rps)} | ${fmt(c.rps / r.baseline.rps, 4)} | ${c.p50} | ${c.p99} |`);
    const w = r.webhooks;
    lines.push(`| POST /webhooks/stripe (signed, 20% duplicates) | ${fmt(w.rps)} accepted, ${fmt(w.processed_per_second)} processed | ${fmt(w.rps / r.baseline.rps, 3)} | ${w.p50} | ${w.p99} |`);
    lines.push('');
    if (r.checkouts_against_peer?.large.durable) lines.push(...durablePeerTables(r.checkouts_against_peer, r.driver === 'postgres', fmt), '');
    if (r.durable_peer_orders) lines.push(`- The durable peer's orders after the run: ${r.durable_peer_orders.orders}, ${r.durable_peer_orders.paid} paid, ${r.durable_peer_orders.fulfilled} fulfilled from their webhook.`, '');
    if (r.checkouts_against_peer) lines.push(...peerTables(r.checkouts_against_peer, r.driver === 'postgres', fmt), '');
    lines.push(`- Growth, /jobs throughput (as a ratio to the baseline) at ${r.growth.articles[0]} articles ÷ at ${r.growth.articles[1]}: API ${fmt(r.growth.api_jobs_small_over_large, 2)}, HTML ${fmt(r.growth.html_jobs_small_over_large, 2)} (1.00 = flat).`);
    if (r.growth.checkouts_large_over_small !== undefined) {
      lines.push(`- Growth, checkout throughput (as a ratio to the peer) at ${r.growth.charges[1]} charges ÷ at ${r.growth.charges[0]}: ${fmt(r.growth.checkouts_large_over_small, 2)}${r.growth.checkouts_large_over_small_durable === undefined ? '' : `, to the durable peer ${fmt(r.growth.checkouts_large_over_small_durable, 2)}`} (1.00 = flat).`);
    }
    lines.push(`- Stripe calls: returning buyer with a saved card ${fmt(c.stripe_calls_per_checkout, 2)} per checkout; first-time buyer ${r.stripe_calls_first_time_buyer}; listing saved cards ${r.stripe_calls_list_saved_cards}.`);
    const others = [
      c.postgres_cpu_ms_per_checkout === undefined ? null : `PostgreSQL ${fmt(c.postgres_cpu_ms_per_checkout, 1)} ms`,
      c.stripe_cpu_ms_per_checkout === undefined ? null : `local Stripe ${fmt(c.stripe_cpu_ms_per_checkout, 1)} ms`,
      c.stripe_and_load_cpu_ms_per_checkout === undefined ? null : `local Stripe + autocannon ${fmt(c.stripe_and_load_cpu_ms_per_checkout, 1)} ms`,
    ].filter(Boolean);
    lines.push(`- App CPU per checkout${r.checkouts_against_peer ? ', large dataset' : ''}: ${fmt(c.app_cpu_ms_per_checkout, 1)} ms (user + system of the app process only, from /proc, over the measured window)${others.length ? `; beside it, ${others.join(', ')}` : ''}; non-2xx during the checkout load: ${c.non2xx}${r.checkouts_against_peer ? `, the peer's ${r.checkouts_against_peer.large.peer.non2xx}` : ''}.`);
    lines.push('');
  }
  const doc = readFileSync('docs/benchmarks.md', 'utf8');
  const start = '<!-- results:start -->';
  const end = '<!-- results:end -->';
  const before = doc.slice(0, doc.indexOf(start) + start.length);
  const after = doc.slice(doc.indexOf(end));
  writeFileSync('docs/benchmarks.md', `${before}\n${lines.join('\n')}\n${after}`);
}

type Fmt = (n: number | null | undefined, digits?: number) => string;

/** The app's checkout against the durable peer (bench/durable-peer.ts) at each dataset size: the issue's measure. */
function durablePeerTables(sizes: Record<string, any>, postgres: boolean, fmt: Fmt): string[] {
  const runs = Object.values(sizes);
  const lines = [
    `Checkouts against the **durable peer** (stores the order, derived idempotency key, fulfils from the signed webhook deduplicated by event id), alternating ${runs[0].round_seconds} s rounds with the bare peer's, app first:`,
    '',
    '| charges in the database | app checkouts/s | durable peer checkouts/s | app ÷ durable peer, median (range) | each round (p99 ms, app / durable peer) | app p50 / p99 ms | durable peer p50 / p99 ms |',
    '|---:|---:|---:|---:|---|---:|---:|',
  ];
  for (const s of runs) {
    const d = s.durable;
    lines.push(
      `| ${s.charges} | ${fmt(s.app.rps)} | ${fmt(d.peer.rps)} | ${fmt(d.ratio, 3)} (${fmt(d.ratio_range[0], 3)}–${fmt(d.ratio_range[1], 3)}) | ${d.rounds.map((x: { ratio: number; app_p99: number; peer_p99: number }) => `${fmt(x.ratio, 2)} (p99 ${x.app_p99} / ${x.peer_p99})`).join(', ')} | ${s.app.p50} / ${s.app.p99} | ${d.peer.p50} / ${d.peer.p99} |`,
    );
  }
  lines.push('', `| CPU ms per checkout | app or durable peer | ${postgres ? 'PostgreSQL | ' : ''}local Stripe | autocannon, per request |`, `|---|---:|${postgres ? '---:|' : ''}---:|---:|`);
  for (const s of runs) {
    const app = s.app.cpu_ms_per_checkout;
    const peer = s.durable.peer.cpu_ms_per_checkout;
    lines.push(`| app's checkout, ${s.charges} charges | ${fmt(app.app, 2)} | ${postgres ? `${fmt(app.postgres, 2)} | ` : ''}${fmt(app.stripe, 2)} | ${fmt(s.load_cpu_ms_per_request.app, 2)} |`);
    lines.push(`| durable peer's checkout, ${s.charges} charges | ${fmt(peer.peer, 2)} | ${postgres ? `${fmt(peer.postgres, 2)} | ` : ''}${fmt(peer.stripe, 2)} | ${fmt(s.load_cpu_ms_per_request.durable, 2)} |`);
  }
  return lines;
}

/** The app's checkout against the peer at each dataset size: throughput, latency, then CPU per checkout by process. */
function peerTables(sizes: Record<string, any>, postgres: boolean, fmt: Fmt): string[] {
  const runs = Object.values(sizes);
  const lines = [
    `Checkouts against the bare peer (bare Fastify + the SDK, stores nothing), alternating ${runs[0].round_seconds} s rounds, app first:`,
    '',
    '| charges in the database | app checkouts/s | peer checkouts/s | app ÷ peer, median (range) | each round (p99 ms, app / peer) | app p50 / p99 ms | peer p50 / p99 ms |',
    '|---:|---:|---:|---:|---|---:|---:|',
  ];
  for (const s of runs) {
    lines.push(
      `| ${s.charges} | ${fmt(s.app.rps)} | ${fmt(s.peer.rps)} | ${fmt(s.ratio, 3)} (${fmt(s.ratio_range[0], 3)}–${fmt(s.ratio_range[1], 3)}) | ${s.rounds.map((x: { ratio: number; app_p99?: number; peer_p99?: number }) => `${fmt(x.ratio, 2)}${x.app_p99 === undefined ? '' : ` (p99 ${x.app_p99} / ${x.peer_p99})`}`).join(', ')} | ${s.app.p50} / ${s.app.p99} | ${s.peer.p50} / ${s.peer.p99} |`,
    );
  }
  lines.push('', `| CPU ms per checkout | app | ${postgres ? 'PostgreSQL | ' : ''}local Stripe | peer | autocannon, per request |`, `|---|---:|${postgres ? '---:|' : ''}---:|---:|---:|`);
  for (const s of runs) {
    const app = s.app.cpu_ms_per_checkout;
    const peer = s.peer.cpu_ms_per_checkout;
    lines.push(`| app's checkout, ${s.charges} charges | ${fmt(app.app, 2)} | ${postgres ? `${fmt(app.postgres, 2)} | ` : ''}${fmt(app.stripe, 2)} | — | ${fmt(s.load_cpu_ms_per_request.app, 2)} |`);
    lines.push(`| peer's checkout, ${s.charges} charges | — | ${postgres ? '— | ' : ''}${fmt(peer.stripe, 2)} | ${fmt(peer.peer, 2)} | ${fmt(s.load_cpu_ms_per_request.peer, 2)} |`);
  }
  const probed = runs.filter((s) => s.new_connection_ms);
  if (probed.length) {
    const probes = probed.map((s) => `${s.charges} charges: p50 ${fmt(s.new_connection_ms.p50, 1)}, p99 ${fmt(s.new_connection_ms.p99, 1)}, worst ${fmt(s.new_connection_ms.max, 1)} ms of ${s.new_connection_ms.probes}`);
    lines.push('', `- A new connection during the app's checkout rounds (a fresh one every 100 ms, GET /assets/app.css, until the whole answer): ${probes.join('; ')}.`);
  }
  return lines;
}
