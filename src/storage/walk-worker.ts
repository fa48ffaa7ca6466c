// The body of a walk worker thread. Synchronous readdir/lstat in a few worker threads beat async calls
// through the libuv pool by far (no per-call hand-off to the main thread: 500k lstats take ~1 s instead of
// ~5 s on two cores). The worker walks its own depth-first stack and gives the shallow half of it
// away when another worker is idle. Results go to the main thread packed: one '\0'-joined string of
// names with a parallel kind array (a DIR record switches the current directory), numbers in a
// Float64Array, the rare extras (link targets, notes) as objects.
//
// walkWorkerMain runs from its source text (new Worker(source, {eval: true})), so it must not use
// anything from its module: only its parameters and globals (so coverage must be v8, not instrumenting).
import { escapeBytes, utf8SeqLength } from './bytes.js';

/** Record kinds in a batch; BAD is or-ed in for names that are not UTF-8 (shown escaped). */
export const REC = { DIR: 0, FILE: 1, LINK: 2, UNREADABLE: 3, BAD: 0x10 } as const;
export type RecCodes = typeof REC;

/** Slots of the shared Int32Array. */
export const SHARED = { HUNGRY: 0, PAUSED: 1 } as const;

export interface WorkerDirTask {
  /** Path to read; bytes once a non-UTF-8 name is on the way (arrives as a Uint8Array). */
  abs: string | Uint8Array;
  rel: string;
  bad: boolean;
  /** Real paths of the symlinked directories followed to get here (follow mode). */
  chain: string[] | null;
}

export interface WorkerConfig {
  /**
   * Run on the caller's thread for at most this many directories (and 8 batches of records), then hand
   * what is left back as a 'dirs' message: a small tree is walked without starting a thread. 0: a worker.
   */
  inlineBudget?: number;
  root: string;
  suffix: string;
  stat: boolean;
  follow: boolean;
  batchSize: number;
  shared: SharedArrayBuffer;
  rec: RecCodes;
  slots: typeof SHARED;
}

export interface RecExtra {
  /** Index of the record in the batch's token list. */
  i: number;
  target?: string;
  note?: string;
}

export type FromWorker =
  | {
      t: 'batch';
      tokens: string;
      kinds: Uint8Array;
      nums: Float64Array | null;
      extras: RecExtra[] | null;
      dirs: number;
      files: number;
    }
  | { t: 'dirs'; dirs: WorkerDirTask[] }
  | { t: 'idle' }
  | { t: 'fatal'; message: string; code?: string | undefined };

export type ToWorker = { t: 'dirs'; dirs: WorkerDirTask[] };

/** What the walk talks to: the worker's parentPort, or the walker itself for an inline first pass. */
export interface WalkPort {
  postMessage(m: FromWorker, transfer?: ArrayBuffer[]): void;
  on(event: 'message', fn: (m: ToWorker) => void): unknown;
}

