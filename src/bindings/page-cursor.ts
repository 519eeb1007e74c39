import { BadRequestException } from '@nestjs/common';
import type { PageCursor } from './binding-search.repository.js';

/** Opaque cursors: base64url of `<ISO created_at>|<id>`. */
export function encodeCursor(cursor: PageCursor): string {
  return Buffer.from(`${cursor.createdAt.toISOString()}|${cursor.id}`).toString('base64url');
}

export function decodeCursor(value: string): PageCursor {
  const [at, id] = Buffer.from(value, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(at ?? '');
  if (!id || !/^[0-9a-f-]{36}$/.test(id) || Number.isNaN(createdAt.getTime())) {
    throw new BadRequestException({
      code: 'VALIDATION_FAILED',
      message: 'Invalid cursor: use nextCursor from a previous page',
      fields: [{ field: 'cursor', problems: ['not a cursor this service issued'] }],
    });
  }
  return { createdAt, id };
}
