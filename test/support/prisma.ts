import { inject } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { PrismaService } from '../../src/prisma/prisma.service.js';

/** The service's own PrismaService on the run's database, outside Nest. */
export async function openPrisma(): Promise<PrismaService> {
  const prisma = new PrismaService(
    loadConfig({ DATABASE_URL: inject('databaseUrl'), DATABASE_POOL_SIZE: '4' }),
  );
  await prisma.onModuleInit();
  return prisma;
}

let counter = 0;
/** A value unique within the run, for keys that must not collide across test files. */
export function unique(prefix: string): string {
  counter += 1;
  return `${prefix}${process.pid.toString(36)}${Date.now().toString(36)}${counter}`;
}
