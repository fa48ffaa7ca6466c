// Grouping the files of every location by path, with bounded memory.
//
// A cluster holds millions of files and a metric's copies sit on different locations, so the entries
// are hash-partitioned by key into PARTITIONS buckets. Up to `memoryEntries` entries the buckets stay
// in memory; past that every bucket is written to its own spill file under a private temp directory
// and later entries are appended there. Groups are then produced one bucket at a time: only one
// bucket (about total / PARTITIONS entries) is ever parsed into memory, plus the write buffers
// (PARTITIONS × BUFFER_CHARS). Buckets are visited in the same order, and keys sorted inside each
// bucket, whether or not anything was spilled, so output does not depend on the threshold.
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EntryKind } from '../storage/paths.js';
import type { GroupEntry, PathGroup } from './audit-findings.js';

export const PARTITIONS = 256;
/** Default in-memory limit, in entries (a few hundred bytes each). */
export const DEFAULT_MEMORY_ENTRIES = 500_000;
const BUFFER_CHARS = 1 << 16;

export interface GrouperOptions {
  /** Entries kept in memory before spilling (default DEFAULT_MEMORY_ENTRIES; 0 spills at once). */
  memoryEntries?: number;
  /** Parent of the spill directory (default os.tmpdir()). */
  tmpDir?: string;
}

/** 32-bit FNV-1a over UTF-16 code units: cheap and well spread for path-like keys. */
export function partitionOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % PARTITIONS;
}

type Stored = [
  key: string,
  loc: number,
  path: string,
  metric: string | null,
  size: number,
  mtimeMs: number,
  kind: EntryKind,
  note: string | null,
];

export class PathGrouper {
  private readonly limit: number;
  private readonly tmpParent: string;
  private mem: Stored[][] = [];
  private count = 0;
  private spillDir: string | null = null;
  private fds: number[] = [];
  private bufs: string[] = [];
  private finished = false;
  private everSpilled = false;

  constructor(opts: GrouperOptions = {}) {
    this.limit = opts.memoryEntries ?? DEFAULT_MEMORY_ENTRIES;
    this.tmpParent = opts.tmpDir ?? tmpdir();
    for (let i = 0; i < PARTITIONS; i++) this.mem.push([]);
  }

  /** Entries added so far. */
  get size(): number {
    return this.count;
  }

  /** True once entries went to disk. */
  get spilled(): boolean {
    return this.everSpilled;
  }

  add(key: string, e: GroupEntry): void {
    if (this.finished) throw new Error('PathGrouper: add after groups()');
    const rec: Stored = [key, e.loc, e.path, e.metric, e.size, e.mtimeMs, e.kind, e.note ?? null];
    const p = partitionOf(key);
    this.count++;
    if (this.spillDir === null) {
      this.mem[p]!.push(rec);
      if (this.count > this.limit) this.spill();
      return;
    }
    this.append(p, JSON.stringify(rec) + '\n');
  }

  /** Groups, one bucket at a time; the spill directory is removed when the iteration ends. */
  async *groups(): AsyncGenerator<PathGroup> {
    this.finished = true;
    try {
      for (let p = 0; p < PARTITIONS; p++) {
        const recs = this.take(p);
        if (recs.length === 0) continue;
        const byKey = new Map<string, GroupEntry[]>();
        for (const r of recs) {
          const e: GroupEntry = { loc: r[1], path: r[2], metric: r[3], size: r[4], mtimeMs: r[5], kind: r[6] };
          if (r[7] !== null) e.note = r[7];
          const list = byKey.get(r[0]);
          if (list === undefined) byKey.set(r[0], [e]);
          else list.push(e);
        }
        const keys = [...byKey.keys()].sort(byCodeUnits);
        for (const key of keys) {
          const entries = byKey.get(key)!;
          entries.sort((a, b) => a.loc - b.loc || byCodeUnits(a.path, b.path));
          yield { key, entries };
        }
      }
    } finally {
      this.dispose();
    }
  }

  /** Remove the spill files (also safe to call when groups() was never iterated). */
  dispose(): void {
    for (const fd of this.fds) if (fd >= 0) fs.closeSync(fd);
    this.fds = [];
    if (this.spillDir !== null) fs.rmSync(this.spillDir, { recursive: true, force: true });
    this.spillDir = null;
    this.mem = [];
  }

  private spill(): void {
    this.spillDir = fs.mkdtempSync(join(this.tmpParent, 'ringshift-group-'));
    this.everSpilled = true;
    for (let p = 0; p < PARTITIONS; p++) {
      this.fds.push(fs.openSync(join(this.spillDir, `p${p}.ndjson`), 'a', 0o600));
      this.bufs.push('');
      for (const rec of this.mem[p]!) this.append(p, JSON.stringify(rec) + '\n');
      this.mem[p] = [];
    }
  }

  private append(p: number, line: string): void {
    const b = this.bufs[p]! + line;
    if (b.length >= BUFFER_CHARS) {
      fs.writeSync(this.fds[p]!, b);
      this.bufs[p] = '';
    } else {
      this.bufs[p] = b;
    }
  }

  private take(p: number): Stored[] {
    if (this.spillDir === null) {
      const recs = this.mem[p]!;
      this.mem[p] = [];
      return recs;
    }
    if (this.bufs[p] !== '') fs.writeSync(this.fds[p]!, this.bufs[p]!);
    this.bufs[p] = '';
    fs.closeSync(this.fds[p]!);
    this.fds[p] = -1;
    const file = join(this.spillDir, `p${p}.ndjson`);
    const text = fs.readFileSync(file, 'utf8');
    fs.unlinkSync(file);
    const out: Stored[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      out.push(JSON.parse(text.slice(start, nl)) as Stored);
      start = nl + 1;
    }
    return out;
  }
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
