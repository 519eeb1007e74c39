import { validationFailed } from '../common/validation/validation-failed.js';
import type { PageCursor } from './binding-search.repository.js';

/** Opaque cursors: base64url of `<ISO created_at>|<id>`. */
export function encodeCursor(cursor: PageCursor): string {
  return Buffer.from(`${cursor.createdAt.toISOString()}|${cursor.id}`).toString('base64url');
}

export function decodeCursor(value: string): PageCursor {
  const [at, id] = Buffer.from(value, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(at ?? '');
  if (!id || !/^[0-9a-f-]{36}$/.test(id) || Number.isNaN(createdAt.getTime())) {
    throw validationFailed('cursor', 'not a cursor this service issued: use nextCursor of a page');
  }
  return { createdAt, id };
}
