// Access to the whisper vectors (test/vectors/whisper, computed by upstream whisper/carbonate) and the
// comparisons its README defines: values with NaN/±inf as strings, slot maps from `runs`, NaN-canonical sha256.
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { vectorBytes, vectorFile, vectorJson } from '../helpers/test-vectors.js';

export type JsonValue = number | 'NaN' | 'Infinity' | '-Infinity';

export interface FixtureEntry {
  name: string;
  file: string;
  layout: string | null;
  aggregationMethod: string | null;
  xFilesFactor: number | null;
  corrupt: boolean;
  description: string;
}

export interface OpEntry {
  id: string;
  op: 'fill' | 'merge' | 'fill_whisper_script' | 'heal' | 'fill_gaps';
  args: Record<string, number | boolean>;
}

export interface PairEntry {
  name: string;
  src: string;
  dst: string | null;
  description: string;
  ops: OpEntry[];
}

export interface Manifest {
  /** "public" for the committed set; other sets (acceptance) have other fixtures and another now. */
  set: string;
  now: number;
  fixtures: FixtureEntry[];
  pairs: PairEntry[];
}

export interface ArchiveState {
  index: number;
  offset: number;
  secondsPerPoint: number;
  points: number;
  window: [number, number];
  present_slots: number;
  base_interval: number | null;
  slot_count: number;
  runs: [number, (JsonValue | null)[]][];
}

export interface FileState {
  exists: boolean;
  size?: number;
  sha256?: string;
  sha256_nan_canonical?: string;
  info?: Record<string, unknown> | { error: string; message: string };
  archives?: ArchiveState[] | null;
}

export interface OpResult {
  id: string;
  op: string;
  args: Record<string, number | boolean>;
  outcome: 'ok' | 'error';
  error: { error: string; message: string } | null;
  dst_changed: boolean;
  state: FileState;
  result_file?: string;
}

export interface PairExpected {
  name: string;
  src: string;
  dst: string | null;
  src_file: string;
  dst_file: string | null;
  now: number;
  ops: OpResult[];
}

export interface FetchCase {
  id: string;
  from: number;
  until: number | null;
  archiveToSelect: number | null;
  result: null | { error: string; message: string } | { start: number; end: number; step: number; values: (JsonValue | null)[] };
}

export interface SingleExpected {
  name: string;
  file: string;
  now: number;
  state: FileState;
  fetch: FetchCase[];
}

export const manifest: Manifest = vectorJson<Manifest>('whisper/manifest.json');
export const NOW = manifest.now;
/** Tests that take named fixtures of the public set as inputs run only against that set. */
export const PUBLIC_SET = manifest.set === 'public';

/** A fixture on disk (read-only): unpacked from test/vectors/whisper/fixtures/<name>.wsp.gz. */
export function fixturePath(name: string): string {
  return vectorFile(`whisper/fixtures/${name}.wsp`);
}

export function loadSingle(name: string): SingleExpected {
  return vectorJson<SingleExpected>(`whisper/expected/singles/${name}.json`);
}

export function loadPair(name: string): PairExpected {
  return vectorJson<PairExpected>(`whisper/expected/pairs/${name}.json`);
}

/** The bytes of a result file named by an op's `result_file` (relative to the whisper set). */
export function resultBytes(resultFile: string): Buffer {
  return vectorBytes(`whisper/${resultFile}`);
}

export function decode(v: JsonValue): number {
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return v;
}

/** The README's value equality: any NaN equals any NaN, other doubles bit for bit (so -0 ≠ 0). */
export function sameValue(a: number | null, b: number | null): boolean {
  if (a === null || b === null) return a === b;
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  return Object.is(a, b);
}

export function sameValues(a: readonly (number | null)[], b: readonly (number | null)[]): boolean {
  return a.length === b.length && a.every((x, i) => sameValue(x, b[i]!));
}

/** Expected slots of an archive state: timestamp → value. */
export function slotsFromRuns(a: ArchiveState): Map<number, number> {
  const m = new Map<number, number>();
  for (const [t0, vals] of a.runs) {
    vals.forEach((v, k) => {
      if (v !== null) m.set(t0 + k * a.secondsPerPoint, decode(v));
    });
  }
  return m;
}

/** Actual slots of every archive of a file (structure assumed sound): timestamp → value. */
export function slotsOfFile(bytes: Buffer): Map<number, number>[] {
  const count = bytes.readUInt32BE(12);
  const out: Map<number, number>[] = [];
  for (let i = 0; i < count; i++) {
    const offset = bytes.readUInt32BE(16 + i * 12);
    const points = bytes.readUInt32BE(16 + i * 12 + 8);
    const m = new Map<number, number>();
    for (let s = 0; s < points; s++) {
      const at = offset + s * 12;
      if (at + 12 > bytes.length) break;
      const ts = bytes.readUInt32BE(at);
      if (ts !== 0) m.set(ts, bytes.readDoubleBE(at + 4));
    }
    out.push(m);
  }
  return out;
}

/** Describe the differences between two slot maps (empty string when equal). */
export function diffSlots(actual: Map<number, number>, expected: Map<number, number>, limit = 5): string {
  const lines: string[] = [];
  for (const [t, v] of expected) {
    if (!actual.has(t)) lines.push(`missing ${t}=${v}`);
    else if (!sameValue(actual.get(t)!, v)) lines.push(`at ${t}: got ${actual.get(t)} want ${v}`);
  }
  for (const [t, v] of actual) if (!expected.has(t)) lines.push(`extra ${t}=${v}`);
  return lines.length === 0 ? '' : `${lines.length} differences: ${lines.slice(0, limit).join('; ')}`;
}

/** sha256 after rewriting every NaN point value as 7ff8000000000000 (README: sha256_nan_canonical). */
export function sha256NanCanonical(bytes: Buffer): string {
  const b = Buffer.from(bytes);
  if (b.length >= 16) {
    const count = b.readUInt32BE(12);
    for (let i = 0; i < count && 16 + i * 12 + 12 <= b.length; i++) {
      const offset = b.readUInt32BE(16 + i * 12);
      const points = b.readUInt32BE(16 + i * 12 + 8);
      for (let s = 0; s < points; s++) {
        const at = offset + s * 12 + 4;
        if (at + 8 > b.length) break;
        if (Number.isNaN(b.readDoubleBE(at))) b.write('7ff8000000000000', at, 'hex');
      }
    }
  }
  return createHash('sha256').update(b).digest('hex');
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A scratch directory for one test file. */
export function scratchDir(prefix = 'ringshift-whisper-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Copy a fixture into `dir` under `as` and return the path. */
export function copyFixture(name: string, dir: string, as = `${name}.wsp`): string {
  const to = join(dir, as);
  copyFileSync(fixturePath(name), to);
  chmodSync(to, 0o644); // the fixtures are read-only
  return to;
}

/** A refused operation left dst as it was: the same bytes, or still no file when there was none. */
export function expectDstUnchanged(dst: string, before: Buffer | null): void {
  if (before) expect(sha256(readFileSync(dst))).toBe(sha256(before));
  else expect(existsSync(dst)).toBe(false);
}

export function isCorruptFixture(name: string | null): boolean {
  if (name === null) return false;
  return manifest.fixtures.find((f) => f.name === name)!.corrupt;
}
