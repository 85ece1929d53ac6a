import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { tempDataDir } from '../support/test-app';
import { freePort, ServerProcess } from './server-process';

const run = promisify(execFile);
const ADMIN = { email: 'demo-admin@test.local', password: 'demo-admin-password' };

/** `docs/demo.sh`, the README's walk-through, run as a reader would: against the real server with its demo concert. */
describe('docs/demo.sh against the real server', function () {
  this.timeout(90_000);
  let server: ServerProcess;
  after(async () => server?.stop());

  it('takes a new user from sign-up to a confirmed seat, a notification with the e-ticket, and one admission at the door', async () => {
    server = new ServerProcess(
      {
        DATA_DIR: tempDataDir(),
        SEED_DEMO: 'true',
        JWT_SECRET: 'demo-secret-demo-secret-demo-secret-0123',
        TICKET_SECRET: 'demo-ticket-secret-demo-ticket-secret-01',
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
      },
      await freePort(),
      { quiet: true },
    );
    await server.start();
    const script = path.resolve(__dirname, '../../docs/demo.sh');
    const { stdout } = await run('bash', [script, server.base], {
      env: { ...process.env, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password },
      timeout: 60_000,
    }).catch((err: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`demo.sh failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}\n${server.logTail()}`);
    });
    expect(stdout).to.match(/"status":"CONFIRMED"/);
    expect(stdout).to.match(/e-ticket: TKT/);
    const scans = stdout.split('\n').filter((line) => line.startsWith('{') && (line.includes('admittedAt') || line.includes('TICKET_ALREADY_USED')));
    expect(scans, stdout).to.have.length(2);
    expect(scans[0]).to.include('"admittedAt"').and.not.include('TICKET_ALREADY_USED');
    expect(scans[1]).to.include('TICKET_ALREADY_USED');
  });
});
