import type pg from 'pg';

/**
 * `work` inside BEGIN … COMMIT on `client`; on a failure rolled back and the failure rethrown
 * (a rollback that fails too, its connection gone, does not hide the first error).
 */
export async function inTransaction<T>(
  client: pg.PoolClient,
  work: (client: pg.PoolClient) => Promise<T>,
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
