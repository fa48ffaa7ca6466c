// Flows between members as a two-column Sankey-like diagram: sources on the left, destinations on the
// right, each node as tall as what leaves or enters it, ribbons as wide as the flow. Ring changes move
// data between few pairs (a node joins: every old node gives to it), so a bipartite diagram stays
// readable where a 100 × 100 matrix would be mostly empty. The largest MAX_DRAWN flows are drawn; the
// table beside it lists them all.
import { coord, esc } from './html-text.js';

export interface FlowNode {
  id: string;
  label: string;
  colour: string;
  key?: string | number;
}

export interface FlowLink {
  from: string;
  to: string;
  value: number;
}

export interface FlowOptions {
  title: string;
  links: readonly FlowLink[];
  node: (id: string) => FlowNode;
  format: (v: number) => string;
}

export const MAX_DRAWN = 60;
const WIDTH = 560;
const NODE_W = 12;
const LABEL_W = 140;
const PAD = 6;
const MIN_NODE = 3;

interface Placed {
  node: FlowNode;
  total: number;
  y: number;
  h: number;
  used: number;
}

export function flowSvg(o: FlowOptions): string {
  const links = [...o.links].filter((l) => l.value > 0).sort((a, b) => b.value - a.value);
  const drawn = links.slice(0, MAX_DRAWN);
  const hidden = links.length - drawn.length;
  const left = column(drawn, (l) => l.from, o.node);
  const right = column(drawn, (l) => l.to, o.node);
  const total = drawn.reduce((s, l) => s + l.value, 0);
  const rows = Math.max(left.length, right.length, 1);
  const height = Math.max(120, Math.min(900, rows * 26 + 20));
  const usable = height - 20 - PAD * (rows - 1);
  const scale = total > 0 ? usable / total : 0;
  const place = (col: Placed[]): void => {
    const sumH = col.reduce((s, p) => s + Math.max(MIN_NODE, p.total * scale), 0) + PAD * (col.length - 1);
    let y = (height - sumH) / 2;
    for (const p of col) {
      p.h = Math.max(MIN_NODE, p.total * scale);
      p.y = y;
      y += p.h + PAD;
    }
  };
  place(left);
  place(right);
  const byId = (col: Placed[]): Map<string, Placed> => new Map(col.map((p) => [p.node.id, p]));
  const L = byId(left);
  const R = byId(right);
  const x0 = LABEL_W + NODE_W;
  const x1 = WIDTH - LABEL_W - NODE_W;
  const parts: string[] = [
    `<svg class="flows" viewBox="0 0 ${WIDTH} ${coord(height)}" role="img" aria-label="${esc(o.title)}" xmlns="http://www.w3.org/2000/svg">`,
    `<title>${esc(o.title)}</title>`,
  ];
  for (const l of drawn) {
    const a = L.get(l.from)!;
    const b = R.get(l.to)!;
    const w = a.total > 0 ? (l.value / a.total) * a.h : 0;
    const wb = b.total > 0 ? (l.value / b.total) * b.h : 0;
    const ya = a.y + a.used;
    const yb = b.y + b.used;
    a.used += w;
    b.used += wb;
    const mx = (x0 + x1) / 2;
    const d =
      `M${coord(x0)},${coord(ya)} C${coord(mx)},${coord(ya)} ${coord(mx)},${coord(yb)} ${coord(x1)},${coord(yb)} ` +
      `L${coord(x1)},${coord(yb + wb)} C${coord(mx)},${coord(yb + wb)} ${coord(mx)},${coord(ya + w)} ${coord(x0)},${coord(ya + w)} Z`;
    const k = a.node.key === undefined ? '' : ` data-k="${esc(String(a.node.key))}"`;
    parts.push(
      `<path class="ribbon"${k} d="${d}" fill="${a.node.colour}"><title>${esc(`${a.node.label} → ${b.node.label}: ${o.format(l.value)}`)}</title></path>`,
    );
  }
  for (const [col, side] of [
    [left, 'left'],
    [right, 'right'],
  ] as const) {
    for (const p of col) {
      const nx = side === 'left' ? LABEL_W : WIDTH - LABEL_W - NODE_W;
      const k = p.node.key === undefined ? '' : ` data-k="${esc(String(p.node.key))}"`;
      parts.push(
        `<rect${k} x="${nx}" y="${coord(p.y)}" width="${NODE_W}" height="${coord(p.h)}" fill="${p.node.colour}"><title>${esc(`${p.node.label}: ${o.format(p.total)}`)}</title></rect>`,
      );
      const tx = side === 'left' ? LABEL_W - 5 : WIDTH - LABEL_W + 5;
      const anchor = side === 'left' ? 'end' : 'start';
      parts.push(
        `<text class="flow-label" x="${tx}" y="${coord(p.y + p.h / 2 + 4)}" text-anchor="${anchor}">${esc(short(p.node.label))} ${esc(o.format(p.total))}</text>`,
      );
    }
  }
  if (hidden > 0)
    parts.push(
      `<text class="tick" x="${WIDTH / 2}" y="${coord(height - 4)}" text-anchor="middle">${hidden} smaller flows not drawn (in the table)</text>`,
    );
  if (drawn.length === 0) parts.push(`<text class="tick" x="${WIDTH / 2}" y="${height / 2}" text-anchor="middle">nothing moves</text>`);
  parts.push('</svg>');
  return parts.join('');
}

function column(links: readonly FlowLink[], side: (l: FlowLink) => string, node: (id: string) => FlowNode): Placed[] {
  const m = new Map<string, Placed>();
  for (const l of links) {
    const id = side(l);
    let p = m.get(id);
    if (p === undefined) m.set(id, (p = { node: node(id), total: 0, y: 0, h: 0, used: 0 }));
    p.total += l.value;
  }
  return [...m.values()].sort((a, b) => b.total - a.total || (a.node.label < b.node.label ? -1 : 1));
}

function short(s: string): string {
  return s.length <= 18 ? s : `${s.slice(0, 17)}…`;
}
