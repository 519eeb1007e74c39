import { Prisma } from '../generated/prisma/client.js';

/**
 * The unique index a write violated, or undefined for any other error. Works for model writes
 * (P2002) and raw SQL (P2010), as reported through the pg driver adapter.
 */
export function violatedUniqueIndex(error: unknown): string | undefined {
  if (!(error instanceof Prisma.PrismaClientKnownRequestError)) return undefined;
  if (error.code !== 'P2002' && error.code !== 'P2010') return undefined;
  const cause = (error.meta?.driverAdapterError as { cause?: Record<string, unknown> } | undefined)
    ?.cause;
  if (cause?.kind !== 'UniqueConstraintViolation') return undefined;
  const constraint = cause.constraint as { index?: string } | undefined;
  return constraint?.index ?? 'unknown';
}
