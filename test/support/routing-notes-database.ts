import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { createMigratedDatabase } from './scratch-database.js';

/** A test file's own migrated database, a client on it, and the routing caches' notifications. */
export interface RoutingNotesDatabase {
  /** The file's client (set once the file's `beforeAll` hooks run). */
  readonly sql: pg.Client;
  /** The routing cache notifications delivered since the last call (each after its commit). */
  routingNotes(): Promise<string[]>;
}

/**
 * For the tests of what follows the record's writes: a migrated database of the file's own, a
 * client on it (`seed` runs on it once), and a second client listening on `axb_routing_cache`,
 * the routing caches' channel. Registers the file's beforeAll/afterAll; call it at the top level.
 */
export function routingNotesDatabase(
  seed: (sql: pg.Client) => Promise<void> = async () => undefined,
): RoutingNotesDatabase {
  let db: { url: string; drop: () => Promise<void> } | undefined;
  let sql: pg.Client | undefined;
  let listener: pg.Client | undefined;
  const notes: string[] = [];
  beforeAll(async () => {
    db = await createMigratedDatabase();
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    listener.on('notification', (n) => notes.push(n.payload ?? ''));
    await listener.query('LISTEN axb_routing_cache');
    await seed(sql);
  });
  afterAll(async () => {
    await listener?.end();
    await sql?.end();
    await db?.drop();
  });
  return {
    get sql() {
      if (!sql) throw new Error('routingNotesDatabase: used before its beforeAll ran');
      return sql;
    },
    async routingNotes() {
      // (a round trip on the listener: notifications committed before it have arrived)
      await listener!.query('SELECT 1');
      return notes.splice(0);
    },
  };
}