export function walkWorkerMain(req: NodeRequire, escape: (b: Uint8Array) => string, inline?: { port: WalkPort; cfg: WorkerConfig }): void {
  const fs = req('node:fs') as typeof import('node:fs');
  const { isUtf8 } = req('node:buffer') as typeof import('node:buffer');
  let cfg: WorkerConfig;
  let port: WalkPort;
  if (inline !== undefined) ({ cfg, port } = inline);
  else {
    const { parentPort, workerData } = req('node:worker_threads') as typeof import('node:worker_threads');
    cfg = workerData as WorkerConfig;
    port = parentPort!;
  }
  const budget = cfg.inlineBudget ?? 0;
  let budgetDirs = 0;
  let budgetBatches = 0;
  const shared = new Int32Array(cfg.shared);
  const REC = cfg.rec;
  const rootPrefix = cfg.root === '/' ? '/' : cfg.root + '/';
  const SLASH = Buffer.from('/');
  const suffix = cfg.suffix;
  const SUFFIX = Buffer.from(suffix);

  type Task = WorkerDirTask;
  const stack: Task[] = [];
  let tokens: string[] = [];
  let kinds: number[] = [];
  let nums: number[] = [];
  let extras: RecExtra[] = [];
  let curDir: string | null = null;
  let dirsRead = 0;
  let filesFound = 0;
  let sinceDonation = 0;

  const post = (m: FromWorker, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer);

  const record = (dirRel: string, name: string, kind: number, extra?: { target?: string; note?: string }): void => {
    if (curDir !== dirRel) {
      tokens.push(dirRel);
      kinds.push(REC.DIR);
      curDir = dirRel;
    }
    if (extra !== undefined) extras.push({ i: tokens.length, ...extra });
    tokens.push(name);
    kinds.push(kind);
  };

  const flush = (): void => {
    if (tokens.length === 0 && dirsRead === 0) return;
    const k = Uint8Array.from(kinds);
    const n = cfg.stat ? Float64Array.from(nums) : null;
    const transfer: ArrayBuffer[] = [k.buffer];
    if (n !== null) transfer.push(n.buffer);
    post(
      {
        t: 'batch',
        tokens: tokens.join('\0'),
        kinds: k,
        nums: n,
        extras: extras.length > 0 ? extras : null,
        dirs: dirsRead,
        files: filesFound,
      },
      transfer,
    );
    tokens = [];
    kinds = [];
    nums = [];
    extras = [];
    curDir = null;
    dirsRead = 0;
    filesFound = 0;
  };

  const join = (d: Task, name: string | Buffer): string | Buffer => {
    if (typeof d.abs === 'string' && typeof name === 'string') return d.abs === '/' ? '/' + name : d.abs + '/' + name;
    const base = typeof d.abs === 'string' ? Buffer.from(d.abs) : (d.abs as Buffer);
    return Buffer.concat([base, SLASH, typeof name === 'string' ? Buffer.from(name) : name]);
  };
  const relOf = (d: Task, shown: string): string => (d.rel === '' ? shown : d.rel + '/' + shown);
  const errCode = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? String(e);

  const file = (d: Task, name: string, rawName: Buffer | null, bits: number): void => {
    filesFound++;
    if (!cfg.stat) {
      record(d.rel, name, REC.FILE | bits);
      return;
    }
    const abs = join(d, rawName ?? name);
    let st: import('node:fs').Stats | undefined;
    try {
      st = fs.lstatSync(abs, { throwIfNoEntry: false });
    } catch (e) {
      record(d.rel, name, REC.UNREADABLE | bits, { note: `cannot stat: ${errCode(e)}` });
      return;
    }
    if (st === undefined) return; // removed since readdir
    record(d.rel, name, REC.FILE | bits);
    nums.push(st.size, st.mtimeMs);
  };

  const isAncestorOrSelf = (candidate: string, path: string): boolean =>
    path === candidate || path.startsWith(candidate === '/' ? '/' : candidate + '/');

  const link = (d: Task, name: string, abs: string): void => {
    let target: string;
    try {
      target = fs.readlinkSync(abs);
    } catch (e) {
      if (errCode(e) !== 'ENOENT') record(d.rel, name, REC.UNREADABLE, { note: `cannot read link: ${errCode(e)}` });
      return;
    }
    if (!cfg.follow) {
      record(d.rel, name, REC.LINK, { target });
      return;
    }
    let real: string;
    let st: import('node:fs').Stats;
    try {
      real = fs.realpathSync(abs);
      // Decide on the resolved path before touching the target itself.
      if (real !== cfg.root && !real.startsWith(rootPrefix)) {
        record(d.rel, name, REC.LINK, { target, note: 'points outside the root; not followed' });
        return;
      }
      st = fs.statSync(real);
    } catch (e) {
      record(d.rel, name, REC.LINK, { target, note: `broken link (${errCode(e)}); not followed` });
      return;
    }
    if (st.isDirectory()) {
      const chain = d.chain ?? [];
      if (isAncestorOrSelf(real, d.abs as string) || chain.some((c) => isAncestorOrSelf(real, c))) {
        record(d.rel, name, REC.LINK, { target, note: 'directory loop; not followed' });
        return;
      }
      stack.push({ abs: real, rel: relOf(d, name), bad: false, chain: [...chain, real] });
    } else if (st.isFile() && name.endsWith(cfg.suffix)) {
      filesFound++;
      record(d.rel, name, REC.FILE, { note: `via symlink to ${real.slice(rootPrefix.length)}` });
      if (cfg.stat) nums.push(st.size, st.mtimeMs);
    }
  };

  /** Entries read as bytes: in a bad directory all of them, else only names that decoded with U+FFFD. */
  const rawEntries = (d: Task, ents: import('node:fs').Dirent<Buffer>[], onlyReplaced: boolean): void => {
    for (const e of ents) {
      const raw = e.name as unknown as Buffer;
      const valid = isUtf8(raw);
      const text = valid ? raw.toString('utf8') : '';
      if (onlyReplaced && valid && !text.includes('\ufffd')) continue;
      const bad = d.bad || !valid;
      const shown = valid ? text : escape(raw);
      const bits = bad ? REC.BAD : 0;
      if (e.isDirectory()) {
        stack.push({ abs: bad ? join(d, raw) : join(d, text), rel: relOf(d, shown), bad, chain: d.chain });
      } else if (e.isFile()) {
        const matches = raw.length >= SUFFIX.length && raw.subarray(raw.length - SUFFIX.length).equals(SUFFIX);
        if (matches) file(d, shown, bad ? raw : null, bits);
      } else if (e.isSymbolicLink()) {
        if (bad) record(d.rel, shown, REC.LINK | bits, { note: 'name is not UTF-8; not followed' });
        else link(d, text, join(d, text) as string);
      }
    }
  };

  const readDir = (d: Task): void => {
    let ents: import('node:fs').Dirent[] = [];
    let rawEnts: import('node:fs').Dirent<Buffer>[] = [];
    try {
      if (d.bad) rawEnts = fs.readdirSync(d.abs as Buffer, { withFileTypes: true, encoding: 'buffer' });
      else ents = fs.readdirSync(d.abs as string, { withFileTypes: true });
    } catch (e) {
      dirsRead++;
      const code = errCode(e);
      if (d.rel === '') throw Object.assign(new Error(`cannot read ${cfg.root}: ${code}`), { code });
      // Gone while we walked, or replaced by a file: nothing to report.
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      const slash = d.rel.lastIndexOf('/');
      const parent = slash < 0 ? '' : d.rel.slice(0, slash);
      record(parent, d.rel.slice(slash + 1), REC.UNREADABLE | (d.bad ? REC.BAD : 0), { note: `cannot read directory: ${code}` });
      return;
    }
    dirsRead++;
    if (d.bad) {
      rawEntries(d, rawEnts, false);
      return;
    }
    let replaced = false;
    for (const e of ents) {
      const name = e.name;
      // U+FFFD may stand for bytes that are not UTF-8: those entries are read again as bytes.
      if (name.includes('\ufffd')) {
        replaced = true;
        continue;
      }
      if (e.isDirectory()) {
        stack.push({ abs: join(d, name), rel: relOf(d, name), bad: false, chain: d.chain });
      } else if (e.isFile()) {
        if (name.endsWith(suffix)) file(d, name, null, 0);
      } else if (e.isSymbolicLink()) {
        link(d, name, join(d, name) as string);
      }
    }
    if (replaced) rawEntries(d, fs.readdirSync(d.abs as string, { withFileTypes: true, encoding: 'buffer' }), true);
  };

  const run = (): void => {
    while (stack.length > 0) {
      if (budget > 0) {
        // Inline: the consumer is this thread, so never wait for it; stop at the budget instead.
        if (budgetDirs >= budget || budgetBatches >= 8) {
          flush();
          post({ t: 'dirs', dirs: stack.splice(0) });
          break;
        }
        budgetDirs++;
      }
      // The consumer is behind: wait instead of piling up batches.
      else while (Atomics.load(shared, cfg.slots.PAUSED) === 1) Atomics.wait(shared, cfg.slots.PAUSED, 1, 100);
      readDir(stack.pop()!);
      if (tokens.length >= cfg.batchSize) {
        flush();
        budgetBatches++;
      }
      sinceDonation++;
      // Someone is idle: give away the shallow half of the stack (the biggest subtrees).
      if (stack.length >= 2 && sinceDonation >= 4 && Atomics.load(shared, cfg.slots.HUNGRY) > 0) {
        post({ t: 'dirs', dirs: stack.splice(0, stack.length >> 1) });
        sinceDonation = 0;
      }
    }
    flush();
    post({ t: 'idle' });
  };

  port.on('message', (m: ToWorker) => {
    try {
      for (const d of m.dirs) {
        if (typeof d.abs !== 'string') d.abs = Buffer.from(d.abs.buffer, d.abs.byteOffset, d.abs.byteLength);
        stack.push(d);
      }
      run();
    } catch (e) {
      post({ t: 'fatal', message: e instanceof Error ? e.message : String(e), code: (e as NodeJS.ErrnoException).code });
    }
  });
}

/** Source text of a walk worker: the byte escaper it needs, then the body, called with require. */
export function walkWorkerSource(): string {
  return `${utf8SeqLength.toString()}\n${escapeBytes.toString()}\n(${walkWorkerMain.toString()})(require, escapeBytes);\n`;
}
