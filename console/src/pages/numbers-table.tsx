import { useState } from 'preact/hooks';
import type { PoolNumber } from '../api/types.js';
import { StateBadge } from '../components/state-badge.js';
import { formatTime } from '../format.js';

/**
 * The pool's numbers; a held number without live bindings can be released; a held number can be
 * locked (no new bindings, no calls routed) and unlocked.
 */
export function NumbersTable({
  numbers,
  onRelease,
  onLock,
}: {
  numbers: PoolNumber[];
  onRelease: (number: string) => void;
  onLock: (number: string, lock: boolean) => void;
}) {
  const [showReleased, setShowReleased] = useState(false);
  const shown = numbers.filter((n) => showReleased || n.state !== 'released');
  return (
    <>
      <label class="check">
        <input
          type="checkbox"
          checked={showReleased}
          onChange={(e) => setShowReleased(e.currentTarget.checked)}
        />{' '}
        Show released numbers
      </label>
      <div class="table-wrap">
        <table class="stack-on-phone">
          <thead>
            <tr>
              <th scope="col">Number</th>
              <th scope="col">City</th>
              <th scope="col">Spec</th>
              <th scope="col">State</th>
              <th scope="col">Health</th>
              <th scope="col">Live bindings</th>
              <th scope="col">Lock</th>
              <th scope="col">Bought</th>
              <th scope="col">
                <span class="visually-hidden">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((n) => (
              <tr key={`${n.number}|${n.boughtAt}`}>
                <th scope="row" class="mono" data-label="Number">
                  {n.number}
                </th>
                <td data-label="City">{n.city}</td>
                <td data-label="Spec">{n.spec}</td>
                <td data-label="State">
                  <StateBadge state={n.state} />
                </td>
                <td data-label="Health">
                  <StateBadge state={n.health} />
                </td>
                <td data-label="Live bindings">{n.liveBindings}</td>
                <td data-label="Lock">
                  {n.lockedAt ? (
                    <span title={`Locked by ${n.lockedBy ?? '?'}`}>
                      <StateBadge state="locked" /> {formatTime(n.lockedAt)}
                    </span>
                  ) : (
                    '–'
                  )}
                </td>
                <td data-label="Bought">{formatTime(n.boughtAt)}</td>
                <td data-label="">
                  {n.state === 'active' && (
                    <button
                      type="button"
                      class="secondary small"
                      aria-label={`${n.lockedAt ? 'Unlock' : 'Lock'} ${n.number}`}
                      onClick={() => onLock(n.number, !n.lockedAt)}
                    >
                      {n.lockedAt ? 'Unlock…' : 'Lock…'}
                    </button>
                  )}{' '}
                  {n.state === 'active' && (
                    <button
                      type="button"
                      class="secondary small"
                      disabled={n.liveBindings > 0}
                      title={n.liveBindings > 0 ? 'In use by live bindings' : undefined}
                      aria-label={`Release ${n.number}`}
                      onClick={() => onRelease(n.number)}
                    >
                      Release…
                    </button>
                  )}
                </td>
              </tr>
            ))}
            {shown.length === 0 && (
              <tr>
                <td colSpan={9}>No numbers.</td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </>
  );
}
