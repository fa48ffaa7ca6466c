// The report stays small: a 100-member ring growing to 101 with a million names on disk fits in well
// under 2 MB, because every section aggregates (arcs per member, flows per pair, top prefixes, time
// buckets) and nothing lists metrics. The rings are real (their wheels come from the ring's positions);
// the million names are given as the aggregates the commands would print, generated directly.
import { describe, expect, it } from 'vitest';
import { diffRings } from '../src/ring/analysis/diff.js';
import { diffJson } from '../src/ring-output/ring-report.js';
import { buildRing } from '../src/ring/build.js';
import type { RingSpec } from '../src/ring/types.js';
import { ColourKeys, movedPositions, registerColours, ringPanel } from '../src/report/collect-rings.js';
import { renderReport } from '../src/report/report-page.js';
import type { AuditSummaryJson, PlanJson, ProgressJson, ReportInput, RingDiffJson } from '../src/report/report-input.js';

const LIMIT = 2 * 1024 * 1024;

function spec(n: number): RingSpec {
  return {
    impl: 'carbon',
    hash: 'carbon_ch',
    router: 'consistent-hashing',
    destinations: Array.from({ length: n }, (_, i) => ({
      server: `cache-${String(i).padStart(3, '0')}.dc1.example.net`,
      port: 2004,
      instance: 'a',
    })),
    replication: 2,
    diverse: true,
    tagRelayNormalized: false,
    sanitize: true,
  };
}

