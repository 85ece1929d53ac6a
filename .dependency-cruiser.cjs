/**
 * Architecture rules (`npm run lint:arch`, part of `npm test`):
 * modules talk only through events; the kernel and the contracts know no module; and inside a
 * module, the layers of the skeleton (docs/module-guide.md) keep to their side.
 */
const MODULE_LAYERS = '(infrastructure|commands|queries|event-handlers|jobs)';
/** The parts of the kernel that do I/O or speak HTTP: what a domain layer must not know. */
const KERNEL_IO = '^src/platform/(http|db|bus|idempotency|operations|openapi|metrics|logging|module)/|^src/platform/platform(\\.di-tokens)?\\.ts$';
const IO_PACKAGES = '(^|node_modules/)(@types/)?(knex|express|better-sqlite3|inversify|pino)(/|$)';
module.exports = {
  forbidden: [
    {
      name: 'no-cross-module-import',
      comment: 'A module may import the platform kernel and the published contracts, never another module.',
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/' },
      to: { path: '^src/modules/([^/]+)/', pathNot: '^src/modules/$1/' },
    },
    {
      name: 'kernel-imports-no-module',
      comment: 'The platform kernel and the event contracts are shared by every module, so they import none.',
      severity: 'error',
      from: { path: '^src/(platform|contracts)/' },
      to: { path: '^src/(modules/|composition-root)' },
    },
    {
      name: 'contracts-are-leaves',
      comment: 'Event contracts are plain data shapes: they depend on nothing of ours.',
      severity: 'error',
      from: { path: '^src/contracts/' },
      to: { path: '^src/', pathNot: '^src/contracts/' },
    },
    {
      name: 'only-composition-root-lists-modules',
      comment: 'Only the composition root wires modules together.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/modules/', '^src/composition-root\\.ts$'] },
      to: { path: '^src/modules/' },
    },
    {
      name: 'domain-is-pure',
      comment: "A module's domain/ holds its rules: no storage, no HTTP, no DI, no other layer of the module.",
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/domain/' },
      to: { path: [`^src/modules/$1/${MODULE_LAYERS}/`, '^src/modules/[^/]+/[^/]+\\.module\\.ts$', KERNEL_IO, IO_PACKAGES] },
    },
    {
      name: 'infrastructure-speaks-no-http',
      comment: 'Repositories, gateways and clients know nothing of the HTTP layer (statuses, problems, routes).',
      severity: 'error',
      from: { path: '^src/modules/[^/]+/infrastructure/' },
      to: { path: ['^src/platform/http/', '(^|node_modules/)(@types/)?express(/|$)'] },
    },
    {
      name: 'only-controllers-speak-http-errors',
      comment: 'Use cases and domain throw DomainErrors; only a route declaration maps them to HTTP.',
      severity: 'error',
      from: { path: '^src/modules/', pathNot: '\\.http\\.controller\\.ts$' },
      to: { path: '^src/platform/http/app-error\\.ts$' },
    },
    {
      name: 'modules-know-only-the-database-interface',
      comment: 'A module gets its ModuleDatabase handed in; which backend serves it is the platform’s business.',
      severity: 'error',
      from: { path: '^src/modules/' },
      to: {
        // knex's types are fine: a handle's queries are knex builders.
        path: ['^src/platform/db/(sqlite|postgres)/', '^src/platform/db/open-database\\.ts$', '(^|node_modules/)(@types/)?(better-sqlite3|pg)(/|$)'],
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'commands-do-not-reach-into-queries',
      comment: 'A command and a query share what they need through domain/ or infrastructure/, not through each other.',
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/commands/' },
      to: { path: '^src/modules/$1/queries/' },
    },
    {
      name: 'queries-do-not-reach-into-commands',
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/queries/' },
      to: { path: '^src/modules/$1/commands/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    // TypeScript 7 has no JS compiler API for dependency-cruiser to use; swc parses the sources instead.
    parser: 'swc',
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '\\.d\\.ts$' },
  },
};
