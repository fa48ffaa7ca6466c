// The report's SVG modules: the wheel's dash patterns are exactly each member's arcs, bars and ribbons are
// as long and wide as their values, the line chart's points are where its data puts them, and text is
// escaped everywhere; the palettes stay apart for colour-blind viewers.
import { describe, expect, it } from 'vitest';
import { esc } from '../src/report/html-text.js';
import { barsSvg, niceMax } from '../src/report/svg-bars.js';
import { flowSvg } from '../src/report/svg-flows.js';
import { lineChartSvg } from '../src/report/svg-line-chart.js';
import { dashArray, runLengths, shareArcs, wheelSvg } from '../src/report/svg-wheel.js';
import { dataTable } from '../src/report/data-table.js';
import { CLASS_COLOURS, ColourKeys, SERIES_COLOURS, STATE_COLOURS } from '../src/report/palette.js';

/** The positions a dash pattern paints, expanded (for small sizes). */
function painted(dash: number[], size: number): boolean[] {
  const out = new Array<boolean>(size).fill(false);
  let pos = 0;
  dash.forEach((len, i) => {
    if (i % 2 === 0) for (let p = pos; p < pos + len; p++) out[p] = true;
    pos += len;
  });
  expect(pos).toBe(size);
  return out;
}

describe('wheel', () => {
  const owners = [0, 0, 1, 2, 2, 2, 1, 1, 0, -1, 0, 0];
  const band = runLengths(owners.length, (p) => owners[p]!);

  it('run-length codes owners', () => {
    expect(band.starts).toEqual([0, 2, 3, 6, 8, 9, 10]);
    expect(band.owners).toEqual([0, 1, 2, 1, 0, -1, 0]);
  });

  it('paints exactly the positions of each member, an even count summing to the size', () => {
    for (const m of [0, 1, 2]) {
      const d = dashArray(band, m, owners.length)!;
      expect(d.length % 2).toBe(0);
      expect(painted(d, owners.length)).toEqual(owners.map((o) => o === m));
    }
    expect(dashArray(band, 7, owners.length)).toBeNull();
  });

  it('merges neighbouring runs of one owner', () => {
    const b = { starts: [0, 3, 5], owners: [4, 4, 1] };
    expect(dashArray(b, 4, 8)).toEqual([0, 0, 5, 3]);
  });

  it('lays shares out as contiguous arcs when positions are unknown', () => {
    const b = shareArcs([0.5, 0, 0.25, 0.25], 100);
    expect(b).toEqual({ starts: [0, 50, 75], owners: [0, 2, 3] });
  });

  it('draws one circle per member and band with pathLength = positions, titles escaped', () => {
    const svg = wheelSvg({
      size: owners.length,
      bands: [band, band],
      members: [
        { label: 'a<b>', colour: '#111111', key: 0 },
        { label: 'b', colour: '#222222', key: 1 },
        { label: 'c', colour: '#333333', key: 2 },
      ],
      moved: { starts: [0, 4], owners: [-1, 0] },
      title: 'ring "x"',
      centre: ['Ring'],
    });
    expect(svg.match(/<circle data-k="\d"/g)!.length).toBe(6);
    expect(svg.match(/<circle data-k="moved"/g)!.length).toBe(1);
    expect(svg).toContain(`pathLength="${owners.length}"`);
    expect(svg).toContain('a&lt;b&gt; (primary)');
    expect(svg).toContain('a&lt;b&gt; (replica 2)');
    expect(svg).toContain('aria-label="ring &quot;x&quot;"');
    expect(svg).not.toContain('<b>');
  });
});

