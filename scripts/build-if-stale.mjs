// Builds (npm run build) when dist/ is missing or older than the sources, so the commands that run the
// built code (`npm run bench`, the integration tests, test/helpers/build-once.ts) never run a stale build:
//
//   node scripts/build-if-stale.mjs           build when stale (tsc's output on failure, exit code of the build)
//   node scripts/build-if-stale.mjs --check   exit 1 with the reason when stale, 0 when current; builds nothing
//
// Stale: no oclif.manifest.json (written last by a successful `npm run build`, removed first by every
// build) or no dist/commands, or a file under src/, commands/, bench/, or package.json / tsconfig*.json
// modified after that manifest.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES = ['src', 'commands', 'bench', 'package.json', 'tsconfig.json', 'tsconfig.build.json'];
const MARKER = join(ROOT, 'oclif.manifest.json');

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const e of readdirSync(path, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) newest = Math.max(newest, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  return newest;
}

/** Why a build is needed, or null when dist/ is current. */
export function staleReason() {
  if (!existsSync(MARKER) || !existsSync(join(ROOT, 'dist/commands'))) return 'no complete build (dist/, oclif.manifest.json)';
  const built = statSync(MARKER).mtimeMs;
  for (const s of SOURCES) if (newestMtime(join(ROOT, s)) > built) return `${s} changed since the last build`;
  return null;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
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
