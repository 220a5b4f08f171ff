import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

import { ApiError, api } from './api';

/** How often open pages ask again (the dashboard is live without reloading). */
export const POLL_INTERVAL_MS = 1500;

export interface Live<T> {
  data: T | undefined;
  error: ApiError | undefined;
  /** When the last answer (data or error) came. */
  updatedAt: number | undefined;
  refresh: () => void;
}

/**
 * Polls one API path while the page shows it: the next request is sent only after the previous answer (no pile-up
 * on a slow host), nothing is sent while the tab is hidden, and an answer for a path the page has left is dropped.
 */
export function useLive<T>(path: string | undefined, intervalMs: number = POLL_INTERVAL_MS): Live<T> {
  const [state, setState] = useState<{ path?: string; data?: T; error?: ApiError; updatedAt?: number }>({});
  const [tick, setTick] = useState(0);
  const refresh = useCallback(() => setTick((t) => t + 1), []);
  const pathRef = useRef(path);
  pathRef.current = path;

  useEffect(() => {
    if (!path) return undefined;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async (): Promise<void> => {
      if (document.visibilityState === 'hidden') {
        timer = setTimeout(() => void load(), intervalMs);
        return;
      }
      try {
        const data = await api.get<T>(path, controller.signal);
        if (pathRef.current === path) setState({ path, data, updatedAt: Date.now() });
      } catch (err) {
        if (controller.signal.aborted) return;
        const error = err instanceof ApiError ? err : new ApiError(0, 'Request failed', (err as Error).message);
        if (pathRef.current === path) setState((s) => ({ ...s, path, error, updatedAt: Date.now() }));
      }
      if (!controller.signal.aborted) timer = setTimeout(() => void load(), intervalMs);
    };
    void load();
    return () => {
      controller.abort();
      if (timer) clearTimeout(timer);
    };
  }, [path, intervalMs, tick]);

  const current = state.path === path;
  return {
    data: current ? state.data : undefined,
    error: current ? state.error : undefined,
    updatedAt: current ? state.updatedAt : undefined,
    refresh,
  };
}
