import pg from 'pg';

/**
 * Runs `use` on a connection of its own (plans are cached per connection from their first use)
 * with auto_explain logging every statement's plan, nested ones included, as notices: the plans.
 */
export async function explained(
  url: string,
  use: (client: pg.Client) => Promise<void>,
): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const plans: string[] = [];
  client.on('notice', (n) => plans.push(n.message ?? ''));
  try {
    await client.query(`LOAD 'auto_explain'`);
    await client.query(`SET auto_explain.log_min_duration = 0`);
    await client.query(`SET auto_explain.log_nested_statements = on`);
    await client.query(`SET auto_explain.log_level = notice`);
    await client.query(`SET client_min_messages = notice`);
    await use(client);
  } finally {
    await client.end();
  }
  return plans;
}
