// Streaming locate and sieve: names in, one line per name out, in bounded memory. The JSON lines are
// built by hand from per-member fragments computed once, which is what makes millions of names per
// second possible (JSON.stringify of an object per line would dominate the run time).
import type { Writable } from 'node:stream';
import { UsageError } from '../errors.js';
import { jsonString, needsJsonEscape } from '../output/json.js';
import { nameBatches, openNameBytes, type NameSource } from '../input/names.js';
import { ByteSink, LineSink } from '../output/sinks.js';
import { byteKeyspace, isByteStream, writeByteLines, type ByteKeyspace, type ByteLineFormat } from '../ring/fast-locate.js';
import { memberId, type Destination, type Placement, type Ring } from '../ring/types.js';
import { MemberTable } from '../ring/analysis/members.js';
import { withProgress } from './name-progress.js';

/** Where placement lines go: LineSink's contract (push returns true when a flush is due). */
export interface LineOutput {
  push(line: string): boolean;
  flush(): Promise<void>;
}

const TAIL_CACHE_LIMIT = 1 << 16;

/** Encodes Placements as `ring locate` lines: JSON or aligned text. */
export class PlacementEncoder {
  private readonly table: MemberTable;
  private readonly fragments: string[] = [];
  private readonly tails = new Map<readonly Destination[], string>();
  /** Running column widths of the text form: columns only widen, so streamed output stays aligned. */
  private readonly widths: number[] = [];

  constructor(ring: Ring) {
    this.table = new MemberTable(ring.members);
  }

  private fragment(d: Destination): string {
    const i = this.table.indexOf(d);
    let f = this.fragments[i];
    if (f === undefined) {
      const m = this.table.members[i]!;
      const inst = m.instance === null ? 'null' : jsonString(m.instance);
      f = `{"server":${jsonString(m.server)},"port":${m.port},"instance":${inst}}`;
      this.fragments[i] = f;
    }
    return f;
  }

  /**
   * `","owners":[…]}` for an owner list (with the metric's closing quote, so a line is two string
   * concatenations); rings hand out interned lists, so this is one Map lookup per name.
   */
  private tail(owners: readonly Destination[]): string {
    let t = this.tails.get(owners);
    if (t === undefined) {
      t = '","owners":[';
      for (let k = 0; k < owners.length; k++) t += k === 0 ? this.fragment(owners[k]!) : ',' + this.fragment(owners[k]!);
      t += ']}';
      // A ring that builds fresh lists per lookup must not grow this without bound.
      if (this.tails.size < TAIL_CACHE_LIMIT) this.tails.set(owners, t);
    }
    return t;
  }

  /** `{"metric":…,"owners":[…],"routedAs"?,"dropped"?,"error"?,"decidedBy"?,"hashKey"?,"reason"?}` */
  json(p: Placement): string {
    if (
      p.routedAs === undefined &&
      p.dropped === undefined &&
      p.error === undefined &&
      p.decidedBy === undefined &&
      !needsJsonEscape(p.metric)
    ) {
      return '{"metric":"' + p.metric + this.tail(p.owners);
    }
    let s = '{"metric":' + jsonString(p.metric) + ',"owners":[';
    const o = p.owners;
    for (let k = 0; k < o.length; k++) s += k === 0 ? this.fragment(o[k]!) : ',' + this.fragment(o[k]!);
    s += ']';
    if (p.routedAs !== undefined) s += ',"routedAs":' + jsonString(p.routedAs);
    if (p.dropped) s += ',"dropped":true';
    if (p.error !== undefined) s += ',"error":' + jsonString(p.error);
    // Routing models (rules, aggregates, relay routes) say what decided, the text hashed and why none.
    if (p.decidedBy !== undefined) {
      s += ',"decidedBy":' + jsonString(p.decidedBy);
      if (p.hashKey !== undefined) s += ',"hashKey":' + jsonString(p.hashKey);
      if (p.reason !== undefined && !p.dropped) s += ',"reason":' + jsonString(p.reason);
    }
    return s + '}';
  }

  /** Text cells: metric, owners (memberIds, primary first), then a note on rewriting/dropping. */
  cells(p: Placement): string[] {
    const row = [p.metric];
    for (const o of p.owners) row.push(this.table.ids[this.table.indexOf(o)]!);
    if (p.owners.length === 0) row.push('-');
    const notes: string[] = [];
    if (p.routedAs !== undefined) notes.push(`routed as ${JSON.stringify(p.routedAs)}`);
    if (p.hashKey !== undefined) notes.push(`hashed as ${JSON.stringify(p.hashKey)}`);
    if (p.dropped) notes.push(`dropped${p.reason !== undefined ? `: ${p.reason}` : ''}`);
    if (p.error !== undefined) notes.push(`error: ${p.error}`);
    if (p.decidedBy !== undefined) notes.push(`by ${p.decidedBy}${p.reason !== undefined && !p.dropped ? `; ${p.reason}` : ''}`);
    if (notes.length > 0) row.push(`(${notes.join(', ')})`);
    return row;
  }

