// The apply journal: one append-only NDJSON file per destination location, in PLAN.journal/ beside the
// plan. A record is appended (one write) and fdatasynced before the step it reports is relied on, so
// after a kill -9 the journal says at most "started" for work that may be half done, never "done" for
// work that is not. A torn last line (killed mid-write) is cut off when the journal is reopened.
//
// Concurrent appends are group-committed: records queued while a sync is in flight go out together in
// the next write + fdatasync, and each append resolves only once its own bytes are on disk.
//
// The running job holds an exclusive flock on every journal it appends to, so two jobs can never work
// on the same destination at once; other jobs' journals are only read.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { DataError, UsageError } from '../errors.js';
import { fsyncDir } from '../fs-durable.js';

export const JOURNAL_FORMAT = 'ringshift-journal';
export const JOURNAL_VERSION = 1;

/** What a copy or fill read from its source: the source's stamp when the read began. */
export interface SourceStamp {
  size: number;
  mtimeMs: number;
  /**
   * The file had been modified so recently (within the host's timestamp granularity) that a later
   * write could leave the same stamp: the stamp proves nothing, so a delete re-fills first.
   */
  racy?: boolean;
}

export type JournalRecord =
  | { t: 'open'; format: typeof JOURNAL_FORMAT; version: number; plan: string; node: string; pid: number; host: string; at: string }
  | {
      t: 'done';
      id: number;
      /** The planned op; `result` says what was done (a copy whose destination appeared is filled). */
      op: 'copy' | 'fill';
      result: 'copied' | 'filled';
      /** Where the data went: the destination location and path. */
      to: string;
      path: string;
      src: SourceStamp;
      /** Slots written by a fill. */
      slots?: number;
      /** Checksum of the bytes copied (read from the source = found in the temp file): sha256 when a
       * remote host computed it, else CRC-32 (hex). */
      sha256?: string;
      crc32?: string;
      /** Copies through memory: the temp file was read back and compared byte for byte (no checksum). */
      verified?: string;
      bytes: number;
      at: string;
    }
  | {
      /** A delete (id) filled its source into an owner file again: the source had changed since its copy. */
      t: 'refill';
      id: number;
      to: string;
      path: string;
      src: SourceStamp;
      slots: number;
      bytes: number;
      at: string;
    }
  | { t: 'deleted'; id: number; result: 'deleted' | 'already-gone'; src: SourceStamp | null; at: string }
  | { t: 'failed'; id: number; op: string; code: string; error: string; at: string }
  | { t: 'close'; at: string; counts: Record<string, number> };

type FsExt = { flockSync(fd: number, mode: 'exnb' | 'un'): void };
let fsExt: FsExt | undefined;

/** Journal file name for a location id (ids may hold ':' '+' '/'). */
export function journalFileName(node: string): string {
  return encodeURIComponent(node).replace(/^\./, '%2E') + '.ndjson';
}

export function journalDir(planPath: string): string {
  return join(dirname(planPath), basename(planPath) + '.journal');
}

/** Parse journal text; a last line without its newline was torn by a crash and is ignored. */
export function parseJournal(text: string, file: string): { records: JournalRecord[]; goodBytes: number } {
  const records: JournalRecord[] = [];
  let start = 0;
  let line = 0;
  for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
    line++;
    const s = text.slice(start, nl);
    start = nl + 1;
    if (s.trim() === '') continue;
    let rec: unknown;
    try {
      rec = JSON.parse(s);
    } catch {
      throw new DataError('journal line is not JSON', { file, line, expected: 'one JSON record a line (do not edit journals)' });
    }
    if (typeof rec !== 'object' || rec === null || typeof (rec as { t?: unknown }).t !== 'string') {
      throw new DataError('journal record without a type', { file, line });
    }
    records.push(rec as JournalRecord);
  }
  return { records, goodBytes: Buffer.byteLength(text.slice(0, start)) };
}

/** Read a journal without taking it (another job's, or for a dry run). Missing → []. */
export function readJournal(path: string): JournalRecord[] {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return parseJournal(text, path).records;
}

