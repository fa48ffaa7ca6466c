// The three actions of a plan, each safe to interrupt at any point and to run again:
//
// copy    write the source into a hidden temp file beside the destination (named by plan and action,
//         so a resumed run finds and removes one a crash left), fsync, verify (the source's header
//         and structure; every byte read was written: locally the temp is read back and compared,
//         over ssh its sha256 is computed on the host and compared with the stream's; the source
//         unchanged meanwhile), then link it into place without replacing anything and fsync the
//         directory. If the destination appeared meanwhile (carbon-cache created it), fill it instead.
// fill    the whisper engine's gap-only fill, under the destination's flock (locally through
//         fillGaps; on a remote node: its flock held by flock(1), the file read over SFTP, the
//         filled slots written back in place with positional writes, fsync, and the result's sha256
//         checked on the host before the lock is let go). Never replaces the live file (carbon-cache
//         keeps writing the inode it has open).
// delete  only when every owner's copy is verified in a journal and the owner's file is there, and
//         the source still has the stamp those copies read; otherwise the source is filled into the
//         owners again first.
//
// A source stamp (size, mtime) is taken before reading and compared after; a stamp whose mtime is
// within the host's timestamp granularity of "now" is racy (a later write could leave it unchanged)
// and is waited out, or recorded as racy so a delete fills again first.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { crc32 } from 'node:zlib';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { DataError } from '../errors.js';
import type { CopyAction, DeleteAction, FillAction } from '../plan/plan-file.js';
import type { FileInfo, StorageDriver } from '../storage/driver.js';
import { WhisperError } from '../whisper/errors.js';
import { fillGaps, fillGapsImages } from '../whisper/fill-gaps.js';
import { nowSeconds as clockNow } from '../clock.js';
import { verifyHeaderBytes } from '../whisper/verify.js';
import { crashPoint } from './crash.js';
import { iso, type Journal, type SourceStamp } from './journal.js';
import { isRemote, type Nodes } from './nodes.js';
import type { ActionTable } from './state.js';
import type { TokenBucket } from './throttle.js';

export interface ActionContext {
  nodes: Nodes;
  /** The plan's sha256 (names temp files). */
  planSha: string;
  /** The journal of a location this job works for. */
  journal(node: string): Journal;
  table: ActionTable;
  bucket: TokenBucket | null;
  lockTimeoutMs: number;
  /** Bytes moved, for progress (node = the action's journal node). */
  onBytes(node: string, n: number): void;
}

export type Outcome =
  | { kind: 'done'; result: 'copied' | 'filled' | 'deleted' | 'already-gone'; bytes: number; slots?: number; note?: string }
  | { kind: 'skipped'; code: string; reason: string }
  | { kind: 'failed'; code: string; reason: string; stop?: boolean }
  | { kind: 'waiting'; reason: string }
  | { kind: 'blocked'; reason: string };

/** Problems that say "this source cannot be used": reported as skipped, the source never deleted. */
class SourceProblem extends DataError {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The source changed while it was read: retried. */
class SourceChanged extends Error {}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const ATTEMPTS = 4;

function dstPathOf(a: CopyAction | FillAction): string {
  return a.toPath ?? a.path;
}

export function sameStamp(a: { size: number; mtimeMs: number }, b: { size: number; mtimeMs: number }): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs;
}

/** Stat a source as a stamp; null when it is gone. Waits out a racy stamp (a few times). */
export async function sourceStamp(
  ctx: ActionContext,
  loc: string,
  rel: string,
  waitRacy = true,
): Promise<{ info: FileInfo; stamp: SourceStamp } | null> {
  const d = await ctx.nodes.driver(loc);
  for (let i = 0; ; i++) {
    const info = await d.stat(rel);
    if (info === null) return null;
    if (info.type !== 'file') throw new SourceProblem('NotRegularFile', `source is a ${info.type}, not a regular file`);
    const window = await ctx.nodes.racyWindowMs(loc);
    const age = (await ctx.nodes.hostNow(loc)) - info.mtimeMs;
    const stamp: SourceStamp = { size: info.size, mtimeMs: Math.round(info.mtimeMs) };
    if (age >= window) return { info, stamp };
    if (!waitRacy || i >= 2) return { info, stamp: { ...stamp, racy: true } };
    await sleep(Math.min(window, window - age + 50));
  }
}

