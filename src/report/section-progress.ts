// "Progress": a plan's actions per destination from its journals — done, failed, waiting (deletes that
// wait for copies into other destinations) and left — the throughput over time as a line chart, and the
// failures. The numbers are the report's own --json progress line.
import { barsSvg } from './svg-bars.js';
import { lineChartSvg, type LineSeries } from './svg-line-chart.js';
import { STATE_COLOURS, type ColourKeys } from './palette.js';
import { bytes, count, dataTable, label, type CellSpec } from './data-table.js';
import { bytesText, countText, esc, rateText } from './html-text.js';
import type { ProgressJson } from './report-input.js';
import { figure, keyFigures, section } from './section-frame.js';

/** Destinations drawn as their own (dashed) line under the total; more would be a tangle. */
const MAX_SERIES = 8;

export function progressSection(p: ProgressJson, colours: ColourKeys): string {
  const t = p.totals;
  const all = t.done.files + t.failed.files + t.waiting.files + t.left.files;
  const figs = [
    { label: 'done', value: esc(`${countText(t.done.files)} of ${countText(all)}`) },
    { label: 'bytes read', value: esc(bytesText(t.done.bytes)) },
    { label: 'failed', value: esc(countText(t.failed.files)) },
    { label: 'waiting', value: esc(countText(t.waiting.files)) },
    { label: 'left', value: esc(`${countText(t.left.files)} (${bytesText(t.left.bytes)})`) },
  ];
  const parts: string[] = [keyFigures(figs)];
  const states = ['done', 'failed', 'waiting', 'left'] as const;
  const chart = barsSvg({
    title: 'actions per destination by state',
    format: (v) => countText(Math.round(v)),
    rows: p.destinations.map((d) => ({
      label: d.id,
      key: colours.slot(d.id),
      bars: [
        {
          segments: states.map((s) => ({
            value: d[s].files,
            colour: STATE_COLOURS[s],
            hollow: s === 'left',
            title: `${d.id}: ${countText(d[s].files)} ${s} (${bytesText(d[s].bytes)})`,
          })),
        },
      ],
    })),
  });
  const legend = `<ul class="legend">${states.map((s) => `<li><span class="swatch${s === 'left' ? ' hollow' : ''}" style="${s === 'left' ? `border-color:${STATE_COLOURS[s]}` : `background:${STATE_COLOURS[s]}`}"></span>${s}</li>`).join('')}</ul>`;
  const table = dataTable({
    id: 'progress-destinations',
    caption: 'actions per destination (journal of each destination)',
    head: ['destination', 'done', 'bytes read', 'failed', 'waiting', 'left', 'bytes to read'],
    rows: p.destinations.map((d) => [
      label(d.id, colours.colour(d.id)),
      count(d.done.files),
      bytes(d.done.bytes),
      count(d.failed.files),
      count(d.waiting.files),
      count(d.left.files),
      bytes(d.left.bytes),
    ]),
    rowKeys: p.destinations.map((d) => colours.slot(d.id)),
  });
  parts.push(figure('Actions per destination', legend + chart, table));

  const tp = p.throughput;
  if (tp.start !== null && tp.series.length > 0) {
    const rate = (b: number): number => b / tp.bucketSeconds;
    const total = tp.series.find((s) => s.id === '')!;
    const lines: LineSeries[] = [
      {
        label: 'all destinations',
        colour: '#000000',
        points: total.bytes.map((b, i) => [tp.start! + i * tp.bucketSeconds, rate(b)] as const),
      },
    ];
    const per = tp.series.filter((s) => s.id !== '');
    if (per.length <= MAX_SERIES)
      for (const s of per)
        lines.push({
          label: s.id,
          colour: colours.colour(s.id),
          key: colours.slot(s.id),
          dashed: true,
          points: s.bytes.map((b, i) => [tp.start! + i * tp.bucketSeconds, rate(b)] as const),
        });
    const rows: CellSpec[][] = total.bytes.map((b, i) => [
      { text: clock(tp.start! + i * tp.bucketSeconds), value: tp.start! + i * tp.bucketSeconds },
      bytes(b),
      { text: rateText(rate(b)), value: rate(b) },
    ]);
    parts.push(
      figure(
        `Throughput over time (bytes copied and filled per ${tp.bucketSeconds} s, UTC)`,
        lineChartSvg({
          title: 'throughput over time',
          series: lines,
          xFormat: clock,
          yFormat: rateText,
          xTicks: bucketTicks(tp.start, tp.bucketSeconds, total.bytes.length),
        }),
        dataTable({
          id: 'progress-throughput',
          caption: `bytes per ${tp.bucketSeconds} s interval (start, UTC)`,
          head: ['from', 'bytes', 'rate'],
          rows,
        }),
      ),
    );
  }
  if (p.failures.length > 0)
    parts.push(
      `<h3>Failures</h3>` +
        dataTable({
          id: 'progress-failures',
          caption: 'failed actions (the journals hold every one)',
          head: ['action', 'destination', 'op', 'code', 'error'],
          rows: p.failures.map((f) => [{ text: `#${f.id}`, value: f.id }, f.node, f.op, f.code, f.error]),
        }),
    );
  const span = p.first !== null && p.last !== null ? `; journals from ${p.first} to ${p.last}` : '; nothing journaled yet';
  return section(
    'progress',
    'Progress',
    esc(`Plan ${p.plan} (sha256 ${p.planSha256.slice(0, 12)}…), ${countText(p.actions)} actions${span}.`),
    parts.join(''),
  );
}

/** At most five bucket starts, evenly spread, first and last included. */
function bucketTicks(start: number, width: number, n: number): number[] {
  const k = Math.min(5, n);
  if (k <= 1) return [start];
  const out = new Set<number>();
  for (let i = 0; i < k; i++) out.add(start + Math.round((i * (n - 1)) / (k - 1)) * width);
  return [...out];
}

/** Unix seconds → "HH:MM:SS" UTC (the date is in the section's lead). */
function clock(s: number): string {
  return new Date(s * 1000).toISOString().slice(11, 19);
}
