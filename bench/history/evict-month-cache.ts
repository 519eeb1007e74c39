import { execFile } from 'node:child_process';
import { access, constants, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import pg from 'pg';
import { HISTORY_TABLES } from '../../src/history/history-month-drop.js';

const run = promisify(execFile);

/** What evicting one month's files from the operating system's page cache did. */
export interface MonthEviction {
  files: number;
  bytes: number;
  ms: number;
}

/**
 * Takes one month of the record out of the operating system's page cache, as it is on a server
 * whose record outgrows its memory once the month is past retention (nothing has read it for
 * months). What a DROP TABLE costs on Linux is mostly the kernel freeing the page cache of the
 * files it truncates (`truncate_inode_pages_range`, seen with perf: ~0.3–0.45 s a cached GB here,
 * ~5 ms for a cold GB); a freshly seeded record is wholly cached, so without this the drop phase
 * measures a month as it never is in production.
 *
 * Every file of the month's partitions (tables, indexes, TOAST, all 1 GB segments) is written back
 * (`sync`) and dropped from the cache with `dd iflag=nocache count=0` (coreutils: posix_fadvise
 * DONTNEED on the whole file). Needs the server on this machine and read access to its data
 * directory (root or the postgres user); throws saying so otherwise.
 */
export async function evictMonthCache(url: string, month: string): Promise<MonthEviction> {
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '') {
    throw new Error(`the database at ${host} is not on this machine`);
  }
  const names = HISTORY_TABLES.map((t) => `${t}_p${month}`);
  const sql = new pg.Client({ connectionString: url });
  await sql.connect();
  let dataDirectory: string;
  let paths: string[];
  try {
    dataDirectory = (
      await sql.query<{ d: string }>(`SELECT current_setting('data_directory') AS d`)
    ).rows[0]!.d;
    const { rows } = await sql.query<{ path: string }>(
      `WITH t AS (SELECT oid, reltoastrelid FROM pg_class
                   WHERE relname = ANY($1) AND relnamespace = current_schema()::regnamespace),
            rel AS (SELECT oid FROM t
                    UNION ALL SELECT reltoastrelid FROM t WHERE reltoastrelid <> 0
                    UNION ALL SELECT indexrelid FROM pg_index
                               WHERE indrelid IN (SELECT oid FROM t
                                                  UNION ALL SELECT reltoastrelid FROM t))
       SELECT pg_relation_filepath(oid) AS path FROM rel
        WHERE pg_relation_filepath(oid) IS NOT NULL`,
      [names],
    );
    paths = rows.map((r) => r.path);
  } finally {
    await sql.end();
  }
  try {
    await access(dataDirectory, constants.R_OK | constants.X_OK);
  } catch {
    throw new Error(
      `no read access to the data directory ${dataDirectory} (run as root or postgres)`,
    );
  }
  const files: Array<{ file: string; bytes: number }> = [];
  for (const path of paths) {
    // A relation's main fork is `path`, `path.1`, `path.2`, … (1 GB each), then its maps.
    for (const fork of ['', '_fsm', '_vm']) {
      for (let segment = 0; ; segment++) {
        const file = join(dataDirectory, `${path}${fork}${segment ? `.${segment}` : ''}`);
        const size = await stat(file).then(
          (s) => s.size,
          () => -1,
        );
        if (size < 0) break;
        files.push({ file, bytes: size });
      }
    }
  }
  const started = performance.now();
  await run('sync');
  for (const { file } of files) {
    await run('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']);
  }
  return {
    files: files.length,
    bytes: files.reduce((sum, f) => sum + f.bytes, 0),
    ms: performance.now() - started,
  };
}
