import type { Db } from './client.js';

/**
 * A hot query, built once per database handle and named: drizzle does not rebuild its SQL on every
 * call, and PostgreSQL parses and plans it once per connection. Values go in as `sql.placeholder`s.
 * Only for queries outside a transaction (a prepared query is bound to the handle it was built on).
 */
export function prepared<Q>(build: (db: Db) => Q): (db: Db) => Q {
  const built = new WeakMap<Db, Q>();
  return (db) => {
    let query = built.get(db);
    if (!query) {
      query = build(db);
      built.set(db, query);
    }
    return query;
  };
}