describe('bars', () => {
  it('sizes segments by value against the axis maximum and places markers', () => {
    const svg = barsSvg({
      title: 't',
      max: 1,
      format: String,
      rows: [
        {
          label: 'loc',
          bars: [
            {
              segments: [
                { value: 0.25, colour: '#000', title: 'a' },
                { value: 0.5, colour: '#111', title: 'b', hollow: true },
              ],
            },
          ],
          markers: [{ value: 0.9, kind: 'limit', title: 'hw' }],
        },
      ],
    });
    const rects = [...svg.matchAll(/<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(rects).toHaveLength(2);
    const [a, b] = rects as [number[], number[]];
    expect(b[1]! / a[1]!).toBeCloseTo(2, 1);
    expect(b[0]!).toBeCloseTo(a[0]! + a[1]!, 1);
    const line = /<line class="marker-limit" x1="([\d.]+)"/.exec(svg)!;
    expect((Number(line[1]) - a[0]!) / (a[1]! * 4)).toBeCloseTo(0.9, 2);
    expect(svg).toContain('stroke-dasharray="3 2"');
  });

  it('rounds axis ends up', () => {
    expect([0, 0.7, 1, 3, 23, 240, 9000].map(niceMax)).toEqual([1, 1, 1, 5, 25, 250, 10000]);
  });
});

describe('flows', () => {
  const node = (id: string) => ({ id, label: id, colour: '#123456' });

  it('draws a ribbon per flow, its width at each end proportional to the flow', () => {
    const svg = flowSvg({
      title: 'f',
      format: String,
      node,
      links: [
        { from: 'a', to: 'd', value: 3 },
        { from: 'b', to: 'd', value: 1 },
        { from: 'c', to: 'e', value: 0 },
      ],
    });
    const paths = [...svg.matchAll(/<path class="ribbon" d="([^"]+)"/g)].map((m) => m[1]!.match(/-?[\d.]+/g)!.map(Number));
    expect(paths).toHaveLength(2);
    // M x0,ya C … x1,yb L x1,yb+wb C … x0,ya+w Z: the source end's width is the last y minus the first.
    const width = (n: number[]): number => n[n.length - 1]! - n[1]!;
    expect(width(paths[0]!) / width(paths[1]!)).toBeCloseTo(3, 1);
    expect(svg).not.toContain('>c ');
  });

  it('says when nothing moves, and how many flows it left out', () => {
    expect(flowSvg({ title: 'f', format: String, node, links: [] })).toContain('nothing moves');
    const many = Array.from({ length: 70 }, (_, i) => ({ from: `s${i}`, to: 't', value: i + 1 }));
    expect(flowSvg({ title: 'f', format: String, node, links: many })).toContain('10 smaller flows not drawn');
  });
});

describe('line chart', () => {
  it('puts points in order, scaled to the axes', () => {
    const svg = lineChartSvg({
      title: 'l',
      xFormat: String,
      yFormat: String,
      series: [
        {
          label: 's',
          colour: '#000',
          points: [
            [0, 0],
            [1, 5],
            [2, 10],
          ],
        },
      ],
    });
    const pts = /points="([^"]+)"/
      .exec(svg)![1]!
      .split(' ')
      .map((p) => p.split(',').map(Number));
    expect(pts).toHaveLength(3);
    expect(pts[1]![0]! - pts[0]![0]!).toBeCloseTo(pts[2]![0]! - pts[1]![0]!, 1);
    expect(pts[0]![1]! - pts[1]![1]!).toBeCloseTo(pts[1]![1]! - pts[2]![1]!, 1);
    expect(pts[2]![1]!).toBeLessThan(pts[0]![1]!);
  });
});

