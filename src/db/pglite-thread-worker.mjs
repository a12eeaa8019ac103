// The worker thread's side of PgliteThread (pglite-thread.ts): the embedded database itself. Plain
// JavaScript so that any Node starts it without a TypeScript loader. It opens PGlite, says it is
// ready, then answers each request by id; a transaction stays open across requests until its end.
import { parentPort, workerData } from 'node:worker_threads';
import { messages, parse, PGlite, protocol } from '@electric-sql/pglite';

const pglite = await PGlite.create({
  dataDir: workerData.dataDir,
  loadDataDir: workerData.loadDataDir ? new Blob([workerData.loadDataDir]) : undefined,
});

/** Open transactions by id: the PGlite transaction, and how to end it once the main side says so. */
const transactions = new Map();
/** The rejection that ends a transaction the main side rolls back: PGlite rolls back on any rejection. */
const ROLLBACK = Symbol('rollback');

/**
 * PGlite's parsers with those of the given type OIDs keeping the text as it is. Built once per list
 * and passed as the parsers themselves: given as a query option, PGlite copies its 300-odd parsers
 * into a new object for every statement. PGlite's own stay the prototype, so they are looked up live.
 */
const keepAsText = new Map();
function textParsers(oids) {
  if (!oids?.length) return pglite.parsers;
  const key = oids.join(',');
  let parsers = keepAsText.get(key);
  if (!parsers) {
    parsers = Object.assign(Object.create(pglite.parsers), Object.fromEntries(oids.map((oid) => [oid, (value) => value])));
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

/**
 * Statements prepared once, by their text (most recently used last): PGlite's own `query` parses,
 * describes, binds and executes in six calls into the database for every statement, and plans it
 * again each time. Here a statement seen before is one call (bind, describe, execute, sync) on its
 * named prepared statement. Bounded: texts that vary (an IN list's length) push the oldest out.
 */
const statements = new Map();
const STATEMENTS_KEPT = 256;
let statementSeq = 0;
const { serialize } = protocol;
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
};

async function preparedStatement(sql) {
  const known = statements.get(sql);
  if (known) {
    statements.delete(sql);
    statements.set(sql, known);
    return known;
  }
  const name = `s${++statementSeq}`;
  const evicted = statements.size >= STATEMENTS_KEPT ? statements.entries().next().value : undefined;
  if (evicted) statements.delete(evicted[0]);
  const { messages: described } = await pglite.execProtocol(
    concat(
      ...(evicted ? [serialize.close({ type: 'S', name: evicted[1].name })] : []),
      serialize.parse({ name, text: sql }),
      serialize.describe({ type: 'S', name }),
      serialize.sync(),
    ),
    { syncToFs: false },
  );
  const statement = { name, paramOids: parse.parseDescribeStatementResults(described) };
  statements.set(sql, statement);
  return statement;
}

/** What PGlite's `query` does, on a prepared statement, holding PGlite's query lock as it does. */
function runQuery(sql, params = [], { rowMode, parsers }, inTransaction) {
  const options = { rowMode };
  return pglite._runExclusiveQuery(async () => {
    const statement = await preparedStatement(sql);
    const values = params.map((param, i) => {
      if (param === null || param === undefined) return null;
      const serializer = pglite.serializers[statement.paramOids[i]];
      return serializer ? serializer(param) : param.toString();
    });
    const { messages: results } = await pglite.execProtocol(
      concat(serialize.bind({ statement: statement.name, values }), serialize.describe({ type: 'P' }), serialize.execute({}), serialize.sync()),
      { syncToFs: false },
    );
    if (!inTransaction) await pglite.syncToFs();
    return parse.parseResults(results, parsers, options)[0];
  });
}

const reply = (id, result, transfer) => parentPort.postMessage({ id, result }, transfer);
const fail = (id, error) => parentPort.postMessage({ id, error: serializeError(error) });

async function handle(request) {
  switch (request.op) {
    case 'query': {
      const options = { rowMode: request.rowMode, parsers: textParsers(request.textOids) };
      let result;
      if (request.tx === undefined) {
        result = await pglite._runExclusiveTransaction(() => runQuery(request.sql, request.params, options, false));
      } else {
        const tx = transactions.get(request.tx)?.tx;
        if (!tx || tx.closed) throw new Error('Transaction is closed');
        result = await runQuery(request.sql, request.params, options, true);
      }
      const { rows, fields, affectedRows } = result;
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
