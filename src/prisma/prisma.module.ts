import { Global, Module } from '@nestjs/common';
import { AdminReadsDatabase } from './admin-reads.database.js';
import { PrismaService } from './prisma.service.js';

/** The database: the service's client, and the admin history reads' own (a pool apart). */
@Global()
@Module({
  providers: [PrismaService, AdminReadsDatabase],
  exports: [PrismaService, AdminReadsDatabase],
})
export class PrismaModule {}
