import { useState } from 'preact/hooks';
import { api } from '../api/client.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { ErrorNote } from './error-note.js';

interface Erasure {
  phone: string;
  bindings: number;
  calls: number;
}

/**
 * Erasure on request (POST /v1/admin/erasures): every ended record of one number loses it, hash
 * included. Asked for with a confirmation (it cannot be undone); a number with a binding not over
 * is refused (409, the orders named) and nothing changes. The server records it without the number.
 */
export function ErasureForm() {
  const [phone, setPhone] = useState('');
  const [asking, setAsking] = useState(false);
  const [done, setDone] = useState<Erasure | null>(null);
  const [error, setError] = useState<Error | null>(null);

  async function erase() {
    setAsking(false);
    setError(null);
    setDone(null);
    try {
      setDone(await api<Erasure>('POST', '/v1/admin/erasures', { phone: phone.trim() }));
      setPhone('');
    } catch (e) {
      setError(e as Error);
    }
  }

  return (
    <div class="card">
      <h2>Erase a number</h2>
      <p class="muted small">
        A person asked for their number to be erased (PIPL Art. 47): it is replaced by its masked
        form in every ended binding and call, and can no longer be searched for.
      </p>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (phone.trim()) setAsking(true);
        }}
      >
        <label>
          Phone number{' '}
          <input
            name="erase-phone"
            inputMode="tel"
            autocomplete="off"
            value={phone}
            onInput={(event) => setPhone((event.target as HTMLInputElement).value)}
          />
        </label>{' '}
        <button type="submit" class="secondary" disabled={!phone.trim()}>
          Erase…
        </button>
      </form>
      {done && (
        <p class="note" role="status">
          {done.phone} erased: {done.bindings} binding(s), {done.calls} call(s).
        </p>
      )}
      <ErrorNote error={error} />
      <ConfirmDialog
        open={asking}
        title="Erase this number?"
        confirmLabel="Erase"
        onConfirm={() => void erase()}
        onCancel={() => setAsking(false)}
      >
        <p>
          Every ended record of this number loses it for good, and a search by it will find nothing.
          This cannot be undone. A number with a binding not over is refused.
        </p>
      </ConfirmDialog>
    </div>
  );
}
