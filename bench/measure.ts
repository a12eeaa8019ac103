import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import autocannon from 'autocannon';
import { CONNECTIONS, DURATION, ROUNDS, WARMUP } from './config.js';
import { sleep } from './lib.js';

/** What the bench reads from /proc and autocannon: CPU per process, load rounds and their figures. */

/** CPU seconds (user + system) a process has used, from /proc: the app's own, not the emulator's. */
export function cpuSeconds(pid: number | string): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0; // the process ended between listing and reading
  }
}

/**
 * CPU seconds of the PostgreSQL server processes working for this run (a local server only): the
 * backends of the app's scratch database, of the durable peer's, and the writers every commit goes
 * through. Other databases' backends on a shared server are left out. A backend's CPU leaves /proc
 * with it when its connection closes, as a pool closes connections idle for 10 s during the other
 * sides' rounds; so the processes are read every 250 ms and each keeps its last reading: the totals
 * only grow (a closing backend's last moments are idle ones).
 */
export function postgresCpuSampler(appDatabaseUrl: string, peerDatabaseUrl: string) {
  const name = (url: string) => new URL(url).pathname.slice(1);
  const kinds = { app: ` ${name(appDatabaseUrl)} `, peer: ` ${name(peerDatabaseUrl)} ` };
  const seen = new Map<string, { kind: 'app' | 'peer' | 'writers'; cpu: number }>();
  /** Not PostgreSQL's at all (a backend just forked still has the server's command line, which names it). */
  const others = new Set<string>();
  const kindOf = (cmdline: string) => {
    if (!cmdline.startsWith('postgres: ')) return undefined; // a backend just forked has the server's command line until it names itself
    if (cmdline.includes(kinds.app)) return 'app';
    if (cmdline.includes(kinds.peer)) return 'peer';
    return /: (?:walwriter|checkpointer|background writer)/.test(cmdline) ? 'writers' : undefined;
  };
  const sample = () => {
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      let process = seen.get(pid);
      if (!process) {
        if (others.has(pid)) continue;
        let cmdline: string;
        try {
          cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        } catch {
          continue; // gone
        }
        const kind = kindOf(cmdline);
        if (!cmdline.includes('postgres')) others.add(pid);
        if (!kind) continue;
        process = { kind, cpu: 0 };
        seen.set(pid, process);
      }
      process.cpu = Math.max(process.cpu, cpuSeconds(pid));
    }
  };
  sample();
  const timer = setInterval(sample, 250).unref();
  return {
    read(): { app: number; peer: number; writers: number } {
      sample();
      const total = { app: 0, peer: 0, writers: 0 };
      for (const { kind, cpu } of seen.values()) total[kind] += cpu;
      return total;
    },
    stop: () => clearInterval(timer),
  };
}

export interface Load {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
}

export const attack = (url: string, seconds: number, options: Partial<autocannon.Options> = {}) =>
  new Promise<autocannon.Result>((resolve, reject) =>
    autocannon({ url, connections: CONNECTIONS, duration: seconds, ...options }, (err, result) => (err ? reject(err) : resolve(result))),
  );

/** Warm-up, then the measured window. */
export async function load(url: string, options: Partial<autocannon.Options> = {}): Promise<Load> {
  await attack(url, WARMUP, options);
  const r = await attack(url, DURATION, options);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, requests: r.requests.total, non2xx: r.non2xx, errors: r.errors };
}

export const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * A route against the baseline in alternating rounds (baseline, route, baseline, route …), so both
 * are measured at the same moments of this shared machine. The ratio is the median of the rounds'
 * ratios; req/s is the route's requests over its whole window, p50 the rounds' median, p99 their worst.
 * The baseline's rounds are added to `baselineRounds`.
 */
export async function paired(url: string, baselineUrl: string, baselineRounds: autocannon.Result[]): Promise<Load & { ratio: number }> {
  await attack(baselineUrl, WARMUP);
  await attack(url, WARMUP);
  const rounds: Array<{ route: autocannon.Result; baseline: autocannon.Result }> = [];
  for (let i = 0; i < ROUNDS; i++) {
    const baseline = await attack(baselineUrl, DURATION / ROUNDS);
    const route = await attack(url, DURATION / ROUNDS);
    baselineRounds.push(baseline);
    rounds.push({ route, baseline });
  }
  const sum = (f: (r: autocannon.Result) => number) => rounds.reduce((s, { route }) => s + f(route), 0);
  return {
    rps: sum((r) => r.requests.total) / DURATION,
    p50: median(rounds.map(({ route }) => route.latency.p50)),
    p99: Math.max(...rounds.map(({ route }) => route.latency.p99)),
    requests: sum((r) => r.requests.total),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    ratio: Number(median(rounds.map(({ route, baseline }) => route.requests.average / baseline.requests.average)).toFixed(3)),
  };
}

/**
 * A new buyer arriving while the app is under checkout load: every 100 ms a fresh connection asks for
 * the stylesheet (no database), and the time until the whole answer is back is kept. It is what a
 * saturated event loop makes a new connection wait (to be accepted, read and answered).
 */
export function probeNewConnections(url: string) {
  const times: number[] = [];
  let running = true;
  const once = () =>
    new Promise<void>((resolve) => {
      const start = performance.now();
      const request = http.get(url, { agent: false }, (response) => {
        response.resume();
        response.on('end', () => {
          times.push(performance.now() - start);
          resolve();
        });
      });
      request.on('error', () => resolve());
    });
  const loop = (async () => {
    while (running) await Promise.all([once(), sleep(100)]);
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return times;
    },
  };
}

export const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length ? Number(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(1)) : null;
};

