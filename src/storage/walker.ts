// Fast streaming walk of a local tree. A few worker threads (walk-worker.ts) read directories with
// synchronous readdir (d_type, no stat per entry) and lstat only when sizes are wanted; they share the
// work by donating the shallow half of their stacks to idle peers. The main thread unpacks their batches
// into WalkEntry objects and hands them out as they come, pausing the workers when the consumer falls
// behind, so memory stays bounded whatever the tree size.
//
// Never leaves the root: child paths are only ever parent + '/' + a name readdir returned, and symlinks
// are reported, not followed, unless asked (then only to targets whose realpath is inside the root).
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ListOptions, WalkEntry } from './driver.js';
import { NETWORK_FS } from './local-syscalls.js';
import { REC, SHARED, walkWorkerMain, walkWorkerSource } from './walk-worker.js';
import { escapeBytes } from './bytes.js';
import type { FromWorker, ToWorker, WorkerConfig, WorkerDirTask } from './walk-worker.js';

export const DEFAULT_BATCH_SIZE = 4096;
/** Batches waiting for the consumer before the workers pause. */
const MAX_READY_BATCHES = 8;

export function defaultWalkers(): number {
  return Math.min(4, Math.max(1, availableParallelism()));
}

const NETWORK_WALKERS = 8;
/** Directories read on the caller's thread before any worker starts. */
const INLINE_DIRS = 64;
const requireHere = createRequire(import.meta.url);
/** A walk still running after this long gets its other readers. */
const MORE_READERS_AFTER_MS = 40;

/** Readers for `root`: min(4, CPUs) locally, 8 on network filesystems. */
export async function walkersFor(root: string): Promise<number> {
  try {
    const { type } = await fs.promises.statfs(root);
    if (NETWORK_FS.has(type >>> 0)) return NETWORK_WALKERS;
  } catch {
    // statfs is an optimisation only.
  }
  return defaultWalkers();
}

let cachedSource: string | undefined;

/**
 * Walk `root` (an absolute real path of a directory) and yield matching files and every symlink, in
 * batches, in no particular order. Unreadable directories come as entries of type 'unreadable'; entries
 * that vanish during the walk are skipped; a root that cannot be read throws.
 */
