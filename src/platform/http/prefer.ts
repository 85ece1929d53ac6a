/**
 * RFC 7240 `Prefer: wait=<seconds>`: how long the client is willing to wait for an answer, in
 * milliseconds, capped at `maxMs`; `fallbackMs` when the header does not ask.
 */
export function preferredWaitMs(prefer: string | undefined, maxMs: number, fallbackMs: number): number {
  const match = prefer ? /(?:^|[,;\s])wait=(\d{1,6})(?:$|[,;\s])/i.exec(prefer) : null;
  return match ? Math.min(Number(match[1]) * 1000, maxMs) : fallbackMs;
}
