import { useState } from 'preact/hooks';
import { api } from '../api/client.js';
import type { WebhookDelivery, WebhookEndpoint } from '../api/types.js';
import { ErrorNote } from '../components/error-note.js';
import { StateBadge } from '../components/state-badge.js';
import { useLoad } from '../components/use-load.js';
import { formatTime } from '../format.js';
// The service's own list (one owner; a plain constant, bundled into the console by Vite).
import { WEBHOOK_EVENT_TYPES as EVENT_TYPES } from '../../../src/webhooks/webhook-event-types.js';

/**
 * Receivers of events (Standard Webhooks): register one (its secret is shown once), rotate its
 * secret, disable or enable it, send it a test event, and read its recent deliveries with every
 * try and answer; a dead delivery can be replayed.
 */
export function Webhooks() {
  const endpoints = useLoad(() => api<WebhookEndpoint[]>('GET', '/v1/webhooks/endpoints'), []);
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>(['binding.created', 'binding.ended']);
  const [secret, setSecret] = useState<{ id: string; secret: string } | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);

  async function act(work: () => Promise<void>) {
    setError(null);
    setNotice(null);
    try {
      await work();
    } catch (e) {
      setError(e as Error);
    }
    endpoints.reload();
  }

  const create = (event: Event) => {
    event.preventDefault();
    void act(async () => {
      const made = await api<WebhookEndpoint>('POST', '/v1/webhooks/endpoints', { url, events });
      setSecret({ id: made.id, secret: made.secret! });
      setUrl('');
    });
  };
  const rotate = (id: string) =>
    act(async () => {
      const rotated = await api<WebhookEndpoint>('PATCH', `/v1/webhooks/endpoints/${id}`, {
        rotateSecret: true,
      });
      setSecret({ id, secret: rotated.secret! });
    });
  const toggle = (e: WebhookEndpoint) =>
    act(async () => {
      await api('PATCH', `/v1/webhooks/endpoints/${e.id}`, { enabled: !e.enabled });
    });
  const test = (id: string) =>
    act(async () => {
      const sent = await api<{ msgId: string }>('POST', `/v1/webhooks/endpoints/${id}/test`);
      setNotice(`Test event ${sent.msgId} sent.`);
      setSelected(id);
    });

  return (
    <section aria-labelledby="hooks-title">
      <h1 id="hooks-title">Webhooks</h1>
      <form class="card" onSubmit={create} aria-label="New endpoint">
        <h2>New endpoint</h2>
        <label>
          URL{' '}
          <input
            type="url"
            name="url"
            required
            value={url}
            onInput={(e) => setUrl((e.target as HTMLInputElement).value)}
          />
        </label>
        <fieldset class="checks">
          <legend>Events</legend>
          {EVENT_TYPES.map((t) => (
            <label key={t} class="check">
              <input
                type="checkbox"
                checked={events.includes(t)}
                onChange={(e) =>
                  setEvents(
                    (e.target as HTMLInputElement).checked
                      ? [...events, t]
                      : events.filter((x) => x !== t),
                  )
                }
              />{' '}
              {t}
            </label>
          ))}
        </fieldset>
        <button type="submit" class="primary">
          Create
        </button>
      </form>
      {secret && (
        <p class="card" role="status" data-testid="secret">
          Signing secret of {secret.id} — shown this once, keep it now: <code>{secret.secret}</code>
        </p>
      )}
      {notice && <p role="status">{notice}</p>}
      <ErrorNote error={error ?? endpoints.error} />
      <div class="table-wrap">
        <table class="stack-on-phone">
          <thead>
            <tr>
              <th>URL</th>
              <th>Events</th>
              <th>State</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {endpoints.data?.length === 0 && (
              <tr>
                <td colSpan={4}>No endpoints yet: create one above.</td>
              </tr>
            )}
            {(endpoints.data ?? []).map((e) => (
              <tr key={e.id}>
                <td>
                  <code>{e.url}</code>
                </td>
                <td class="small">{e.events.join(', ')}</td>
                <td>
                  <StateBadge state={e.enabled ? 'enabled' : `disabled (${e.disabledReason})`} />
                  {e.previousSecretUntil && (
                    <span class="muted small">
                      {' '}
                      rotating until {formatTime(e.previousSecretUntil)}
                    </span>
                  )}
                </td>
                <td>
                  <button type="button" class="secondary small" onClick={() => setSelected(e.id)}>
                    Deliveries
                  </button>{' '}
                  <button type="button" class="secondary small" onClick={() => void test(e.id)}>
                    Send test
                  </button>{' '}
                  <button type="button" class="secondary small" onClick={() => void rotate(e.id)}>
                    Rotate secret
                  </button>{' '}
                  <button type="button" class="secondary small" onClick={() => void toggle(e)}>
                    {e.enabled ? 'Disable' : 'Enable'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {selected && <Deliveries endpointId={selected} />}
    </section>
  );
}

function Deliveries({ endpointId }: { endpointId: string }) {
  const list = useLoad(
    () =>
      api<{ items: WebhookDelivery[] }>('GET', `/v1/webhooks/endpoints/${endpointId}/deliveries`),
    [endpointId],
  );
  const [error, setError] = useState<Error | null>(null);
  const replay = async (id: string) => {
    setError(null);
    try {
      await api('POST', `/v1/webhooks/deliveries/${id}/replay`);
    } catch (e) {
      setError(e as Error);
    }
    list.reload();
  };
  return (
    <section aria-labelledby="deliveries-title">
      <h2 id="deliveries-title">Recent deliveries</h2>
      <button type="button" class="secondary small" onClick={list.reload}>
        Refresh
      </button>
      <ErrorNote error={error ?? list.error} />
      <div class="table-wrap">
        <table class="stack-on-phone" data-testid="deliveries">
          <thead>
            <tr>
              <th>Event</th>
              <th>State</th>
              <th>Tries and answers</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(list.data?.items ?? []).map((d) => (
              <tr key={d.id}>
                <td>
                  {d.type}
                  <br />
                  <span class="muted small">
                    {d.msgId} · {formatTime(d.createdAt)}
                  </span>
                </td>
                <td>
                  <StateBadge state={d.status} />
                  {d.nextAttemptAt && d.status === 'pending' && (
                    <span class="muted small"> next {formatTime(d.nextAttemptAt)}</span>
                  )}
                </td>
                <td class="small">
                  {d.tries.map((t) => (
                    <div key={t.attempt}>
                      #{t.attempt} {formatTime(t.at)}: {t.statusCode ?? t.error} ({t.durationMs} ms)
                      {t.response ? ` — ${t.response.slice(0, 80)}` : ''}
                    </div>
                  ))}
                </td>
                <td>
                  {d.status === 'dead' && (
                    <button type="button" class="small" onClick={() => void replay(d.id)}>
                      Replay
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
