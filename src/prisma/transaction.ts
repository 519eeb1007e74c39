import type pg from 'pg';

/**
 * `work` inside BEGIN … COMMIT on `client`; on a failure rolled back and the failure rethrown
 * (a rollback that fails too, its connection gone, does not hide the first error).
 */
export async function inTransaction<C extends pg.ClientBase, T>(
  client: C,
  work: (client: C) => Promise<T>,
): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
