import { validationFailed } from '../common/validation/validation-failed.js';
import type { PageCursor } from './binding-search.repository.js';

/**
 * Opaque cursors: base64url of `<created_at as toISOString()>|<id>`. A cursor is accepted only when
 * it is exactly what encodeCursor would write for some row (canonical instant, lower-case UUID),
 * so a crafted one is a 400, never a value the database refuses.
 */
export function encodeCursor(cursor: PageCursor): string {
  return Buffer.from(`${cursor.createdAt.toISOString()}|${cursor.id}`).toString('base64url');
}

const CURSOR =
  /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export function decodeCursor(value: string): PageCursor {
  const match = /^[A-Za-z0-9_-]{1,200}$/.test(value)
    ? CURSOR.exec(Buffer.from(value, 'base64url').toString('utf8'))
    : null;
  const createdAt = match ? new Date(match[1]!) : null;
  const canonical =
    createdAt !== null &&
    !Number.isNaN(createdAt.getTime()) &&
    createdAt.getUTCFullYear() >= 1970 &&
    createdAt.toISOString() === match?.[1];
  if (!match || !createdAt || !canonical) {
    throw validationFailed('cursor', 'not a cursor this service issued: use nextCursor of a page');
  }
  return { createdAt, id: match[2]! };
}
