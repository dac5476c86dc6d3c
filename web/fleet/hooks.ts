import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "./api.ts";

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  reload(): void;
}

/** GET path (null: nothing to load); again on reload(), every `every` ms when given, and when deps change. */
export function useApi<T>(path: string | null, deps: unknown[] = [], every?: number): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    if (!path) return;
    const ctrl = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = () => {
      api<T>(path, { signal: ctrl.signal })
        .then((d) => {
          setData(d);
          setError(null);
        })
        .catch((e: Error) => {
          if (e.name !== "AbortError") setError(e.message);
        })
        .finally(() => {
          if (every && !ctrl.signal.aborted) timer = setTimeout(load, every);
        });
    };
    load();
    return () => {
      ctrl.abort();
      clearTimeout(timer);
    };
  }, [path, n, every, ...deps]);
  return { data, error, reload: () => setN((x) => x + 1) };
}

/** Focuses the view's heading when it mounts (keyboard and screen-reader users land in the view). */
export function useFocusHeading() {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  return ref;
}