  /** Align a batch of rows, widening the running column widths as needed. */
  align(rows: readonly string[][]): string[] {
    const w = this.widths;
    for (const row of rows) {
      for (let i = 0; i < row.length - 1; i++) if ((w[i] ?? 0) < row[i]!.length) w[i] = row[i]!.length;
    }
    return rows.map((row) => {
      let s = '';
      for (let i = 0; i < row.length - 1; i++) s += row[i]!.padEnd(w[i]!) + '  ';
      return s + row[row.length - 1]!;
    });
  }
}

export interface StreamResult {
  /** Names read. */
  names: number;
  /** Lines written. */
  written: number;
}

/** `ring locate`: one line per name. */
export async function writeLocations(
  ring: Ring,
  batches: AsyncIterable<readonly string[]>,
  out: LineOutput,
  opts: { json: boolean },
): Promise<StreamResult> {
  const enc = new PlacementEncoder(ring);
  let names = 0;
  for await (const batch of batches) {
    names += batch.length;
    // Flush as soon as the sink asks (every ~64 KiB, not per line): joining small chunks is much
    // cheaper than joining a whole input batch (~20k lines) at once.
    if (opts.json) {
      for (let i = 0; i < batch.length; i++) if (out.push(enc.json(ring.locate(batch[i]!)))) await out.flush();
    } else {
      const rows = batch.map((name) => enc.cells(ring.locate(name)));
      for (const line of enc.align(rows)) if (out.push(line)) await out.flush();
    }
  }
  await out.flush();
  return { names, written: names };
}

/** Progress callback: running name count, and done at the end. */
export type ProgressReport = (names: number, done: boolean) => void;

export interface NameStreamOptions {
  /** Where lines go (default stdout). */
  out?: Writable | undefined;
  report?: ProgressReport | undefined;
  /** Use the string path even when the byte path applies (tests compare the two). */
  stringPath?: boolean | undefined;
}

const JSON_HEAD = '{"metric":"';

/** `","owners":[…]}` + newline for an owner list, from the string path's own encoder (so both paths agree). */
function jsonTail(enc: PlacementEncoder, owners: readonly Destination[]): Buffer {
  const line = enc.json({ metric: '', owners });
  if (!line.startsWith(JSON_HEAD)) throw new Error(`unexpected locate line ${line}`);
  return Buffer.from(line.slice(JSON_HEAD.length) + '\n', 'utf8');
}

/** The byte path when it is wanted and the ring has one: the keyspace and the opened name input. */
async function bytePath(
  ring: Ring,
  src: NameSource,
  wanted: boolean,
): Promise<{ ks: ByteKeyspace; stream: AsyncIterable<Buffer> } | undefined> {
  if (!wanted) return undefined;
  const ks = byteKeyspace(ring);
  if (ks === undefined) return undefined;
  const stream = await openNameBytes(src);
  return stream === undefined ? undefined : { ks, stream };
}

/** Byte-path form of `ring locate --json` lines: the same bytes as PlacementEncoder.json plus a newline. */
export function locateByteFormat(ring: Ring): ByteLineFormat {
  const enc = new PlacementEncoder(ring);
  return {
    head: Buffer.from(JSON_HEAD),
    tail: (owners) => jsonTail(enc, owners),
    slow: (name) => enc.json(ring.locate(name)),
  };
}

export interface SieveOptions {
  select: NodeSelection;
  invert: boolean;
  primaryOnly: boolean;
  json: boolean;
}

/** Byte-path form of `ring sieve` lines: the names that pass, as given or as locate JSON lines. */
export function sieveByteFormat(ring: Ring, opts: SieveOptions): ByteLineFormat {
  const enc = new PlacementEncoder(ring);
  const { select, invert, primaryOnly, json } = opts;
  const passes = (owners: readonly Destination[]): boolean => ownedBy(owners, select, primaryOnly) !== invert;
  const newline = Buffer.from('\n');
  return {
    head: json ? Buffer.from(JSON_HEAD) : Buffer.alloc(0),
    tail: (owners) => (!passes(owners) ? null : json ? jsonTail(enc, owners) : newline),
    slow: (name) => {
      const p = ring.locate(name);
      if (!passes(p.owners)) return null;
      return json ? enc.json(p) : p.metric;
    },
  };
}

/**
 * `ring locate` over names from arguments, a file or stdin. JSON lines take the byte path when the
 * ring has one; the text form (aligned columns) always takes the string path.
 */
export async function locateNames(ring: Ring, src: NameSource, opts: NameStreamOptions & { json: boolean }): Promise<StreamResult> {
  const out = opts.out ?? process.stdout;
  const fast = await bytePath(ring, src, opts.json && !opts.stringPath && canReadBytes(src));
  if (fast !== undefined) {
    const r = await writeByteLines(fast.stream, fast.ks, locateByteFormat(ring), new ByteSink(out), opts.report);
    return { names: r.names, written: r.written };
  }
  return writeLocations(ring, withProgress(nameBatches(src), opts.report), new LineSink(out), { json: opts.json });
}

