import type TestAgent from 'supertest/lib/agent';
import { ALL_MODULES } from '../../src/composition-root';
import type { Clock } from '../../src/platform/clock/clock';
import { systemClock } from '../../src/platform/clock/clock';
import type { ModuleDefinition } from '../../src/platform/module/module-definition';
import { createTestApp, type TestApp } from '../support/test-app';

/**
 * The real app with one real module swapped for a test-only probe module of the same name (a
 * module's name must be one the configuration knows). The probe subscribes through the real bus,
 * so its handlers get real deliveries, retries, dead letters and log lines.
 */
export type ProbeApp = TestApp;

export async function createAppWithProbe(
  probe: ModuleDefinition,
  options: { env?: Record<string, string>; captureLogs?: boolean; clock?: Clock } = {},
): Promise<ProbeApp> {
  const modules = [...ALL_MODULES.filter((m) => m.name !== probe.name), probe];
  return createTestApp({ ...options, clock: options.clock ?? systemClock, modules });
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition into samples (comments skipped). */
export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) throw new Error(`Not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample of `name` whose labels include `labels`; undefined when absent. */
export function sampleValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

export async function scrape(http: TestAgent): Promise<Sample[]> {
  const res = await http.get('/metrics');
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return parsePrometheus(res.text);
}
