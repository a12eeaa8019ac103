// The worker thread's side of PgliteThread (pglite-thread.ts): the embedded database itself. Plain
// JavaScript so that any Node starts it without a TypeScript loader. It opens PGlite, says it is
// ready, then answers each request by id; a transaction stays open across requests until its end.
import { parentPort, workerData } from 'node:worker_threads';
import { messages, PGlite } from '@electric-sql/pglite';

const pglite = await PGlite.create({
  dataDir: workerData.dataDir,
  loadDataDir: workerData.loadDataDir ? new Blob([workerData.loadDataDir]) : undefined,
});

/** Open transactions by id: the PGlite transaction, and how to end it once the main side says so. */
const transactions = new Map();
/** The rejection that ends a transaction the main side rolls back: PGlite rolls back on any rejection. */
const ROLLBACK = Symbol('rollback');

/** Parsers that keep a column's text as it is, by the type OIDs the main side lists. */
const keepAsText = new Map();
function textParsers(oids) {
  if (!oids?.length) return undefined;
  const key = oids.join(',');
  let parsers = keepAsText.get(key);
  if (!parsers) {
    parsers = Object.fromEntries(oids.map((oid) => [oid, (value) => value]));
    keepAsText.set(key, parsers);
  }
  return parsers;
}

/** An error's own fields (SQLSTATE code, constraint, detail …) cross; its query options hold functions. */
function serializeError(error) {
  if (!(error instanceof Error)) return { message: String(error), fields: {} };
  const { queryOptions: _functions, ...fields } = error;
  return { message: error.message, name: error.name, database: error instanceof messages.DatabaseError, fields };
}

const reply = (id, result, transfer) => parentPort.postMessage({ id, result }, transfer);
const fail = (id, error) => parentPort.postMessage({ id, error: serializeError(error) });

async function handle(request) {
  switch (request.op) {
    case 'query': {
      const target = request.tx === undefined ? pglite : transactions.get(request.tx)?.tx;
      if (!target) throw new Error('Transaction is closed');
      const { rows, fields, affectedRows } = await target.query(request.sql, request.params, {
        rowMode: request.rowMode,
        parsers: textParsers(request.textOids),
      });
      return reply(request.id, { rows, fields, affectedRows });
    }
    case 'begin': {
      let began = false;
      pglite
        .transaction((tx) => {
          began = true;
          const ended = new Promise((resolve, reject) => transactions.set(request.id, { tx, resolve, reject }));
          reply(request.id, request.id);
          return ended;
        })
        .then(
          () => undefined,
          (error) => (error === ROLLBACK ? undefined : error),
        )
        .then((error) => {
          const open = transactions.get(request.id);
          transactions.delete(request.id);
          const to = began ? open.endId : request.id;
          if (error) fail(to, error);
          else reply(to, null);
        });
      return;
    }
    case 'end': {
      const open = transactions.get(request.tx);
      if (!open || open.endId !== undefined) throw new Error('Transaction is closed');
      open.endId = request.id;
      if (request.commit) open.resolve();
      else open.reject(ROLLBACK);
      return;
    }
    case 'dump': {
      const dump = await (await pglite.dumpDataDir(request.compression)).arrayBuffer();
      return reply(request.id, dump, [dump]);
    }
    case 'close':
      await pglite.close();
      return reply(request.id, null);
    default:
      throw new Error(`unknown request ${request.op}`);
  }
}

parentPort.on('message', (request) => handle(request).catch((error) => fail(request.id, error)));
parentPort.postMessage({ ready: true });