/** `ring sieve` over names from arguments, a file or stdin; text and JSON both take the byte path when the ring has one. */
export async function sieveNames(ring: Ring, src: NameSource, opts: NameStreamOptions & SieveOptions): Promise<StreamResult> {
  const out = opts.out ?? process.stdout;
  const fast = await bytePath(ring, src, !opts.stringPath && canReadBytes(src));
  if (fast !== undefined) {
    const r = await writeByteLines(fast.stream, fast.ks, sieveByteFormat(ring, opts), new ByteSink(out), opts.report);
    return { names: r.names, written: r.written };
  }
  return writeSieve(ring, withProgress(nameBatches(src), opts.report), new LineSink(out), opts);
}

/**
 * The byte path reads the stream openNameStream opens: a file, or a stdin that delivers bytes (a
 * stdin someone set an encoding on goes the string path).
 */
function canReadBytes(src: NameSource): boolean {
  if (src.args !== undefined && src.args.length > 0) return false;
  if (src.file !== undefined && src.file !== '-') return true;
  return isByteStream(src.stdin ?? process.stdin);
}

/** Whether `select` owns a name with these owners (any owner, or only the primary). */
function ownedBy(o: readonly Destination[], select: NodeSelection, primaryOnly: boolean): boolean {
  const n = primaryOnly ? Math.min(1, o.length) : o.length;
  for (let k = 0; k < n; k++) if (select.has(o[k]!)) return true;
  return false;
}

/** Which members a `--node` value selects. */
export interface NodeSelection {
  /** memberIds of the selected members. */
  ids: string[];
  has(d: Destination): boolean;
}

/**
 * Resolve `--node`: a member is selected when the value equals its server ("all instances on that
 * host"), "server:instance", or its full memberId "server:port[:instance]". IPv6 servers may be written
 * with or without brackets. No match is a usage error that lists the members.
 */
export function selectNodes(ring: Ring, value: string): NodeSelection {
  const want = value.trim();
  const table = new MemberTable(ring.members);
  const ids: string[] = [];
  for (let i = 0; i < table.size; i++) {
    const m = table.members[i]!;
    const hosts = m.server.includes(':') ? [m.server, `[${m.server}]`] : [m.server];
    const names = new Set<string>([table.ids[i]!]);
    for (const h of hosts) {
      names.add(h);
      if (m.instance !== null) names.add(`${h}:${m.instance}`);
    }
    if (names.has(want)) ids.push(table.ids[i]!);
  }
  if (ids.length === 0) {
    const list = table.ids.slice(0, 20).join(', ') + (table.size > 20 ? ', …' : '');
    throw new UsageError(`--node ${JSON.stringify(value)} matches no ring member (members: ${list})`, {
      expected: 'SERVER, SERVER:INSTANCE or SERVER:PORT[:INSTANCE] of a member',
    });
  }
  const idSet = new Set(ids);
  const selected = new Set<Destination>(ring.members.filter((m) => idSet.has(memberId(m))));
  return {
    ids,
    // Owners are normally the ring's own member objects; fall back to the id for any other object.
    has: (d) => selected.has(d) || idSet.has(memberId(d)),
  };
}

/**
 * `ring sieve`: pass the names the selected node owns — as any owner (primary or replica), or only as
 * primary with `primaryOnly` — or, with `invert`, every other name (including names a c-relay drops).
 * Text output is the name as given; JSON output is the locate line.
 */
export async function writeSieve(
  ring: Ring,
  batches: AsyncIterable<readonly string[]>,
  out: LineOutput,
  opts: SieveOptions,
): Promise<StreamResult> {
  const enc = new PlacementEncoder(ring);
  const { select, invert, primaryOnly, json } = opts;
  let names = 0;
  let written = 0;
  for await (const batch of batches) {
    names += batch.length;
    for (let i = 0; i < batch.length; i++) {
      const p = ring.locate(batch[i]!);
      if (ownedBy(p.owners, select, primaryOnly) === invert) continue;
      written++;
      if (out.push(json ? enc.json(p) : p.metric)) await out.flush();
    }
  }
  await out.flush();
  return { names, written };
}

/** One `ring diff --list` line: the name with its owners (memberIds) in both rings. */
export function movedLine(metric: string, before: Placement, after: Placement, json: boolean): string {
  const a = before.owners.map(memberId);
  const b = after.owners.map(memberId);
  if (json) return `{"metric":${jsonString(metric)},"from":${JSON.stringify(a)},"to":${JSON.stringify(b)}}`;
  const side = (ids: string[], p: Placement): string => (ids.length > 0 ? ids.join(',') : p.dropped ? '(dropped)' : '(none)');
  return `${metric}  ${side(a, before)} -> ${side(b, after)}`;
}
