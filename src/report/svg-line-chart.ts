// A line chart for values over time (throughput of an apply run): one polyline per series on shared
// axes, round tick values, the time axis in UTC clock time. Points are what the table beside it lists.
import { coord, esc } from './html-text.js';
import { niceMax } from './svg-bars.js';

export interface LineSeries {
  label: string;
  colour: string;
  key?: string | number;
  /** [x, y] points in data units, x increasing. */
  points: readonly (readonly [number, number])[];
  /** Dashed (e.g. a per-destination series under the total). */
  dashed?: boolean;
}

export interface LineChartOptions {
  title: string;
  series: readonly LineSeries[];
  xFormat: (x: number) => string;
  yFormat: (y: number) => string;
  /** x values to label (default: five evenly spaced). */
  xTicks?: readonly number[];
}

const WIDTH = 560;
const HEIGHT = 260;
const LEFT = 70;
const RIGHT = 16;
const TOP = 12;
const BOTTOM = 30;

export function lineChartSvg(o: LineChartOptions): string {
  const xs = o.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = o.series.flatMap((s) => s.points.map((p) => p[1]));
  const xmin = xs.length > 0 ? Math.min(...xs) : 0;
  let xmax = xs.length > 0 ? Math.max(...xs) : 1;
  if (xmax === xmin) xmax = xmin + 1;
  const ymax = niceMax(Math.max(0, ...ys));
  const pw = WIDTH - LEFT - RIGHT;
  const ph = HEIGHT - TOP - BOTTOM;
  const X = (x: number): number => LEFT + ((x - xmin) / (xmax - xmin)) * pw;
  const Y = (y: number): number => TOP + ph - (y / ymax) * ph;
  const parts: string[] = [
    `<svg class="line-chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${esc(o.title)}" xmlns="http://www.w3.org/2000/svg">`,
    `<title>${esc(o.title)}</title>`,
  ];
  const yt = 4;
  for (let i = 0; i <= yt; i++) {
    const v = (ymax * i) / yt;
    const y = coord(Y(v));
    parts.push(`<line class="grid" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y}" y2="${y}"/>`);
    parts.push(`<text class="tick" x="${LEFT - 5}" y="${coord(Y(v) + 4)}" text-anchor="end">${esc(o.yFormat(v))}</text>`);
  }
  const xticks = o.xTicks ?? [0, 1, 2, 3, 4].map((i) => xmin + ((xmax - xmin) * i) / 4);
  for (const v of xticks) {
    parts.push(`<text class="tick" x="${coord(X(v))}" y="${HEIGHT - 10}" text-anchor="middle">${esc(o.xFormat(v))}</text>`);
  }
  parts.push(`<line class="axis" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${coord(Y(0))}" y2="${coord(Y(0))}"/>`);
  for (const s of o.series) {
    if (s.points.length === 0) continue;
    const k = s.key === undefined ? '' : ` data-k="${esc(String(s.key))}"`;
    const pts = s.points.map((p) => `${coord(X(p[0]))},${coord(Y(p[1]))}`).join(' ');
    const dash = s.dashed ? ' stroke-dasharray="5 3"' : '';
    parts.push(
      `<polyline${k} class="series" points="${pts}" fill="none" stroke="${s.colour}" stroke-width="${s.dashed ? 1.5 : 2.5}"${dash}><title>${esc(s.label)}</title></polyline>`,
    );
    if (s.points.length === 1) {
      const p = s.points[0]!;
      parts.push(
        `<circle${k} cx="${coord(X(p[0]))}" cy="${coord(Y(p[1]))}" r="3" fill="${s.colour}"><title>${esc(s.label)}</title></circle>`,
      );
    }
  }
  parts.push('</svg>');
  return parts.join('');
}
