/**
 * SQL for "the binding a provider report belongs to", for a row alias `r` with columns sub_id,
 * out_id, pool_key and at (when the call was placed): by the provider's SubsId, else by the order
 * id echoed in the report (the order's binding live at that time first, else its latest).
 */
export const BINDING_OF_REPORT = `coalesce(
  (SELECT s.binding_id FROM binding_subscriptions s
    WHERE r.sub_id IS NOT NULL AND s.subs_id = r.sub_id
    ORDER BY s.learnt_at DESC LIMIT 1),
  (SELECT b.id FROM bindings b
    WHERE r.out_id IS NOT NULL AND b.out_id = r.out_id
      AND (r.pool_key IS NULL OR b.pool_key = r.pool_key)
    ORDER BY (r.at IS NOT NULL AND b.created_at <= r.at
              AND coalesce(b.ended_at, b.expires_at) >= r.at) DESC,
             b.created_at DESC
    LIMIT 1))`;
