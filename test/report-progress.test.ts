// The progress section's data from a plan and its journals, on a hand-made plan: done, failed, waiting
// (a delete whose copies are not all verified), left, bytes to read, the throughput buckets, and a
// journal of another plan refused.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { journalDir, journalFileName } from '../src/apply/journal.js';
import { collectProgress, throughputSeries } from '../src/report/collect-progress.js';
import { planJsonFromFile } from '../src/report/collect-plan-file.js';
import { progressSection } from '../src/report/section-progress.js';
import { ColourKeys } from '../src/report/palette.js';

const dir = fs.mkdtempSync(join(tmpdir(), 'ringshift-report-progress-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const stamp = (size: number) => ({ size, mtimeMs: 1_700_000_000_000 });
const records = [
  {
    type: 'header',
    format: 'ringshift-plan',
    version: 1,
    created: '2026-01-01T00:00:00Z',
    ringFingerprint: 'x',
    ring: {},
    cluster: '/c.yaml',
    options: { keepSource: false, moveSuspected: false, maxFill: 0.8 },
    locations: [
      { id: 'a', url: '/a', members: ['a:2004'] },
      { id: 'b', url: '/b', members: ['b:2004'] },
    ],
  },
  { type: 'action', id: 1, op: 'copy', metric: 'm.one', path: 'm/one.wsp', from: 'a', to: 'b', source: stamp(100) },
  { type: 'action', id: 2, op: 'fill', metric: 'm.two', path: 'm/two.wsp', from: 'a', to: 'b', source: stamp(30), dest: stamp(30) },
  { type: 'action', id: 3, op: 'delete', metric: 'm.two', path: 'm/two.wsp', at: 'a', source: stamp(30), after: [1, 2] },
  { type: 'action', id: 4, op: 'copy', metric: 'm.four', path: 'm/four.wsp', from: 'b', to: 'a', source: stamp(50) },
  { type: 'action', id: 5, op: 'delete', metric: 'm.four', path: 'm/four.wsp', at: 'b', source: stamp(50), after: [4] },
  { type: 'action', id: 6, op: 'copy', metric: 'm.six', path: 'm/six.wsp', from: 'b', to: 'a', source: stamp(70) },
  {
    type: 'skip',
    metric: 'm.',
    path: 'm/.wsp',
    at: 'a',
    reason: 'trailing-dot: carbon-cache wrote this for the raw name "m."',
    fix: 'fix the sender',
  },
  { type: 'footer', actions: 6, skips: 1, bytes: 250 },
];
const plan = join(dir, 'p.plan');
const text = records.map((r) => JSON.stringify(r)).join('\n') + '\n';
fs.writeFileSync(plan, text);
const sha = createHash('sha256').update(text).digest('hex');
const t0 = '2026-01-01T10:00:00.000Z';
const t1 = '2026-01-01T10:02:00.000Z';
const open = (node: string) => ({ t: 'open', format: 'ringshift-journal', version: 1, plan: sha, node, pid: 1, host: 'h', at: t0 });
function journal(node: string, recs: object[]): void {
  fs.mkdirSync(journalDir(plan), { recursive: true });
  fs.writeFileSync(join(journalDir(plan), journalFileName(node)), [open(node), ...recs].map((r) => JSON.stringify(r) + '\n').join(''));
}
journal('b', [
  { t: 'done', id: 1, op: 'copy', result: 'copied', to: 'b', path: 'm/one.wsp', src: stamp(100), bytes: 100, at: t0 },
  { t: 'failed', id: 2, op: 'fill', code: 'ELOCK', error: 'flock timeout', at: t0 },
]);
journal('a', [{ t: 'done', id: 4, op: 'copy', result: 'copied', to: 'a', path: 'm/four.wsp', src: stamp(50), bytes: 50, at: t1 }]);

describe('progress from the journals', () => {
  it('counts done, failed, waiting and left per destination, with bytes to read', async () => {
    const { json: p, isDone } = await collectProgress(plan);
    expect(p.actions).toBe(6);
    expect(p.planSha256).toBe(sha);
    const byId = Object.fromEntries(p.destinations.map((d) => [d.id, d]));
    expect(byId.b).toEqual({
      id: 'b',
      done: { files: 1, bytes: 100 },
      failed: { files: 1, bytes: 30 },
      waiting: { files: 0, bytes: 0 },
      left: { files: 1, bytes: 0 },
    });
    expect(byId.a).toEqual({
      id: 'a',
      done: { files: 1, bytes: 50 },
      failed: { files: 0, bytes: 0 },
      waiting: { files: 1, bytes: 0 },
      left: { files: 1, bytes: 70 },
    });
    expect(p.failures).toEqual([{ id: 2, node: 'b', op: 'fill', code: 'ELOCK', error: 'flock timeout' }]);
    expect([1, 2, 3, 4, 5, 6].map(isDone)).toEqual([true, false, false, true, false, false]);
    expect(p.first).toBe(t0);
    expect(p.last).toBe(t1);
    // 120 s of journal: 5 s buckets (the first width giving fewer than 60), 100 B in the first, 50 B in the last.
    expect(p.throughput.bucketSeconds).toBe(5);
    const total = p.throughput.series[0]!;
    expect(total.id).toBe('');
    expect(total.bytes).toHaveLength(25);
    expect([total.bytes[0], total.bytes[24], total.bytes.reduce((s, x) => s + x, 0)]).toEqual([100, 50, 150]);
    expect(
      p.throughput.series
        .slice(1)
        .map((s) => s.id)
        .sort(),
    ).toEqual(['a', 'b']);
    const html = progressSection(p, new ColourKeys());
    expect(html).toContain('flock timeout');
    expect(html).toContain('data-table="progress-throughput"');
  });

  it("the plan section from the file counts what remains against the disk, and the plan's high-water mark", async () => {
    const { isDone } = await collectProgress(plan);
    const loc = (id: string) => ({ id, scheme: 'file', url: `file:///${id}`, root: `/${id}`, keys: [], members: [] }) as never;
    const j = await planJsonFromFile(plan, {
      locations: [loc('a'), loc('b')],
      statfs: (l) => ({ dev: (l as { id: string }).id, used: 1000, capacity: 10_000 }),
      throughput: 100,
      isDone,
    });
    expect(j.actions).toEqual({ copy: 3, fill: 1, delete: 2, total: 6 });
    expect(j.bytes).toBe(250);
    expect(j.maxFill).toBe(0.8);
    // Remaining copies: #6 into a (70 B); #1 into b is done.
    expect(j.destinations.map((d) => [d.id, d.growth, d.filesystem.peak])).toEqual([
      ['a', 70, 0.107],
      ['b', 0, 0.1],
    ]);
    expect(j.skipped.byReason).toEqual({ 'trailing-dot': { files: 1, items: [records[7]] } });
  });

  it('refuses a journal of another plan', async () => {
    const other = join(dir, 'other.plan');
    fs.writeFileSync(other, text.replace('"m.six"', '"m.seven"'));
    fs.cpSync(journalDir(plan), journalDir(other), { recursive: true });
    await expect(collectProgress(other)).rejects.toThrow(/journal belongs to another plan/);
  });

  it('buckets by round widths', () => {
    expect(throughputSeries([], []).start).toBeNull();
    const s = throughputSeries(
      [
        { t: 1000.5, node: 'x', bytes: 1 },
        { t: 4600, node: 'x', bytes: 2 },
      ],
      ['x'],
    );
    expect(s.bucketSeconds).toBe(120);
    expect(s.start).toBe(960);
    expect(s.series[0]!.bytes.at(-1)).toBe(2);
  });
});