async function bigReport(names: number): Promise<ReportInput> {
  const old = buildRing(spec(100));
  const next = buildRing(spec(101));
  const colours = new ColourKeys();
  registerColours(colours, [old, next]);
  const locs = next.members.map((m) => m.server);
  for (const [i, l] of locs.entries()) colours.slot(`${next.members[i]!.server}:2004:a`, l);
  const d = diffJson(old.spec, next.spec, await diffRings(old, next)) as unknown as RingDiffJson;
  // Names: the keyspace shares applied to `names` (what `ring diff -f` would count).
  const n = (share: number): number => Math.round(share * names);
  d.metrics = {
    total: names,
    ownersChanged: n(d.keyspace.ownersChanged),
    primaryChanged: n(d.keyspace.primaryChanged),
    ownerSetChanged: n(d.keyspace.ownerSetChanged),
    dropped: { from: 0, to: 0 },
    errors: { from: 0, to: 0 },
    members: d.members.map((m) => ({
      ...m,
      primaryBefore: n(m.primaryBefore),
      primaryAfter: n(m.primaryAfter),
      anyBefore: n(m.anyBefore),
      anyAfter: n(m.anyAfter),
    })),
    flows: d.flows.map((f) => ({ from: f.from, to: f.to, count: n(f.share) })),
  };
  const rows = [
    'ok',
    'misplaced:old-ring',
    'misplaced:double-dot-suspected',
    'misplaced:unexplained',
    'extra-copy',
    'missing-replica',
    'self-metric',
    'trailing-dot',
  ];
  const per = (row: string, i: number): number => Math.round((row === 'ok' ? 2 * names : names / 50) / locs.length) + (i % 7);
  const classes: AuditSummaryJson['classes'] = {};
  for (const row of rows) {
    const nodes: Record<string, { files: number; bytes: number }> = {};
    locs.forEach((l, i) => (nodes[l] = { files: per(row, i), bytes: per(row, i) * 1_036_912 }));
    const files = Object.values(nodes).reduce((s, c) => s + c.files, 0);
    classes[row] = { files, bytes: files * 1_036_912, nodes };
  }
  const summary: AuditSummaryJson = {
    files: 2 * names,
    bytes: 2 * names * 1_036_912,
    classes,
    ring: 'carbon carbon_ch, replication 2, diverse, 101 members',
    locations: locs.map((id) => ({ id, root: `/srv/graphite/${id}/whisper`, members: 1, files: 2 * Math.round(names / 100) })),
  };
  const prefix = (row: string, k: number): string => `servers.${row.replace(/\W/g, '')}-host-${String(k).padStart(4, '0')}.*`;
  const digest = {
    prefixDepth: 2,
    prefixes: Object.fromEntries(
      rows.map((r) => [
        r,
        Array.from({ length: 10 }, (_, k) => ({ prefix: prefix(r, k), files: 10_000 - k, bytes: (10_000 - k) * 1_036_912 })),
      ]),
    ),
    examples: Object.fromEntries(
      rows
        .filter((r) => r !== 'ok')
        .map((r) => [
          r,
          Array.from({ length: 10 }, (_, k) => ({
            metric: `${prefix(r, k).slice(0, -2)}.disk.sda${k}.write_bytes`,
            node: locs[k]!,
            path: 'x',
            why: `an owner under the old ring (${locs[k + 1]}, ${locs[k + 2]}); owners ${locs[k + 3]}, ${locs[k + 4]}`,
          })),
        ]),
    ),
  };
  const plan: PlanJson = {
    plan: '/srv/shuffle.plan',
    written: true,
    actions: { copy: names / 10, fill: names / 5, delete: names / 10, total: names * 0.4 },
    bytes: names * 0.3 * 1_036_912,
    throughput: 50 * 1024 ** 2,
    seconds: Math.ceil((names * 0.3 * 1_036_912) / (50 * 1024 ** 2)),
    pairs: locs.flatMap((from, i) => [
      { from, to: locs[100]!, copies: 1000 + i, fills: 2000 + i, bytes: (3000 + 2 * i) * 1_036_912 },
      { from, to: locs[(i + 1) % 100]!, copies: 0, fills: 900 + i, bytes: (900 + i) * 1_036_912 },
    ]),
    destinations: locs.map((id, i) => ({
      id,
      growth: i * 1e9,
      freed: 5e9,
      filesystem: {
        locations: [id],
        used: 4e11,
        capacity: 1e12,
        growth: i * 1e9,
        freed: 5e9,
        now: 0.4,
        peak: 0.4 + i / 1000,
        after: 0.395 + i / 1000,
      },
    })),
    deletes: locs.slice(0, 100).map((at) => ({ at, files: names / 1000, bytes: (names / 1000) * 1_036_912 })),
    maxFill: 0.9,
    refused: [],
    skipped: {
      files: 5 * 2000,
      byReason: Object.fromEntries(
        ['trailing-dot', 'self-metric', 'double-dot (suspected)', 'tagged-hashed', 'malformed'].map((r) => [
          r,
          {
            files: 2000,
            items: Array.from({ length: 50 }, (_, k) => ({
              path: `servers/host-${k}/cpu/.wsp`,
              at: locs[k]!,
              reason: `${r}: carbon-cache wrote this for the raw name "servers.host-${k}.cpu."`,
              fix: 'fix the name at the sender, then re-plan',
            })),
          },
        ]),
      ),
    },
    notes: [],
  };
  const progress: ProgressJson = {
    plan: '/srv/shuffle.plan',
    planSha256: 'f'.repeat(64),
    actions: names * 0.4,
    destinations: locs.map((id, i) => ({
      id,
      done: { files: 3000 + i, bytes: 3e9 },
      failed: { files: i % 3, bytes: 0 },
      waiting: { files: 900, bytes: 0 },
      left: { files: 100, bytes: 1e8 },
    })),
    totals: {
      done: { files: 3e5, bytes: 3e11 },
      failed: { files: 100, bytes: 0 },
      waiting: { files: 9e4, bytes: 0 },
      left: { files: 1e4, bytes: 1e10 },
    },
    throughput: {
      bucketSeconds: 60,
      start: 1_790_000_000,
      series: [
        { id: '', bytes: Array.from({ length: 60 }, (_, k) => 3e9 + k * 1e7) },
        ...locs.map((id) => ({ id, bytes: Array.from({ length: 60 }, (_, k) => 3e7 + k * 1e5) })),
      ],
    },
    failures: Array.from({ length: 50 }, (_, k) => ({
      id: k * 97,
      node: locs[k]!,
      op: 'copy',
      code: 'EIO',
      error: 'input/output error reading the source',
    })),
    first: '2026-09-21T10:00:00.000Z',
    last: '2026-09-21T11:00:00.000Z',
  };
  return {
    title: 'ringshift report: big.yaml',
    generated: '2026-09-21T11:00:00.000Z',
    sources: [{ label: 'cluster', value: 'big.yaml' }],
    colours: colours.toJson(),
    rings: {
      before: ringPanel(old, 'Old ring', '100 members'),
      after: ringPanel(next, 'New ring', '101 members'),
      moved: movedPositions(old, next)!,
    },
    moves: { diff: d, bytes: plan.pairs },
    audit: { summary, digest },
    plan: { json: plan, source: 'synthetic' },
    progress,
    lint: {
      summary: { errors: 10, warnings: 20, infos: 0, files: 40 },
      findings: Array.from({ length: 30 }, (_, k) => ({
        rule: `rule-${k % 6}`,
        ref: `R${k % 6}`,
        severity: k < 10 ? 'error' : 'warning',
        file: `hosts/h${k}/carbon.conf`,
        line: 10,
        message: 'DESTINATIONS differs from the relay ring: ownership of 1.0 % of the keyspace differs',
        fix: 'set DESTINATIONS = …',
      })),
      excerpts: Object.fromEntries(
        Array.from({ length: 30 }, (_, k) => [
          `hosts/h${k}/carbon.conf:10`,
          { first: 8, lines: ['[relay]', 'LINE_RECEIVER_PORT = 2003', 'DESTINATIONS = a:2004:a, b:2004:a', 'REPLICATION_FACTOR = 2', ''] },
        ]),
      ),
    },
  };
}

describe('report size', () => {
  it('100 members (→ 101) and 1M names: every section, under 2 MB, the same size for 10M names', async () => {
    const html = renderReport(await bigReport(1_000_000));
    const size = Buffer.byteLength(html);
    for (const s of ['rings', 'moves', 'audit', 'plan', 'progress', 'lint']) expect(html).toContain(`data-section="${s}"`);
    expect(html.match(/<circle data-k="\d+"/g)!.length).toBeGreaterThanOrEqual(2 * (100 + 101));
    expect(size).toBeLessThan(LIMIT);
    const ten = Buffer.byteLength(renderReport(await bigReport(10_000_000)));
    expect(Math.abs(ten - size) / size).toBeLessThan(0.02);
    for (const m of html.split(/(?=<section id=)/))
      console.log(`  ${/<section id="(\w+)"/.exec(m)?.[1] ?? 'head'}: ${(m.length / 1024).toFixed(0)} KiB`);
    console.log(`report for 100→101 members and 1M names: ${(size / 1024).toFixed(0)} KiB (10M names: ${(ten / 1024).toFixed(0)} KiB)`);
  }, 60_000);
});
