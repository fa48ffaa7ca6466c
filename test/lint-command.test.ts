// `ringshift lint` in-process: exit codes (--fail-on: 0 below it, 1 at or above it; 2 usage), the five
// formats on real findings (--json is NDJSON), --rules and --explain.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import Lint from '../commands/lint.js';
import { RULE_METAS as RULES } from '../src/lint/rule-catalogue.js';
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

  it('--fail-on: 0 for warnings only by default, 1 with --fail-on warning (or the deprecated --strict)', async () => {
    expect((await run(['ring-order-mismatch/bad'])).code).toBe(0);
    expect((await run(['ring-order-mismatch/bad', '--fail-on', 'warning'])).code).toBe(1);
    expect((await run(['ring-order-mismatch/bad', '--strict'])).code).toBe(1);
    expect((await run(['dynamic-routing-strays/bad', '--fail-on', 'warning'])).code).toBe(0);
    expect((await run(['dynamic-routing-strays/bad', '--fail-on', 'info'])).code).toBe(1);
    expect((await run(['ring-members-mismatch/bad', '--fail-on', 'never'])).code).toBe(0);
    expect((await run(['ring-members-mismatch/bad', '--fail-on', 'error'])).code).toBe(1);
  });

  it('1 for a file its program refuses (a finding, not a crash)', async () => {
    const r = await run(['config-unparseable/bad', '--format', 'json']);
    expect(r.code).toBe(1);
    const rules = ndjson(r.out)
      .filter((x) => x['type'] === 'finding')
      .map((f) => f['rule']);
    expect(rules).toContain('config-unparseable');
  });

  it('2 for usage errors, with one line on stderr', async () => {
    for (const argv of [
      [],
      ['no/such/dir'],
      ['ring-members-mismatch/good', '--env', 'NOEQUALS'],
      ['ring-members-mismatch/good', '--format', 'xml'],
      ['x', '--json', '--format', 'text'],
      ['ring-members-mismatch/good', '--fail-on', 'sometimes'],
      ['ring-members-mismatch/good', '--strict', '--fail-on', 'error'],
      ['ring-members-mismatch/good', '-f', 'json'],
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
  it('json (= --json): NDJSON, a finding a line with its edits, then the summary', async () => {
    const r = await run(['carbonlink-members-mismatch/bad', '--format', 'json']);
    const lines = ndjson(r.out);
    expect(r.out.trimEnd().split('\n')).toHaveLength(2);
    const [f, summary] = lines;
    expect(summary).toEqual({ type: 'summary', errors: 1, warnings: 0, infos: 0, files: 6 });
    expect(Object.keys(f!)).toEqual(['type', 'rule', 'ref', 'severity', 'file', 'line', 'message', 'fix', 'edits', 'related']);
    expect(f).toMatchObject({ type: 'finding', rule: 'carbonlink-members-mismatch', ref: 'R1', severity: 'error', line: 2 });
    expect(f!['edits']).toEqual([
      {
        file: 'carbonlink-members-mismatch/bad/graphite-1/local_settings.py',
        line: 2,
        column: 20,
        old: '["127.0.0.1:7002:a", "127.0.0.1:7102:b"]',
        new: '["graphite-1:7002:a", "graphite-1:7102:b"]',
      },
    ]);
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
    const j = ndjson((await run(['--rules', '--json'])).out);
    expect(j.map((r) => r['id'])).toEqual(RULES.map((r) => r.id));
    expect(j[0]).toMatchObject({ id: 'ring-members-mismatch', ref: 'R1', fixable: 'edit', doc: 'docs/rules/ring-members-mismatch.md' });
  });

  it('--explain prints the inferred layout before the findings (stderr with machine formats)', async () => {
    const t = await run(['tool-models-wrong-tier/good', '--explain']);
    expect(t.out).toContain('Layout: two-tier (inferred)');
    expect(t.out).toContain('Tier 2 on graphite-1 (picks the instance):');
    const j = await run(['tool-models-wrong-tier/good', '--explain', '--format', 'json']);
    expect(ndjson(j.out)).toEqual([{ type: 'summary', errors: 0, warnings: 0, infos: 0, files: 6 }]);
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
    const messages = ndjson(r.out).map((f) => String(f['message']));
    expect(messages.some((m) => m.includes('GRAPHITE_CARBONLINK_HOSTS (given as "graphite-1:7002:a")'))).toBe(true);
  });
});

/** Every line a JSON object (NDJSON). */
function ndjson(out: string): Record<string, unknown>[] {
  return out
    .trimEnd()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
