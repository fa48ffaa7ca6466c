// Deletes started during the copy pass: only once every owner copy of this job is verified; never
// after an owner copy failed, nor for copies of other jobs (those wait for the delete pass).
import { describe, expect, it } from 'vitest';
import { ActionTable } from '../src/apply/action-table.js';
import { EarlyDeletes } from '../src/apply/early-deletes.js';
import type { CopyAction, DeleteAction } from '../src/plan/plan-file.js';

const source = { size: 100, mtimeMs: 1000 };
const copy = (id: number, path: string, to = 'b'): CopyAction => ({
  type: 'action',
  id,
  op: 'copy',
  metric: path,
  path,
  from: 'a',
  to,
  source,
});
const del = (id: number, path: string, after: number[]): DeleteAction => ({
  type: 'action',
  id,
  op: 'delete',
  metric: path,
  path,
  at: 'a',
  source,
  after,
});

function setup(actions: (CopyAction | DeleteAction)[], ours = (loc: string) => loc !== 'c') {
  const t = new ActionTable(['a', 'b', 'c']);
  for (const a of actions) t.add(a);
  const started: number[] = [];
  const early = new EarlyDeletes(
    t,
    (id) => ours(t.locations[t.node[id]!]!),
    async (d) => {
      started.push(d.id);
    },
  );
  return { t, early, started };
}

describe('EarlyDeletes', () => {
  it('starts a delete when its last owner copy is verified, not before', async () => {
    const d = del(3, 'x.wsp', [1, 2]);
    const { t, early, started } = setup([copy(1, 'x.wsp'), copy(2, 'x.wsp', 'b'), d]);
    early.offer(d);
    expect(started).toEqual([]);
    t.verified(1, source);
    early.finished(1);
    expect(started).toEqual([]);
    t.verified(2, source);
    early.finished(2);
    expect(started).toEqual([3]);
    await early.settle();
  });

  it('starts at once when the owner copies were verified already', () => {
    const d = del(2, 'x.wsp', [1]);
    const { t, early, started } = setup([copy(1, 'x.wsp'), d]);
    t.verified(1, source);
    early.offer(d);
    expect(started).toEqual([2]);
  });

  it('drops a delete whose owner copy failed, even when another owner succeeds later', () => {
    const d = del(3, 'x.wsp', [1, 2]);
    const { t, early, started } = setup([copy(1, 'x.wsp'), copy(2, 'x.wsp'), d]);
    early.offer(d);
    early.finished(1); // not verified
    t.verified(2, source);
    early.finished(2);
    expect(started).toEqual([]);
  });

  it('leaves to the delete pass a delete that waits on another job or on a missing action', () => {
    const other = del(3, 'y.wsp', [1]);
    const missing = del(4, 'z.wsp', [99]);
    const { t, early, started } = setup([copy(1, 'y.wsp', 'c'), other, missing]);
    early.offer(other);
    early.offer(missing);
    t.verified(1, source);
    early.finished(1);
    expect(started).toEqual([]);
  });
});
