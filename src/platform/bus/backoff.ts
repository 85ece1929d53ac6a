/** Exponential backoff with "equal jitter": half fixed, half random, capped at a minute. */
export function backoffDelayMs(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const exp = Math.min(baseMs * 2 ** Math.max(0, attempt - 1), 60_000);
  return Math.round(exp / 2 + (random() * exp) / 2);
}