/** Classify an error of an action. */
export function outcomeOf(err: unknown): Outcome {
  const e = err as Error & { code?: string | number };
  const msg = err instanceof DataError && err.file !== undefined ? err.describe() : (e?.message ?? String(err));
  if (err instanceof SourceProblem) return { kind: 'skipped', code: err.code, reason: msg };
  if (err instanceof WhisperError) {
    if (err.code === 'SrcCorrupt') return { kind: 'skipped', code: 'SourceCorrupt', reason: msg };
    return { kind: 'failed', code: err.code, reason: msg };
  }
  const code = typeof e?.code === 'string' ? e.code : 'Error';
  if (code === 'ENOSPC' || code === 'EDQUOT') return { kind: 'failed', code, reason: msg, stop: true };
  return { kind: 'failed', code, reason: msg };
}

async function* metered(ctx: ActionContext, node: string, src: Readable, sink: (b: Buffer) => void): AsyncGenerator<Buffer> {
  for await (const chunk of src) {
    const b = chunk as Buffer;
    if (ctx.bucket !== null) await ctx.bucket.take(b.length);
    sink(b);
    ctx.onBytes(node, b.length);
    crashPoint('copy-stream');
    yield b;
  }
}

/** Whole files up to this size are copied through memory (one read, one write, a memcmp check). */
const IN_MEMORY_MAX = 64 * 1024 * 1024;

// Buffers for in-memory copies, reused (two per running copy): allocating two fresh multi-MB buffers
// per file keeps the garbage collector busy.
const pool: Buffer[] = [];
let pooled = 0;
const POOL_MAX = 256 * 1024 * 1024;

function takeBuffers(size: number): [Buffer, Buffer] {
  const take = (): Buffer => {
    const i = pool.findIndex((b) => b.length >= size);
    if (i >= 0) {
      const b = pool.splice(i, 1)[0]!;
      pooled -= b.length;
      return b;
    }
    return Buffer.allocUnsafe(Math.max(size, 1 << 20));
  };
  return [take(), take()];
}

function returnBuffers(bufs: Buffer[]): void {
  for (const b of bufs) {
    if (pooled + b.length > POOL_MAX) continue;
    pool.push(b);
    pooled += b.length;
  }
}

/** Read a whole local file (not through a symlink) into `buf`; the view of what was read. */
async function readInto(abs: string, buf: Buffer): Promise<Buffer> {
  const fh = await fs.promises.open(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        // Grew since it was stat'ed: return more than expected, and the size check fails.
        const extra = await fh.read(Buffer.alloc(1), 0, 1, n);
        return extra.bytesRead === 0 ? buf.subarray(0, n) : Buffer.concat([buf.subarray(0, n), Buffer.alloc(1)]);
      }
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) return buf.subarray(0, n);
      n += bytesRead;
    }
  } finally {
    await fh.close();
  }
}

/** Checksum of a stream: sha256 when a remote host must compute the same, else CRC-32 (much cheaper). */
class Digest {
  private h: ReturnType<typeof createHash> | null;
  private crc = 0;
  constructor(readonly algo: 'sha256' | 'crc32') {
    this.h = algo === 'sha256' ? createHash('sha256') : null;
  }
  update(b: Buffer): void {
    if (this.h !== null) this.h.update(b);
    else this.crc = crc32(b, this.crc);
  }
  digest(): string {
    return this.h !== null ? this.h.digest('hex') : (this.crc >>> 0).toString(16).padStart(8, '0');
  }
}

/** The same checksum of a file at a location: on the host for sha256 when it can, else read back. */
async function fileDigest(d: StorageDriver, rel: string, algo: 'sha256' | 'crc32'): Promise<string> {
  if (algo === 'sha256' && isRemote(d)) {
    const h = await d.sha256(rel);
    if (h !== null) return h;
  }
  const g = new Digest(algo);
  for await (const c of await d.openRead(rel)) g.update(c as Buffer);
  return g.digest();
}

