// `ring show --positions`: the ring itself, one point per entry in ring order, in the forms operators
// already have from their tools, so a dump can be diffed against theirs:
// - text:   "position  server:port[:instance]", aligned;
// - carbon: each entry of ConsistentHashRing.ring as Python prints it (`print(entry)` over ring.ring,
//           what carbon's tests inspect): "(31534, ('10.0.0.1', 'a'))";
// - crelay: carbon-c-relay's `-d` dump (ch_printhashring): "# hash ring for NAME follows", then
//           "%5d@%-20s" cells, three to a line separated by a space, the member as ip:port[=instance]
//           cut to 20 bytes (snprintf into char[21]), IPv6 without brackets; jump rings print each
//           bucket's member index in the configuration instead of a position.
// Lines are produced lazily: a 5000-member carbon ring has half a million entries.
import { CrelayJumpRing } from './crelay-ring.js';
import { pyNodeTuple } from './pyrepr.js';
import { memberId, type Destination, type Ring, type RingPoint } from './types.js';

export type PositionsFormat = 'text' | 'carbon' | 'crelay';
export const POSITIONS_FORMATS: readonly PositionsFormat[] = ['text', 'carbon', 'crelay'];

/** One entry as a JSON-ready object (`ring show --positions --json`). */
export interface PositionRecord {
  position: number;
  server: string;
  port: number;
  instance: string | null;
  member: string;
}

/** The ring's points, or undefined for rings that have none to show. */
function pointsOf(ring: Ring): readonly RingPoint[] {
  if (ring.points === undefined) throw new RangeError(`${ring.spec.impl} ${ring.spec.hash} rings have no points to list`);
  return ring.points();
}

export function* positionRecords(ring: Ring): Generator<PositionRecord> {
  for (const p of pointsOf(ring)) {
    yield { position: p.position, server: p.member.server, port: p.member.port, instance: p.member.instance, member: memberId(p.member) };
  }
}

/** The dump as text lines (no newlines), in `format`. `name` is the cluster name c-relay prints. */
export function* positionLines(ring: Ring, format: PositionsFormat, name: string): Generator<string> {
  const points = pointsOf(ring);
  if (format === 'carbon') {
    for (const p of points) yield `(${p.position}, ${pyNodeTuple(p.member.server, p.member.instance)})`;
    return;
  }
  if (format === 'text') {
    let width = 0;
    for (const p of points) width = Math.max(width, String(p.position).length);
    for (const p of points) yield `${String(p.position).padStart(width)}  ${memberId(p.member)}`;
    return;
  }
  yield `# hash ring for ${name} follows`;
  const configIndex = ring instanceof CrelayJumpRing ? ring.bucketConfigIndex : undefined;
  let line = '';
  let column = 0;
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    const pos = configIndex !== undefined ? configIndex[i]! : p.position;
    line += `${String(pos).padStart(5)}@${crelayCell(p.member)}`;
    if (column < 2) {
      line += ' ';
      column++;
    } else {
      yield line;
      line = '';
      column = 0;
    }
  }
  if (column !== 0) yield line;
}

const utf8 = new TextEncoder();
const decoder = new TextDecoder('utf-8');

/** "%-20s" of the member as ip:port[=instance], cut to 20 bytes as snprintf(buf, 21, …) cuts it. */
function crelayCell(d: Destination): string {
  let b = utf8.encode(`${d.server}:${d.port}${d.instance === null ? '' : `=${d.instance}`}`);
  if (b.length > 20) b = b.subarray(0, 20);
  // printf pads by bytes; a cut multi-byte character comes out as U+FFFD here (raw bytes upstream).
  return decoder.decode(b) + ' '.repeat(20 - b.length);
}
