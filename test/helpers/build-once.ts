// Vitest globalSetup of the integration tier: the tests that run the built CLI (bin/run.js → dist/) get a
// build of the current sources, made once per run unless dist/ was built from exactly these sources
// (scripts/build-if-stale.mjs decides, as for `npm run bench`). A failed build fails the run with tsc's output.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from './project-root.js';

export default function setup(): void {
  const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'scripts/build-if-stale.mjs')], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the build failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  if (r.stderr !== '') process.stderr.write(r.stderr);
}
