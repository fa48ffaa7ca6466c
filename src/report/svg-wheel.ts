// A ring drawn as a wheel: one circle per member and band, whose dashes are that member's arcs of the
// keyspace (stroke-dasharray in position units via pathLength), so a 100-member carbon ring with 10,000
// arcs costs one element per member rather than one path per arc, and the arcs are exact. Band 0 (outer)
// is the primary owner, inner bands the replicas; an optional outermost band marks moved positions.
import { coord, esc } from './html-text.js';

export interface WheelBand {
  starts: readonly number[];
  owners: readonly number[];
}

export interface WheelMember {
  label: string;
  colour: string;
  /** Hover key shared with the tables (data-k). */
  key: string | number;
  /** Tooltip detail, e.g. "primary 24.6%". */
  detail?: string;
}

export interface WheelOptions {
  /** Positions in the keyspace (the pathLength of every circle). */
  size: number;
  bands: readonly WheelBand[];
  members: readonly WheelMember[];
  /** Run-length coded moved positions (owner 0 = moved); drawn outside band 0. */
  moved?: WheelBand;
  movedColour?: string;
  /** Accessible name and the text in the middle. */
  title: string;
  centre?: string[];
}

const VIEW = 320;
const OUTER = 150;
const PRIMARY_WIDTH = 26;
const REPLICA_WIDTH = 14;
const GAP = 3;
const MOVED_WIDTH = 6;

/**
 * The dash pattern of one owner in a run-length coded band: "0 gap dash gap dash … gap", in position
 * units; an even count of numbers that sums to `size`, so the pattern never repeats.
 */
export function dashArray(band: WheelBand, owner: number, size: number): number[] | null {
  const out: number[] = [];
  let pos = 0;
  let gapStart = 0;
  const n = band.starts.length;
  for (let i = 0; i < n; i++) {
    if (band.owners[i] !== owner) continue;
    const start = band.starts[i]!;
    let end = i + 1 < n ? band.starts[i + 1]! : size;
    // Merge following runs of the same owner (a band may not be maximally merged).
    while (i + 1 < n && band.owners[i + 1] === owner) {
      i++;
      end = i + 1 < n ? band.starts[i + 1]! : size;
    }
    if (out.length === 0) out.push(0);
    out.push(start - gapStart, end - start);
    pos = end;
    gapStart = end;
  }
  if (out.length === 0) return null;
  out.push(size - pos);
  // "0 g d g d … g" has an even count: 1 + 2k + 1.
  return out;
}

/** The SVG of a wheel (viewBox 320×320, scales to its container). */
export function wheelSvg(o: WheelOptions): string {
  const c = VIEW / 2;
  const parts: string[] = [];
  parts.push(
    `<svg class="wheel" viewBox="0 0 ${VIEW} ${VIEW}" role="img" aria-label="${esc(o.title)}" xmlns="http://www.w3.org/2000/svg">`,
    `<title>${esc(o.title)}</title>`,
    `<g transform="rotate(-90 ${c} ${c})" fill="none">`,
  );
  let r = OUTER - MOVED_WIDTH - GAP;
  if (o.moved) {
    const d = dashArray(o.moved, 0, o.size);
    const rm = OUTER - MOVED_WIDTH / 2;
    parts.push(`<circle class="ring-track" cx="${c}" cy="${c}" r="${rm}" stroke-width="${MOVED_WIDTH}"/>`);
    if (d) parts.push(circle(c, rm, MOVED_WIDTH, o.movedColour ?? '#000', o.size, d, 'moved', 'moved: primary owner changed'));
  }
  o.bands.forEach((band, b) => {
    const w = b === 0 ? PRIMARY_WIDTH : REPLICA_WIDTH;
    const rb = r - w / 2;
    parts.push(`<circle class="ring-track" cx="${c}" cy="${c}" r="${coord(rb)}" stroke-width="${w}"/>`);
    o.members.forEach((m, i) => {
      const d = dashArray(band, i, o.size);
      if (d === null) return;
      const role = b === 0 ? 'primary' : `replica ${b + 1}`;
      parts.push(circle(c, rb, w, m.colour, o.size, d, m.key, `${m.label} (${role})${m.detail ? `: ${m.detail}` : ''}`));
    });
    r -= w + GAP;
  });
  parts.push('</g>');
  const lines = o.centre ?? [];
  lines.forEach((t, i) => {
    const y = c + (i - (lines.length - 1) / 2) * 16 + 5;
    parts.push(`<text x="${c}" y="${coord(y)}" text-anchor="middle" class="${i === 0 ? 'wheel-title' : 'wheel-note'}">${esc(t)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

function circle(
  c: number,
  r: number,
  w: number,
  colour: string,
  size: number,
  dash: number[],
  key: string | number,
  title: string,
): string {
  return (
    `<circle data-k="${esc(String(key))}" cx="${c}" cy="${c}" r="${coord(r)}" stroke="${colour}" stroke-width="${w}" ` +
    `pathLength="${size}" stroke-dasharray="${dash.join(' ')}"><title>${esc(title)}</title></circle>`
  );
}

/**
 * Run-length code an owner function over positions 0..size-1. `ownerAt` returns a member index or -1.
 */
export function runLengths(size: number, ownerAt: (p: number) => number): WheelBand & { starts: number[]; owners: number[] } {
  const starts: number[] = [];
  const owners: number[] = [];
  let prev = NaN;
  for (let p = 0; p < size; p++) {
    const o = ownerAt(p);
    if (o !== prev) {
      starts.push(p);
      owners.push(o);
      prev = o;
    }
  }
  return { starts, owners };
}

/** Contiguous arcs sized by share (for rings whose positions cannot be enumerated), over `size` units. */
export function shareArcs(shares: readonly number[], size: number): WheelBand & { starts: number[]; owners: number[] } {
  const total = shares.reduce((a, b) => a + b, 0);
  const starts: number[] = [];
  const owners: number[] = [];
  let acc = 0;
  shares.forEach((s, i) => {
    if (s <= 0) return;
    starts.push(Math.round((acc / (total || 1)) * size));
    owners.push(i);
    acc += s;
  });
  return { starts, owners };
}
