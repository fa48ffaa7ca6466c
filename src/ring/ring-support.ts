// Small pieces every ring model shares: frozen members, interned owner lists, 16-bit position tables,
// byte-wise string order (C strcmp / Go string compare) and glibc's merge sort.
import { ConfigError } from '../errors.js';
import type { Destination, Placement, PositionFn, PositionSpace, RingSpec } from './types.js';

/** A frozen copy of a destination (ring members and owners are shared by every Placement). */
export function freezeDestination(d: Destination): Destination {
  const copy: Destination = { server: d.server, port: d.port, instance: d.instance };
  if (d.line !== undefined) copy.line = d.line;
  return Object.freeze(copy);
}

export const NO_OWNERS: readonly Destination[] = Object.freeze([]);

/** Hands out one shared frozen array per distinct owner list (owners are compared by identity). */
export class OwnerLists {
  private readonly byKey = new Map<string, readonly Destination[]>();
  private readonly ids = new Map<Destination, number>();

  get(owners: readonly Destination[]): readonly Destination[] {
    let key = '';
    for (const d of owners) {
      let id = this.ids.get(d);
      if (id === undefined) {
        id = this.ids.size;
        this.ids.set(d, id);
      }
      key += `${id},`;
    }
    let list = this.byKey.get(key);
    if (list === undefined) {
      list = Object.freeze(owners.slice());
      this.byKey.set(key, list);
    }
    return list;
  }
}

/** Index of the first element >= p in ascending `sorted` (sorted.length when none). */
export function lowerBound(sorted: ArrayLike<number>, p: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < p) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export const POSITIONS_16 = 65536;

/** Lookups a PositionTable answers by binary search before it fills all 65536 positions. */
const LOOKUPS_BEFORE_FULL_TABLE = 64;

/**
 * position → owners for every 16-bit position: the first entry at or after the position, wrapping
 * to entry 0 past the end (bisect_left semantics), then `ownersFrom(start)` (memoised per start).
 * The full table (65536 entries, one sweep) is built only once a few lookups have been made: a
 * `ring locate` of one name then costs one binary search instead of the sweep — a measurable part
 * of a short command's start-up — and a run over many names still reads a plain array.
 */
export class PositionTable {
  private full: (readonly Destination[])[] | undefined;
  private lookups = 0;
  private readonly byStart: (readonly Destination[] | undefined)[] = [];

  constructor(
    private readonly sortedPositions: ArrayLike<number>,
    private readonly ownersFrom: (start: number) => readonly Destination[],
  ) {}

  at(position: number): readonly Destination[] {
    const owners = this.full?.[position];
    if (owners !== undefined) return owners;
    if (!Number.isInteger(position) || position < 0 || position >= POSITIONS_16) {
      throw new RangeError(`ring position ${position} outside 0..65535`);
    }
    if (++this.lookups > LOOKUPS_BEFORE_FULL_TABLE) return (this.full ??= this.sweep())[position]!;
    let start = lowerBound(this.sortedPositions, position);
    if (start === this.sortedPositions.length) start = 0;
    return this.ownersOf(start);
  }

  private ownersOf(start: number): readonly Destination[] {
    return (this.byStart[start] ??= this.ownersFrom(start));
  }

  private sweep(): (readonly Destination[])[] {
    const sorted = this.sortedPositions;
    const n = sorted.length;
    const table = new Array<readonly Destination[]>(POSITIONS_16);
    let idx = 0;
    for (let p = 0; p < POSITIONS_16; p++) {
      while (idx < n && sorted[idx]! < p) idx++;
      table[p] = this.ownersOf(idx < n ? idx : 0);
    }
    return table;
  }
}

/** The PositionSpace of a ring whose owners are a 16-bit position table. */
export function tablePositionSpace(fn: PositionFn, table: PositionTable): PositionSpace {
  return {
    fn,
    size: POSITIONS_16,
    ownersAt: (position: number): readonly Destination[] => table.at(position),
  };
}

const utf8 = new TextEncoder();

/** C strcmp / Go string order: byte-wise over UTF-8, unsigned. */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/**
 * glibc's qsort as carbon-c-relay gets it: a top-down merge sort (n1 = n/2 on the left) that takes
 * from the left run while cmp(left, right) <= 0. Stable; and for comparators that are not a total
 * order (c-relay's jump instance order) it yields exactly glibc's answer, which Array.sort would not.
 */
export function glibcMergeSort<T>(items: T[], cmp: (a: T, b: T) => number): T[] {
  const a = items.slice();
  const tmp = new Array<T>(a.length);
  const sort = (lo: number, n: number): void => {
    if (n <= 1) return;
    const n1 = n >>> 1;
    const n2 = n - n1;
    sort(lo, n1);
    sort(lo + n1, n2);
    let i = lo;
    let j = lo + n1;
    const iEnd = lo + n1;
    const jEnd = lo + n;
    let k = 0;
    while (i < iEnd && j < jEnd) tmp[k++] = cmp(a[i]!, a[j]!) <= 0 ? a[i++]! : a[j++]!;
    while (i < iEnd) tmp[k++] = a[i++]!;
    // The rest of the right run is already in place.
    for (let t = 0; t < k; t++) a[lo + t] = tmp[t]!;
  };
  sort(0, a.length);
  return a;
}

/** ConfigError pointing at the spec's file and the destination's line when known. */
export function ringConfigError(spec: RingSpec, message: string, expected: string, d?: Destination): ConfigError {
  return new ConfigError(message, {
    file: spec.origin?.file,
    line: d?.line ?? spec.origin?.line,
    expected,
  });
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const nativeWellFormed = (String.prototype as { isWellFormed?: () => boolean }).isWellFormed;

/** False for strings with a lone surrogate: they have no UTF-8 form (Python's encode raises). */
export const isWellFormed: (s: string) => boolean =
  nativeWellFormed !== undefined ? (s) => nativeWellFormed.call(s) : (s) => !LONE_SURROGATE.test(s);

/** The placement of a name no implementation can hash. */
export function malformedPlacement(metric: string): Placement {
  return {
    metric,
    owners: NO_OWNERS,
    error: 'the name contains a lone UTF-16 surrogate: it has no UTF-8 form, so it cannot be hashed',
  };
}
