// Prisma CLI configuration. Only `prisma generate` runs here (the migrate engine cannot be
// downloaded offline); migrations are applied by our own runner (src/prisma/migrations).
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/axb' },
});
