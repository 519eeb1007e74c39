import type pg from 'pg';

/** A secondary index of the record, by its definition (as pg_indexes gives it). */
export interface IndexDefinition {
  table: string;
  name: string;
  definition: string;
}

/**
 * The secondary indexes of `tables` (not those behind a primary key or a unique constraint,
 * which carry invariants and stay): a bulk load into an empty record is several times faster
 * without them, and each is then built once, sorted, from its saved definition, so the schema
 * comes back exactly as it was. On a partitioned table they are the parent's indexes (dropping
 * and creating one covers every partition).
 */
export async function secondaryIndexes(
  sql: pg.Client,
  tables: string[],
): Promise<IndexDefinition[]> {
  const { rows } = await sql.query<{ table: string; name: string; definition: string }>(
    `SELECT c.relname AS table, i.relname AS name, pg_get_indexdef(i.oid) AS definition
       FROM pg_index x
       JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_class c ON c.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relname = ANY($1::text[])
        AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.oid)
        AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.oid)
      ORDER BY c.relname, i.relname`,
    [tables],
  );
  // A partitioned table's index reads `ON ONLY parent` (made alone, attached partition by
  // partition): built again from the parent, it must cover every partition.
  return rows.map((r) => ({ ...r, definition: r.definition.replace(' ON ONLY ', ' ON ') }));
}

export async function dropIndexes(sql: pg.Client, indexes: IndexDefinition[]): Promise<void> {
  for (const index of indexes) await sql.query(`DROP INDEX "${index.name}"`);
}

/** Builds the indexes again, `connections.length` at a time; each one's build time in ms. */
export async function createIndexes(
  connections: pg.Client[],
  indexes: IndexDefinition[],
  onBuilt: (index: IndexDefinition, ms: number) => void,
): Promise<void> {
  const queue = [...indexes];
  await Promise.all(
    connections.map(async (sql) => {
      for (let index = queue.shift(); index; index = queue.shift()) {
        const started = performance.now();
        await sql.query(index.definition);
        onBuilt(index, performance.now() - started);
      }
    }),
  );
}
