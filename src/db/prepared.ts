import type { Executor } from './client.js';

/** What both drivers' sessions and prepared queries have in common: the connection they run on. */
interface OnConnection {
  client: unknown;
}

/**
 * A hot query, built once and named: drizzle does not rebuild its SQL on every call, and
 * PostgreSQL parses and plans it once per connection. Values go in as `sql.placeholder`s.
 *
 * Works on the database and inside a transaction. Drizzle binds a prepared query to the connection
 * of the handle it was built on and cannot prepare inside a transaction (drizzle-orm #613, #2826);
 * both drivers' prepared queries keep that connection in `client`, so the query built once is
 * handed out as a copy whose `client` is the executor's own. test/prepared.test.ts pins this.
 */
export function prepared<Q extends object>(build: (db: Executor) => Q): (db: Executor) => Q {
  // Per driver: a PGlite query and a node-postgres query differ in how they run.
  const built = new Map<unknown, Q>();
  return (db) => {
    const session = (db as unknown as { _: { session: OnConnection } })._.session;
    const driver = Object.getPrototypeOf(session);
    let query = built.get(driver);
    if (!query) {
      query = build(db);
      built.set(driver, query);
    }
    if ((query as OnConnection).client === session.client) return query;
    return Object.assign(Object.create(Object.getPrototypeOf(query)) as Q, query, { client: session.client });
  };
}
