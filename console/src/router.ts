import { useEffect, useState } from 'preact/hooks';

/**
 * Pages live in the URL's hash (#/bindings?phone=…, #/bindings/<id>, #/inventory/<pool>,
 * #/operations, #/webhooks), so the service serves one file and Back/Forward and bookmarks just work.
 */
export type Route =
  | { page: 'bindings'; query: URLSearchParams }
  | { page: 'binding'; id: string }
  | { page: 'inventory'; poolKey: string | null }
  | { page: 'operations' }
  | { page: 'webhooks' };

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const [path = '', search = ''] = raw.split('?', 2);
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  switch (parts[0]) {
    case 'bindings':
      return parts[1]
        ? { page: 'binding', id: parts[1] }
        : { page: 'bindings', query: new URLSearchParams(search) };
    case 'inventory':
      return { page: 'inventory', poolKey: parts[1] ?? null };
    case 'operations':
      return { page: 'operations' };
    case 'webhooks':
      return { page: 'webhooks' };
    default:
      return { page: 'bindings', query: new URLSearchParams(search) };
  }
}

export function hrefFor(route: Route): string {
  switch (route.page) {
    case 'bindings': {
      const search = route.query.toString();
      return `#/bindings${search ? `?${search}` : ''}`;
    }
    case 'binding':
      return `#/bindings/${encodeURIComponent(route.id)}`;
    case 'inventory':
      return route.poolKey ? `#/inventory/${encodeURIComponent(route.poolKey)}` : '#/inventory';
    case 'operations':
      return '#/operations';
    case 'webhooks':
      return '#/webhooks';
  }
}

export function navigate(route: Route): void {
  window.location.hash = hrefFor(route);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}

let lastSearch = new URLSearchParams();

/** The search last shown, so "← Bindings" returns to it with its filters. */
export function rememberSearch(query: URLSearchParams): void {
  lastSearch = query;
}

export function lastSearchHref(): string {
  return hrefFor({ page: 'bindings', query: lastSearch });
}
