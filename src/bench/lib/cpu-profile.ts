import fs from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime?: number;
  samples?: number[];
  timeDeltas?: number[];
}

/**
 * A span of the monotonic clock in microseconds. V8 stamps profile samples with the same
 * CLOCK_MONOTONIC that `process.hrtime` reads in any process on the machine, so the bench can
 * cut one scenario out of the server's profile.
 */
export interface TimeWindow {
  fromUs: number;
  toUs: number;
}

export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

export interface HotSpot {
  function: string;
  where: string;
  selfPercent: number;
}

/** Self time by function (and by package) from a V8 .cpuprofile written by `node --cpu-prof`. */
export function topCosts(
  dir: string,
  limit = 12,
  window?: TimeWindow,
): { functions: HotSpot[]; packages: Array<{ name: string; selfPercent: number }>; ours: HotSpot[] } {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  for (const file of files) {
    const profile = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Profile;
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    const parents = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parents.set(c, n.id);
    const hits = new Map<number, number>();
    if (profile.samples && profile.timeDeltas) {
      let at = profile.startTime ?? 0;
      profile.samples.forEach((id, i) => {
        const delta = Math.max(0, profile.timeDeltas![i] ?? 0);
        at += delta;
        if (window && (at < window.fromUs || at > window.toUs)) return;
        hits.set(id, (hits.get(id) ?? 0) + delta);
      });
    } else {
      for (const n of profile.nodes) hits.set(n.id, n.hitCount ?? 0);
    }
    for (const [id, weight] of hits) {
      const node = nodes.get(id);
      if (!node) continue;
      total += weight;
      const { functionName, url, lineNumber } = node.callFrame;
      const where = url ? `${shorten(url)}:${lineNumber + 1}` : '(native)';
      const key = `${functionName || '(anonymous)'}\u0000${where}`;
      byFunction.set(key, (byFunction.get(key) ?? 0) + weight);
      const pkg = packageOf(url, functionName);
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + weight);
      // Inclusive time of our own functions: each one on the sampled stack, counted once.
      const seen = new Set<string>();
      for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
        const frame = nodes.get(at)?.callFrame;
        if (!frame?.url.includes('/dist/src/')) continue;
        const k = `${frame.functionName || '(anonymous)'}\u0000${shorten(frame.url)}:${frame.lineNumber + 1}`;
        if (seen.has(k)) continue;
        seen.add(k);
        inclusive.set(k, (inclusive.get(k) ?? 0) + weight);
      }
    }
  }
  const pct = (w: number) => Math.round((1000 * w) / Math.max(1, total)) / 10;
  const hottest = (weights: Map<string, number>): HotSpot[] =>
    [...weights.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([key, w]) => {
        const [fn, where] = key.split('\u0000');
        return { function: fn, where, selfPercent: pct(w) };
      });
  return {
    functions: hottest(byFunction),
    packages: [...byPackage.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, w]) => ({ name, selfPercent: pct(w) })),
    ours: hottest(inclusive),
  };
}

function shorten(url: string): string {
  const i = url.lastIndexOf('node_modules/');
  if (i >= 0) return url.slice(i + 'node_modules/'.length);
  const d = url.indexOf('/dist/');
  return d >= 0 ? url.slice(d + 1) : url.replace(/^file:\/\//, '');
}

function packageOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native/V8)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (url.startsWith('node:')) return 'node core';
  if (url.includes('/dist/src/')) return `ours: ${url.split('/dist/src/')[1].split('/').slice(0, 2).join('/')}`;
  return url;
}
