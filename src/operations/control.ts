/**
 * operations: what operators run and what it stands on — the CLIs (*-cli.ts), the DATA_DIR lock, this
 * control channel from a CLI to a running server, metrics, periodic tasks, logging and the start-up
 * banner.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type Database, dumpPglite } from '../db/client.js';
import { parseInput } from '../http/errors.js';
import { reconcile } from '../payments/reconcile.js';
import { replayEvents, replaySelection } from '../payments/webhooks/replay.js';
import { processAlive } from './data-lock.js';

/**
 * The local control channel: how `npm run reconcile`, `webhooks:replay` and `db:backup` ask a running
 * server to do the work, instead of opening its embedded database a second time. The server writes
 * DATA_DIR/control.json (mode 0600: its pid, its loopback URL and a random token) once it listens and
 * removes it when it stops; the routes answer only that token, only from a loopback address.
 */
const CONTROL_FILE = 'control.json';
/** Under /api/ so that errors are JSON and CSRF (for cookie sessions) does not apply; the token is its own header. */
export const CONTROL_PREFIX = '/api/internal/control';
const TOKEN_HEADER = 'x-devboard-control-token';

export interface RunningServer {
  pid: number;
  url: string;
  token: string;
}

/** Writes the control file for this server and returns the token its routes accept. */
export function publishControl(dataDir: string, url: string, token = randomBytes(32).toString('hex')): { token: string; remove(): void } {
  const file = path.join(dataDir, CONTROL_FILE);
  const info: RunningServer = { pid: process.pid, url, token };
  writeFileSync(`${file}.tmp`, JSON.stringify(info), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
  const remove = () => {
    process.off('exit', remove);
    if (readControl(file)?.pid === process.pid) unlinkSync(file);
  };
  process.on('exit', remove);
  return { token, remove };
}

/** The server running on this DATA_DIR, if one is (a control file whose process is gone is ignored). */
export function runningServer(dataDir: string): RunningServer | undefined {
  const info = readControl(path.join(dataDir, CONTROL_FILE));
  return info && processAlive(info.pid) ? info : undefined;
}

function readControl(file: string): RunningServer | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as RunningServer;
  } catch {
    return undefined;
  }
}

/** A progress line or the final line of a streamed control answer (newline-delimited JSON). */
type ControlLine = { progress: { phase: string; done: number; total?: number } } | { result: unknown } | { error: string };

/**
 * Calls a control route; progress lines are handed to `onProgress` as they arrive, the result is
 * returned, an error line is thrown.
 */
export async function callServer<T>(server: RunningServer, route: string, body: unknown, onProgress?: (p: { phase: string; done: number; total?: number }) => void): Promise<T> {
  const res = await fetch(`${server.url}${CONTROL_PREFIX}${route}`, {
    method: 'POST',
    headers: { [TOKEN_HEADER]: server.token, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok || !res.body) throw new Error(`the server answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  let buffered = '';
  const decoder = new TextDecoder();
  const reader = res.body.getReader();
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    buffered += decoder.decode(chunk.value, { stream: true });
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = JSON.parse(buffered.slice(0, newline)) as ControlLine;
      buffered = buffered.slice(newline + 1);
      if ('progress' in line) onProgress?.(line.progress);
      else if ('result' in line) return line.result as T;
      else throw new Error(line.error);
      newline = buffered.indexOf('\n');
    }
  }
  throw new Error('the server closed the answer before its result');
}

/** The server's database dump (PGlite only), as a response body to stream into a file. */
export async function fetchBackup(server: RunningServer): Promise<Response> {
  const res = await fetch(`${server.url}${CONTROL_PREFIX}/backup`, { method: 'POST', headers: { [TOKEN_HEADER]: server.token } });
  if (!res.ok || !res.body) throw new Error(`the server answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return res;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const reconcileBody = z.object({ since: z.coerce.date(), trigger: z.string().max(30).default('cli') }).strict();
const replayBody = z.object({ failed: z.boolean().optional(), ids: z.array(z.string().regex(/^evt_[A-Za-z0-9_]+$/)).max(10_000).optional() }).strict();

/** Answers progress lines and then the result (or an error line) as newline-delimited JSON. */
function streamed(reply: FastifyReply, work: (progress: (p: { phase: string; done: number; total?: number }) => void) => Promise<unknown>) {
  const out = new PassThrough();
  let last = 0;
  const progress = (p: { phase: string; done: number; total?: number }) => {
    // At most ten lines a second: the CLI redraws no faster.
    const now = Date.now();
    if (now - last < 100 && p.done !== p.total) return;
    last = now;
    out.write(`${JSON.stringify({ progress: p })}\n`);
  };
  work(progress).then(
    (result) => out.end(`${JSON.stringify({ result })}\n`),
    (error: unknown) => out.end(`${JSON.stringify({ error: error instanceof Error ? error.message : String(error) })}\n`),
  );
  return reply.type('application/x-ndjson').send(out);
}

export const controlPlugin: FastifyPluginAsync<{ token: string; database: Database }> = async (app, options) => {
  const expected = Buffer.from(options.token);
  const authorized = (request: FastifyRequest) => {
    const given = Buffer.from(String(request.headers[TOKEN_HEADER] ?? ''));
    return LOOPBACK.has(request.socket.remoteAddress ?? '') && given.length === expected.length && timingSafeEqual(given, expected);
  };
  app.addHook('onRequest', async (request, reply) => {
    if (!authorized(request)) return reply.status(403).send({ error: { code: 'forbidden', message: 'Control routes answer the control token from a loopback address only.' } });
  });
  const { stripe, catalog, worker } = app.payments;
  const deps = { db: app.db, clock: app.clock, catalog, stripe };

  app.post('/reconcile', async (request, reply) => {
    const { since, trigger } = parseInput(reconcileBody, request.body);
    return streamed(reply, (progress) => reconcile(deps, { since, trigger, onProgress: progress }));
  });

  app.post('/webhooks/replay', async (request, reply) => {
    const selection = replaySelection(parseInput(replayBody, request.body));
    return streamed(reply, (progress) => replayEvents(app.db, worker, app.clock.now(), selection, (done, total) => progress({ phase: 'webhook events', done, total })));
  });

  app.post('/backup', async (_request, reply) => {
    if (options.database.driver !== 'pglite') return reply.status(409).send({ error: { code: 'not_embedded', message: 'The server uses PostgreSQL: back it up with pg_dump (docs/operations.md).' } });
    const dump = await dumpPglite(options.database, 'gzip');
    return reply.type('application/gzip').send(Buffer.from(await dump.arrayBuffer()));
  });
};
