// `ringshift lint` in-process: exit codes (0 clean or warnings only, 1 errors or --strict warnings, 2 usage),
// the five formats on real findings, --rules and --explain.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import Lint from '../commands/lint.js';
import { RULES } from '../src/lint/rules/registry.js';
import { runCommand, type CommandRun } from './helpers/run-command.js';
import { PROJECT_ROOT } from './helpers/project-root.js';
import { upstreamPath } from './helpers/test-vectors.js';

const FIX = join(PROJECT_ROOT, 'test/fixtures/lint');

function run(argv: string[]): Promise<CommandRun> {
  return runCommand(Lint, argv, { cwd: FIX });
}

afterEach(() => {
  process.exitCode = undefined;
});

describe('exit codes', () => {
  it('0 for a clean cluster', async () => {
    const r = await run(['ring-members-mismatch/good']);
    expect(r.code).toBe(0);
    expect(r.out).toBe('0 errors, 0 warnings, 0 info in 6 files\n');
  });

  it('1 when there are errors', async () => {
    const r = await run(['ring-members-mismatch/bad']);
    expect(r.code).toBe(1);
    expect(r.out).toContain("ring-members-mismatch/bad/carbonate.conf:2: error carbonate's ring differs from");
  });

  it('0 for warnings only, 1 with --strict', async () => {
    expect((await run(['ring-order-mismatch/bad'])).code).toBe(0);
    expect((await run(['ring-order-mismatch/bad', '--strict'])).code).toBe(1);
    expect((await run(['dynamic-routing-strays/bad', '--strict'])).code).toBe(0); // info never fails
  });

  it('1 for a file its program refuses (a finding, not a crash)', async () => {
    const r = await run(['config-unparseable/bad', '--format', 'json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out) as { findings: { rule: string; line: number }[] };
    expect(j.findings.map((f) => f.rule)).toContain('config-unparseable');
  });

  it('2 for usage errors, with one line on stderr', async () => {
    for (const argv of [
      [],
      ['no/such/dir'],
      ['ring-members-mismatch/good', '--env', 'NOEQUALS'],
      ['ring-members-mismatch/good', '--format', 'xml'],
      ['x', '--json', '--format', 'text'],
    ]) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.out).toBe('');
    }
    const r = await run(['no/such/dir']);
    expect(r.err).toContain('ringshift: error: no such file or directory: no/such/dir');
  });
});

describe('formats', () => {
  it('json: findings with rule, ref, severity, file, line, message, fix, related; summary', async () => {
    const r = await run(['carbonlink-members-mismatch/bad', '--format', 'json']);
    const j = JSON.parse(r.out) as { findings: Record<string, unknown>[]; summary: Record<string, number> };
    expect(j.summary).toEqual({ errors: 1, warnings: 0, infos: 0, files: 6 });
    expect(Object.keys(j.findings[0]!)).toEqual(['rule', 'ref', 'severity', 'file', 'line', 'message', 'fix', 'related']);
    expect(j.findings[0]).toMatchObject({ rule: 'carbonlink-members-mismatch', ref: 'R1', severity: 'error', line: 2 });
    expect((await run(['carbonlink-members-mismatch/bad', '--json'])).out).toBe(r.out);
  });

  it('github: one workflow annotation per finding', async () => {
    const r = await run(['cache-port-conflict/bad', '--format', 'github']);
    const lines = r.out.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    for (const l of lines) expect(l).toMatch(/^::error file=cache-port-conflict\/bad\/[^,]+,line=\d+,title=[a-z-]+ \(R\d+\)::/);
  });

  it('junit: a test case per rule, failures for rules with errors', async () => {
    const r = await run(['cache-port-conflict/bad', '--format', 'junit']);
    expect(r.out).toContain(`<testsuites name="ringshift lint" tests="${RULES.length}" failures="3">`);
    expect(r.out).toMatch(/<testcase classname="ringshift.lint" name="cache-port-conflict \(R9\)[^"]*"><failure message="3 error\(s\)"/);
  });

  it('sarif: 2.1.0 with the rule catalogue and related locations', async () => {
    const r = await run(['ring-members-mismatch/bad', '--format', 'sarif']);
    const s = JSON.parse(r.out) as {
      version: string;
      runs: {
        tool: { driver: { rules: { id: string; helpUri?: string }[] } };
        results: { ruleId: string; ruleIndex: number; relatedLocations?: unknown[] }[];
      }[];
    };
    expect(s.version).toBe('2.1.0');
    expect(s.runs[0]!.tool.driver.rules.map((x) => x.id)).toEqual(RULES.map((x) => x.id));
    expect(s.runs[0]!.tool.driver.rules[0]!.helpUri).toMatch(/docs\/rules\/ring-members-mismatch\.md$/);
    const res = s.runs[0]!.results[0]!;
    expect(res.ruleId).toBe('ring-members-mismatch');
    expect(RULES[res.ruleIndex]!.id).toBe('ring-members-mismatch');
    expect(res.relatedLocations).toHaveLength(1);
  });
});

describe('--rules and --explain', () => {
  it('--rules lists every rule (text and json) without paths', async () => {
    const t = await run(['--rules']);
    expect(t.code).toBe(0);
    for (const r of RULES) expect(t.out).toContain(r.id);
    const j = JSON.parse((await run(['--rules', '--json'])).out) as { rules: { id: string; doc: string }[] };
    expect(j.rules.map((r) => r.id)).toEqual(RULES.map((r) => r.id));
    expect(j.rules[0]!.doc).toBe('docs/rules/ring-members-mismatch.md');
  });

  it('--explain prints the inferred layout before the findings (stderr with machine formats)', async () => {
    const t = await run(['tool-models-wrong-tier/good', '--explain']);
    expect(t.out).toContain('Layout: two-tier (inferred)');
    expect(t.out).toContain('Tier 2 on graphite-1 (picks the instance):');
    const j = await run(['tool-models-wrong-tier/good', '--explain', '--format', 'json']);
    expect(() => JSON.parse(j.out) as unknown).not.toThrow();
    expect(j.err).toContain('Layout: two-tier (inferred)');
  });

  it('--env does not swallow the PATH after it', async () => {
    const r = await run(['--env', 'GRAPHITE_ROOT=/srv/graphite', 'ring-members-mismatch/good']);
    expect(r.code).toBe(0);
    expect(r.out).toBe('0 errors, 0 warnings, 0 info in 6 files\n');
  });

  it('--env feeds local_settings.py environment lookups', async () => {
    const env = ['--env', 'GRAPHITE_CARBONLINK_HOSTS=graphite-1:7002:a'];
    const r = await run([upstreamPath('docker-graphite-statsd/local_settings.py'), ...env, '--format', 'json']);
    const j = JSON.parse(r.out) as { findings: { rule: string; message: string }[] };
    expect(j.findings.some((f) => f.message.includes('GRAPHITE_CARBONLINK_HOSTS (given as "graphite-1:7002:a")'))).toBe(true);
  });
});
