import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, setCsrfToken, whenSignedOut } from './api/client.js';
import type { SessionInfo } from './api/types.js';
import { BindingDetail } from './pages/binding-detail.js';
import { BindingsSearch } from './pages/bindings-search.js';
import { Inventory } from './pages/inventory.js';
import { Operations } from './pages/operations.js';
import { SignIn } from './pages/sign-in.js';
import { Webhooks } from './pages/webhooks.js';
import { useRoute, type Route } from './router.js';

type Session = { state: 'checking' } | { state: 'out' } | { state: 'in'; info: SessionInfo };

const NAV: Array<{ label: string; href: string; pages: Route['page'][] }> = [
  { label: 'Bindings', href: '#/bindings', pages: ['bindings', 'binding'] },
  { label: 'Inventory', href: '#/inventory', pages: ['inventory'] },
  { label: 'Operations', href: '#/operations', pages: ['operations'] },
  { label: 'Webhooks', href: '#/webhooks', pages: ['webhooks'] },
];

/** Asks the service for the session behind the cookie (after a reload), else shows sign-in. */
export function App() {
  const [session, setSession] = useState<Session>({ state: 'checking' });
  const route = useRoute();

  useEffect(() => {
    whenSignedOut(() => {
      setCsrfToken(null);
      setSession({ state: 'out' });
    });
    api<SessionInfo>('GET', '/v1/console/session').then(
      (info) => {
        setCsrfToken(info.csrfToken);
        setSession({ state: 'in', info });
      },
      () => setSession({ state: 'out' }),
    );
    return () => whenSignedOut(null);
  }, []);

  async function signOut() {
    try {
      await api<void>('DELETE', '/v1/console/session');
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
    }
    setCsrfToken(null);
    setSession({ state: 'out' });
  }

  if (session.state === 'checking') return <p class="muted center">Loading…</p>;
  if (session.state === 'out') {
    return <SignIn onSignedIn={(info) => setSession({ state: 'in', info })} />;
  }
  return (
    <>
      <a class="skip" href="#content" onClick={skipToContent}>
        Skip to content
      </a>
      <header class="top">
        <span class="brand">axb-router</span>
        <nav aria-label="Main">
          {NAV.map((item) => (
            <a
              key={item.href}
              href={item.href}
              aria-current={item.pages.includes(route.page) ? 'page' : undefined}
            >
              {item.label}
            </a>
          ))}
        </nav>
        <span class="who">
          <span class="muted small">Signed in as</span> <strong>{session.info.name}</strong>
          <button type="button" class="secondary small" onClick={() => void signOut()}>
            Sign out
          </button>
        </span>
      </header>
      <main id="content" tabIndex={-1}>
        <Page route={route} />
      </main>
    </>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'bindings':
      return <BindingsSearch query={route.query} />;
    case 'binding':
      return <BindingDetail id={route.id} />;
    case 'inventory':
      return <Inventory poolKey={route.poolKey} />;
    case 'operations':
      return <Operations />;
    case 'webhooks':
      return <Webhooks />;
  }
}

/** The hash is the router's: move focus to the content without changing the URL. */
function skipToContent(event: Event) {
  event.preventDefault();
  document.getElementById('content')?.focus();
}
