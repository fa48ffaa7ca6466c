// The oclif manifest of the built CLI, for the CLI grammar tests: loaded from dist/ (never from a
// possibly stale oclif.manifest.json), after checking dist/ is not older than the command sources.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Plugin } from '@oclif/core';
import type { FlagManifest, ManifestFlag } from '../src/cli/flag-table.js';
import { PROJECT_ROOT } from './helpers/project-root.js';

export const RUN = join(PROJECT_ROOT, 'bin/run.js');

export interface TestManifest extends FlagManifest {
  commands: Record<string, { hidden?: boolean; flags: Record<string, ManifestFlag>; examples?: unknown[]; args?: Record<string, unknown> }>;
}

/** Newest mtime under dir of files ending in ext. */
function newest(dir: string, ext: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p, ext));
    else if (e.name.endsWith(ext)) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

export async function builtManifest(): Promise<TestManifest> {
  const src = newest(join(PROJECT_ROOT, 'commands'), '.ts');
  const built = newest(join(PROJECT_ROOT, 'dist/commands'), '.js');
  if (built < src) throw new Error('dist/commands is older than commands/: run `npm run build` first');
  const plugin = new Plugin({ root: PROJECT_ROOT, type: 'core', isRoot: true, ignoreManifest: true, errorOnManifestCreate: true });
  await plugin.load();
  return plugin.manifest as unknown as TestManifest;
}
