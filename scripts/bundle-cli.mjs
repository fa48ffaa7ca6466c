// Bundles the built CLI (tsc's output in dist/) with esbuild into dist/bundle/: the start-up path,
// one ES module per command and for the hook, and shared chunks that hold oclif's core and our
// modules. Node then reads a handful of files at start instead of the ~400 it resolves one by one
// without a bundle (oclif's core alone is ~350 CommonJS files), which is most of a short command's
// time (issue 10: start-up ≤ 2× `node -e 0`). Run by `npm run build` after tsc, before the manifest.
//
// Kept out of the bundle: native addons (fs-ext, ssh2 and its optional cpu-features), what oclif
// loads only for TypeScript sources (typescript, ts-node, tsx), and oclif's plugins (oclif loads
// them from node_modules by path, with their own copy of @oclif/core, as for any installed plugin).
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const out = join(dist, 'bundle');

// Packages oclif's core requires at load but uses only on paths a command line rarely takes: scanning
// a commands directory without a manifest (tinyglobby), plugin name patterns (minimatch), reading a
// plugin's package.json (lilconfig), help templates (ejs), spinners (cli-spinners), the engine check
// (semver), ansi-styles' colour conversions (color-convert). Each is replaced by a stand-in that
// requires the package from node_modules on first use — resolved from the importer's own directory, so
// the same copy esbuild would have bundled — with the same exports. They stay out of the bundle: Node
// parses every byte of the chunk that holds oclif before a command runs, and these were ~330 KB of
// its ~690 KB.
const LAZY = new Map([
  ['tinyglobby', /[\\/]node_modules[\\/]@oclif[\\/]core[\\/]/],
  ['minimatch', /[\\/]node_modules[\\/]@oclif[\\/]core[\\/]/],
  ['lilconfig', /[\\/]node_modules[\\/]@oclif[\\/]core[\\/]/],
  ['ejs', /[\\/]node_modules[\\/]@oclif[\\/]core[\\/]/],
  ['cli-spinners', /[\\/]node_modules[\\/]@oclif[\\/]core[\\/]/],
  ['semver', /[\\/]node_modules[\\/]@oclif[\\/]core[\\/]/],
  ['color-convert', /[\\/]node_modules[\\/]ansi-styles[\\/]/],
  // wrap-ansi (oclif's error and help layout) reads ansi-styles' code table only when it wraps text;
  // ansi-styles builds all its tables when loaded.
  ['ansi-styles', /[\\/]node_modules[\\/]wrap-ansi[\\/]/],
  // Node's own modules, which load a dozen internal modules each: oclif's performance marks (off
  // unless OCLIF_PERFORMANCE) and its reading of arguments from stdin.
  ['node:perf_hooks', /[\\/]node_modules[\\/]@oclif[\\/]core[\\/]/],
  ['node:readline', /[\\/]node_modules[\\/]@oclif[\\/]core[\\/]/],
]);
// The stand-ins find node_modules relative to their output file, which esbuild puts in a shared chunk
// at the top of dist/bundle (checked after the build: esbuild heads each with this comment).
const STAND_IN = '\n// lazy-require:';
const lazyRequire = {
  name: 'lazy-require',
  setup(b) {
    b.onResolve({ filter: /^[\w@][\w@/.:-]*$/ }, (args) =>
      args.namespace === 'file' && LAZY.get(args.path)?.test(args.importer) === true
        ? { path: args.path, namespace: 'lazy-require', pluginData: { importer: relative(out, args.importer).split(sep).join('/') } }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-require' }, (args) => ({
      loader: 'js',
      // __esModule: tsc's __importDefault/__importStar then hand the stand-in itself to the importer,
      // whose `.default` is the package's module.exports, as those helpers would have made it.
      // `__dirname` is the output file's (the bundle's banner defines it).
      contents: `let real;
const load = () => (real ??= require('node:module').createRequire(require('node:path').join(__dirname, ${JSON.stringify(args.pluginData.importer)}))(${JSON.stringify(args.path)}));
module.exports = new Proxy({}, {
  get(_, key) {
    if (key === '__esModule') return true;
    const m = load();
    return key === 'default' && !(m && m.__esModule) ? m : m[key];
  },
  has: (_, key) => key in load(),
});
`,
    }));
  },
};

