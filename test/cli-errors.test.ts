// The error contract, as a user meets it from the shell (the built CLI): one stderr line
// `ringshift: error: …` naming the file, flag or argument and what was expected, nothing on stdout,
// exit 2 for usage/config mistakes (oclif's own parse errors and raw errno errors included) and 1 for
// failures and bugs; "did you mean" for a mistyped command; help and completion from oclif's plugins.
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeError } from '../src/cli/error-line.js';
import { UsageError } from '../src/errors.js';
import { RUN } from './cli-manifest.js';
import { PROJECT_ROOT } from './helpers/project-root.js';

const exec = promisify(execFile);

interface Run {
  out: string;
  err: string;
  code: number;
}

async function cli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  try {
    const r = await exec(process.execPath, [RUN, ...args], {
      encoding: 'utf8',
      cwd: opts.cwd ?? PROJECT_ROOT,
      env: { ...process.env, ...opts.env },
    });
    return { out: r.stdout, err: r.stderr, code: 0 };
  } catch (e) {
    const r = e as { stdout: string; stderr: string; code: number };
    return { out: r.stdout, err: r.stderr, code: r.code };
  }
}

/** Exactly one stderr line, nothing on stdout, this exit code; returns the line. */
function oneLine(r: Run, code: number): string {
  expect(r.out).toBe('');
  expect(r.err.endsWith('\n')).toBe(true);
  expect(r.err.trimEnd().split('\n'), r.err).toHaveLength(1);
  expect(r.err.startsWith('ringshift: error: ')).toBe(true);
  expect(r.code).toBe(code);
  return r.err.trimEnd();
}

