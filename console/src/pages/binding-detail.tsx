import { useState } from 'preact/hooks';
import { api } from '../api/client.js';
import type { BindingDetail as Detail } from '../api/types.js';
import { CallMedia } from '../components/call-media.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { ErrorNote } from '../components/error-note.js';
import { RoutingCounts } from '../components/routing-counts.js';
import { StateBadge } from '../components/state-badge.js';
import { useLoad } from '../components/use-load.js';
import { formatTime } from '../format.js';
import { lastSearchHref } from '../router.js';
import { buildTimeline } from '../timeline.js';

const PHASES: Record<string, string> = {
  trip: 'on trip',
  'contact-window': 'trip ended, passenger may still call',
  ended: 'ended',
};

const RESTRICTIONS: Record<string, string> = {
  CONTROL_AX_DISABLE: 'A (passenger) may not call',
  CONTROL_BX_DISABLE: 'B (driver) may not call',
};

/**
 * A binding's story: its summary (A and B masked) and one timeline of its events and calls.
 * "Reveal numbers" is the one full read: GET /v1/bindings/{id} without view=masked, which the
 * service writes to the access log under the signed-in key's name.
 */
export function BindingDetail({ id }: { id: string }) {
  const detail = useLoad(
    () => api<Detail>('GET', `/v1/bindings/${encodeURIComponent(id)}?view=masked`),
    [id],
  );
  const [asking, setAsking] = useState(false);
  const [revealed, setRevealed] = useState<{ id: string; a: string; b: string; at: Date } | null>(
    null,
  );
  const [revealError, setRevealError] = useState<Error | null>(null);

  async function reveal() {
    setAsking(false);
    setRevealError(null);
    try {
      const full = await api<Detail>('GET', `/v1/bindings/${encodeURIComponent(id)}`);
      setRevealed({ id, a: full.phoneA, b: full.phoneB, at: new Date() });
    } catch (e) {
      setRevealError(e as Error);
    }
  }

  const b = detail.data;
  const shown = revealed?.id === id ? revealed : null;
  return (
    <section aria-labelledby="binding-title">
      <p>
        <a href={lastSearchHref()}>← Bindings</a>
      </p>
      <ErrorNote error={detail.error} />
      {!b && detail.loading && <p aria-live="polite">Loading…</p>}
      {b && (
        <>
          <h1 id="binding-title">
            Order <span class="mono">{b.outId}</span> <StateBadge state={b.state} />
          </h1>
          <div class="card">
            <dl class="facts">
              <dt>A (passenger)</dt>
              <dd class="mono" data-testid="phone-a">
                {shown ? shown.a : b.phoneA}
              </dd>
              <dt>B (driver)</dt>
              <dd class="mono" data-testid="phone-b">
                {shown ? shown.b : b.phoneB}
              </dd>
              <dt>X (middle number)</dt>
              <dd class="mono">{b.phoneX ?? '–'}</dd>
              <dt>Pool</dt>
              <dd class="mono">{b.poolKey}</dd>
              <dt>City</dt>
              <dd>
                {b.city ?? '–'}
                {b.cityStrict ? ' (strict)' : ''}
              </dd>
              <dt>Created</dt>
              <dd>{formatTime(b.createdAt)}</dd>
              <dt>Expires</dt>
              <dd>{formatTime(b.expiresAt)}</dd>
              <dt>Ended</dt>
              <dd>{formatTime(b.endedAt)}</dd>
              <dt>SubsId</dt>
              <dd class="mono">{b.subsId ?? '–'}</dd>
              <dt>Phase</dt>
              <dd data-testid="phase">
                {PHASES[b.phase] ?? b.phase}
                {b.contactUntil ? ` until ${formatTime(b.contactUntil)}` : ''}
              </dd>
              <dt>Call restriction</dt>
              <dd>{b.callRestrict ? RESTRICTIONS[b.callRestrict] : 'none'}</dd>
              <dt>Recording</dt>
              <dd>
                {b.record ? 'on' : 'off'}
                {b.asrStatus ? ', transcribed' : ''}
              </dd>
            </dl>
            <div class="actions">
              {shown ? (
                <p class="note" role="status">
                  Numbers revealed at {formatTime(shown.at.toISOString())}; this read is in the
                  access log.
                </p>
              ) : (
                <button type="button" class="primary" onClick={() => setAsking(true)}>
                  Reveal numbers
                </button>
              )}
            </div>
            <ErrorNote error={revealError} />
          </div>

          <h2>Timeline</h2>
          <ol class="timeline" aria-label="Events and calls, oldest first">
            {buildTimeline(b).map((entry, i) => (
              <li key={i} class={`tone-${entry.tone}`}>
                <div class="timeline-head">
                  <time dateTime={entry.at}>{formatTime(entry.at)}</time>
                  <strong>{entry.title}</strong>
                  <span class="muted">by {entry.actor}</span>
                </div>
                {entry.facts.length > 0 && (
                  <ul class="timeline-facts">
                    {entry.facts.map((fact, j) => (
                      <li key={j}>{fact}</li>
                    ))}
                  </ul>
                )}
                {entry.call && <CallMedia call={entry.call} asr={b.asrStatus} />}
              </li>
            ))}
          </ol>
          <h2>Routing lookups</h2>
          <RoutingCounts counts={b.routing ?? []} />
          <ConfirmDialog
            open={asking}
            title="Reveal the full numbers?"
            confirmLabel="Reveal and record"
            onConfirm={() => void reveal()}
            onCancel={() => setAsking(false)}
          >
            <p>
              The passenger's and driver's real numbers of order <strong>{b.outId}</strong> will be
              shown. This read is written to the access log under your key's name.
            </p>
          </ConfirmDialog>
        </>
      )}
    </section>
  );
}
