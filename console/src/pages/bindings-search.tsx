import { useState } from 'preact/hooks';
import { api, queryString } from '../api/client.js';
import { BINDING_STATES, type BindingPage } from '../api/types.js';
import { ErrorNote } from '../components/error-note.js';
import { StateBadge } from '../components/state-badge.js';
import { useLoad } from '../components/use-load.js';
import { formatTime, isoToLocalInput, localInputToIso } from '../format.js';
import { hrefFor, navigate, rememberSearch } from '../router.js';

const FIELDS = ['outId', 'phone', 'phoneX', 'state', 'createdFrom', 'createdTo'] as const;
const PAGE_SIZE = 20;
const PHONE_FIELDS = [
  { name: 'phone', label: 'Phone (A or B)' },
  { name: 'phoneX', label: 'Middle number X' },
] as const;
const TIME_FIELDS = [
  { name: 'createdFrom', label: 'Created from' },
  { name: 'createdTo', label: 'Created before' },
] as const;

/**
 * History search over GET /v1/bindings?view=masked: A and B come back masked and the search is
 * not written to the access log (revealing one binding's numbers is). Keyset paging: the
 * service's nextCursor, with the cursors seen kept here for "Previous".
 */
export function BindingsSearch({ query }: { query: URLSearchParams }) {
  const filters = Object.fromEntries(FIELDS.map((f) => [f, query.get(f) ?? ''])) as Record<
    (typeof FIELDS)[number],
    string
  >;
  const key = query.toString();
  rememberSearch(query);
  const [cursors, setCursors] = useState<{ key: string; stack: string[] }>({ key, stack: [] });
  const stack = cursors.key === key ? cursors.stack : [];
  const cursor = stack.at(-1);

  const page = useLoad(
    () =>
      api<BindingPage>(
        'GET',
        `/v1/bindings${queryString({ ...filters, view: 'masked', limit: PAGE_SIZE, cursor })}`,
      ),
    [key, cursor],
  );

  function submit(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const next = new URLSearchParams();
    for (const field of FIELDS) {
      let value = String(form.get(field) ?? '').trim();
      if (field === 'createdFrom' || field === 'createdTo') value = localInputToIso(value) ?? '';
      if (value) next.set(field, value);
    }
    navigate({ page: 'bindings', query: next });
  }

  return (
    <section aria-labelledby="search-title">
      <h1 id="search-title">Bindings</h1>
      <form class="card search" onSubmit={submit} key={key}>
        <div class="field">
          <label for="f-outId">Order id</label>
          <input id="f-outId" name="outId" defaultValue={filters.outId} maxLength={64} />
        </div>
        {PHONE_FIELDS.map(({ name, label }) => (
          <div class="field" key={name}>
            <label for={`f-${name}`}>{label}</label>
            <input
              id={`f-${name}`}
              name={name}
              inputMode="numeric"
              pattern="[0-9]{5,20}"
              title="5-20 digits"
              defaultValue={filters[name]}
            />
          </div>
        ))}
        <div class="field">
          <label for="f-state">State</label>
          <select id="f-state" name="state">
            <option value="">any</option>
            {BINDING_STATES.map((s) => (
              <option value={s} key={s} selected={s === filters.state}>
                {s}
              </option>
            ))}
          </select>
        </div>
        {TIME_FIELDS.map(({ name, label }) => (
          <div class="field" key={name}>
            <label for={`f-${name}`}>{label}</label>
            <input
              id={`f-${name}`}
              name={name}
              type="datetime-local"
              defaultValue={isoToLocalInput(filters[name] || null)}
            />
          </div>
        ))}
        <div class="actions">
          <button type="submit" class="primary">
            Search
          </button>
          <a class="button secondary" href="#/bindings">
            Clear
          </a>
        </div>
      </form>

      <ErrorNote error={page.error} />
      {page.data && (
        <>
          <p class="muted small" aria-live="polite">
            {page.loading
              ? 'Loading…'
              : `${page.data.items.length} binding${page.data.items.length === 1 ? '' : 's'} on this page` +
                (stack.length ? ` (page ${stack.length + 1})` : '')}
            . Numbers are masked; open a binding to reveal them.
          </p>
          <div class="table-wrap">
            <table class="stack-on-phone" aria-describedby="search-title">
              <thead>
                <tr>
                  <th scope="col">Created</th>
                  <th scope="col">Order</th>
                  <th scope="col">State</th>
                  <th scope="col">A</th>
                  <th scope="col">B</th>
                  <th scope="col">X</th>
                  <th scope="col">Calls</th>
                  <th scope="col">Expires</th>
                </tr>
              </thead>
              <tbody>
                {page.data.items.map((b) => (
                  <tr key={b.id}>
                    <td data-label="Created">{formatTime(b.createdAt)}</td>
                    <td data-label="Order">
                      <a href={hrefFor({ page: 'binding', id: b.id })}>{b.outId}</a>
                    </td>
                    <td data-label="State">
                      <StateBadge state={b.state} />
                    </td>
                    <td data-label="A" class="mono">
                      {b.phoneA}
                    </td>
                    <td data-label="B" class="mono">
                      {b.phoneB}
                    </td>
                    <td data-label="X" class="mono">
                      {b.phoneX ?? '–'}
                    </td>
                    <td data-label="Calls">{b.calls}</td>
                    <td data-label="Expires">{formatTime(b.expiresAt)}</td>
                  </tr>
                ))}
                {page.data.items.length === 0 && (
                  <tr>
                    <td colSpan={8}>No binding matches.</td>
                  </tr>
                )}
              </tbody>
            </table>
          </div>
          <nav class="pager" aria-label="Pages">
            <button
              type="button"
              class="secondary"
              disabled={stack.length === 0}
              onClick={() => setCursors({ key, stack: stack.slice(0, -1) })}
            >
              ← Previous
            </button>
            <button
              type="button"
              class="secondary"
              disabled={!page.data.nextCursor}
              onClick={() => setCursors({ key, stack: [...stack, page.data!.nextCursor!] })}
            >
              Next →
            </button>
          </nav>
        </>
      )}
      {!page.data && page.loading && <p aria-live="polite">Loading…</p>}
    </section>
  );
}
