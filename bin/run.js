#!/usr/bin/env node
// Entry point. Node's compile cache (Node >= 22.1) keeps the compiled modules between runs; then the
// CLI proper: dist/bundle/src/cli/run-cli.js, the esbuild bundle of src/cli/run-cli.ts (oclif behind
// the one-line error contract; scripts/bundle-cli.mjs says why a bundle). No top-level await:
// a run that never settles is reported by runCli instead of Node's silent exit code 13.
import module from 'node:module';
import { fileURLToPath } from 'node:url';

try {
  module.enableCompileCache?.();
} catch {
  // An unwritable cache directory only costs speed.
}

import('../dist/bundle/src/cli/run-cli.js').then(
  ({ runCli }) => runCli(process.argv.slice(2), fileURLToPath(new URL('..', import.meta.url))),
  (err) => {
    process.stderr.write(`ringshift: error: cannot load the CLI from dist/ (run "npm run build" first): ${err?.message ?? err}\n`);
    process.exitCode = 1;
  },
);
