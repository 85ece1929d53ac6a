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
  'src/modules/alpha/alpha.module.ts':
    "import { bus } from '../../platform/bus';\nimport { x } from '../../contracts/events';\nexport const alpha = bus + x;\n",
  'src/modules/beta/beta.module.ts': "import { bus } from '../../platform/bus';\nexport const beta = bus;\n",
  'src/composition-root.ts':
    "import { alpha } from './modules/alpha/alpha.module';\nimport { beta } from './modules/beta/beta.module';\nexport const all = [alpha, beta];\n",
  // A module in the skeleton's shape, every layer importing only what it may.
  'src/platform/domain/domain-error.ts': 'export class DomainError extends Error {}\n',
  'src/platform/http/app-error.ts': 'export class AppError extends Error {}\n',
  'src/platform/http/route.ts': 'export const defineRoute = (r: unknown) => r;\n',
  'src/platform/db/module-database.ts': 'export class ModuleDatabase {}\n',
  'src/modules/beta/domain/rules.ts': "import { DomainError } from '../../../platform/domain/domain-error';\nexport const refuse = () => new DomainError();\n",
  'src/modules/beta/infrastructure/repo.ts':
    "import { ModuleDatabase } from '../../../platform/db/module-database';\nimport { refuse } from '../domain/rules';\nexport const repo = [ModuleDatabase, refuse];\n",
  'src/modules/beta/queries/read/read.query.ts': "import { repo } from '../../infrastructure/repo';\nexport const read = repo;\n",
  'src/modules/beta/commands/act/act.service.ts':
    "import { repo } from '../../infrastructure/repo';\nimport { refuse } from '../../domain/rules';\nexport const act = [repo, refuse];\n",
  'src/modules/beta/commands/act/act.http.controller.ts':
    "import { AppError } from '../../../../platform/http/app-error';\nimport { defineRoute } from '../../../../platform/http/route';\nimport { act } from './act.service';\nexport const route = [AppError, defineRoute, act];\n",
};

/** Plants one file into the clean tree and expects the lint to fail naming `rule`. */
function expectViolation(file: string, content: string, rule: string): void {
  const result = lint({ ...cleanTree, [file]: content });
  expect(result.status, result.output).to.not.equal(0);
  expect(result.output).to.contain(rule);
}

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

  describe('inside a module', () => {
    it('keeps domain/ pure: no other layer of the module, no storage or HTTP of the kernel, no knex, express or DI', () => {
      expectViolation('src/modules/beta/domain/leaky.ts', "import { repo } from '../infrastructure/repo';\nexport const x = repo;\n", 'domain-is-pure');
      expectViolation('src/modules/beta/domain/leaky.ts', "import { act } from '../commands/act/act.service';\nexport const x = act;\n", 'domain-is-pure');
      expectViolation(
        'src/modules/beta/domain/leaky.ts',
        "import { ModuleDatabase } from '../../../platform/db/module-database';\nexport const x = ModuleDatabase;\n",
        'domain-is-pure',
      );
      expectViolation(
        'src/modules/beta/domain/leaky.ts',
        "import { defineRoute } from '../../../platform/http/route';\nexport const x = defineRoute;\n",
        'domain-is-pure',
      );
      expectViolation('src/modules/beta/domain/leaky.ts', "import type { Knex } from 'knex';\nexport type X = Knex;\n", 'domain-is-pure');
      expectViolation('src/modules/beta/domain/leaky.ts', "import express from 'express';\nexport const x = express;\n", 'domain-is-pure');
      expectViolation('src/modules/beta/domain/leaky.ts', "import { injectable } from 'inversify';\nexport const x = injectable;\n", 'domain-is-pure');
    });

    it('keeps repositories and gateways off the HTTP layer', () => {
      expectViolation(
        'src/modules/beta/infrastructure/leaky.ts',
        "import { AppError } from '../../../platform/http/app-error';\nexport const x = AppError;\n",
        'infrastructure-speaks-no-http',
      );
      expectViolation(
        'src/modules/beta/infrastructure/leaky.ts',
        "import { defineRoute } from '../../../platform/http/route';\nexport const x = defineRoute;\n",
        'infrastructure-speaks-no-http',
      );
    });

    it('lets only route declarations use HTTP errors', () => {
      expectViolation(
        'src/modules/beta/commands/act/leaky.service.ts',
        "import { AppError } from '../../../../platform/http/app-error';\nexport const x = AppError;\n",
        'only-controllers-speak-http-errors',
      );
    });

    it('keeps commands and queries out of each other', () => {
      expectViolation(
        'src/modules/beta/commands/act/leaky.ts',
        "import { read } from '../../queries/read/read.query';\nexport const x = read;\n",
        'commands-do-not-reach-into-queries',
      );
      expectViolation(
        'src/modules/beta/queries/read/leaky.ts',
        "import { act } from '../../commands/act/act.service';\nexport const x = act;\n",
        'queries-do-not-reach-into-commands',
      );
    });
  });

  it('passes on the real source tree', () => {
    const output = execFileSync(process.execPath, [depcruise, 'src', '--config', '.dependency-cruiser.cjs'], { cwd: root, encoding: 'utf8' });
    expect(output).to.contain('no dependency violations found');
  });
});
