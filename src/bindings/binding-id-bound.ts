/**
 * The lowest binding id made at `at`: a UUIDv7 holds its creation time in Unix milliseconds in
 * its first 48 bits (binding_id_at(), prisma/sql/090_history_partitions.sql), so the bindings
 * created in [from, to) have ids in [idBoundAt(from), idBoundAt(to)).
 */
export function idBoundAt(at: Date): string {
  const hex = Math.floor(at.getTime()).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`;
}
