import { useState } from 'preact/hooks';
import { api, setCsrfToken } from '../api/client.js';
import type { SessionInfo } from '../api/types.js';
import { ErrorNote } from '../components/error-note.js';

/**
 * The admin key is sent once and exchanged for an HttpOnly session cookie; the field is emptied
 * at once and the key is kept nowhere in the browser.
 */
export function SignIn({ onSignedIn }: { onSignedIn: (session: SessionInfo) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const apiKey = key.trim();
    setKey('');
    try {
      const session = await api<SessionInfo>('POST', '/v1/console/session', { apiKey });
      setCsrfToken(session.csrfToken);
      onSignedIn(session);
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="content" class="sign-in">
      <h1>axb-router console</h1>
      <form onSubmit={submit} class="card">
        <label for="api-key">Admin API key</label>
        <input
          id="api-key"
          name="apiKey"
          type="password"
          autocomplete="off"
          spellcheck={false}
          required
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
        />
        <p class="muted small">
          Create one with <code>npm run apikey -- create --name you --roles admin</code>. It is
          exchanged for a session cookie and not stored in this browser.
        </p>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <ErrorNote error={error} />
      </form>
    </main>
  );
}
