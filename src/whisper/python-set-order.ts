// The order in which CPython 3 iterates `set(list_of_ints)`. whisper's __archive_update_many propagates
// the lower intervals of a batch in that order, and when a lower archive is still empty the first one
// propagated becomes its slot 0 (its base): the ring's rotation, hence the file's bytes, follow the set's
// hash-table order, not time order. This is CPython's setobject.c (3.7 – 3.13): open addressing with 9
// linear probes then perturbed probing, a table of 8 slots that grows to the smallest power of two above
// 4 × used (2 × used past 50 000) whenever 5 × fill ≥ 3 × mask. For the non-negative ints below 2^61 − 1
// that timestamps are, hash(n) = n.

const LINEAR_PROBES = 9;
const PERTURB_SHIFT = 32; // divide by 2^5

/** Place `key` (its own hash) in `table` of size mask + 1 with no duplicates or dummies (set_insert_clean). */
function insertClean(table: Float64Array, used: Uint8Array, mask: number, key: number): void {
  let perturb = key;
  let i = key % (mask + 1);
  for (;;) {
    if (!used[i]) return place(table, used, i, key);
    if (i + LINEAR_PROBES <= mask) {
      for (let j = 1; j <= LINEAR_PROBES; j++) if (!used[i + j]) return place(table, used, i + j, key);
    }
    perturb = Math.floor(perturb / PERTURB_SHIFT);
    i = (i * 5 + 1 + perturb) % (mask + 1);
  }
}

function place(table: Float64Array, used: Uint8Array, i: number, key: number): void {
  table[i] = key;
  used[i] = 1;
}

/**
 * The distinct values of `keys` (non-negative integers below 2^53, in insertion order) in the order
 * `for x in set(keys)` yields them in CPython.
 */
export function pythonSetOrder(keys: readonly number[]): number[] {
  // Negative or huge timestamps never reach a file (they are older than any retention at a real clock):
  // plain ascending order for them instead of CPython's two's-complement hashing.
  if (keys.some((k) => !Number.isSafeInteger(k) || k < 0)) return [...new Set(keys)].sort((a, b) => a - b);
  let size = 8;
  let table = new Float64Array(size);
  let used = new Uint8Array(size);
  let count = 0;
  for (const key of keys) {
    const mask = size - 1;
    // set_add_entry: the same probe sequence, stopping at the key itself or at the first free slot.
    let perturb = key;
    let i = key % size;
    let found = false;
    let free = -1;
    for (;;) {
      const probes = i + LINEAR_PROBES <= mask ? LINEAR_PROBES : 0;
      for (let j = 0; j <= probes; j++) {
        if (!used[i + j]) {
          free = i + j;
          break;
        }
        if (table[i + j] === key) {
          found = true;
          break;
        }
      }
      if (found || free >= 0) break;
      perturb = Math.floor(perturb / PERTURB_SHIFT);
      i = (i * 5 + 1 + perturb) % size;
    }
    if (found) continue;
    place(table, used, free, key);
    count++;
    if (count * 5 < mask * 3) continue;
    // set_table_resize(so, used > 50000 ? used * 2 : used * 4): re-insert in old table order.
    const minUsed = count > 50000 ? count * 2 : count * 4;
    let newSize = 8;
    while (newSize <= minUsed) newSize *= 2;
    const oldTable = table;
    const oldUsed = used;
    table = new Float64Array(newSize);
    used = new Uint8Array(newSize);
    size = newSize;
    for (let k = 0; k < oldTable.length; k++) if (oldUsed[k]) insertClean(table, used, size - 1, oldTable[k]!);
  }
  const out: number[] = [];
  for (let k = 0; k < size; k++) if (used[k]) out.push(table[k]!);
  return out;
}
