import { ApiError } from '../api/client.js';

/** An error as the operator needs it: what went wrong, the code, and the request id to quote. */
export function ErrorNote({ error }: { error: Error | undefined | null }) {
  if (!error) return null;
  const api = error instanceof ApiError ? error : undefined;
  return (
    <p class="note note-bad" role="alert">
      {error.message}
      {api && (
        <span class="muted">
          {' '}
          ({api.code}
          {api.requestId ? `, request ${api.requestId}` : ''})
        </span>
      )}
    </p>
  );
}
