import type pg from 'pg';

/** How long a drop waits for the database's own sessions to go before it ends them, ms. */
const IDLE_WAIT_MS = 5_000;
const IDLE_POLL_MS = 25;

/**
 * DROP DATABASE once its sessions have gone, ending only those still there after IDLE_WAIT_MS
 * (WITH (FORCE)). A pool's end() answers before its sockets have closed: a forced drop at once
 * sent those sessions "terminating connection due to administrator command" (57P01), which a
 * client already taken out of its pool raises as an uncaught error in the process that owned it.
 */
export async function dropDatabase(admin: pg.Client, name: string): Promise<void> {
  const deadline = Date.now() + IDLE_WAIT_MS;
  for (let tries = Math.ceil(IDLE_WAIT_MS / IDLE_POLL_MS); tries > 0; tries -= 1) {
    const { rows } = await admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
      [name],
    );
    if (rows[0]!.n === 0 || Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, IDLE_POLL_MS));
  }
  await admin.query(`DROP DATABASE IF EXISTS "${name.replaceAll('"', '""')}" WITH (FORCE)`);
}
