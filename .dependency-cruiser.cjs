/**
 * Architecture rules (`npm run lint:arch`, part of `npm test`):
 * modules talk only through events; the kernel and the contracts know no module.
 */
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
