// whisper's aggregate() with Python 3.11 arithmetic (whisper-spec.md §3): plain left-to-right double
// sums from 0, max/min that keep the first of equal values and a leading NaN, avg_zero's `x or 0`.

/**
 * Aggregate one bucket. `neighbors` holds every slot of the bucket in time order, null = no point;
 * there is at least one known value (callers check). Method codes as on disk: 1 average, 2 sum,
 * 3 last, 4 max, 5 min, 6 avg_zero, 7 absmax, 8 absmin.
 */
export function aggregate(method: number, neighbors: readonly (number | null)[]): number {
  switch (method) {
    case 1: {
      let sum = 0;
      let n = 0;
      for (const v of neighbors) {
        if (v !== null) {
          sum += v;
          n++;
        }
      }
      return sum / n;
    }
    case 2: {
      let sum = 0;
      for (const v of neighbors) if (v !== null) sum += v;
      return sum;
    }
    case 3: {
      for (let i = neighbors.length - 1; i >= 0; i--) if (neighbors[i] !== null) return neighbors[i]!;
      return NaN;
    }
    case 4:
      return pick(neighbors, (v, best) => v > best);
    case 5:
      return pick(neighbors, (v, best) => v < best);
    case 6: {
      // `x or 0`: missing, 0.0 and -0.0 count as 0; NaN is truthy in Python and stays NaN.
      let sum = 0;
      for (const v of neighbors) sum += v === null || v === 0 ? 0 : v;
      return sum / neighbors.length;
    }
    case 7:
      return pick(neighbors, (v, best) => Math.abs(v) > Math.abs(best));
    case 8:
      return pick(neighbors, (v, best) => Math.abs(v) < Math.abs(best));
    default:
      throw new RangeError(`aggregation type ${method} is not 1..8`);
  }
}

/** Python max()/min(): the first known value, replaced only by a later one that wins strictly. */
function pick(values: readonly (number | null)[], wins: (v: number, best: number) => boolean): number {
  let best: number | null = null;
  for (const v of values) {
    if (v === null) continue;
    if (best === null || wins(v, best)) best = v;
  }
  return best as number;
}

/** How many values of a bucket are known (non-null). */
export function knownCount(values: readonly (number | null)[]): number {
  let n = 0;
  for (const v of values) if (v !== null) n++;
  return n;
}

/** whisper's xff test: known/total as a double against the stored float32 widened to double. */
export function meetsXff(known: number, total: number, xFilesFactor: number): boolean {
  return known > 0 && known / total >= xFilesFactor;
}
