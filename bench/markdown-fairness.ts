/**
 * `npm run bench:markdown-fairness [-- --attackers 5 --saves 20]`: how long one member's one-line
 * save takes while other members flood the Markdown workers. The app runs from its sources on a
 * fresh embedded DATA_DIR with its rate limits on; each attacker saves 100 KB of `- a` list items
 * `--saves` times (the per-minute allowance), keeping as many saves in flight as the app takes (a
 * 429 `rendering_busy` is retried after 50 ms). Meanwhile a victim saves a one-line article every
 * 3 s (within the same allowance). Prints the victim's latencies (median, max) and the attackers' counts by status.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ApiClient, apiClient } from '../scripts/api/client.js';
import { arg, freePort, sleep, spawnApp, stopApp, waitHealthy } from './lib.js';

const ATTACKERS = arg('attackers', 5);
const SAVES = arg('saves', 20);
const LANES = 4;
const dataDir = mkdtempSync(path.join(tmpdir(), 'devboard-fairness-'));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const app = spawnApp({ ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, DATABASE_URL: '', DEMO_DATA: '0', LOG_LEVEL: 'warn', RECONCILE_INTERVAL_MINUTES: '0' });

/** A member signed up through the API, as a client sending their token. */
async function member(name: string): Promise<ApiClient> {
  const account = { username: name, email: `${name}@bench.test`, password: 'fairness bench password' };
  const anonymous = apiClient(base);
  // Sign-ups are limited per address (5 a minute): the sixth member waits for its turn, as a person would.
  for (;;) {
    const signup = await anonymous.POST('/api/v1/users', { body: account });
    if (signup.response.status !== 429) break;
    await sleep(1_000 * Number(signup.response.headers.get('retry-after') ?? 5));
  }
  const { data, error, response } = await anonymous.POST('/api/v1/tokens', { body: account });
  if (!data) throw new Error(`${name} got no token: ${response.status} ${JSON.stringify(error)}`);
  return apiClient(base, data.token);
}

const save = (client: ApiClient, body_markdown: string) =>
  client.POST('/api/v1/articles', { body: { title: 'Fairness', body_markdown } }).then(({ error, response }) => (response.status === 201 ? '201' : `${response.status} ${error?.error.code}`));

try {
  await waitHealthy(base, app);
  const victim = await member('victim');
  const attackers: ApiClient[] = [];
  for (let i = 0; i < ATTACKERS; i++) attackers.push(await member(`attacker${i}`));
  const list = '- a\n'.repeat(25_000);
  const statuses = new Map<string, number>();
  let attacking = true;
  const attack = Promise.all(
    attackers.map(async (client) => {
      let left = SAVES;
      await Promise.all(
        Array.from({ length: LANES }, async () => {
          while (left > 0) {
            left--;
            let status = await save(client, list);
            while (status === '429 rendering_busy') {
              await sleep(50);
              status = await save(client, list);
            }
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
          }
        }),
      );
    }),
  ).finally(() => {
    attacking = false;
  });
  const latencies: number[] = [];
  const victimRefusals: string[] = [];
  await sleep(1_000);
  while (attacking) {
    const t0 = performance.now();
    const status = await save(victim, 'One line.');
    if (status === '201') latencies.push(performance.now() - t0);
    else victimRefusals.push(status);
    await sleep(3_000);
  }
  await attack;
  latencies.sort((a, b) => a - b);
  const ms = (v: number) => `${Math.round(v)} ms`;
  console.log(`victim: ${latencies.length} saves during the attack, median ${ms(latencies[Math.floor(latencies.length / 2)] ?? 0)}, max ${ms(latencies.at(-1) ?? 0)}`);
  if (victimRefusals.length > 0) console.log(`victim refused: ${victimRefusals.join(', ')}`);
  console.log(`attackers: ${[...statuses].map(([status, n]) => `${n} × ${status}`).join(', ')}`);
} finally {
  await stopApp(app);
  rmSync(dataDir, { recursive: true, force: true });
}
