/// <reference lib="dom" />
// The HTML reports in a real browser (Debian's chromium via playwright-core), made on the bundled example
// the way a user makes them: `ring diff`, `audit` and `plan` with --html and --json in the same run, and
// `ringshift report` before the shuffle, halfway through apply, and at the end. Each page: no request
// leaves it, no console error, every table's numbers equal the same run's --json (and their text says
// the number), every chart has its table, charts paint only the checked palette, nothing overflows at
// 1280 and 390 px and the charts scale, hover and filter work.
// Screenshots of the example's final report go to test-artifacts/.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from './helpers/project-root.js';
import { planReportInput } from '../src/report/command-reports.js';
import { renderReport } from '../src/report/report-page.js';
import { CLASS_COLOURS, MOVED_COLOUR, NEUTRAL_COLOUR, SERIES_COLOURS, STATE_COLOURS } from '../src/report/palette.js';
import { phasedPlanResult } from './report-plan-fixture.js';
import {
  chartsWithoutTable,
  launchBrowser,
  layoutProblems,
  paintedColours,
  readTables,
  textSaysValue,
  type Browser,
  type PageTable,
} from './report-browser-harness.js';

const run = promisify(execFile);
const RUN = join(PROJECT_ROOT, 'bin/run.js');
const ARTIFACTS = join(PROJECT_ROOT, 'test-artifacts');
const WIDTHS = [1280, 390] as const;
const STRUCTURE = ['#222222', '#888888', '#e6e6e6', '#f1f1f1', '#b3261e'];
const PALETTE = new Set(
  [...SERIES_COLOURS, ...Object.values(STATE_COLOURS), ...Object.values(CLASS_COLOURS), MOVED_COLOUR, NEUTRAL_COLOUR, ...STRUCTURE].map(
    (c) => c.toLowerCase(),
  ),
);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let dir: string;
let browser: Browser;
const runs: Record<string, Json[]> = {};

async function cli(args: string[], okCodes = [0]): Promise<Json[]> {
  const opts = { cwd: dir, encoding: 'utf8' as const, env: { ...process.env, RINGSHIFT_NOW: '1790000000' }, maxBuffer: 1 << 28 };
  let out: string;
  try {
    out = (await run(process.execPath, [RUN, ...args], opts)).stdout;
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    if (!okCodes.includes(err.code)) throw new Error(`ringshift ${args.join(' ')}: exit ${err.code}: ${err.stderr}`, { cause: e });
    out = err.stdout;
  }
  const text = out.trim();
  if (text.startsWith('{\n')) return [JSON.parse(text) as Json]; // a pretty-printed object (lint before NDJSON)
  return text === '' ? [] : text.split('\n').map((l) => JSON.parse(l) as Json);
}

const section = (lines: Json[], name: string): Json => lines.find((l) => l.section === name)!;

beforeAll(async () => {
  browser = await launchBrowser();
  dir = fs.mkdtempSync(join(tmpdir(), 'ringshift-report-'));
  await run(process.execPath, [join(PROJECT_ROOT, 'dist/src/example/seed.js'), dir], {
    env: { ...process.env, RINGSHIFT_NOW: '1790000000' },
  });
  fs.cpSync(join(PROJECT_ROOT, 'fixtures/example/configs'), join(dir, 'configs'), { recursive: true });
  const change = ['--cluster', 'cluster.yaml', '--old-ring', 'cluster-old.yaml', '--names', 'names.txt'];
  // Nothing here writes to the nodes until apply: these read the same state, side by side.
  const diffArgs = [
    'ring',
    'diff',
    '--from',
    'cluster-old.yaml',
    '--to',
    'cluster.yaml',
    '-f',
    'names.txt',
    '--json',
    '--html',
    'diff.html',
  ];
  [runs.diff, runs.showOld, runs.showNew, runs.audit, runs.before, runs.plan] = await Promise.all([
    cli(diffArgs),
    cli(['ring', 'show', '--ring', 'cluster-old.yaml', '--json']),
    cli(['ring', 'show', '--ring', 'cluster.yaml', '--json']),
    cli(['audit', ...change, '--json', '--html', 'audit.html']),
    cli(['report', ...change, '--lint', 'configs', '-o', 'before.html', '--json']),
    cli(['plan', ...change, '-o', 'plan.ndjson', '--json', '--html', 'plan.html']),
  ]);
  // Halfway: only graphite-4's copies and fills; the deletes wait for fills elsewhere.
  await cli(['apply', 'plan.ndjson', '--only-dest', 'graphite-4', '--json'], [0, 1, 3]);
  runs.during = await cli(['report', ...change, '--plan', 'plan.ndjson', '-o', 'during.html', '--json']);
  await cli(['apply', 'plan.ndjson', '--json']);
  [runs.report, runs.lint] = await Promise.all([
    cli(['report', ...change, '--plan', 'plan.ndjson', '--lint', 'configs', '-o', 'report.html', '--json']),
    cli(['lint', 'configs', '--cluster', 'cluster.yaml', '--format', 'json'], [0, 1]),
  ]);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
});

