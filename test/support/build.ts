import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const done = new Set<string>();

/**
 * Builds into dist/ what is missing or older than its sources, as `npm start` does, once per run: the server and the
 * console (what a real server process needs), or the console alone (what an in-process app serving /console needs).
 */
export function ensureBuilt(what: 'server and console' | 'console' = 'server and console'): void {
  if (done.has(what)) return;
  const args = what === 'console' ? ['console'] : [];
  execFileSync(process.execPath, [path.join(root, 'src/tools/build-if-needed.js'), ...args], { cwd: root, stdio: 'inherit' });
  done.add(what);
}
