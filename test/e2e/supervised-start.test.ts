import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { tempDataDir } from '../support/test-app';
import { freePort } from './server-process';

/**
 * A service of the split topology ends with its supervisor, also when the supervisor dies while the
 * service is still starting (found by `npm run chaos -- --topology split`: a supervisor killed
 * twice in a row left services that were still starting running for ever, as orphans holding their
 * module's leadership). Here the "supervisor" (this test) cuts the IPC channel right after the
 * spawn, long before the server can have finished starting.
 */
describe('a supervised service whose supervisor is gone before it finished starting', function () {
  this.timeout(60_000);

  it('exits instead of living on as an orphan', async () => {
    const root = path.resolve(__dirname, '../..');
    const port = await freePort();
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(root, 'src/main.ts')], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      env: {
        ...process.env,
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        SEED_DEMO: 'false',
        DATA_DIR: tempDataDir(),
        PORT: String(port),
        TICKETING_SUPERVISED: '1',
      },
    });
    const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(`exit ${signal ?? code}`)));
    child.disconnect();
    const outcome = await Promise.race([exited, new Promise<string>((resolve) => setTimeout(() => resolve('still running after 30 s'), 30_000))]);
    if (outcome.startsWith('still')) child.kill('SIGKILL');
    expect(outcome).to.match(/^exit/);
    // Nor did it get as far as serving.
    expect(
      await fetch(`http://127.0.0.1:${port}/health/live`).then(
        (r) => r.status,
        () => 'refused',
      ),
    ).to.equal('refused');
  });
});
