/**
 * `npm run check:cycles` (part of `npm test`): no import cycles, between modules or between folders of
 * src/. A folder is one job (README, Layout); a cycle between two folders means neither is.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-module-cycles',
      severity: 'error',
      comment: 'A module that, through its imports, imports itself.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-folder-cycles',
      scope: 'folder',
      severity: 'error',
      comment: 'Two folders of src/ that import each other, directly or through others.',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    includeOnly: '^src/',
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports count: a cycle of types is still two folders that cannot be read apart.
    tsPreCompilationDeps: true,
  },
};