/**
 * The temp file of a copy: hidden, beside the destination, named by the plan and the action, so a
 * resumed run knows it (and removes it) without having journaled it.
 */
export function tempNameFor(rel: string, planSha: string, id: number): string {
  return `.${posix.basename(rel).slice(0, 100)}.ringshift-${planSha.slice(0, 12)}-${id}.tmp`;
}

/** Copy a file the destination lacks. Falls back to a fill when the destination exists. */
export async function runCopy(ctx: ActionContext, a: CopyAction): Promise<Outcome> {
  const dstRel = dstPathOf(a);
  const src = await ctx.nodes.driver(a.from);
  const dst = await ctx.nodes.driver(a.to);
  const journal = ctx.journal(a.to);
  const tmp = tempNameFor(dstRel, ctx.planSha, a.id);
  const tmpRel = posix.join(posix.dirname(dstRel), tmp);
  // A temp file left by an earlier run that was killed (maybe a second link of a placed copy).
  const stale = await dst.stat(tmpRel);
  if (stale !== null && stale.type === 'file') await dst.unlink(tmpRel);
  for (let attempt = 1; ; attempt++) {
    const there = await dst.stat(dstRel);
    if (there !== null) {
      if (there.type !== 'file') return { kind: 'failed', code: 'NotRegularFile', reason: `destination ${dstRel} is a ${there.type}` };
      return fillInto(ctx, a, 'the destination exists now');
    }
    const pre = await sourceStamp(ctx, a.from, a.path);
    if (pre === null) return { kind: 'failed', code: 'SrcMissing', reason: `source ${a.path} is gone from ${a.from}` };
    crashPoint('copy-started');
    const opts = { tempName: tmp, mode: pre.info.mode & 0o777, mtimeMs: pre.info.mtimeMs };
    const checkSource = async (bytes: number, head: Buffer) => {
      if (bytes !== pre.info.size) throw new SourceChanged(`read ${bytes} bytes, the source had ${pre.info.size}`);
      const v = verifyHeaderBytes(a.path, head, bytes);
      if (!v.ok) throw new SourceProblem('SourceCorrupt', `source is not a sound whisper file: ${v.error ?? v.code}`);
      const post = await src.stat(a.path);
      if (post === null || !sameStamp({ size: post.size, mtimeMs: Math.round(post.mtimeMs) }, pre.stamp))
        throw new SourceChanged('the source changed while it was read');
    };
    let check: { crc32?: string; sha256?: string; verified?: string };
    let bytes = 0;
    try {
      if (!isRemote(src) && !isRemote(dst) && pre.info.size <= IN_MEMORY_MAX) {
        // Local to local: the whole file through memory; the temp file is read back and compared.
        if (ctx.bucket !== null) await ctx.bucket.take(pre.info.size);
        const bufs = takeBuffers(pre.info.size);
        try {
          // The path was checked by stat (inside the root, a regular file); O_NOFOLLOW keeps it so.
          const data = await readInto((await ctx.nodes.localPath(a.from, a.path))!, bufs[0]);
          bytes = data.length;
          ctx.onBytes(a.to, bytes);
          await checkSource(bytes, data.subarray(0, 65536));
          await dst.writeAtomic(dstRel, data, {
            ...opts,
            beforePlace: async (tempRel) => {
              crashPoint('copy-synced');
              const back = await readInto((await ctx.nodes.localPath(a.to, tempRel))!, bufs[1]);
              if (!back.equals(data)) throw new DataError('the temp copy differs from the data read', { file: `${dst.url}/${tempRel}` });
              crashPoint('copy-verified');
            },
          });
        } finally {
          returnBuffers(bufs);
        }
        check = { verified: 'read back and compared' };
      } else {
        // Streamed (a remote end, or a very large file), checksummed on the way and checked after.
        const algo = isRemote(dst) ? 'sha256' : 'crc32';
        const digest = new Digest(algo);
        const head: Buffer[] = [];
        let headLen = 0;
        const sink = (b: Buffer) => {
          digest.update(b);
          bytes += b.length;
          if (headLen < 65536) {
            head.push(b.subarray(0, 65536 - headLen));
            headLen += Math.min(b.length, 65536 - headLen);
          }
        };
        let sum = '';
        await dst.writeAtomic(dstRel, metered(ctx, a.to, await src.openRead(a.path), sink), {
          ...opts,
          beforePlace: async (tempRel) => {
            crashPoint('copy-synced');
            await checkSource(bytes, Buffer.concat(head));
            sum = digest.digest();
            const written = await fileDigest(dst, tempRel, algo);
            if (written !== sum)
              throw new DataError(`the temp copy's ${algo} ${written.slice(0, 12)} differs from the data read ${sum.slice(0, 12)}`, {
                file: `${dst.url}/${tempRel}`,
              });
            crashPoint('copy-verified');
          },
        });
        check = algo === 'sha256' ? { sha256: sum } : { crc32: sum };
      }
    } catch (err) {
      if (err instanceof SourceChanged) {
        if (attempt < ATTEMPTS) {
          await sleep(500 * attempt);
          continue;
        }
        return {
          kind: 'failed',
          code: 'SourceChanging',
          reason: `${err.message} (${ATTEMPTS} tries; is carbon-cache still writing it? switch the relays first)`,
        };
      }
      // The destination appeared between our check and the link: carbon-cache created it. Fill it.
      if (err instanceof DataError && /refusing to replace existing/.test(err.message) && (await dst.stat(dstRel)) !== null) {
        return fillInto(ctx, a, 'the destination appeared during the copy');
      }
      throw err;
    }
    crashPoint('copy-placed');
    await journal.append({
      t: 'done',
      id: a.id,
      op: 'copy',
      result: 'copied',
      to: a.to,
      path: dstRel,
      src: pre.stamp,
      ...check,
      bytes,
      at: iso(),
    });
    ctx.table.verified(a.id, pre.stamp);
    crashPoint('copy-done');
    return { kind: 'done', result: 'copied', bytes };
  }
}

