import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';

const root = path.resolve(__dirname, '../..');
const depcruise = path.join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

/** Runs the project's architecture lint over a small planted tree; returns its exit status and output. */
function lint(files: Record<string, string>): { status: number; output: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'arch-lint-'));
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), content);
  }
  fs.copyFileSync(path.join(root, '.dependency-cruiser.cjs'), path.join(dir, '.dependency-cruiser.cjs'));
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', strict: true } }));
  try {
    const output = execFileSync(process.execPath, [depcruise, 'src', '--config', '.dependency-cruiser.cjs'], { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
    return { status: 0, output };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { status: e.status, output: `${e.stdout}${e.stderr}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const cleanTree = {
  'src/contracts/events.ts': 'export const x = 1;\n',
  'src/platform/bus.ts': "import { x } from '../contracts/events';\nexport const bus = x;\n",
  'src/modules/alpha/alpha.module.ts': "import { bus } from '../../platform/bus';\nimport { x } from '../../contracts/events';\nexport const alpha = bus + x;\n",
  'src/modules/beta/beta.module.ts': "import { bus } from '../../platform/bus';\nexport const beta = bus;\n",
  'src/composition-root.ts': "import { alpha } from './modules/alpha/alpha.module';\nimport { beta } from './modules/beta/beta.module';\nexport const all = [alpha, beta];\n",
};

describe('architecture lint (npm run lint:arch)', function () {
  this.timeout(60_000);

  it('passes a tree that follows the rules', () => {
    const result = lint(cleanTree);
    expect(result.status, result.output).to.equal(0);
  });

  it('fails on a planted cross-module import', () => {
    const result = lint({ ...cleanTree, 'src/modules/beta/uses-alpha.ts': "import { alpha } from '../alpha/alpha.module';\nexport const leak = alpha;\n" });
    expect(result.status).to.not.equal(0);
    expect(result.output).to.contain('no-cross-module-import');
  });

  it('fails when the kernel imports a module', () => {
    const result = lint({ ...cleanTree, 'src/platform/leak.ts': "import { alpha } from '../modules/alpha/alpha.module';\nexport const leak = alpha;\n" });
    expect(result.status).to.not.equal(0);
    expect(result.output).to.contain('kernel-imports-no-module');
  });

  it('fails on a type-only cross-module import too', () => {
    const result = lint({ ...cleanTree, 'src/modules/beta/types.ts': "import type { alpha } from '../alpha/alpha.module';\nexport type T = typeof alpha;\n" });
    expect(result.status).to.not.equal(0);
    expect(result.output).to.contain('no-cross-module-import');
  });

  it('passes on the real source tree', () => {
    const output = execFileSync(process.execPath, [depcruise, 'src', '--config', '.dependency-cruiser.cjs'], { cwd: root, encoding: 'utf8' });
    expect(output).to.contain('no dependency violations found');
  });
});
