// The oclif manifest of the built CLI, for the CLI grammar tests: loaded from the built commands (never
// from a possibly stale oclif.manifest.json). The tests that use it are in the integration tier, which
// builds the current sources first (test/helpers/build-once.ts).
import { join } from 'node:path';
import { Plugin } from '@oclif/core';
import type { FlagManifest, ManifestFlag } from '../src/cli/flag-table.js';
import { PROJECT_ROOT } from './helpers/project-root.js';

export const RUN = join(PROJECT_ROOT, 'bin/run.js');

export interface TestManifest extends FlagManifest {
  commands: Record<string, { hidden?: boolean; flags: Record<string, ManifestFlag>; examples?: unknown[]; args?: Record<string, unknown> }>;
}

export async function builtManifest(): Promise<TestManifest> {
  const plugin = new Plugin({ root: PROJECT_ROOT, type: 'core', isRoot: true, ignoreManifest: true, errorOnManifestCreate: true });
  await plugin.load();
  return plugin.manifest as unknown as TestManifest;
}
