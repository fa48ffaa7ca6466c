// Writes the flag × command table of docs/cli.md from the oclif manifest, so the documented grammar
// is always the one the commands have (test/cli-grammar.test.ts fails when the table is stale).
//
//   npm run build && node scripts/cli-flag-table.mjs           rewrite the table in docs/cli.md
//   node scripts/cli-flag-table.mjs --check                    exit 1 when docs/cli.md is stale
//
// Reads oclif.manifest.json when the build wrote one, else loads the commands from dist/ as the
// manifest script does; the table code is src/cli/flag-table.ts (compiled to dist/).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const docs = join(root, 'docs/cli.md');

async function loadManifest() {
  try {
    return JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8'));
  } catch {
    const { Plugin } = await import('@oclif/core');
    const plugin = new Plugin({ root, type: 'core', isRoot: true, ignoreManifest: true, errorOnManifestCreate: true });
    await plugin.load();
    return plugin.manifest;
  }
}

let table;
try {
  const { renderFlagTable, replaceFlagTable } = await import('../dist/src/cli/flag-table.js');
  const text = readFileSync(docs, 'utf8');
  table = replaceFlagTable(text, renderFlagTable(await loadManifest()));
  if (process.argv.includes('--check')) {
    if (table !== text) {
      process.stderr.write('cli-flag-table: docs/cli.md is stale: run `npm run build && node scripts/cli-flag-table.mjs`\n');
      process.exit(1);
    }
    process.exit(0);
  }
} catch (err) {
  process.stderr.write(`cli-flag-table: ${err instanceof Error ? err.message : String(err)} (run \`npm run build\` first)\n`);
  process.exit(1);
}
const tmp = `${docs}.tmp-${process.pid}`;
writeFileSync(tmp, table);
renameSync(tmp, docs);
process.stdout.write('cli-flag-table: docs/cli.md updated\n');