describe('tables and colours', () => {
  it('keeps exact values in data-value and escapes text', () => {
    const html = dataTable({ id: 't', caption: 'c', head: ['a'], rows: [[{ text: '0.1%', value: 0.001234 }], ['<x>']] });
    expect(html).toContain('data-value="0.001234"');
    expect(html).toContain('&lt;x&gt;');
    expect(esc(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });

  it('gives a node one colour under all its names', () => {
    const k = new ColourKeys();
    const a = k.slot('graphite-1:2004:a', 'graphite-1:a');
    const b = k.slot('graphite-1:7002:a', 'graphite-1:a');
    k.slot('graphite-1:2004:a', 'graphite-1');
    expect(b).toBe(a);
    expect(k.find('graphite-1')).toBe(a);
    expect(k.slot('graphite-2:2004:a')).not.toBe(a);
    expect(ColourKeys.fromJson(k.toJson()).colour('graphite-1')).toBe(k.colour('graphite-1:a'));
  });
});

/**
 * Colour vision deficiency simulated with Machado, Oliveira & Fernandes (2009), severity 1.0: a 3×3
 * matrix on linear RGB. Distances are CIELAB ΔE (1976) under D65.
 */
const CVD: Record<string, number[][]> = {
  normal: [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ],
  protanopia: [
    [0.152286, 1.052583, -0.204868],
    [0.114503, 0.786281, 0.099216],
    [-0.003882, -0.048116, 1.051998],
  ],
  deuteranopia: [
    [0.367322, 0.860646, -0.227968],
    [0.280085, 0.672501, 0.047413],
    [-0.01182, 0.04294, 0.968881],
  ],
  tritanopia: [
    [1.255528, -0.076749, -0.178779],
    [-0.078411, 0.930809, 0.147602],
    [0.004733, 0.691367, 0.3039],
  ],
};

function labAs(hex: string, m: number[][]): [number, number, number] {
  const lin = (c: number): number => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  const rgb = [1, 3, 5].map((i) => lin(parseInt(hex.slice(i, i + 2), 16) / 255));
  const [r, g, b] = m.map((row) => Math.min(1, Math.max(0, row[0]! * rgb[0]! + row[1]! * rgb[1]! + row[2]! * rgb[2]!))) as [
    number,
    number,
    number,
  ];
  const f = (t: number): number => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);
  const fx = f((0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047);
  const fy = f(0.2126 * r + 0.7152 * g + 0.0722 * b);
  const fz = f((0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883);
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}

/** The closest two colours of a palette for each kind of vision: [ΔE, a, b]. */
function closestPairs(palette: readonly string[]): Record<string, [number, string, string]> {
  const out: Record<string, [number, string, string]> = {};
  for (const [vision, m] of Object.entries(CVD)) {
    let best: [number, string, string] = [Infinity, '', ''];
    for (let i = 0; i < palette.length; i++)
      for (let j = i + 1; j < palette.length; j++) {
        const [a, b] = [labAs(palette[i]!, m), labAs(palette[j]!, m)];
        const d = Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
        if (d < best[0]) best = [d, palette[i]!, palette[j]!];
      }
    out[vision] = best;
  }
  return out;
}

describe('colours for colour-blind viewers', () => {
  it('the simulation sees what it should: a red and a green merge for deutan, a blue and a teal for tritan', () => {
    const d = (x: string, y: string, vision: string): number => {
      const [a, b] = [labAs(x, CVD[vision]!), labAs(y, CVD[vision]!)];
      return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    };
    const [red, green, blue, teal] = ['#CC3311', '#558800', '#0077BB', '#009988'];
    expect(d(red, green, 'normal')).toBeGreaterThan(80);
    expect(d(red, green, 'deuteranopia')).toBeLessThan(8);
    expect(d(red, green, 'protanopia')).toBeLessThan(25);
    expect(d(red, green, 'tritanopia')).toBeGreaterThan(80);
    expect(d(blue, teal, 'normal')).toBeGreaterThan(50);
    expect(d(blue, teal, 'tritanopia')).toBeLessThan(15);
    expect(d(blue, teal, 'deuteranopia')).toBeGreaterThan(40);
    // So a palette with both a red and a green fails the check below.
    expect(closestPairs(['#CC3311', '#558800', '#0077BB']).deuteranopia![0]).toBeLessThan(12);
  });

  it("members' first eight colours, the action states and every audit class stay apart for every vision", () => {
    const checks: [string, readonly string[], number][] = [
      ['members (first 8)', SERIES_COLOURS.slice(0, 8), 15],
      ['action states', Object.values(STATE_COLOURS), 15],
      ['audit classes', Object.values(CLASS_COLOURS), 12],
    ];
    for (const [name, palette, min] of checks)
      for (const [vision, [d, a, b]] of Object.entries(closestPairs(palette)))
        expect(d, `${name}, ${vision}: ${a} and ${b} are ΔE ${d.toFixed(1)} apart`).toBeGreaterThanOrEqual(min);
  });
});
