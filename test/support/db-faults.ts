import type { PrismaService } from '../../src/prisma/prisma.service.js';

/**
 * A real database fault for the length of `body`: inserts into `table` for which `when` (SQL over
 * NEW, TRUE for all) holds fail with SQLSTATE `code` (class 22 is a data error the service
 * dead-letters; 57P03 and the like are the database being unavailable).
 */
export async function withFailingInsert<T>(
  prisma: PrismaService,
  table: string,
  code: string,
  body: () => Promise<T>,
  when = 'TRUE',
): Promise<T> {
  const name = `fail_${code.toLowerCase()}_${Math.random().toString(36).slice(2, 8)}`;
  await prisma.$executeRawUnsafe(`
    CREATE FUNCTION ${name}() RETURNS trigger AS $$
    BEGIN
      IF ${when} THEN RAISE EXCEPTION 'failing for the test' USING ERRCODE = '${code}'; END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql`);
  await prisma.$executeRawUnsafe(
    `CREATE TRIGGER ${name} BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION ${name}()`,
  );
  try {
    return await body();
  } finally {
    await prisma.$executeRawUnsafe(`DROP TRIGGER ${name} ON ${table}`);
    await prisma.$executeRawUnsafe(`DROP FUNCTION ${name}()`);
  }
}

/** Inserts into call_records whose call_id is `callId` (any, when null) fail with `code`. */
export function withFailingCallInsert<T>(
  prisma: PrismaService,
  callId: string | null,
  code: string,
  body: () => Promise<T>,
): Promise<T> {
  const when = callId === null ? 'TRUE' : `NEW.call_id = '${callId.replace(/'/g, "''")}'`;
  return withFailingInsert(prisma, 'call_records', code, body, when);
}
