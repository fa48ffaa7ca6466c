// Writes oclif.manifest.json (the command list with flags, args, help text) after each build, so the
// CLI starts without importing every command module (oclif scans and imports all of dist/bundle/commands
// when there is no manifest). Run by `npm run build` and `npm run prepare`:
//
//   node scripts/oclif-manifest.mjs --remove   before tsc: a failed build leaves no manifest behind
//   node scripts/oclif-manifest.mjs            after tsc: load every command from dist/ and write it
//
// A stale manifest would hide new commands (oclif trusts it and stops scanning), so it is only ever
// written from the dist/ just built, and not at all when a command fails to load: without a manifest
// oclif falls back to scanning, which is slower but complete. The file is git-ignored.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Plugin } from '@oclif/core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'oclif.manifest.json');

rmSync(target, { force: true });
if (process.argv.includes('--remove')) process.exit(0);

// ignoreManifest: never read an old file back; errorOnManifestCreate: a command that fails to load is
// an error here instead of a warning and a command silently missing from the manifest.
const plugin = new Plugin({ root, type: 'core', isRoot: true, ignoreManifest: true, errorOnManifestCreate: true });
try {
  await plugin.load();
} catch (err) {
  process.stderr.write(
    `oclif-manifest: not writing ${target}: a command failed to load, so the CLI will scan dist/commands at start\n` +
      `${err instanceof Error ? (err.detail ?? err.message) : String(err)}\n`,
  );
  process.exit(0);
}

const ids = Object.keys(plugin.manifest.commands);
if (ids.length === 0) {
  process.stderr.write(`oclif-manifest: no commands found under ${plugin.pjson.oclif?.commands}; not writing a manifest\n`);
  process.exit(0);
}
const tmp = `${target}.tmp-${process.pid}`;
// Compact: oclif parses it at every start (190 KB indented, 140 KB without the indentation).
writeFileSync(tmp, JSON.stringify(plugin.manifest) + '\n');
renameSync(tmp, target);
process.stdout.write(`oclif-manifest: ${ids.length} commands -> oclif.manifest.json\n`);
