// The bundled example (fixtures/example/configs): one real mistake, carbonate.conf not updated when
// graphite-4 joined the ring. docs/lint.md shows this very output; the test keeps the two in step.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatReport } from '../src/lint/report-formats.js';
import { RULE_METAS as RULES } from '../src/lint/rule-catalogue.js';
import { lintPaths } from '../src/lint/run.js';
import { PROJECT_ROOT } from './helpers/project-root.js';

describe('bundled example', () => {
  it('finds exactly the one mistake: carbonate.conf lacks graphite-4', async () => {
    for (const cluster of [undefined, 'fixtures/example/cluster.yaml']) {
      const r = await lintPaths(['fixtures/example/configs'], { cwd: PROJECT_ROOT, ...(cluster ? { cluster } : {}) });
      expect(r.report.findings).toHaveLength(1);
      const [f] = r.report.findings;
      expect(f).toMatchObject({
        rule: 'ring-members-mismatch',
        ref: 'R1',
        severity: 'error',
        file: 'fixtures/example/configs/carbonate.conf',
        line: 3,
      });
      expect(f!.message).toContain('members only in fixtures/example/configs/relay/carbon.conf: graphite-4:a');
      expect(f!.related).toEqual([{ file: 'fixtures/example/configs/relay/carbon.conf', line: 13 }]);
    }
  });

  it('docs/lint.md shows the real output', async () => {
    const r = await lintPaths(['fixtures/example/configs'], { cwd: PROJECT_ROOT });
    const doc = readFileSync(join(PROJECT_ROOT, 'docs/lint.md'), 'utf8');
    expect(doc).toContain(formatReport(r.report, 'text', { rules: RULES }).trimEnd());
    expect(doc).toContain(formatReport(r.report, 'json', { rules: RULES }).trimEnd());
    expect(doc).toContain(formatReport(r.report, 'github', { rules: RULES }).trimEnd());
    const withCluster = await lintPaths(['fixtures/example/configs'], { cwd: PROJECT_ROOT, cluster: 'fixtures/example/cluster.yaml' });
    expect(doc).toContain(withCluster.explain.join('\n'));
  });
});
