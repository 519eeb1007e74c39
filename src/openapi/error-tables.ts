import { API_ERROR_CODES } from '../common/errors/error-codes.js';
import { knownCodes, PROVIDER_FAILURES } from '../provider/provider-failure.js';

/** The README's generated tables, by the name in their markers. */
export type ErrorTableName = 'api' | 'provider';

const code = (c: string) => `\`${c}\``;

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The error tables of the README, rendered from the code's own tables (cells as written). */
export function errorTableRows(): Record<ErrorTableName, { header: string[]; rows: string[][] }> {
  return {
    api: {
      header: ['code', 'HTTP', 'when'],
      rows: [
        ...API_ERROR_CODES.map((r) => [r.codes.map(code).join(', '), r.status, r.when]),
        ['provider codes', '4xx/5xx', 'see [Provider errors](#provider-errors)'],
      ],
    },
    provider: {
      header: ['our code', 'HTTP', 'provider condition', 'provider Codes (as classified)'],
      rows: PROVIDER_FAILURES.map((r) => [
        code(r.code),
        String(r.status),
        r.when,
        knownCodes(r).map(code).join(', ') || '—',
      ]),
    },
  };
}

const START = (name: ErrorTableName) => `<!-- error-table:${name} `;
const END = (name: ErrorTableName) => `<!-- /error-table:${name} -->`;

/**
 * The README with each generated table replaced by its current rendering. The tables sit between
 * `<!-- error-table:NAME (…) -->` and `<!-- /error-table:NAME -->`; Prettier may pad them after.
 */
export function withErrorTables(readme: string): string {
  let out = readme;
  for (const [name, t] of Object.entries(errorTableRows()) as Array<
    [ErrorTableName, { header: string[]; rows: string[][] }]
  >) {
    const start = out.indexOf(START(name));
    const end = out.indexOf(END(name));
    if (start < 0 || end < start) throw new Error(`README has no markers for the ${name} table`);
    const opened = out.indexOf('-->', start) + 3;
    out = `${out.slice(0, opened)}\n\n${table(t.header, t.rows)}\n\n${out.slice(end)}`;
  }
  return out;
}
