// The bundled example's seed (src/example/seed.ts): deterministic under a pinned clock, placed by the
// old ring, and audited against the new one with the classes the ring and the seed's oddities imply.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AuditFinding } from '../src/audit/audit-findings.js';
import { runAudit } from '../src/audit/run-audit.js';
import { DOUBLE_DOT_RAW, SELF_METRIC, TRAILING_DOT_RAW, seedExample } from '../src/example/seed.js';
import { loadClusterFileSync } from '../src/config/cluster-file.js';
import { buildRing } from '../src/ring/build.js';
import { metricToPath } from '../src/storage/paths.js';

const base = fs.mkdtempSync(join(tmpdir(), 'ringshift-seed-'));
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

function tree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const rel = relative(dir, p);
        // Whisper files carry the pinned clock as mtime; copied config files keep the copy time.
        const mtime = rel.startsWith('nodes/') ? `${fs.statSync(p).mtimeMs}:` : '';
        out.set(rel, mtime + createHash('sha256').update(fs.readFileSync(p)).digest('hex'));
      }
    }
  };
  walk(dir);
  return out;
}

describe('example seed', () => {
  const now = 1_700_000_000;
  const a = join(base, 'a');
  const b = join(base, 'b');
  const ready = (async () => {
    await seedExample(a, now);
    await seedExample(b, now);
  })();

  it('is byte-identical (whisper mtimes included) for the same clock', async () => {
    await ready;
    const ta = tree(a);
    expect(ta.size).toBeGreaterThan(200);
    expect(tree(b)).toEqual(ta);
  });

  it('places every metric on its old-ring owners and audits against the new ring', async () => {
    await ready;
    const oldRing = buildRing(loadClusterFileSync(join(a, 'cluster-old.yaml')).ring);
    const newRing = buildRing(loadClusterFileSync(join(a, 'cluster.yaml')).ring);
    const metrics = fs
      .readFileSync(join(a, 'metrics.txt'), 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    for (const m of metrics) {
      for (const n of ['graphite-1', 'graphite-2', 'graphite-3']) {
        const owner = oldRing.locate(m).owners.some((d) => d.server === n);
        expect(fs.existsSync(join(a, 'nodes', n, metricToPath(m)))).toBe(owner);
      }
    }
    const findings: AuditFinding[] = [];
    await runAudit(
      { clusterPath: join(a, 'cluster.yaml'), oldRing: join(a, 'cluster-old.yaml'), names: join(a, 'names.txt') },
      (f) => void findings.push(f),
    );
    const dd = findings.filter((f) => f.explanation === 'double-dot');
    expect(dd).toHaveLength(1);
    expect(dd[0]!.evidence).toEqual({ confidence: 'confirmed', raw: [DOUBLE_DOT_RAW] });
    expect(findings.filter((f) => f.kind === 'trailing-dot').map((f) => f.metric)).toEqual(
      oldRing.locate(TRAILING_DOT_RAW).owners.map(() => TRAILING_DOT_RAW),
    );
    expect(findings.filter((f) => f.kind === 'self-metric').map((f) => f.metric)).toEqual([SELF_METRIC]);
    const moved = metrics.flatMap((m) =>
      oldRing.locate(m).owners.filter((d) => !newRing.locate(m).owners.some((x) => x.server === d.server)),
    );
    expect(findings.filter((f) => f.explanation === 'old-ring')).toHaveLength(moved.length);
    expect(findings.filter((f) => f.kind === 'missing-replica').every((f) => f.node === 'graphite-4')).toBe(true);
  });
});
