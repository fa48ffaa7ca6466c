// What a finished apply must leave behind, checked against a snapshot taken before: each metric on
// exactly its owners; a metric that moved has on each owner every slot any holder had (gap-only
// union): the owner's own value where it had one, otherwise the value of one of the holders that had
// the slot; a metric already in place is untouched.
import * as fs from 'node:fs';
import { expect } from 'vitest';
import { slotsOfFile } from '../whisper/vectors.js';

/** Every slot of every archive of a file: "archive:timestamp" → value. */
export function fileSlots(file: string): Map<string, number> {
  const m = new Map<string, number>();
  slotsOfFile(fs.readFileSync(file)).forEach((a, i) => a.forEach((v, t) => m.set(`${i}:${t}`, v)));
  return m;
}

/** metric → node → slots, for the nodes that hold the metric. */
export type Snapshot = Map<string, Map<string, Map<string, number>>>;

export function snapshotMetrics(
  metrics: readonly string[],
  nodes: readonly string[],
  fileOf: (node: string, metric: string) => string,
): Snapshot {
  const out: Snapshot = new Map();
  for (const m of metrics) {
    const per = new Map<string, Map<string, number>>();
    for (const n of nodes) if (fs.existsSync(fileOf(n, m))) per.set(n, fileSlots(fileOf(n, m)));
    out.set(m, per);
  }
  return out;
}

export function expectGapOnlyUnion(
  before: Snapshot,
  nodes: readonly string[],
  ownersOf: (metric: string) => string[],
  fileOf: (node: string, metric: string) => string,
): void {
  for (const [m, per] of before) {
    const own = ownersOf(m);
    for (const n of nodes) expect(fs.existsSync(fileOf(n, m)), `${m} on ${n}`).toBe(own.includes(n));
    const settled = per.size === own.length && own.every((o) => per.has(o));
    if (settled) {
      // Already where the ring wants it: the plan leaves it alone (replicas are not healed here).
      for (const o of own) expect(fileSlots(fileOf(o, m)), `${m} on ${o} untouched`).toEqual(per.get(o));
      continue;
    }
    for (const o of own) {
      const got = fileSlots(fileOf(o, m));
      const mine = per.get(o);
      for (const holder of per.values()) {
        for (const k of holder.keys()) {
          expect(got.has(k), `${m} on ${o}: slot ${k}`).toBe(true);
          const v = got.get(k)!;
          if (mine?.has(k)) expect(v, `${m} on ${o}: own slot ${k} kept`).toBe(mine.get(k));
          else
            expect(
              [...per.values()].some((h) => h.get(k) === v),
              `${m} on ${o}: slot ${k} = ${v} comes from a holder`,
            ).toBe(true);
        }
      }
      // Nothing appears that no holder had.
      for (const k of got.keys())
        expect(
          [...per.values()].some((h) => h.has(k)),
          `${m} on ${o}: unexpected slot ${k}`,
        ).toBe(true);
    }
  }
}
