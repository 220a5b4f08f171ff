import { useEffect, useState } from 'preact/hooks';

/** A location inside the dashboard: `#/runs/<id>?status=running` → segments ['runs', '<id>'] and the query. */
export interface Route {
  readonly segments: readonly string[];
  readonly query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const segments = path
    .split('/')
    .filter(Boolean)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  return { segments, query: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
}

/** `href` of a page: href('runs', runId) → `#/runs/<runId>`. */
export function href(...parts: (string | URLSearchParams)[]): string {
  const query = parts.find((p): p is URLSearchParams => p instanceof URLSearchParams);
  const path = parts.filter((p): p is string => typeof p === 'string').map(encodeURIComponent);
  const qs = query?.toString();
  return `#/${path.join('/')}${qs ? `?${qs}` : ''}`;
}

export function navigate(to: string): void {
  window.location.hash = to;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const onChange = (): void => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/** The same page with one query parameter set (or removed when empty): for filters kept in the address. */
export function withParam(segments: readonly string[], query: URLSearchParams, key: string, value: string): string {
  const next = new URLSearchParams(query);
  if (value) next.set(key, value);
  else next.delete(key);
  return href(...segments, next);
}
