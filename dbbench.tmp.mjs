import pg from 'pg';
const c = new pg.Client({ connectionString: 'postgresql://postgres@127.0.0.1:5432/axb_wt10_scratch' });
await c.connect();
const N = Number(process.argv[2] ?? 1000);
const PLACE = `SELECT * FROM place_binding($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11, $12, $13, $14)`;
const BOUND = `WITH b AS (UPDATE bindings SET state='active', subs_id=$2, updated_at=$3::timestamptz WHERE id=$1::uuid AND state='pending' RETURNING *), e AS (INSERT INTO binding_events (binding_id, kind, actor, at, details) SELECT id, 'bound', $4, $3::timestamptz, $5::jsonb FROM b) SELECT * FROM b`;
const exp = new Date(Date.now() + 3600e3);
const run = Date.now();
for (let i = 0; i < N; i++) {
  const now = new Date();
  const { rows } = await c.query({ name: 'p', text: PLACE, values: [`o-${run}-${i}`, false, exp, 'b', '{}', now, 'P', `137${run % 1e5}${i}`, `139${run % 1e5}${i}`, '杭州', false, null, [], 200] });
  await c.query({ name: 'b', text: BOUND, values: [rows[0].id, `s${i}`, now, 'b', '{}'] });
}
await c.end();
