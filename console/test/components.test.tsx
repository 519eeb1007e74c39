import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { api, setCsrfToken } from '../src/api/client.js';
import { ConfirmDialog } from '../src/components/confirm-dialog.js';
import { BindingsSearch } from '../src/pages/bindings-search.js';
import { SignIn } from '../src/pages/sign-in.js';

/** A fetch stand-in that answers from a list of routes and remembers what was asked. */
function fakeFetch(answers: Record<string, { status: number; body?: unknown }>) {
  const calls: Array<{
    method: string;
    url: string;
    headers: Record<string, string>;
    body?: string;
  }> = [];
  const fetch = vi.fn(async (url: string, init: RequestInit = {}) => {
    calls.push({
      method: init.method ?? 'GET',
      url,
      headers: (init.headers ?? {}) as Record<string, string>,
      body: init.body as string | undefined,
    });
    const key = Object.keys(answers).find((k) => `${init.method ?? 'GET'} ${url}`.startsWith(k));
    const answer = key
      ? answers[key]!
      : { status: 404, body: { code: 'NOT_FOUND', message: 'no' } };
    return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), {
      status: answer.status,
      headers: { 'content-type': 'application/json' },
    });
  });
  vi.stubGlobal('fetch', fetch);
  return calls;
}

beforeEach(() => setCsrfToken(null));
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('api client', () => {
  it('sends the CSRF token on changes only, never on reads', async () => {
    const calls = fakeFetch({
      'GET /v1/x': { status: 200, body: {} },
      'POST /v1/x': { status: 200, body: {} },
    });
    setCsrfToken('csrf-1');
    await api('GET', '/v1/x');
    await api('POST', '/v1/x', { a: 1 });
    expect(calls[0]!.headers['x-csrf-token']).toBeUndefined();
    expect(calls[1]!.headers['x-csrf-token']).toBe('csrf-1');
    expect(calls[1]!.headers['content-type']).toBe('application/json');
  });

  it('turns an error body into an ApiError with its code and request id', async () => {
    fakeFetch({
      'GET /v1/y': {
        status: 409,
        body: { code: 'NUMBER_IN_USE', message: 'busy', requestId: 'r-1' },
      },
    });
    await expect(api('GET', '/v1/y')).rejects.toMatchObject({
      status: 409,
      code: 'NUMBER_IN_USE',
      message: 'busy',
      requestId: 'r-1',
    });
  });
});

describe('SignIn', () => {
  it('exchanges the key, empties the field and keeps the key out of storage', async () => {
    const calls = fakeFetch({
      'POST /v1/console/session': {
        status: 200,
        body: { name: 'ops', roles: ['admin'], expiresAt: '2026-11-22T12:00:00Z', csrfToken: 't' },
      },
    });
    const signedIn = vi.fn();
    render(<SignIn onSignedIn={signedIn} />);
    const field = screen.getByLabelText('Admin API key') as HTMLInputElement;
    fireEvent.input(field, { target: { value: 'axb_abcdefgh_secret' } });
    fireEvent.submit(field.form!);
    await waitFor(() =>
      expect(signedIn).toHaveBeenCalledWith(expect.objectContaining({ name: 'ops' })),
    );
    expect(JSON.parse(calls[0]!.body!)).toEqual({ apiKey: 'axb_abcdefgh_secret' });
    expect(field.value).toBe('');
    expect(localStorage.length + sessionStorage.length).toBe(0);
  });

  it('shows the refusal of a wrong key', async () => {
    fakeFetch({
      'POST /v1/console/session': {
        status: 401,
        body: { code: 'INVALID_API_KEY', message: 'The API key is not valid', requestId: 'r-9' },
      },
    });
    const signedIn = vi.fn();
    render(<SignIn onSignedIn={signedIn} />);
    const field = screen.getByLabelText('Admin API key') as HTMLInputElement;
    fireEvent.input(field, { target: { value: 'axb_wrongkey_nope' } });
    fireEvent.submit(field.form!);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('The API key is not valid');
    expect(alert.textContent).toContain('INVALID_API_KEY');
    expect(signedIn).not.toHaveBeenCalled();
  });
});

describe('BindingsSearch', () => {
  const item = (id: string, outId: string) => ({
    id,
    outId,
    poolKey: 'P',
    phoneA: '138****0001',
    phoneB: '139****0001',
    phoneX: '13010000000',
    subsId: 'S',
    state: 'active',
    expiresAt: '2026-11-22T12:00:00Z',
    record: false,
    city: null,
    cityStrict: false,
    createdAt: '2026-11-22T10:00:00Z',
    updatedAt: '2026-11-22T10:00:00Z',
    endedAt: null,
    calls: 0,
  });

  it('asks for masked numbers and pages with the service cursor', async () => {
    const calls = fakeFetch({
      'GET /v1/bindings?phone=13800000001&view=masked&limit=20&cursor=c2': {
        status: 200,
        body: { items: [item('2', 'trip-2')], nextCursor: null },
      },
      'GET /v1/bindings?phone=13800000001&view=masked&limit=20': {
        status: 200,
        body: { items: [item('1', 'trip-1')], nextCursor: 'c2' },
      },
    });
    render(<BindingsSearch query={new URLSearchParams({ phone: '13800000001' })} />);
    expect(await screen.findByText('trip-1')).toBeTruthy();
    expect(screen.getAllByText('138****0001')).toHaveLength(1);
    fireEvent.click(screen.getByText('Next →'));
    expect(await screen.findByText('trip-2')).toBeTruthy();
    expect(calls.map((c) => c.url)).toContain(
      '/v1/bindings?phone=13800000001&view=masked&limit=20&cursor=c2',
    );
    fireEvent.click(screen.getByText('← Previous'));
    expect(await screen.findByText('trip-1')).toBeTruthy();
  });
});

describe('ConfirmDialog', () => {
  it('confirms only on its confirm button', () => {
    const confirm = vi.fn();
    const cancel = vi.fn();
    render(
      <ConfirmDialog open title="Buy?" confirmLabel="Buy 2" onConfirm={confirm} onCancel={cancel}>
        <p>Two numbers</p>
      </ConfirmDialog>,
    );
    fireEvent.click(screen.getByText('Cancel'));
    expect(cancel).toHaveBeenCalledTimes(1);
    expect(confirm).not.toHaveBeenCalled();
    fireEvent.click(screen.getByText('Buy 2'));
    expect(confirm).toHaveBeenCalledTimes(1);
  });
});
