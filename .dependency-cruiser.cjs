// The layer rules of ringshift (see ARCHITECTURE.md), checked by dependency-cruiser in `npm test` and
// `npm run lint` (`npm run depcheck` alone). A layer may import its own folder and the layers strictly
// below it; siblings on one rank do not import each other (ring never sees output, config never sees
// storage). Type-only imports count: a cycle through types is still a cycle.

/** The layers of src/, lowest first. `rank`: a layer imports only layers of a lower rank (and itself). */
const LAYERS = [
  // Leaves every layer may use: typed errors, the unit grammar, the clock, durable fs helpers, name input.
  { name: 'base', rank: 0, path: '^src/(errors|units|clock|fs-durable|seeded-random)[.]ts$|^src/input/' },
  // Output helpers (sinks, aligned tables, hand-built JSON): for the layers that print.
  { name: 'output', rank: 1, path: '^src/output/' },
  // Hash rings: pure models of the upstream rings, and the ring analysis built on them.
  { name: 'ring', rank: 1, path: '^src/ring/' },
  // The whisper engine: one file format, no ring, no storage.
  { name: 'whisper', rank: 1, path: '^src/whisper/' },
  // Config readers: the ring from any config file, cluster files.
  { name: 'config', rank: 2, path: '^src/config/' },
  // What the ring commands print: streamed locate/sieve lines, show/diff reports, name-stream progress.
  { name: 'ring-output', rank: 2, path: '^src/ring-output/' },
  // Storage locations (from a cluster file's storage: section), drivers (local, ssh://) and the scanner.
  { name: 'storage', rank: 3, path: '^src/storage/' },
  { name: 'audit', rank: 4, path: '^src/audit/' },
  // Beside the audit → plan → apply chain: only commands/ import these (rule `side-layers`).
  { name: 'lint', rank: 4, path: '^src/lint/' },
  { name: 'example', rank: 4, path: '^src/example/' },
  { name: 'plan', rank: 5, path: '^src/plan/' },
  { name: 'apply', rank: 6, path: '^src/apply/' },
  // The operator's toolbox (path/name, stale, du, delete, rename, backup/restore, nodes): built on all of the above.
  { name: 'toolbox', rank: 7, path: '^src/toolbox/' },
  // oclif glue (base command, shared flags): only commands/ import it (rule `cli-only-from-commands`).
  { name: 'cli', rank: 8, path: '^src/cli/' },
  // The HTML report: draws what audit, plan, apply's journals and lint found. Only commands/ import it.
  { name: 'report', rank: 7, path: '^src/report/' },
];

const higher = (layer) => LAYERS.filter((l) => l !== layer && l.rank >= layer.rank);
const layerRules = LAYERS.filter((layer) => higher(layer).length > 0).map((layer) => ({
  name: `layer-${layer.name}`,
  comment: `src/${layer.name} (rank ${layer.rank}) imports only lower layers: ${
    LAYERS.filter((l) => l.rank < layer.rank)
      .map((l) => l.name)
      .join(', ') || 'none'
  }`,
  severity: 'error',
  from: { path: layer.path },
  to: { path: higher(layer).map((l) => l.path) },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles (type-only imports included): split the shared part into a module both import.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'oclif-only-in-cli',
      comment: '@oclif/core belongs to the CLI: src/cli/ and commands/ (and the bin, scripts and tests that drive them).',
      severity: 'error',
      from: { pathNot: '^(src/cli|commands|bin|scripts|test)/' },
      to: { path: '(^|/)node_modules/@oclif/' },
    },
    {
      name: 'cli-only-from-commands',
      comment: 'src/cli is the oclif glue for commands/: nothing in the library imports it.',
      severity: 'error',
      from: { pathNot: '^(src/cli|commands|test)/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'ring-is-pure',
      comment: 'src/ring models rings: no output, CLI, config, storage or anything built on it.',
      severity: 'error',
      from: { path: '^src/ring/' },
      to: { path: '^src/(output|ring-output|cli|config|storage|whisper|audit|plan|apply|lint|example)/' },
    },
    {
      name: 'side-layers',
      comment:
        'lint and the example seeder stand beside audit → plan → apply: only commands/, tests, benches and the report (which draws lint findings) use them.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(lint|example|report)/' },
      to: { path: '^src/(lint|example)/' },
    },
    {
      name: 'library-does-not-import-entry-points',
      comment: 'src/ is the library: it never imports commands, tests, benches or scripts.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(commands|test|bench|scripts|bin)/' },
    },
    {
      name: 'every-src-file-in-a-layer',
      comment: 'A new folder or top-level file of src/ gets a layer in .dependency-cruiser.cjs (and a line in ARCHITECTURE.md).',
      severity: 'error',
      from: { path: '^src/', pathNot: LAYERS.map((l) => l.path) },
      to: {},
    },
    {
      name: 'every-imported-src-file-in-a-layer',
      comment: 'The same rule seen from the importing side.',
      severity: 'error',
      from: {},
      to: { path: '^src/', pathNot: LAYERS.map((l) => l.path) },
    },
    {
      name: 'no-dev-deps-at-runtime',
      comment: 'The shipped code (src/, commands/) must not need a devDependency.',
      severity: 'error',
      from: { path: '^(src|commands)/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-undeclared-packages',
      comment: 'Every imported package is listed in package.json.',
      severity: 'error',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown', 'unknown', 'undetermined'] },
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
};