let dir: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(join(tmpdir(), 'ringshift-cli-errors-'));
  await exec(process.execPath, [join(PROJECT_ROOT, 'dist/src/example/seed.js'), dir], {
    env: { ...process.env, RINGSHIFT_NOW: '1790000000' },
  });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('flags and arguments (oclif parse errors, one line, exit 2)', () => {
  it('a bad flag value names the flag and the range', async () => {
    expect(oneLine(await cli(['scan', '--concurrency', 'abc', dir]), 2)).toBe(
      'ringshift: error: --concurrency "abc" is out of range (expected an integer from 1 to 64)',
    );
    expect(oneLine(await cli(['scan', '--concurrency', '999999999999', dir]), 2)).toBe(
      'ringshift: error: --concurrency "999999999999" is out of range (expected an integer from 1 to 64)',
    );
    expect(oneLine(await cli(['plan', '--cluster', 'cluster.yaml', '--spill-after', '1e20'], { cwd: dir }), 2)).toBe(
      'ringshift: error: --spill-after "1e20" is out of range (expected an integer from 0 to 1000000000)',
    );
  });

  it('an unknown flag, with "did you mean" when one is close', async () => {
    expect(oneLine(await cli(['scan', '--clustr', 'cluster.yaml']), 2)).toBe(
      'ringshift: error: scan has no flag --clustr (did you mean --cluster? see ringshift scan --help)',
    );
    expect(oneLine(await cli(['audit', '--frobnicate']), 2)).toBe(
      'ringshift: error: audit has no flag --frobnicate (see ringshift audit --help for its flags)',
    );
  });

  it('a missing argument or required flag says what is expected', async () => {
    expect(oneLine(await cli(['apply']), 2)).toBe(
      'ringshift: error: apply needs PLAN (expected PLAN: plan file written by "ringshift plan -o")',
    );
    expect(oneLine(await cli(['audit']), 2)).toMatch(
      /^ringshift: error: audit needs --cluster \(expected --cluster: cluster file \(ring and storage locations\)/,
    );
  });

  it('a choice outside the options lists them', async () => {
    expect(oneLine(await cli(['ring', 'locate', '--hash', 'md5', '--destinations', 'a:1', 'x']), 2)).toBe(
      'ringshift: error: --hash "md5" is not one of the choices (expected one of: carbon_ch, fnv1a_ch, jump_fnv1a_ch, mmh3_ch)',
    );
  });

  it('unexpected arguments', async () => {
    expect(oneLine(await cli(['scan', dir, 'extra']), 2)).toBe(
      'ringshift: error: unexpected argument "extra" (expected scan [PATH]; see ringshift scan --help)',
    );
  });

  it('units are required: a bare rate or percentage is refused', async () => {
    expect(oneLine(await cli(['plan', '--cluster', 'cluster.yaml', '--throughput', '500'], { cwd: dir }), 2)).toBe(
      'ringshift: error: --throughput "500" is not a rate (expected bytes per second with a unit: 500K, 20M, 1G, 20MB/s)',
    );
    expect(oneLine(await cli(['plan', '--cluster', 'cluster.yaml', '--high-water', '0.9'], { cwd: dir }), 2)).toBe(
      'ringshift: error: --high-water "0.9" is not a percentage (expected a percentage with its sign, like 90%)',
    );
  });
});

describe('files (errno in words, naming the argument)', () => {
  it('apply DIRECTORY: "is a directory", expected a plan file, exit 2', async () => {
    expect(oneLine(await cli(['apply', dir]), 2)).toBe(
      `ringshift: error: ${dir}: is a directory (expected PLAN: plan file written by "ringshift plan -o")`,
    );
  });

  it('a missing plan file or cluster file: no such file, exit 2', async () => {
    const plan = oneLine(await cli(['apply', join(dir, 'nope.plan')]), 2);
    expect(plan).toContain(join(dir, 'nope.plan'));
    expect(plan).toContain('no such file or directory');
    expect(plan).not.toMatch(/ENOENT/);
    const cluster = oneLine(await cli(['audit', '--cluster', join(dir, 'nope.yaml')]), 2);
    expect(cluster).toMatch(/nope\.yaml.*no such file or directory/);
    expect(cluster).not.toMatch(/ENOENT/);
  });
});

describe('a storage key that names no ring member', () => {
  beforeAll(() => {
    const text = fs.readFileSync(join(dir, 'cluster.yaml'), 'utf8').replace(/^ {2}graphite-4:/m, '  graphite-44:');
    fs.writeFileSync(join(dir, 'typo.yaml'), text);
  });

  it('is a config error at its line listing the members (audit, plan, scan)', async () => {
    const line = (
      fs
        .readFileSync(join(dir, 'typo.yaml'), 'utf8')
        .split('\n')
        .findIndex((l) => l.startsWith('  graphite-44:')) + 1
    ).toString();
    const members = 'graphite-1, graphite-2, graphite-3, graphite-4';
    for (const cmd of ['audit', 'plan']) {
      expect(oneLine(await cli([cmd, '--cluster', 'typo.yaml'], { cwd: dir }), 2)).toBe(
        `ringshift: error: typo.yaml:${line}: storage key "graphite-44" names no ring member (expected one of: ${members}; a node being emptied must be in --old-ring)`,
      );
    }
    expect(oneLine(await cli(['scan', '--cluster', 'typo.yaml'], { cwd: dir }), 2)).toBe(
      `ringshift: error: typo.yaml:${line}: storage key "graphite-44" names no ring member (expected one of: ${members})`,
    );
  });

  it('a node being emptied is named by --old-ring: then the audit runs', async () => {
    // cluster-old.yaml has graphite-1..3; the new ring drops graphite-3, whose storage is still listed.
    const text = fs
      .readFileSync(join(dir, 'cluster-old.yaml'), 'utf8')
      .replace(/^\s+- graphite-3:2004:a\n/m, '')
      .replace(/^storage:\n/m, 'storage:\n');
    fs.writeFileSync(join(dir, 'shrink.yaml'), text);
    expect(text).toMatch(/graphite-3: /);
    expect(oneLine(await cli(['audit', '--cluster', 'shrink.yaml'], { cwd: dir }), 2)).toContain(
      'storage key "graphite-3" names no ring member',
    );
    const ok = await cli(['audit', '--cluster', 'shrink.yaml', '--old-ring', 'cluster-old.yaml'], { cwd: dir });
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/old-ring/);
  });
});

