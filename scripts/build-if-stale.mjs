// Builds (npm run build) unless dist/ was built from exactly the sources there are now, so the commands
// that run the built code (`npm run bench`, the integration tests through test/helpers/build-once.ts)
// always run the current sources:
//
//   node scripts/build-if-stale.mjs           build unless current (tsc's output on failure, exit code of the build)
//   node scripts/build-if-stale.mjs --check   exit 1 with the reason when not current, 0 when current; builds nothing
//   node scripts/build-if-stale.mjs --begin   first step of `npm run build`: forget the last build, note the sources
//   node scripts/build-if-stale.mjs --end     last step of `npm run build`: the build of the noted sources is complete
//
// Current: the build's last step recorded a fingerprint (sha256 of the path and content of every file
// under src/, commands/, bench/, the build scripts, package.json, package-lock.json and tsconfig*.json)
// equal to the one of the files now. Contents, not modification times: a checkout, a copy that keeps
// old times or an edit undone all give the right answer. The fingerprint is taken when the build
// starts, so an edit made while it runs makes the next check build again.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES = [
  'src',
  'commands',
  'bench',
  'scripts/build-if-stale.mjs',
  'scripts/bundle-cli.mjs',
  'scripts/oclif-manifest.mjs',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
];
const STAMP = join(ROOT, 'dist/.build-sources');
const PENDING = `${STAMP}.pending`;

function files(path) {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/** sha256 over the sorted paths and contents of the sources. */
function fingerprint() {
  const h = createHash('sha256');
  const all = SOURCES.flatMap((s) => files(join(ROOT, s)))
    .map((f) => relative(ROOT, f))
    .sort();
  for (const f of all) h.update(`${f}\0${statSync(join(ROOT, f)).size}\0`).update(readFileSync(join(ROOT, f)));
  return h.digest('hex');
}

/** Why a build is needed, or null when dist/ was built from the sources as they are. */
function staleReason() {
  if (!existsSync(STAMP) || !existsSync(join(ROOT, 'oclif.manifest.json'))) return 'no complete build (dist/, oclif.manifest.json)';
  if (readFileSync(STAMP, 'utf8').trim() !== fingerprint()) return 'the sources changed since the last build';
  return null;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--begin')) {
    rmSync(STAMP, { force: true });
    mkdirSync(dirname(STAMP), { recursive: true });
    writeFileSync(PENDING, fingerprint() + '\n');
    process.exit(0);
  }
  if (process.argv.includes('--end')) {
    renameSync(PENDING, STAMP);
    process.exit(0);
  }
  const why = staleReason();
  if (process.argv.includes('--check')) {
    if (why !== null) process.stderr.write(`build-if-stale: ${why}\n`);
    process.exit(why === null ? 0 : 1);
  }
  if (why !== null) {
    process.stderr.write(`build-if-stale: ${why}; running npm run build\n`);
    const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 2, 2] });
    process.exit(r.status ?? 1);
  }
}
