// Horizontal bars: one row per location or member, each with one or more bars of stacked segments
// (audit classes per location, before/after shares, disk now + growth) and optional markers (the
// high-water mark, the fill after deletes). Labels are drawn in the SVG so the chart stands alone when
// printed; the numbers are in the table beside it.
import { coord, esc } from './html-text.js';

export interface BarSegment {
  value: number;
  colour: string;
  /** Tooltip. */
  title: string;
  /** Hover key (data-k) shared with the tables. */
  key?: string | number;
  /** Drawn as an outline (something absent, e.g. missing replicas, or the free part of a disk). */
  hollow?: boolean;
}

export interface BarMarker {
  value: number;
  title: string;
  /** 'limit': a dashed red line (high-water); 'point': a dark tick. */
  kind: 'limit' | 'point';
}

export interface BarRow {
  label: string;
  key?: string | number;
  /** One bar per entry, drawn one under the other inside the row (e.g. before, after). */
  bars: { segments: BarSegment[]; caption?: string }[];
  markers?: BarMarker[];
}

export interface BarsOptions {
  title: string;
  rows: readonly BarRow[];
  /** Value at the right edge (default: the largest bar total). */
  max?: number;
  /** Axis tick text. */
  format: (v: number) => string;
  ticks?: number;
}

const WIDTH = 560;
const LABEL = 130;
const RIGHT = 16;
const BAR_H = 14;
const BAR_GAP = 3;
const ROW_GAP = 10;
const TOP = 8;
const AXIS = 22;
const CAPTION_ROWS = 16;

export function barsSvg(o: BarsOptions): string {
  const totals = o.rows.flatMap((r) => r.bars.map((b) => b.segments.reduce((s, x) => s + x.value, 0)));
  const markerMax = Math.max(0, ...o.rows.flatMap((r) => (r.markers ?? []).map((m) => m.value)));
  const max = o.max ?? niceMax(Math.max(0, ...totals, markerMax));
  const plotW = WIDTH - LABEL - RIGHT;
  const x = (v: number): number => LABEL + (max > 0 ? (Math.min(v, max) / max) * plotW : 0);
  const parts: string[] = [];
  let y = TOP;
  const body: string[] = [];
  for (const row of o.rows) {
    const rowH = row.bars.length * BAR_H + (row.bars.length - 1) * BAR_GAP;
    const keyAttr = row.key === undefined ? '' : ` data-k="${esc(String(row.key))}"`;
    body.push(`<g class="bar-row"${keyAttr}>`);
    body.push(
      `<text x="${LABEL - 6}" y="${coord(y + rowH / 2 + 4)}" text-anchor="end" class="bar-label">${esc(truncate(row.label, 22))}<title>${esc(row.label)}</title></text>`,
    );
    row.bars.forEach((bar, bi) => {
      const by = y + bi * (BAR_H + BAR_GAP);
      let acc = 0;
      for (const s of bar.segments) {
        if (s.value <= 0) continue;
        const x0 = x(acc);
        const x1 = x(acc + s.value);
        acc += s.value;
        const k = s.key === undefined ? '' : ` data-k="${esc(String(s.key))}"`;
        const paint = s.hollow ? `fill="none" stroke="${s.colour}" stroke-width="1.5" stroke-dasharray="3 2"` : `fill="${s.colour}"`;
        body.push(
          `<rect${k} x="${coord(x0)}" y="${coord(by)}" width="${coord(Math.max(x1 - x0, 0.5))}" height="${BAR_H}" ${paint}><title>${esc(s.title)}</title></rect>`,
        );
      }
      // Captions only on short charts: a hundred rows of "before/after" say less than the legend.
      if (bar.caption !== undefined && o.rows.length <= CAPTION_ROWS)
        body.push(`<text x="${coord(x(acc) + 4)}" y="${coord(by + BAR_H - 3)}" class="bar-caption">${esc(bar.caption)}</text>`);
    });
    for (const m of row.markers ?? []) {
      const mx = coord(x(m.value));
      const cls = m.kind === 'limit' ? 'marker-limit' : 'marker-point';
      body.push(
        `<line class="${cls}" x1="${mx}" x2="${mx}" y1="${coord(y - 3)}" y2="${coord(y + rowH + 3)}"><title>${esc(m.title)}</title></line>`,
      );
    }
    body.push('</g>');
    y += rowH + ROW_GAP;
  }
  const height = y + AXIS;
  parts.push(
    `<svg class="bars" viewBox="0 0 ${WIDTH} ${coord(height)}" role="img" aria-label="${esc(o.title)}" xmlns="http://www.w3.org/2000/svg">`,
    `<title>${esc(o.title)}</title>`,
  );
  // Axis: ticks along the bottom, light grid lines.
  const ticks = o.ticks ?? 4;
  for (let i = 0; i <= ticks; i++) {
    const v = (max * i) / ticks;
    const tx = coord(x(v));
    parts.push(`<line class="grid" x1="${tx}" x2="${tx}" y1="${TOP - 4}" y2="${coord(y - ROW_GAP + 4)}"/>`);
    parts.push(`<text class="tick" x="${tx}" y="${coord(y + 10)}" text-anchor="middle">${esc(o.format(v))}</text>`);
  }
  parts.push(...body, '</svg>');
  return parts.join('');
}

/** A round number ≥ x for an axis end: 1, 2, 2.5 or 5 times a power of ten. */
export function niceMax(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}