/** Open a page at every width: no request out, no console error, layout sane; the tables at 1280 px. */
async function checkPage(file: string, screenshot?: string): Promise<Map<string, PageTable>> {
  let tables: Map<string, PageTable> | undefined;
  for (const width of WIDTHS) {
    const { page, blocked, errors } = await browser.open(join(dir, file), width);
    expect(blocked, `${file}: requests leaving the page`).toEqual([]);
    expect(errors, `${file}: console errors`).toEqual([]);
    expect(await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content')).toContain("default-src 'none'");
    expect(await page.$$eval('link[href], script[src], img[src], iframe, object', (e) => e.length)).toBe(0);
    expect(await layoutProblems(page), `${file} at ${width}px`).toEqual([]);
    if (screenshot !== undefined) {
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, `${screenshot}-${width}.png`), fullPage: true });
    }
    if (width === 1280) {
      tables = await readTables(page);
      expect(await chartsWithoutTable(page), `${file}: charts without their table`).toEqual([]);
      // Charts paint only the palette the colour-blind test checks (report-svg.test.ts), and ink, axes,
      // grid, the empty track and the dashed high-water mark.
      const stray = (await paintedColours(page)).filter((c) => !PALETTE.has(c));
      expect(stray, `${file}: colours outside the palette`).toEqual([]);
    }
    await page.close();
  }
  // Every numeric cell's text says its number.
  for (const t of tables!.values())
    for (const row of t.rows)
      for (const c of row)
        if (c.value !== undefined) expect(textSaysValue(c.text, c.value), `${file} ${t.id}: "${c.text}" for ${c.value}`).toBe(true);
  return tables!;
}

const memberId = (m: Json): string => `${m.server}:${m.port}${m.instance === null ? '' : `:${m.instance}`}`;
const values = (t: PageTable | undefined, from = 1): (number | undefined)[][] => t!.rows.map((r) => r.slice(from).map((c) => c.value));
const texts = (t: PageTable | undefined, n: number): string[][] => t!.rows.map((r) => r.slice(0, n).map((c) => c.text));

function expectRing(tables: Map<string, PageTable>, which: string, show: Json): void {
  const t = tables.get(`ring-${which}`)!;
  expect(texts(t, 1).flat()).toEqual(show.members.map(memberId));
  expect(values(t)).toEqual(show.members.map((m: Json) => [m.share, m.anyShare]));
  const im = tables.get(`ring-${which}-imbalance`)!;
  const a = show.anyImbalance;
  expect(values(im)).toEqual(['min', 'max', 'mean', 'maxOverMean'].map((k) => [show.imbalance[k], a[k]]));
}

function expectMoves(tables: Map<string, PageTable>, diff: Json, pairs?: Json[]): void {
  const flows = (id: string, list: Json[], key: string): void => {
    const t = tables.get(id)!;
    expect(texts(t, 2)).toEqual(list.map((f) => [f.from ?? '(no owner)', f.to ?? '(no owner)']));
    expect(values(t, 2)).toEqual(list.map((f) => [f[key]]));
  };
  flows('flows-keyspace', diff.flows, 'share');
  flows('flows-metrics', diff.metrics.flows, 'count');
  const nodes = (id: string, list: Json[]): void => {
    const t = tables.get(id)!;
    expect(texts(t, 1).flat()).toEqual(list.map((n) => n.node));
    expect(values(t)).toEqual(list.map((n) => [n.primaryBefore, n.primaryAfter, n.anyBefore, n.anyAfter]));
  };
  nodes('members-keyspace', diff.members);
  nodes('members-metrics', diff.metrics.members);
  if (pairs !== undefined) expect(values(tables.get('flows-bytes'), 2)).toEqual(pairs.map((p) => [p.copies, p.fills, p.bytes]));
}

