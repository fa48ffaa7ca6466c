// Every upstream example/test config in test/fixtures/upstream is linted without a crash: each file on its
// own and each project directory as a whole. Files a program refuses come back as findings with a reason.
// The expectations below are the cross-checks upstream-configs/MANIFEST.md names, not recorded output.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULE_METAS as RULES, type RuleId } from '../src/lint/rule-catalogue.js';
import { lintPaths } from '../src/lint/run.js';
import type { LintFinding } from '../src/lint/lint-finding.js';
import { UPSTREAM_ROOT } from './helpers/test-vectors.js';

type Finding = LintFinding<RuleId>;

const ROOT = UPSTREAM_ROOT;
const IDS = new Set(RULES.map((r) => r.id));

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

const FILES = walk(ROOT)
  .map((p) => relative(ROOT, p))
  .sort();

async function lint(...paths: string[]): Promise<Finding[]> {
  return (await lintPaths(paths, { cwd: ROOT })).report.findings;
}

function check(fs: Finding[]): void {
  for (const f of fs) {
    expect(IDS.has(f.rule), f.rule).toBe(true);
    // Every cited line is in the file it names.
    for (const loc of [f, ...(f.related ?? [])]) {
      if (loc.line === null) continue;
      const n = readFileSync(join(ROOT, loc.file), 'utf8').replace(/\n$/, '').split('\n').length;
      expect(loc.line >= 1 && loc.line <= n, `${f.rule} cites ${loc.file}:${loc.line} (${n} lines)`).toBe(true);
    }
    expect(f.file.startsWith('/'), `${f.file} is relative to the upstream root`).toBe(false);
    expect(f.message).not.toMatch(/undefined|\[object Object\]|NaN|internal error/);
    if (f.rule === 'config-unparseable') expect(f.message).toMatch(/: .{10,}/);
  }
}

describe('every upstream config, one at a time', () => {
  it('covers the whole tree', () => {
    expect(FILES.length).toBeGreaterThan(120);
  });
  for (const file of FILES) {
    it(file, async () => {
      check(await lint(file));
    });
  }
});

describe('every upstream project directory as a whole', () => {
  for (const dir of readdirSync(ROOT).filter((d) => statSync(join(ROOT, d)).isDirectory())) {
    it(dir, async () => {
      check(await lint(dir));
    });
  }
});

describe('the cross-checks MANIFEST.md names', () => {
  const rules = async (...p: string[]) => (await lint(...p)).map((f) => `${f.rule} ${f.file}:${f.line}`);

  it('carbonate realistic.conf [fnv]: every destination has instance 0 under fnv1a_ch', async () => {
    const fs = await lint('carbonate/tests/realistic.conf');
    const f = fs.find((x) => x.rule === 'fnv1a-instances');
    expect(f?.message).toContain('instance "0" is shared by 192.168.9.13:2124, 192.168.9.15:2124');
  });

  it('carbon example: the relay-rules destinations are not in [relay] DESTINATIONS', async () => {
    const r = await rules('carbon/conf/carbon.conf.example', 'carbon/conf/relay-rules.conf.example');
    expect(r.filter((x) => x.startsWith('relay-rules-unknown-destination'))).toHaveLength(2);
  });

  it('carbon-c-relay issue117 / issue156 / server-type: the relay refuses the cluster', async () => {
    for (const f of [
      'carbon-c-relay/issues/issue117.conf',
      'carbon-c-relay/issues/issue156.conf',
      'carbon-c-relay/test/server-type.conf',
    ]) {
      expect(
        (await rules(f)).some((x) => x.startsWith('crelay-cluster-invalid')),
        f,
      ).toBe(true);
    }
  });

  it("buckytools README: 'graphite010-g5:a' is read as a port and buckyd exits", async () => {
    const [f] = await lint('buckytools/buckyd-argv.txt');
    expect(f).toMatchObject({ rule: 'config-unparseable', line: 3 });
    expect(f!.message).toContain('graphite010-g5:a');
  });

  it('carbon-relay-ng: the ConfigMap-embedded config is read, the gomplate template is reported as such', async () => {
    const cm = await lint('carbon-relay-ng/grafana/k8s-configmap.yaml');
    expect(cm.filter((f) => f.severity === 'error')).toEqual([]);
    const [t] = await lint('carbon-relay-ng/grafana/operations_k8s_templates_carbon-relay-ng.ini');
    expect(t!.message).toContain('template placeholders');
  });

  it('graphite-web example: only comments, nothing to report', async () => {
    expect(await lint('graphite-web/local_settings.py.example')).toEqual([]);
  });
});