export async function* walkTree(root: string, opts: ListOptions = {}): AsyncGenerator<WalkEntry[]> {
  const st = await fs.promises.stat(root);
  if (!st.isDirectory()) throw Object.assign(new Error(`not a directory: ${root}`), { code: 'ENOTDIR' });

  const nWorkers = Math.max(1, Math.min(64, opts.concurrency ?? (await walkersFor(root))));
  const stat = opts.stat === true;
  const shared = new SharedArrayBuffer(8);
  const flags = new Int32Array(shared);
  const cfg: WorkerConfig = {
    root,
    suffix: opts.suffix ?? '.wsp',
    stat,
    follow: opts.followSymlinks === true,
    batchSize: Math.max(1, opts.batchSize ?? DEFAULT_BATCH_SIZE),
    shared,
    rec: REC,
    slots: SHARED,
  };
  cachedSource ??= walkWorkerSource();

  const queue: WorkerDirTask[] = [{ abs: root, rel: '', bad: false, chain: null }];
  const idle: Worker[] = [];
  const ready: WalkEntry[][] = [];
  const progress = { dirs: 0, files: 0 };
  let fatal: Error | null = null;
  let finished = false;
  let wake: (() => void) | null = null;
  let started = false;

  const notify = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };

  const dispatch = (): void => {
    while (idle.length > 0 && queue.length > 0) {
      const msg: ToWorker = { t: 'dirs', dirs: [queue.pop()!] };
      idle.pop()!.postMessage(msg);
    }
    Atomics.store(flags, SHARED.HUNGRY, idle.length);
    if (idle.length === workers.length && queue.length === 0) {
      finished = true;
      notify();
    }
  };

  const takeBatch = (m: Extract<FromWorker, { t: 'batch' }>): void => {
    const batch = unpackBatch(m, stat);
    if (batch.length > 0) ready.push(batch);
    progress.dirs += m.dirs;
    progress.files += m.files;
    opts.onProgress?.({ dirs: progress.dirs, files: progress.files });
  };

  const onMessage = (w: Worker, m: FromWorker): void => {
    if (!started) {
      started = true;
      onStarted();
    }
    switch (m.t) {
      case 'batch': {
        takeBatch(m);
        if (ready.length >= MAX_READY_BATCHES) Atomics.store(flags, SHARED.PAUSED, 1);
        notify();
        break;
      }
      case 'dirs':
        for (const d of m.dirs) queue.push(d);
        dispatch();
        break;
      case 'idle':
        idle.push(w);
        dispatch();
        break;
      case 'fatal':
        fatal ??= Object.assign(new Error(m.message), { code: m.code });
        notify();
        break;
    }
  };

  const workers: Worker[] = [];
  const spawn = (): void => {
    const w = new Worker(cachedSource!, { eval: true, workerData: cfg });
    w.on('message', (m: FromWorker) => onMessage(w, m));
    w.on('error', (err) => {
      fatal ??= err;
      notify();
    });
    workers.push(w);
    idle.push(w);
  };
  // One reader first; the others join only a walk that is not over a moment after the first reader
  // began (they come idle, and the busy one gives them half its stack). A small tree costs one
  // thread's start, not four.
  let more: NodeJS.Timeout | null = null;
  function onStarted(): void {
    if (nWorkers > 1)
      more = setTimeout(() => {
        more = null;
        if (finished || fatal !== null) return;
        while (workers.length < nWorkers) spawn();
        dispatch();
      }, MORE_READERS_AFTER_MS);
  }
  try {
    // A first pass on this thread: a small tree (a few dozen directories) is done before a thread
    // would have started; a bigger one leaves the rest of its stack to the workers.
    const left: WorkerDirTask[] = [];
    let inlineFatal: Error | null = null;
    let deliver: ((m: ToWorker) => void) | null = null;
    walkWorkerMain(requireHere, escapeBytes, {
      cfg: { ...cfg, inlineBudget: INLINE_DIRS },
      port: {
        postMessage: (m: FromWorker) => {
          if (m.t === 'batch') takeBatch(m);
          else if (m.t === 'dirs') left.push(...m.dirs);
          else if (m.t === 'fatal') inlineFatal = Object.assign(new Error(m.message), { code: m.code });
        },
        on: (_event, fn) => (deliver = fn),
      },
    });
    (deliver as ((m: ToWorker) => void) | null)?.({ t: 'dirs', dirs: queue.splice(0) });
    if (inlineFatal !== null) throw inlineFatal;
    queue.push(...left);
    if (queue.length === 0) {
      yield* ready.splice(0);
      return;
    }
    spawn();
    dispatch();
    for (;;) {
      if (fatal !== null) throw fatal;
      const batch = ready.shift();
      if (batch !== undefined) {
        if (ready.length < MAX_READY_BATCHES / 2 && Atomics.load(flags, SHARED.PAUSED) === 1) {
          Atomics.store(flags, SHARED.PAUSED, 0);
          Atomics.notify(flags, SHARED.PAUSED);
        }
        yield batch;
        continue;
      }
      // Every worker's batches arrive before its 'idle', so all work is in once all are idle.
      if (finished) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    if (more !== null) clearTimeout(more);
    Atomics.store(flags, SHARED.PAUSED, 0);
    Atomics.notify(flags, SHARED.PAUSED);
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** Turn a worker's packed batch back into entries. */
function unpackBatch(m: Extract<FromWorker, { t: 'batch' }>, stat: boolean): WalkEntry[] {
  const out: WalkEntry[] = [];
  if (m.tokens === '' && m.kinds.length === 0) return out;
  const tokens = m.tokens.split('\0');
  const kinds = m.kinds;
  const nums = m.nums;
  const extras = m.extras;
  let x = 0;
  let n = 0;
  let dir = '';
  for (let i = 0; i < tokens.length; i++) {
    const k = kinds[i]!;
    if (k === REC.DIR) {
      dir = tokens[i]!;
      continue;
    }
    const name = tokens[i]!;
    const code = k & ~REC.BAD;
    const e: WalkEntry = {
      rel: dir === '' ? name : dir + '/' + name,
      dir,
      name,
      type: code === REC.FILE ? 'file' : code === REC.LINK ? 'symlink' : 'unreadable',
    };
    if (k & REC.BAD) e.badName = true;
    if (code === REC.FILE && stat && nums !== null) {
      e.size = nums[n++]!;
      e.mtimeMs = nums[n++]!;
    }
    if (extras !== null && x < extras.length && extras[x]!.i === i) {
      const ex = extras[x++]!;
      if (ex.target !== undefined) e.target = ex.target;
      if (ex.note !== undefined) e.note = ex.note;
    }
    out.push(e);
  }
  return out;
}
