// Deletes that start while the copy pass is still running: a delete whose owner copies are all copies
// of this very pass starts the moment the last of them is verified (journaled and durable), instead of
// after every other copy of the job. The source node's slots then alternate between reading sources and
// deleting them, and the job does not end with a long tail of deletes alone. The delete itself is the
// same action with the same checks (runDelete re-proves every owner at the moment of the unlink); a
// delete that does not get ready here (an owner copy failed, or belongs to another job) is left to the
// delete pass, which skips the ones done here.
import type { DeleteAction } from '../plan/plan-file.js';
import { OP, type ActionTable } from './action-table.js';

/** How many deletes may wait here at once; past it, the rest wait for the delete pass (bounded memory). */
const MAX_WAITING = 65_536;

interface Waiting {
  rec: DeleteAction;
  left: number;
}

export class EarlyDeletes {
  private readonly waiters = new Map<number, Waiting[]>();
  private waiting = 0;
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly t: ActionTable,
    /** Whether an action of the copy pass is this job's (its node is selected). */
    private readonly ours: (id: number) => boolean,
    private readonly start: (rec: DeleteAction) => Promise<void>,
  ) {}

  /** A delete met during the copy pass: started now, registered to start later, or left to the delete pass. */
  offer(rec: DeleteAction): void {
    const t = this.t;
    if (rec.after.length === 0) return;
    const open: number[] = [];
    for (const id of rec.after) {
      if (!t.has(id)) return;
      if (t.isDone(id)) continue;
      if (t.op[id] !== OP.copy || !this.ours(id)) return;
      open.push(id);
    }
    if (open.length === 0) return this.launch(rec);
    if (this.waiting >= MAX_WAITING) return;
    const w: Waiting = { rec, left: open.length };
    this.waiting++;
    for (const id of open) {
      let list = this.waiters.get(id);
      if (list === undefined) this.waiters.set(id, (list = []));
      list.push(w);
    }
  }

  /** A copy of the pass finished (verified or not): the deletes waiting for it move on or are dropped. */
  finished(id: number): void {
    const list = this.waiters.get(id);
    if (list === undefined) return;
    this.waiters.delete(id);
    const ok = this.t.isDone(id);
    for (const w of list) {
      if (w.left <= 0) continue; // already dropped by another owner's failure
      if (!ok) {
        w.left = 0;
        this.waiting--;
        continue;
      }
      if (--w.left === 0) {
        this.waiting--;
        this.launch(w.rec);
      }
    }
  }

  private launch(rec: DeleteAction): void {
    const p: Promise<void> = this.start(rec).finally(() => this.running.delete(p));
    this.running.add(p);
  }

  /** Every delete started here has finished. */
  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}
