// The test tiers. `npm run test:unit` runs the `unit` project: every test/**/*.test.ts not listed here,
// in process, no build, no ssh, no child process of the CLI (seconds to tens of seconds). `npm test` runs all
// three projects. test/test-tiers.test.ts checks that unit files stay unit files.

/** `integration`: the built CLI (bin/run.js, dist/), ssh servers, mounts, kill -9. Builds first when
 * dist/ was not built from the current sources (test/helpers/build-once.ts → scripts/build-if-stale.mjs). */
export const INTEGRATION_TESTS = [
  // the built CLI, as the user runs it
  'test/apply-crash.test.ts',
  'test/apply-signals.test.ts',
  'test/build-output.test.ts',
  'test/cli-errors.test.ts',
  'test/cli-grammar.test.ts',
  'test/readme-example.test.ts',
  'test/report-browser.test.ts',
  'test/ring-commands-e2e.test.ts',
  'test/ring-commands-grammar.test.ts',
  'test/ring-hash-dump.test.ts',
  // ssh: the in-process ssh2 server and real OpenSSH on loopback
  'test/plan-ssh.test.ts',
  'test/plan-ssh-openssh.test.ts',
  'test/phase-ssh.test.ts',
  'test/ssh-apply.test.ts',
  'test/ssh-driver.test.ts',
  'test/ssh-keys.test.ts',
  'test/toolbox-delete.test.ts',
  'test/toolbox-nodes.test.ts',
  'test/toolbox-rename-apply.test.ts',
  'test/toolbox-backup-apply.test.ts',
  'test/ssh-openssh.test.ts',
  // full disks (tmpfs mounts when root)
  'test/apply.test.ts',
  // real carbon-cache and carbon-c-relay daemons on loopback, changed while written to
  'test/live-change.test.ts',
];

/** `slow`: in process, but exhaustive (every chunking of adversarial input, collision bumping over the
 * whole 16-bit ring): most of the unit tests' CPU time. */
export const SLOW_TESTS = ['test/ring-build.test.ts', 'test/ring-fast-locate.test.ts'];
