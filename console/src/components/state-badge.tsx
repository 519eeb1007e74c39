const TONES: Record<string, string> = {
  active: 'good',
  pending: 'warn',
  unknown: 'warn',
  failed: 'bad',
  unbound: 'muted',
  expired: 'muted',
  closed: 'good',
  'half-open': 'warn',
  open: 'bad',
  normal: 'good',
  abnormal: 'bad',
  released: 'muted',
  done: 'good',
  locked: 'bad',
};

/** A state as a word with a colour behind it (the word carries the meaning, not the colour). */
export function StateBadge({ state }: { state: string }) {
  return <span class={`badge badge-${TONES[state] ?? 'muted'}`}>{state}</span>;
}
