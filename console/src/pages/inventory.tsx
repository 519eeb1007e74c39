import { useState } from 'preact/hooks';
import { api } from '../api/client.js';
import type { BuyResult, Pool, PoolNumber, Stock } from '../api/types.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { ErrorNote } from '../components/error-note.js';
import { useLoad } from '../components/use-load.js';
import { navigate } from '../router.js';
import { NumbersTable } from './numbers-table.js';
import { StockTable } from './stock-table.js';

interface BuyRequest {
  spec: 1 | 2 | 3;
  city: string;
  count: number;
  prefix?: string;
}

/**
 * The number pool: per city and spec what is held, healthy, in use and free (GET …/stock, which
 * also asks the provider for its remaining stock), the numbers themselves, and buying or
 * releasing numbers, each after a confirmation.
 */
export function Inventory({ poolKey }: { poolKey: string | null }) {
  const pools = useLoad(() => api<{ items: Pool[] }>('GET', '/v1/pools'), []);
  const chosen = poolKey ?? pools.data?.items[0]?.poolKey ?? null;
  return (
    <section aria-labelledby="inventory-title">
      <h1 id="inventory-title">Inventory</h1>
      <ErrorNote error={pools.error} />
      {pools.data && (
        <div class="card row">
          <label for="pool">Pool</label>
          <select
            id="pool"
            value={chosen ?? ''}
            onChange={(e) => navigate({ page: 'inventory', poolKey: e.currentTarget.value })}
          >
            {pools.data.items.map((p) => (
              <option value={p.poolKey} key={p.poolKey}>
                {p.poolKey}
                {p.cityStrict ? ' (city strict)' : ''}
              </option>
            ))}
          </select>
        </div>
      )}
      {chosen && <PoolInventory poolKey={chosen} key={chosen} />}
    </section>
  );
}

