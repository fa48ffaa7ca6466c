// What a finished rename must leave behind, checked against a snapshot of every file taken before:
// no old name left on any node; each new name on exactly its owners, holding exactly the union of the
// slots of every old copy (and of its own file, whose values it keeps), every other value one an old
// copy had, the point count confirmed by the whisper engine (verifyWhisper's slots used); the metrics
// the map does not name untouched.
import * as fs from 'node:fs';
import { expect } from 'vitest';
import { verifyWhisper } from '../../src/whisper/verify.js';
import { fileSlots } from './apply-check.js';

/** node → metric → slots ("archive:timestamp" → value), of every file that exists. */
export type NodeSnapshot = Map<string, Map<string, Map<string, number>>>;

export function snapshotNodes(
  nodes: readonly string[],
  metrics: readonly string[],
  fileOf: (node: string, metric: string) => string,
): NodeSnapshot {
  const out: NodeSnapshot = new Map();
  for (const n of nodes) {
    const per = new Map<string, Map<string, number>>();
    for (const m of metrics) if (fs.existsSync(fileOf(n, m))) per.set(m, fileSlots(fileOf(n, m)));
    out.set(n, per);
  }
  return out;
}

export function expectRenamed(
  before: NodeSnapshot,
  renames: Readonly<Record<string, string>>,
  kept: readonly string[],
  ownersOf: (metric: string) => string[],
  fileOf: (node: string, metric: string) => string,
): { points: number } {
  const nodes = [...before.keys()];
  let total = 0;
  for (const n of nodes) for (const old of Object.keys(renames)) expect(fs.existsSync(fileOf(n, old)), `${old} on ${n}`).toBe(false);
  for (const n of nodes)
    for (const k of kept) {
      const had = before.get(n)!.get(k);
      if (had === undefined) expect(fs.existsSync(fileOf(n, k))).toBe(false);
      else expect(fileSlots(fileOf(n, k)), `${k} on ${n} untouched`).toEqual(had);
    }
  for (const name of new Set(Object.values(renames))) {
    const olds = Object.keys(renames).filter((o) => renames[o] === name);
    const holders = nodes.flatMap((n) => olds.map((o) => before.get(n)!.get(o)).filter((x) => x !== undefined));
    expect(holders.length, `${name}: some old copy`).toBeGreaterThan(0);
    const own = ownersOf(name);
    for (const n of nodes) expect(fs.existsSync(fileOf(n, name)), `${name} on ${n}`).toBe(own.includes(n));
    for (const o of own) {
      const got = fileSlots(fileOf(o, name));
      const mine = before.get(o)!.get(name);
      const sources = mine === undefined ? holders : [mine, ...holders];
      const union = new Set(sources.flatMap((h) => [...h.keys()]));
      for (const k of union) expect(got.has(k), `${name} on ${o}: slot ${k}`).toBe(true);
      for (const [k, v] of got) {
        if (mine?.has(k)) expect(v, `${name} on ${o}: own slot ${k} kept`).toBe(mine.get(k));
        else
          expect(
            holders.some((h) => h.get(k) === v),
            `${name} on ${o}: slot ${k} = ${v} from an old copy`,
          ).toBe(true);
      }
      // Exactly the slots some copy had, nothing more; the whisper engine counts the same.
      expect(got.size, `${name} on ${o}: slots`).toBe(union.size);
      const v = verifyWhisper(fileOf(o, name));
      expect(v.ok, `${name} on ${o}: ${v.error}`).toBe(true);
      expect(
        v.slotsUsed!.reduce((a, b) => a + b, 0),
        `${name} on ${o}: points (whisper engine)`,
      ).toBe(union.size);
      total += union.size;
    }
  }
  return { points: total };
}