describe('commands: did you mean, help, completion, version', () => {
  it('a mistyped command: one line with the closest command, exit 2', async () => {
    expect(oneLine(await cli(['rign', 'locate', 'a.b']), 2)).toBe(
      'ringshift: error: "rign locate" is not a ringshift command (did you mean "ringshift ring locate"? see ringshift help)',
    );
    expect(oneLine(await cli(['ring', 'locat']), 2)).toBe(
      'ringshift: error: "ring locat" is not a ringshift command (did you mean "ringshift ring locate"? see ringshift help)',
    );
    expect(oneLine(await cli(['scna', dir]), 2)).toBe(
      'ringshift: error: "scna" is not a ringshift command (did you mean "ringshift scan"? see ringshift help)',
    );
    expect(oneLine(await cli(['frobnicate']), 2)).toBe('ringshift: error: "frobnicate" is not a ringshift command (see ringshift help)');
  });

  it('ringshift help COMMAND (plugin-help) is the command help with examples', async () => {
    const r = await cli(['help', 'ring', 'locate']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('USAGE\n  $ ringshift ring locate');
    expect(r.out).toContain('EXAMPLES');
    const root = await cli(['help']);
    expect(root.out).toMatch(/^ {2}autocomplete /m);
    expect(root.out).toMatch(/^ {2}scan /m);
  });

  it('shell completion (plugin-autocomplete) knows the commands and their flags from the manifest', async () => {
    const cache = join(dir, 'xdg-cache');
    const r = await cli(['autocomplete', '--refresh-cache'], { env: { XDG_CACHE_HOME: cache } });
    expect(r.code, r.err).toBe(0);
    const bash = fs.readFileSync(join(cache, 'ringshift/autocomplete/functions/bash/ringshift.bash'), 'utf8');
    expect(bash).toMatch(/^scan .*--cluster .*--known-hosts/m);
    expect(bash).toMatch(/^ring:locate .*--destinations/m);
    const script = await cli(['autocomplete', 'script', 'bash'], { env: { XDG_CACHE_HOME: cache } });
    expect(script.out).toContain('ringshift/autocomplete/bash_setup');
  });

  it('--version', async () => {
    const r = await cli(['--version']);
    expect(r.out).toBe(`ringshift/0.1.0 ${process.platform}-${process.arch} node-${process.version}\n`);
    expect(r.code).toBe(0);
  });

  it('a deprecated spelling works, with one warning line', async () => {
    const r = await cli(['plan', '--cluster', 'cluster.yaml', '--max-fill', '99%'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.err).toBe('ringshift: warning: The "--max-fill" flag has been deprecated. Use "--high-water" instead.\n');
  });
});

describe('failures and bugs (exit 1)', () => {
  it("errno that is not the user's mistake: words, exit 1; an address is named", () => {
    const nospc = Object.assign(new Error('ENOSPC: no space left on device, write'), {
      code: 'ENOSPC',
      syscall: 'write',
      path: '/data/x.wsp',
    });
    expect(describeError(nospc)).toEqual({ text: 'ringshift: error: /data/x.wsp: no space left on device\n', exitCode: 1 });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:22'), {
      code: 'ECONNREFUSED',
      syscall: 'connect',
      address: '127.0.0.1',
      port: 22,
    });
    expect(describeError(refused)).toEqual({ text: 'ringshift: error: 127.0.0.1:22: connection refused\n', exitCode: 1 });
    const typed = new UsageError('cannot read names: EACCES', { file: 'n.txt' });
    expect(describeError(typed)).toEqual({ text: 'ringshift: error: n.txt: cannot read names: permission denied\n', exitCode: 2 });
  });

  it('an internal error: one line and the DEBUG hint; the stack only with DEBUG=ringshift', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'x')");
    expect(describeError(bug, undefined, {})).toEqual({
      text: "ringshift: error: internal error: Cannot read properties of undefined (reading 'x') (run with DEBUG=ringshift for the stack)\n",
      exitCode: 1,
    });
    const debug = describeError(bug, undefined, { DEBUG: 'ringshift' });
    expect(debug.text.split('\n').length).toBeGreaterThan(3);
    expect(debug.text).toContain('    at ');
  });

  it('a run that never settles ends with a line and exit 1, not a silent exit 13', () => {
    const script = `import(${JSON.stringify(join(PROJECT_ROOT, 'dist/src/cli/run-cli.js'))}).then((m) => { m.guardUnsettledExit(); new Promise(() => {}); });`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      'ringshift: error: internal error: the command stopped before it finished (nothing was left to wait for) (run with DEBUG=ringshift for the stack)\n',
    );
  });
});
