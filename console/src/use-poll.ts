import { useEffect, useRef, useState } from 'preact/hooks';
import type { ApiError } from './api';

/**
 * Runs `load` now and every `everyMs` while the page is shown; keeps the last answer and the last
 * error (the API's problem). An answer is for the `deps` it was loaded with: when they change, the
 * value is null until the new answer comes (a page never shows one concert's data under another's name).
 */
export function usePoll<T>(
  load: () => Promise<T>,
  everyMs: number,
  deps: unknown[] = [],
): { value: T | null; error: ApiError | Error | null; refresh: () => void } {
  const key = JSON.stringify(deps);
  const [answer, setAnswer] = useState<{ key: string; value: T } | null>(null);
  const [error, setError] = useState<ApiError | Error | null>(null);
  const [nonce, setNonce] = useState(0);
  const latest = useRef(load);
  latest.current = load;
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        const value = await latest.current();
        if (stopped) return;
        setAnswer({ key, value });
        setError(null);
      } catch (err) {
        if (!stopped) setError(err as Error);
      }
      if (!stopped) timer = setTimeout(run, everyMs);
    };
    run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [...deps, nonce]);
  return { value: answer !== null && answer.key === key ? answer.value : null, error, refresh: () => setNonce((n) => n + 1) };
}