/** Run a copy whose destination exists, or a planned fill, as a gap-only fill. */
async function fillInto(ctx: ActionContext, a: CopyAction | FillAction, note?: string): Promise<Outcome> {
  const dstRel = dstPathOf(a);
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await fillOnce(ctx, a.from, a.path, a.to, dstRel, a.to);
      if (r === 'dst-missing') {
        if (a.op === 'fill') return runCopy(ctx, { ...a, op: 'copy' } as CopyAction);
        return { kind: 'failed', code: 'DstMissing', reason: 'the destination vanished while it was being filled' };
      }
      if (r === 'src-missing') return { kind: 'failed', code: 'SrcMissing', reason: `source ${a.path} is gone from ${a.from}` };
      await ctx.journal(a.to).append({
        t: 'done',
        id: a.id,
        op: a.op,
        result: 'filled',
        to: a.to,
        path: dstRel,
        src: r.stamp,
        slots: r.slots,
        bytes: r.bytes,
        at: iso(),
      });
      ctx.table.verified(a.id, r.stamp);
      crashPoint('fill-done');
      return { kind: 'done', result: 'filled', bytes: r.bytes, slots: r.slots, ...(note !== undefined ? { note } : {}) };
    } catch (err) {
      if (err instanceof SourceChanged && attempt < ATTEMPTS) {
        await sleep(500 * attempt);
        continue;
      }
      if (err instanceof SourceChanged) return { kind: 'failed', code: 'SourceChanging', reason: `${err.message} (${ATTEMPTS} tries)` };
      throw err;
    }
  }
}

export function runFill(ctx: ActionContext, a: FillAction): Promise<Outcome> {
  return fillInto(ctx, a);
}

interface Filled {
  stamp: SourceStamp;
  slots: number;
  bytes: number;
}

/**
 * One gap-only fill of (from, srcRel) into (to, dstRel); `node` gets the byte counts. Returns the
 * source stamp it read, or why nothing was done.
 */