function expectAudit(tables: Map<string, PageTable>, summary: Json): void {
  const rows = Object.keys(summary.classes);
  const t = tables.get('audit-classes')!;
  expect(texts(t, 1).flat()).toEqual(rows);
  expect(values(t).map((r) => r.slice(0, 2))).toEqual(rows.map((r) => [summary.classes[r].files, summary.classes[r].bytes]));
  const byLoc = tables.get('audit-locations')!;
  expect(byLoc.head.slice(1)).toEqual(rows);
  expect(texts(byLoc, 1).flat()).toEqual(summary.locations.map((l: Json) => l.id));
  expect(byLoc.rows.map((r) => r.slice(1).map((c) => [c.value, c.bytes]))).toEqual(
    summary.locations.map((l: Json) =>
      rows.map((r) => [summary.classes[r].nodes[l.id]?.files ?? 0, summary.classes[r].nodes[l.id]?.bytes ?? 0]),
    ),
  );
}

function expectPlan(tables: Map<string, PageTable>, plan: Json, disk = true): void {
  const pairs = tables.get('plan-pairs')!;
  expect(texts(pairs, 2)).toEqual(plan.pairs.map((p: Json) => [p.from, p.to]));
  expect(values(pairs, 2).map((r) => r.slice(0, 3))).toEqual(plan.pairs.map((p: Json) => [p.copies, p.fills, p.bytes]));
  if (disk) {
    const d = tables.get('plan-disk')!;
    expect(texts(d, 1).flat()).toEqual(plan.destinations.map((x: Json) => x.id));
    expect(values(d).map((r) => r.slice(0, 6))).toEqual(
      plan.destinations.map((x: Json) => [
        x.filesystem.capacity,
        x.filesystem.now,
        x.filesystem.peak,
        x.filesystem.after,
        x.growth,
        x.freed,
      ]),
    );
  }
  expect(values(tables.get('plan-deletes'))).toEqual(plan.deletes.map((x: Json) => [x.files, x.bytes]));
  const skips = tables.get('plan-skips')!;
  const byReason = Object.fromEntries(skips.rows.map((r) => [r[0]!.text, r[1]!.value]));
  expect(byReason).toEqual(Object.fromEntries(Object.entries(plan.skipped.byReason).map(([k, v]) => [k, (v as Json).files])));
}

function expectProgress(tables: Map<string, PageTable>, p: Json): void {
  const t = tables.get('progress-destinations')!;
  expect(texts(t, 1).flat()).toEqual(p.destinations.map((d: Json) => d.id));
  expect(values(t)).toEqual(
    p.destinations.map((d: Json) => [d.done.files, d.done.bytes, d.failed.files, d.waiting.files, d.left.files, d.left.bytes]),
  );
  const total = p.throughput.series.find((s: Json) => s.id === '');
  if (total !== undefined) {
    const tp = tables.get('progress-throughput')!;
    expect(tp.rows.map((r) => r[1]!.value)).toEqual(total.bytes);
    expect(tp.rows.map((r) => r[0]!.value)).toEqual(
      total.bytes.map((_: number, i: number) => p.throughput.start + i * p.throughput.bucketSeconds),
    );
  }
}

function lintJson(lines: Json[]): { findings: Json[]; summary: Json } {
  if (lines.length === 1 && lines[0]!.findings !== undefined) return lines[0] as { findings: Json[]; summary: Json };
  const { type: _type, ...summary } = lines.find((l) => l.type === 'summary')!;
  return { findings: lines.filter((l) => l.type === 'finding'), summary };
}

describe('ring diff --html', () => {
  it('shows both rings (= ring show --json) and the flows (= the same run --json)', async () => {
    const tables = await checkPage('diff.html');
    expectRing(tables, 'before', runs.showOld![0]!);
    expectRing(tables, 'after', runs.showNew![0]!);
    expectMoves(tables, runs.diff![0]!);
  });
});

describe('audit --html', () => {
  it('shows the classes per location (= the same run --json summary)', async () => {
    const tables = await checkPage('audit.html');
    expectAudit(tables, runs.audit!.at(-1)!.summary);
    expectRing(tables, 'ring', runs.showNew![0]!);
  });
});