function PoolInventory({ poolKey }: { poolKey: string }) {
  const base = `/v1/pools/${encodeURIComponent(poolKey)}`;
  const stock = useLoad(() => api<Stock>('GET', `${base}/stock`), [poolKey]);
  const numbers = useLoad(() => api<{ items: PoolNumber[] }>('GET', `${base}/numbers`), [poolKey]);
  const [buy, setBuy] = useState<BuyRequest | null>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  const [actionError, setActionError] = useState<Error | null>(null);
  const [releasing, setReleasing] = useState<string | null>(null);
  const [locking, setLocking] = useState<{ number: string; lock: boolean } | null>(null);

  const reload = () => {
    stock.reload();
    numbers.reload();
  };

  async function confirmBuy() {
    const request = buy!;
    setBuy(null);
    setActionError(null);
    try {
      const result = await api<BuyResult>('POST', `${base}/numbers`, request);
      setOutcome(
        `Bought ${result.bought.length} of ${result.requested}: ${result.bought.join(', ') || 'none'}` +
          (result.failure ? `. Stopped: ${result.failure.message} (${result.failure.code})` : '.'),
      );
    } catch (e) {
      setActionError(e as Error);
    }
    reload();
  }

  async function confirmRelease() {
    const number = releasing!;
    setReleasing(null);
    setActionError(null);
    try {
      await api<void>('DELETE', `${base}/numbers/${encodeURIComponent(number)}`);
      setOutcome(`Released ${number}.`);
    } catch (e) {
      setActionError(e as Error);
    }
    reload();
  }

  async function confirmLock() {
    const { number, lock } = locking!;
    setLocking(null);
    setActionError(null);
    try {
      const done = await api<{ liveBindings: number }>(
        'POST',
        `${base}/numbers/${encodeURIComponent(number)}/${lock ? 'lock' : 'unlock'}`,
      );
      setOutcome(
        lock
          ? `Locked ${number}; its ${done.liveBindings} live binding(s) route no calls.`
          : `Unlocked ${number}.`,
      );
    } catch (e) {
      setActionError(e as Error);
    }
    reload();
  }

  function submitBuy(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const prefix = String(form.get('prefix') ?? '').trim();
    setOutcome(null);
    setBuy({
      spec: Number(form.get('spec')) as 1 | 2 | 3,
      city: String(form.get('city') ?? '').trim(),
      count: Number(form.get('count')),
      ...(prefix ? { prefix } : {}),
    });
  }

  const cities = [...new Set(stock.data?.byCityAndSpec.map((r) => r.city) ?? [])];
  return (
    <>
      <h2>Stock by city and spec</h2>
      <ErrorNote error={stock.error} />
      {stock.loading && !stock.data && <p aria-live="polite">Loading…</p>}
      {stock.data && <StockTable stock={stock.data} />}

      <h2 id="buy-title">Buy numbers</h2>
      <form class="card search" onSubmit={submitBuy} aria-labelledby="buy-title">
        <div class="field">
          <label for="b-spec">Spec</label>
          <select id="b-spec" name="spec">
            <option value="1">1 · 170/171 virtual operator</option>
            <option value="2" selected>
              2 · carrier number
            </option>
            <option value="3">3 · 95 number</option>
          </select>
        </div>
        <div class="field">
          <label for="b-city">City</label>
          <input
            id="b-city"
            name="city"
            required
            maxLength={32}
            defaultValue={cities[0] ?? '杭州'}
          />
        </div>
        <div class="field">
          <label for="b-count">How many</label>
          <input
            id="b-count"
            name="count"
            type="number"
            min={1}
            max={100}
            required
            defaultValue="1"
          />
        </div>
        <div class="field">
          <label for="b-prefix">Number prefix (optional)</label>
          <input id="b-prefix" name="prefix" inputMode="numeric" pattern="[0-9]{1,11}" />
        </div>
        <div class="actions">
          <button type="submit" class="primary">
            Buy…
          </button>
        </div>
      </form>
      {outcome && (
        <p class="note" role="status">
          {outcome}
        </p>
      )}
      <ErrorNote error={actionError} />

      <h2>Numbers</h2>
      <ErrorNote error={numbers.error} />
      {numbers.data && (
        <NumbersTable
          numbers={numbers.data.items}
          onRelease={setReleasing}
          onLock={(number, lock) => setLocking({ number, lock })}
        />
      )}

      <ConfirmDialog
        open={buy !== null}
        title="Buy numbers?"
        confirmLabel={`Buy ${buy?.count ?? ''}`}
        onConfirm={() => void confirmBuy()}
        onCancel={() => setBuy(null)}
      >
        <p>
          Buy <strong>{buy?.count}</strong> number{buy?.count === 1 ? '' : 's'} of spec {buy?.spec}{' '}
          in <strong>{buy?.city}</strong>
          {buy?.prefix ? ` starting ${buy.prefix}` : ''} for pool <strong>{poolKey}</strong>? Each
          is a paid BuySecretNo at the provider.
        </p>
      </ConfirmDialog>
      <ConfirmDialog
        open={locking !== null}
        title={locking?.lock ? 'Lock this number?' : 'Unlock this number?'}
        confirmLabel={locking?.lock ? 'Lock' : 'Unlock'}
        onConfirm={() => void confirmLock()}
        onCancel={() => setLocking(null)}
      >
        {locking?.lock ? (
          <p>
            Lock <strong class="mono">{locking.number}</strong>? It takes no new bindings, and the
            live bindings on it route no calls here until it is unlocked (the provider keeps
            connecting them if their parties dial it directly).
          </p>
        ) : (
          <p>
            Unlock <strong class="mono">{locking?.number}</strong>? It takes new bindings and routes
            calls again.
          </p>
        )}
      </ConfirmDialog>
      <ConfirmDialog
        open={releasing !== null}
        title="Release this number?"
        confirmLabel="Release"
        onConfirm={() => void confirmRelease()}
        onCancel={() => setReleasing(null)}
      >
        <p>
          Release <strong class="mono">{releasing}</strong> back to the provider? The pool loses it;
          it may not be bought back.
        </p>
      </ConfirmDialog>
    </>
  );
}