// oclif sorts its commands by id with localeCompare, and the ICU collator that first call sets up costs
// ~10 ms of every start. Where ICU's default locale is root or English (the locale variables name C,
// POSIX, en… or nothing) and the ids are lower-case letters, digits, '-' and ':', the collator's order is
// the code-unit order with ':' moved below the digits ('-' < ':' < digits < letters); elsewhere (a
// tailored alphabet: lt puts y before j) localeCompare itself decides. Patched in the bundle only; a
// changed oclif fails the build.
const SORT_BY_ID = '.sort((a, b) => a.id.localeCompare(b.id));';
const ID_ORDER = `.sort(((plain) => (a, b) => {
                if (!plain || !/^[a-z0-9:-]*$/.test(a.id) || !/^[a-z0-9:-]*$/.test(b.id)) return a.id.localeCompare(b.id);
                const x = a.id.replaceAll(':', '.');
                const y = b.id.replaceAll(':', '.');
                return x < y ? -1 : x > y ? 1 : 0;
            })(/^(|C|POSIX|en)([._@-]|$)/.test(process.env.LC_ALL || process.env.LC_MESSAGES || process.env.LANG || '')));`;
const idOrder = {
  name: 'id-order',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]@oclif[\\/]core[\\/]lib[\\/]config[\\/]plugin\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (text.split(SORT_BY_ID).length !== 2) {
        throw new Error(`${args.path}: expected one "${SORT_BY_ID}" (oclif changed: review the id-order patch in scripts/bundle-cli.mjs)`);
      }
      return { contents: text.replace(SORT_BY_ID, ID_ORDER), loader: 'js' };
    });
  },
};

const commands = readdirSync(join(dist, 'commands'), { recursive: true })
  .filter((f) => f.endsWith('.js'))
  .map((f) => join(dist, 'commands', f));

rmSync(out, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: [join(dist, 'src/cli/run-cli.js'), join(dist, 'src/cli/command-not-found.js'), ...commands],
  outbase: dist,
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',

  external: ['fs-ext', 'ssh2', 'cpu-features', 'typescript', 'ts-node', 'tsx', '@oclif/plugin-*'],
  // CommonJS inside an ES module: oclif's core uses require, __dirname and __filename.
  banner: {
    js: [
      "import { createRequire as __rsCreateRequire } from 'node:module';",
      "import { fileURLToPath as __rsFileURLToPath } from 'node:url';",
      "import { dirname as __rsDirname } from 'node:path';",
      'const require = __rsCreateRequire(import.meta.url);',
      'const __filename = __rsFileURLToPath(import.meta.url);',
      'const __dirname = __rsDirname(__filename);',
    ].join(' '),
  },
  plugins: [lazyRequire, idOrder],
  logLevel: 'warning',
});

// esbuild renames a top-level class or function whose name another module also declares (Foo → Foo2).
// Two kinds of names matter: class names (error lines recognise oclif's errors by class name,
// src/cli/error-line.ts, and messages may print them) and functions run from their source text (the
// scan's worker, src/storage/walk-worker.ts: `fn.toString()`). A rename of one of those fails the
// build: give the declaration a name no other module declares.
const jsFiles = (dir) =>
  readdirSync(dir, { recursive: true })
    .filter((f) => f.endsWith('.js'))
    .map((f) => join(dir, f));
const mustKeep = new Set();
for (const f of [...jsFiles(join(dist, 'src')), ...commands]) {
  const text = readFileSync(f, 'utf8');
  const functions = new Set([...text.matchAll(/^(?:export )?(?:async )?function\*? ([A-Za-z_$][\w$]*)/gm)].map((m) => m[1]));
  for (const m of text.matchAll(/^(?:export )?(?:default )?class ([A-Za-z_$][\w$]*)/gm)) mustKeep.add(m[1]);
  for (const m of text.matchAll(/\b([A-Za-z_$][\w$]*)\.toString\(\)/g)) if (functions.has(m[1])) mustKeep.add(m[1]);
}
const renamed = new Set();
for (const f of jsFiles(out)) {
  for (const m of readFileSync(f, 'utf8').matchAll(/^(?:async )?(?:class|function\*?) ([A-Za-z_$][\w$]*?)(\d+)\b/gm)) {
    if (mustKeep.has(m[1]) && !mustKeep.has(m[1] + m[2])) renamed.add(`${m[1]} → ${m[1]}${m[2]}`);
  }
}
const misplaced = jsFiles(out).filter((f) => dirname(f) !== out && readFileSync(f, 'utf8').includes(STAND_IN));
if (misplaced.length > 0) {
  process.stderr.write(
    `bundle-cli: a lazy stand-in is outside the top of dist/bundle (${misplaced.join(', ')}): its node_modules path would be wrong\n`,
  );
  process.exit(1);
}
if (renamed.size > 0) {
  process.stderr.write(`bundle-cli: esbuild renamed ${[...renamed].join(', ')}: give each a name no other module declares\n`);
  process.exit(1);
}