describe('plan --html', () => {
  it('shows disk, pairs, deletes and skips (= the same run --json)', async () => {
    const tables = await checkPage('plan.html');
    expectPlan(tables, runs.plan![0]!);
  });
});

describe('lint --format html (src/lint renders it)', () => {
  const layouts = new Map<number, string[]>();
  it('opens offline without errors, a row per finding of the same lint --format json (1280 and 390 px)', async () => {
    const args = [RUN, 'lint', 'configs', '--cluster', 'cluster.yaml', '--format', 'html'];
    let html: string;
    try {
      html = (await run(process.execPath, args, { cwd: dir, encoding: 'utf8' })).stdout;
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      if (err.code !== 1) throw new Error(`ringshift lint --format html: exit ${err.code}: ${err.stderr}`, { cause: e });
      html = err.stdout;
    }
    fs.writeFileSync(join(dir, 'lint.html'), html);
    const findings = lintJson(runs.lint!).findings;
    expect(findings.length).toBeGreaterThan(0);
    for (const width of WIDTHS) {
      const { page, blocked, errors } = await browser.open(join(dir, 'lint.html'), width);
      expect(blocked, 'lint.html: requests leaving the page').toEqual([]);
      expect(errors, 'lint.html: console errors').toEqual([]);
      expect(await page.$$eval('link[href], script[src], img[src], iframe, object', (e) => e.length)).toBe(0);
      layouts.set(width, await layoutProblems(page));
      expect(await page.$$eval('tbody tr', (trs) => trs.length)).toBe(findings.length);
      const text = await page.$eval('body', (b) => b.textContent ?? '');
      for (const f of findings) expect(text).toContain(f.rule);
      await page.close();
    }
  });
  it('fits 1280 and 390 px without scrolling sideways', () => {
    expect([...layouts.keys()]).toEqual([...WIDTHS]);
    for (const width of WIDTHS) expect(layouts.get(width), `lint.html at ${width}px`).toEqual([]);
  });
});

describe('a phased plan', () => {
  it('shows each phase and the read impact per phase and reader (= its json); a plain plan has no phases', async () => {
    const result = phasedPlanResult();
    fs.writeFileSync(join(dir, 'phased.html'), renderReport(planReportInput(result, 'cluster.yaml')));
    const tables = await checkPage('phased.html');
    const phases = tables.get('plan-phases')!;
    expect(texts(phases, 1).flat()).toEqual(result.runbook.phases.map((p) => p.name));
    expect(values(phases).map((r) => r.slice(1, 4))).toEqual(result.runbook.phases.map((p) => [p.files, p.bytes, p.seconds]));
    const impact = tables.get('plan-read-impact')!;
    const readers = Object.keys(result.readImpact.phases[0]!.readers);
    expect(texts(impact, 1).flat()).toEqual(result.readImpact.phases.map((p) => p.phase));
    expect(values(impact)).toEqual(result.readImpact.phases.map((p) => readers.flatMap((k) => [p.readers[k]!.gaps, p.readers[k]!.recent])));
    const opened = await browser.open(join(dir, 'plan.html'), 1280);
    const plain = await readTables(opened.page);
    await opened.page.close();
    expect(plain.has('plan-pairs')).toBe(true);
    // A plain plan has no phases (its read impact, now/apply, is drawn when the planner gives one).
    expect(plain.has('plan-phases')).toBe(false);
  });
});