export async function fillOnce(
  ctx: ActionContext,
  from: string,
  srcRel: string,
  to: string,
  dstRel: string,
  node: string,
): Promise<Filled | 'dst-missing' | 'src-missing'> {
  const src = await ctx.nodes.driver(from);
  const dst = await ctx.nodes.driver(to);
  const pre = await sourceStamp(ctx, from, srcRel);
  if (pre === null) return 'src-missing';
  const srcLocal = await ctx.nodes.localPath(from, srcRel);
  const dstLocal = await ctx.nodes.localPath(to, dstRel);
  const now = clockNow();
  const take = async (n: number) => {
    if (ctx.bucket !== null) await ctx.bucket.take(n);
    ctx.onBytes(node, n);
  };
  let result: Filled;
  if (dstLocal !== null) {
    const ds = await dst.stat(dstRel); // also confines the path to the root
    if (ds === null) return 'dst-missing';
    if (ds.type !== 'file') throw new DataError(`destination ${dstRel} at ${to} is a ${ds.type}, not a regular file`);
    await take(pre.info.size);
    const srcArg = srcLocal ?? { path: `${src.url}/${srcRel}`, data: await src.readFile(srcRel) };
    let report;
    try {
      report = await fillGaps(srcArg, dstLocal, { now, lock: true, lockTimeoutMs: ctx.lockTimeoutMs });
    } catch (err) {
      if (err instanceof WhisperError && err.code === 'DstMissing') return 'dst-missing';
      if (err instanceof WhisperError && err.code === 'SrcMissing') return 'src-missing';
      if (err instanceof WhisperError && err.code === 'SameFile') return { stamp: pre.stamp, slots: 0, bytes: 0 };
      throw err;
    }
    result = { stamp: pre.stamp, slots: report.total, bytes: report.bytesWritten };
  } else {
    if (!isRemote(dst)) throw new Error(`location ${to} is neither local nor remote`);
    let lock: { release(): Promise<void> };
    try {
      lock = await dst.lock(dstRel, 'ex', ctx.lockTimeoutMs);
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return 'dst-missing';
      if ((err as { code?: string }).code === 'ELOCKED') throw new WhisperError('Locked', (err as Error).message, `${dst.url}/${dstRel}`);
      throw err;
    }
    try {
      const f = await dst.openFile(dstRel);
      try {
        await take(f.size);
        const image = await f.readAll();
        await take(pre.info.size);
        const srcData = await src.readFile(srcRel);
        const { report, writes } = fillGapsImages(
          { path: `${src.url}/${srcRel}`, data: srcData },
          { path: `${dst.url}/${dstRel}`, data: image },
          { now },
        );
        let bytes = 0;
        for (const w of writes) {
          await take(w.length);
          await f.write(w.position, image.subarray(w.position, w.position + w.length));
          bytes += w.length;
          crashPoint('fill-remote-write');
        }
        if (bytes > 0) {
          await f.sync();
          const want = createHash('sha256').update(image).digest('hex');
          const got = await dst.sha256(dstRel);
          if (got !== null && got !== want)
            throw new DataError(`after the fill, the remote file's sha256 differs from the filled image (was it written without a lock?)`, {
              file: `${dst.url}/${dstRel}`,
            });
        }
        result = { stamp: pre.stamp, slots: report.total, bytes };
      } finally {
        await f.close();
      }
    } finally {
      await lock.release();
    }
  }
  const post = await src.stat(srcRel);
  if (post === null) return 'src-missing';
  if (!sameStamp({ size: post.size, mtimeMs: Math.round(post.mtimeMs) }, pre.stamp))
    throw new SourceChanged('the source changed while it was read');
  return result;
}

/**
 * Delete a source once every owner holds its data. The owners are the destination files of the
 * delete's `after` actions (all verified, which the caller checked). An owner is covered when a
 * verified copy or fill from THIS file into it, or an earlier refill, read the source with exactly its
 * current stamp (not racy); an owner that is not covered gets a gap-only fill from this file first.
 */
