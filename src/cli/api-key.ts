import { parseArgs } from 'node:util';
import { generateApiKey } from '../auth/api-key.js';
import { ApiKeysRepository } from '../auth/api-keys.repository.js';
import { isRole, ROLES, type Role } from '../auth/roles.js';
import { ConfigError, loadConfig } from '../config/load-config.js';
import { MIGRATIONS_DIR } from '../common/project-root.js';
import { runMigrations } from '../prisma/migrations/migration-runner.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { cliDatabase } from './cli-database.js';

const USAGE = `usage:
  npm run apikey -- create --name <name> --roles <role,role> [--group <group>]
                                                              store a new key (printed once); order
                                                              keys of one group share their bindings
                                                              (default group: the key's name)
  npm run apikey -- generate                                  print a fresh key for API_KEYS (not stored)
  npm run apikey -- list                                      live keys (names, roles, prefixes)
  npm run apikey -- revoke --name <name>
roles: ${ROLES.join(', ')}`;

function parseRoles(value: string | undefined): Role[] {
  const roles = (value ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const bad = roles.filter((r) => !isRole(r));
  if (roles.length === 0 || bad.length > 0)
    throw new ConfigError([
      `--roles must list roles among ${ROLES.join(', ')}${bad.length ? ` (not: ${bad.join(', ')})` : ''}`,
    ]);
  return roles as Role[];
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      roles: { type: 'string' },
      group: { type: 'string' },
    },
  });
  const command = positionals[0];
  if (command === 'generate') {
    console.log(generateApiKey().key);
    return;
  }
  if (!['create', 'list', 'revoke'].includes(command ?? '')) {
    console.error(USAGE);
    process.exit(2);
  }
  const config = loadConfig();
  const db = await cliDatabase(config);
  await runMigrations({ connectionString: db.url, migrationsDir: MIGRATIONS_DIR });
  const prisma = new PrismaService({ ...config, database: { ...config.database, url: db.url } });
  const keys = new ApiKeysRepository(prisma);
  try {
    if (command === 'list') {
      for (const k of await keys.listLive())
        console.log(
          `${k.name}\t${k.roles.join('+')}\tgroup ${k.group ?? k.name}\taxb_${k.prefix}_…\t` +
            `${k.source}\t${k.createdAt.toISOString()}`,
        );
    } else if (command === 'revoke') {
      if (!values.name) throw new ConfigError(['--name is required']);
      const n = await keys.revoke(values.name, new Date());
      console.log(
        n
          ? `Revoked "${values.name}" (running services stop accepting it within 30 s).`
          : `No live key named "${values.name}".`,
      );
    } else {
      if (!values.name || !/^[A-Za-z0-9_.-]{1,64}$/.test(values.name))
        throw new ConfigError(['--name must be 1-64 of A-Z a-z 0-9 _ . -']);
      if (values.group !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(values.group))
        throw new ConfigError(['--group must be 1-64 of A-Z a-z 0-9 _ . -']);
      const roles = parseRoles(values.roles);
      const group = values.group ?? null;
      const { key, prefix, secretHash } = generateApiKey();
      await keys.store(
        { name: values.name, prefix, secretHash, roles, group, source: 'cli' },
        new Date(),
      );
      console.error(
        `Created "${values.name}" (${roles.join(', ')}${group ? `; group ${group}` : ''}). ` +
          'Store this key now; it is not kept and cannot be shown again:',
      );
      console.log(key);
    }
  } finally {
    await prisma.onModuleDestroy();
    await db.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