/** Check the journal belongs to this plan (its first record names the plan's sha256). */
export function checkJournalPlan(records: JournalRecord[], planSha: string, file: string): void {
  const open = records.find((r) => r.t === 'open');
  if (open === undefined) return;
  if (open.t === 'open' && open.plan !== planSha) {
    throw new UsageError(`journal belongs to another plan (sha256 ${open.plan.slice(0, 12)}…, this plan is ${planSha.slice(0, 12)}…)`, {
      file,
      expected: 'the journal directory of this plan; move old journals away after making a new plan',
    });
  }
}

/** The journal cannot be written: the job must stop (nothing may rely on unrecorded work). */
export class JournalBroken extends DataError {}

export class Journal {
  private queue: { line: string; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private writing = false;
  private closed = false;
  private failed: unknown = null;

  private constructor(
    readonly path: string,
    readonly node: string,
    private readonly fd: number,
    /** Records found when the journal was opened (this job's earlier runs). */
    readonly previous: JournalRecord[],
  ) {}

  /**
   * Open (creating) the journal of `node` in `dir`, lock it, drop a torn tail, check it belongs to
   * the plan and append an `open` record.
   */
  static async open(dir: string, node: string, planSha: string): Promise<Journal> {
    await fs.promises.mkdir(dir, { recursive: true });
    const path = join(dir, journalFileName(node));
    let created = false;
    let fd: number;
    try {
      fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_APPEND, 0o644);
      created = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_APPEND);
    }
    try {
      fsExt ??= createRequire(import.meta.url)('fs-ext') as FsExt;
      try {
        fsExt.flockSync(fd, 'exnb');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
          throw new UsageError(`another ringshift apply is working on ${node} (its journal is locked)`, {
            file: path,
            expected: 'one job per destination',
          });
        }
        throw err;
      }
      if (created) await fsyncDir(dir);
      const text = fs.readFileSync(path, 'utf8');
      const { records, goodBytes } = parseJournal(text, path);
      if (goodBytes < Buffer.byteLength(text)) {
        fs.ftruncateSync(fd, goodBytes);
        fs.fdatasyncSync(fd);
      }
      checkJournalPlan(records, planSha, path);
      const j = new Journal(path, node, fd, records);
      await j.append({
        t: 'open',
        format: JOURNAL_FORMAT,
        version: JOURNAL_VERSION,
        plan: planSha,
        node,
        pid: process.pid,
        host: hostname(),
        at: iso(),
      });
      return j;
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
  }

  /** Append one record; resolves once it is on disk. */
  append(rec: JournalRecord): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`journal ${this.path} is closed`));
    if (this.failed !== null) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.queue.push({ line: JSON.stringify(rec) + '\n', resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        const buf = Buffer.from(batch.map((b) => b.line).join(''));
        let off = 0;
        while (off < buf.length) off += await writeAsync(this.fd, buf, off);
        await new Promise<void>((resolve, reject) => fs.fdatasync(this.fd, (e) => (e ? reject(e) : resolve())));
        for (const b of batch) b.resolve();
      } catch (err) {
        // A journal that cannot be written stops the job: nothing may rely on unrecorded work.
        this.failed = new JournalBroken(`cannot write the journal: ${(err as Error).message}`, { file: this.path });
        for (const b of [...batch, ...this.queue]) b.reject(this.failed);
        this.queue = [];
      }
    }
    this.writing = false;
  }

  async close(counts: Record<string, number>): Promise<void> {
    if (this.closed) return;
    if (this.failed === null) await this.append({ t: 'close', at: iso(), counts }).catch(() => undefined);
    this.closed = true;
    try {
      fsExt?.flockSync(this.fd, 'un');
    } catch {
      // closing releases it anyway
    }
    fs.closeSync(this.fd);
  }
}

function writeAsync(fd: number, buf: Buffer, off: number): Promise<number> {
  return new Promise((resolve, reject) => fs.write(fd, buf, off, buf.length - off, null, (e, n) => (e ? reject(e) : resolve(n))));
}

export function iso(): string {
  return new Date().toISOString();
}