export async function runDelete(ctx: ActionContext, a: DeleteAction): Promise<Outcome> {
  const t = ctx.table;
  if (a.after.length === 0)
    return { kind: 'skipped', code: 'NoOwnerCopies', reason: 'the plan lists no owner copies for this delete; not deleting' };
  const at = await ctx.nodes.driver(a.at);
  const journal = ctx.journal(a.at);
  const gone = async (): Promise<Outcome> => {
    await journal.append({ t: 'deleted', id: a.id, result: 'already-gone', src: null, at: iso() });
    return { kind: 'done', result: 'already-gone', bytes: 0 };
  };
  const first = await at.stat(a.path);
  if (first === null) return gone();
  if (first.type !== 'file')
    return { kind: 'failed', code: 'NotRegularFile', reason: `${a.path} at ${a.at} is a ${first.type}; not deleting` };

  // The owner files, and the transfers from this very file into each.
  const owners = new Map<string, { loc: string; path: string; from: number[] }>();
  for (const id of a.after) {
    const loc = t.locations[t.node[id]!]!;
    const path = t.dstPath(id);
    const k = `${loc}\0${path}`;
    let o = owners.get(k);
    if (o === undefined) owners.set(k, (o = { loc, path, from: [] }));
    if (t.locations[t.from[id]!] === a.at && t.srcPath(id) === a.path) o.from.push(id);
  }
  if ([...owners.values()].some((o) => o.loc === a.at && o.path === a.path)) {
    return { kind: 'failed', code: 'DeletesOwner', reason: `${a.path} at ${a.at} is one of its own owner files; not deleting` };
  }
  // Every owner's file must still be there (a journal can be older than someone's cleanup).
  for (const o of owners.values()) {
    const st = await (await ctx.nodes.driver(o.loc)).stat(o.path);
    if (st === null || st.type !== 'file')
      return { kind: 'failed', code: 'OwnerCopyMissing', reason: `the owner file ${o.path} at ${o.loc} is gone; not deleting` };
  }

  for (let round = 1; ; round++) {
    const cur = await sourceStamp(ctx, a.at, a.path, false);
    if (cur === null) return gone();
    const good = (s: SourceStamp | null | undefined) => s != null && s.racy !== true && cur.stamp.racy !== true && sameStamp(s, cur.stamp);
    const stale = [...owners.values()].filter((o) => !o.from.some((id) => good(t.stamp(id))) && !good(t.refillStamp(a.id, o.loc, o.path)));
    if (stale.length === 0) {
      crashPoint('delete-checked');
      await at.unlink(a.path);
      crashPoint('delete-unlinked');
      await journal.append({ t: 'deleted', id: a.id, result: 'deleted', src: cur.stamp, at: iso() });
      return { kind: 'done', result: 'deleted', bytes: 0 };
    }
    if (round > ATTEMPTS) {
      return {
        kind: 'failed',
        code: 'SourceChanging',
        reason: `the source keeps changing (${ATTEMPTS} refills); not deleted — is carbon-cache still writing it?`,
      };
    }
    if (cur.stamp.racy === true) await sleep(await ctx.nodes.racyWindowMs(a.at));
    // Changed since its data was copied, or no transfer proves the owner has it: fill the owner now.
    for (const o of stale) {
      let r: Filled | 'dst-missing' | 'src-missing';
      try {
        r = await fillOnce(ctx, a.at, a.path, o.loc, o.path, a.at);
      } catch (err) {
        if (err instanceof SourceChanged) continue;
        throw err;
      }
      if (r === 'src-missing') break;
      if (r === 'dst-missing')
        return { kind: 'failed', code: 'OwnerCopyMissing', reason: `the owner file ${o.path} at ${o.loc} vanished; not deleting` };
      await journal.append({ t: 'refill', id: a.id, to: o.loc, path: o.path, src: r.stamp, slots: r.slots, bytes: r.bytes, at: iso() });
      t.refilled(a.id, o.loc, o.path, r.stamp);
      crashPoint('delete-refilled');
    }
  }
}
