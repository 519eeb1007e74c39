/** Display helpers, kept pure for tests. Times are shown in the browser's time zone. */

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '–';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

/** 42 s, 3 min 5 s, 2 h 4 min, 3 d 2 h. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '–';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  if (s < 86400) {
    const minutes = Math.floor((s % 3600) / 60);
    return `${Math.floor(s / 3600)} h${minutes ? ` ${minutes} min` : ''}`;
  }
  const hours = Math.floor((s % 86400) / 3600);
  return `${Math.floor(s / 86400)} d${hours ? ` ${hours} h` : ''}`;
}

/** Q.850 release causes the provider reports most often. */
const RELEASE_CAUSES: Record<number, string> = {
  1: 'unallocated number',
  16: 'normal clearing',
  17: 'user busy',
  18: 'no user responding',
  19: 'no answer',
  21: 'call rejected',
  27: 'destination out of order',
  31: 'normal, unspecified',
  34: 'no circuit available',
  41: 'temporary failure',
};

export function releaseCause(cause: number | null | undefined): string {
  if (cause === null || cause === undefined) return 'unknown cause';
  const name = RELEASE_CAUSES[cause];
  return name ? `${cause} ${name}` : `cause ${cause}`;
}

export const SPEC_NAMES: Record<number, string> = {
  1: '170/171 virtual operator',
  2: 'carrier number',
  3: '95 number',
};

/** A `datetime-local` input's value as ISO-8601 (in the browser's zone), or undefined. */
export function localInputToIso(value: string): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** An ISO-8601 time as a `datetime-local` input's value. */
export function isoToLocalInput(iso: string | null): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}`
  );
}