describe('ringshift report', () => {
  it('before the shuffle: rings, moves, audit, a dry-run plan and lint, equal to its --json and to each command', async () => {
    const tables = await checkPage('before.html');
    const r = runs.before!;
    expectRing(tables, 'before', section(r, 'rings').before.show);
    expectRing(tables, 'after', section(r, 'rings').after.show);
    expect(section(r, 'rings').after.show).toEqual(runs.showNew![0]);
    const moves = section(r, 'moves');
    expectMoves(tables, moves.diff, moves.bytes);
    for (const k of ['keyspace', 'members', 'flows', 'metrics']) expect(moves.diff[k]).toEqual(runs.diff![0]![k]);
    expect(section(r, 'rings').moved.share).toBe(runs.diff![0]!.keyspace.primaryChanged);
    expectAudit(tables, section(r, 'audit').summary);
    expect(section(r, 'audit').summary.classes).toEqual(runs.audit!.at(-1)!.summary.classes);
    const plan = section(r, 'plan').json;
    expectPlan(tables, plan);
    for (const k of ['actions', 'bytes', 'pairs', 'deletes', 'skipped']) expect(plan[k]).toEqual(runs.plan![0]![k]);
    const lint = section(r, 'lint');
    const expected = lintJson(runs.lint!);
    expect(lint.summary).toEqual(expected.summary);
    const perRule = new Map<string, number>();
    for (const f of expected.findings) perRule.set(f.rule, (perRule.get(f.rule) ?? 0) + 1);
    const rules = tables.get('lint-rules')!;
    expect(new Map(rules.rows.map((row) => [row[0]!.text, row[3]!.value]))).toEqual(perRule);
    expect(tables.has('progress-destinations')).toBe(false);
  });

  it('halfway through apply: done, waiting and left per destination from the journals', async () => {
    const tables = await checkPage('during.html');
    const p = section(runs.during!, 'progress');
    expectProgress(tables, p);
    const g4 = p.destinations.find((d: Json) => d.id === 'graphite-4');
    expect(g4.done.files).toBeGreaterThan(0);
    expect(g4.left.files + g4.waiting.files + g4.failed.files).toBe(0);
    expect(p.totals.waiting.files + p.totals.left.files).toBeGreaterThan(0);
    expect(p.totals.done.files + p.totals.waiting.files + p.totals.left.files + p.totals.failed.files).toBe(p.actions);
    expectPlan(tables, section(runs.during!, 'plan').json);
  });

  it("the bundled example's report: every section, hover and filter work; screenshots kept", async () => {
    const tables = await checkPage('report.html', 'report-example');
    const r = runs.report!;
    const p = section(r, 'progress');
    expectProgress(tables, p);
    expect(p.totals.done.files).toBe(p.actions);
    expectAudit(tables, section(r, 'audit').summary);
    expectPlan(tables, section(r, 'plan').json);
    expectMoves(tables, section(r, 'moves').diff, section(r, 'moves').bytes);
    for (const s of ['rings', 'moves', 'audit', 'plan', 'progress', 'lint']) expect(tables.size && section(r, s), s).toBeDefined();

    const { page } = await browser.open(join(dir, 'report.html'), 1280);
    expect(await page.$$eval('section[data-section]', (s) => s.map((x) => x.id))).toEqual([
      'rings',
      'moves',
      'audit',
      'plan',
      'progress',
      'lint',
    ]);
    // Hover a member's row: its arcs stay, the other members' dim.
    const row = page.locator('table[data-table="ring-after"] tbody tr').nth(3);
    const key = await row.getAttribute('data-k');
    await row.hover();
    const dims = await page.$$eval('svg.wheel circle[data-k]', (cs) =>
      cs.map((c) => [c.getAttribute('data-k'), c.classList.contains('dim')] as const),
    );
    expect(dims.filter(([k]) => k === key).every(([, d]) => !d)).toBe(true);
    expect(dims.filter(([k]) => k !== key && k !== 'moved').every(([, d]) => d)).toBe(true);
    // Filter a long table.
    const filter = page.locator('input[data-filter="audit-prefixes"]');
    await filter.fill('web01');
    const shown = await page.$$eval('table[data-table="audit-prefixes"] tbody tr', (trs) =>
      trs.filter((t) => !(t as HTMLElement).hidden).map((t) => t.textContent ?? ''),
    );
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.every((t) => t.includes('web01'))).toBe(true);
    // Printing: filters and navigation are hidden.
    await page.emulateMedia({ media: 'print' });
    expect(await page.$eval('input.filter', (e) => getComputedStyle(e).display)).toBe('none');
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.length).toBeGreaterThan(50_000);
    await page.close();
    for (const w of WIDTHS) expect(fs.statSync(join(ARTIFACTS, `report-example-${w}.png`)).size).toBeGreaterThan(10_000);
  });

  it('the request guard catches a page that fetches (control)', async () => {
    const file = join(dir, 'control.html');
    fs.writeFileSync(
      file,
      '<!doctype html><html><body><img src="http://127.0.0.1:9/x.png"><script>console.error("boom")</script></body></html>',
    );
    const { page, blocked, errors } = await browser.open(file, 1280);
    await page.close();
    expect(blocked).toEqual(['http://127.0.0.1:9/x.png']);
    expect(errors.some((e) => e.includes('boom'))).toBe(true);
  });
});
