// The three actions of a plan, each safe to interrupt at any point and to run again:
//
// copy    read the whole source (whisper files are small; files over 64 MiB stream) and check it all:
//         its size is the size it had, its header, structure and EVERY slot are sound (garbage in the
//         data is refused, not copied), and it did not change while read. Then write it into a hidden
//         temp file beside the destination (named by plan and action, so a resumed run finds and
//         removes one a crash left), check what was written (locally: read back and compared; over
//         ssh: every SFTP write acknowledged at its offset, the node's size of the temp file equal to
//         what was sent, and the sha256 the node computes of the temp file equal to the one computed
//         here while sending, which the journal records), make it durable
//         (a filesystem sync shared by all copies waiting at that moment), link it into place without
//         replacing anything, make that durable (shared again) and record which file now holds the
//         data. If the destination appeared meanwhile (carbon-cache created it), fill it instead.
// fill    the whisper engine's gap-only fill. Locally under the destination's flock (fillGaps). On a
//         remote node the destination and source are read and the fill computed WITHOUT the lock;
//         then the flock is taken, the header and the slots about to be written are read again and
//         must be as computed (else the fill starts over), the slots are written, and the lock is let
//         go: carbon-cache waits only while the slots are written, never across a network transfer
//         or a --bwlimit sleep. Never replaces the live file (carbon-cache keeps writing its inode).
// delete  only when every owner's copy is verified in a journal, the source still has the stamp
//         those copies read, and each owner file is, at the moment of the delete, the very file the
//         copy left (or one our fills turned it into): device, inode, size, mtime and ctime. An
//         owner that was replaced or rewritten since, or a source that changed, gets a gap fill from
//         this source first (a refill), then the check runs again.
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
import type { FileIdentity, FileInfo, StorageDriver } from '../storage/driver.js';
import { LocalDriver } from '../storage/local-driver.js';
import { WhisperError } from '../whisper/errors.js';
import { fillGaps, fillGapsImages } from '../whisper/fill-gaps.js';
import { nowSeconds as clockNow } from '../clock.js';
import { readHeader } from '../whisper/header.js';
import { archiveSlotProblem, structureProblem } from '../whisper/structure.js';
import { verifyHeaderBytes } from '../whisper/verify.js';
import { evidenceHash, type ActionTable } from './action-table.js';
import { crashPoint } from './crash-points.js';
import { iso, type Journal, type SourceStamp } from './journal.js';
import { isRemote, type Nodes, type RemoteCapable } from './nodes.js';
import type { NodePull, PullOutcome } from './node-pull.js';
import { pullable, pullTempRel } from '../storage/pull-names.js';
import type { TokenBucket } from './token-bucket.js';

export interface ActionContext {
  nodes: Nodes;
  /** Node-to-node copies between ssh:// nodes (absent: every copy goes through this machine). */
  pull?: NodePull | undefined;
  /** The plan's sha256 (names temp files). */
  planSha: string;
  /** The journal of a location this job works for. */
  journal(node: string): Journal;
  table: ActionTable;
  bucket: TokenBucket | null;
  lockTimeoutMs: number;
  /** Source bytes read, for progress (node = the action's journal node). */
  onRead(node: string, n: number): void;
  /** Bytes written to destinations. */
  onWritten(node: string, n: number): void;
}

/** The concurrency slots an action holds while it moves data; given back early when only waiting is left. */
export interface Lease {
  release(): void;
  /** Take the slots again after an early release (a pulled copy that must go the relay way after all). */
  reacquire?(): Promise<void>;
}

export const noLease: Lease = { release() {} };

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
export class SourceChanged extends Error {}

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
  ctx: Pick<ActionContext, 'nodes'>,
  loc: string,
  rel: string,
  waitRacy = true,
  /** A stat of `rel` just taken, used instead of a first one. */
  fresh?: FileInfo,
): Promise<{ info: FileInfo; stamp: SourceStamp } | null> {
  const d = await ctx.nodes.driver(loc);
  for (let i = 0; ; i++) {
    const info = i === 0 && fresh !== undefined ? fresh : await d.stat(rel);
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
    ctx.onRead(node, b.length);
    crashPoint('copy-stream');
    yield b;
  }
}

/** Whole files up to this size are copied through memory (one read, a full check, one write). */
const IN_MEMORY_MAX = 64 * 1024 * 1024;

// Buffers for in-memory copies, reused (two per running copy, given back as soon as the data is
// written): allocating fresh buffers per file keeps the garbage collector busy. Sizes are powers of
// two from 64 KiB, one free list per size.
const pool = new Map<number, Buffer[]>();
let pooled = 0;
const POOL_MAX = 256 * 1024 * 1024;

function sizeClass(size: number): number {
  let c = 64 * 1024;
  while (c < size) c *= 2;
  return c;
}

function takeBuffer(size: number): Buffer {
  const c = sizeClass(size);
  const b = pool.get(c)?.pop();
  if (b !== undefined) {
    pooled -= c;
    return b;
  }
  return Buffer.allocUnsafe(c);
}

function returnBuffer(b: Buffer): void {
  if (pooled + b.length > POOL_MAX || b.length !== sizeClass(b.length)) return;
  let list = pool.get(b.length);
  if (list === undefined) pool.set(b.length, (list = []));
  list.push(b);
  pooled += b.length;
}

/** Checksum of a stream: sha256 when the data goes to a remote node, else CRC-32 (much cheaper). */
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

/**
 * The temp file of a copy: hidden, beside the destination, named by the plan and the action, so a
 * resumed run knows it (and removes it) without having journaled it.
 */
export function tempNameFor(rel: string, planSha: string, id: number): string {
  return `.${posix.basename(rel).slice(0, 100)}.ringshift-${planSha.slice(0, 12)}-${id}.tmp`;
}

/**
 * What is wrong with a whole whisper file in memory, or null: header and structure as whisper checks
 * them, and every slot (each timestamp a multiple of the step at its ring position). The views are
 * not copied: a 3 MB file costs one pass over its timestamps.
 */
export function whisperDataProblem(path: string, data: Buffer): string | null {
  try {
    const h = readHeader(data, data.length, path);
    const p = structureProblem(h, data.length);
    if (p) return p.message;
    for (const a of h.archives) {
      const bad = archiveSlotProblem(a.index, a.secondsPerPoint, data.subarray(a.offset, a.offset + a.points * 12), true);
      if (bad !== null) return bad;
    }
    return null;
  } catch (err) {
    if (err instanceof WhisperError) return err.message;
    throw err;
  }
}

/** Bandwidth for `n` bytes, paid before the transfer (never while a lock is held). */
async function pay(ctx: Pick<ActionContext, 'bucket'>, n: number): Promise<void> {
  if (ctx.bucket !== null && n > 0) await ctx.bucket.take(n);
}

/**
 * The temp file on a node holds exactly the data read (a data checksum, not only the size): its sha256
 * as the node reads it (sha256sum there, batched with other copies') must be the one computed here
 * while sending. A node without sha256sum has the temp file read back and hashed here.
 */
async function checkRemoteTemp(dst: RemoteCapable, tempRel: string, sum: string): Promise<string> {
  let onNode = await dst.sha256(tempRel);
  let how = 'sha256 of the temp file on the node';
  if (onNode === null) {
    const g = new Digest('sha256');
    for await (const c of await dst.openRead(tempRel)) g.update(c as Buffer);
    onNode = g.digest();
    how = 'temp file read back, sha256 compared';
  }
  if (onNode !== sum)
    throw new DataError(`the temp copy's sha256 ${onNode.slice(0, 12)} differs from the data read ${sum.slice(0, 12)}`, {
      file: `${dst.url}/${tempRel}`,
    });
  return how;
}

/** Copy a file the destination lacks. Falls back to a fill when the destination exists. */
export async function runCopy(ctx: ActionContext, a: CopyAction, lease: Lease = noLease): Promise<Outcome> {
  const dstRel = dstPathOf(a);
  const src = await ctx.nodes.driver(a.from);
  const dst = await ctx.nodes.driver(a.to);
  const journal = ctx.journal(a.to);
  const tmp = tempNameFor(dstRel, ctx.planSha, a.id);
  const tmpRel = posix.join(posix.dirname(dstRel), tmp);
  // A temp file left by an earlier run that was killed (maybe a second link of a placed copy). The
  // local driver creates a named temp exclusively and removes one it finds, so locally it is looked
  // for only beside a destination that exists (the copy becomes a fill and never creates the temp).
  // The source's stamp is taken meanwhile (two nodes, one wait); it is used only once the destination proves absent.
  const pre0 = sourceStamp(ctx, a.from, a.path);
  pre0.catch(() => undefined);
  const remoteDst = isRemote(dst);
  // On a remote node, also a node-to-node pull's temp file a killed run left (this run may relay).
  const pullTemp = remoteDst && dstRel === a.path && pullable(dstRel) ? pullTempRel(dstRel, ctx.planSha) : null;
  const [staleRemote, there0, stalePull] = await Promise.all([
    remoteDst ? dst.stat(tmpRel) : null,
    dst.stat(dstRel),
    pullTemp !== null ? dst.stat(pullTemp) : null,
  ]);
  const stale = remoteDst ? staleRemote : there0 !== null ? await dst.stat(tmpRel) : null;
  if (stale !== null && stale.type === 'file') await dst.unlink(tmpRel, { grouped: true });
  if (stalePull !== null && stalePull.type === 'file') await dst.unlink(pullTemp!, { grouped: true });
  for (let attempt = 1; ; attempt++) {
    const there = attempt === 1 ? there0 : await dst.stat(dstRel);
    if (there !== null) {
      if (there.type !== 'file') return { kind: 'failed', code: 'NotRegularFile', reason: `destination ${dstRel} is a ${there.type}` };
      return fillInto(ctx, a, lease, 'the destination exists now');
    }
    const pre = attempt === 1 ? await pre0 : await sourceStamp(ctx, a.from, a.path);
    if (pre === null) return { kind: 'failed', code: 'SrcMissing', reason: `source ${a.path} is gone from ${a.from}` };
    crashPoint('copy-started');
    const opts = { tempName: tmp, mode: pre.info.mode & 0o777, mtimeMs: pre.info.mtimeMs, grouped: true };
    const unchanged = async () => {
      const post = await src.stat(a.path);
      if (post === null || post.type !== 'file' || !sameStamp({ size: post.size, mtimeMs: Math.round(post.mtimeMs) }, pre.stamp))
        throw new SourceChanged('the source changed while it was read');
    };
    let check: { crc32?: string; sha256?: string; verified?: string };
    let bytes = 0;
    let placedAs: Promise<FileIdentity | null> | null = null;
    try {
      const srcLocal = src instanceof LocalDriver ? src : null;
      const dstLocal = isRemote(dst) ? null : await ctx.nodes.localPath(a.to, dstRel);
      const pulled =
        ctx.pull !== undefined &&
        ctx.bucket === null &&
        isRemote(dst) &&
        dstRel === a.path &&
        pullable(a.path) &&
        (await ctx.pull.wants(a.from, a.to))
          ? await pullCopy(ctx, a, dst, pre, lease, unchanged)
          : null;
      if (pulled !== null) {
        ({ check, bytes } = pulled);
        placedAs = pulled.placedAs;
      } else if (pre.info.size <= IN_MEMORY_MAX) {
        // The whole file through memory, checked whole (every slot) before it is placed.
        await pay(ctx, pre.info.size);
        const checkAll = async (data: Buffer) => {
          if (data.length !== pre.info.size) throw new SourceChanged(`read ${data.length} bytes, the source had ${pre.info.size}`);
          const bad = whisperDataProblem(a.path, data);
          if (bad !== null) throw new SourceProblem('SourceCorrupt', `source is not a sound whisper file: ${bad}`);
          await unchanged();
        };
        if (dstLocal === null) {
          if (!isRemote(dst)) throw new Error(`location ${a.to} is neither local nor remote`);
          // To a remote node: the chunks go on to the node as they arrive (reading and writing overlap);
          // nothing is placed before all of it is checked.
          const streamed = srcLocal === null && isRemote(src) && src.readChunks !== undefined;
          // A local read asks one byte more than expected, so a file that grew is seen.
          const buf = srcLocal !== null ? takeBuffer(pre.info.size + 1) : streamed ? takeBuffer(pre.info.size) : null;
          const chunks: Buffer[] = [];
          // Chunks read in place, one after the other, into buf: the whole file is a view of it.
          let inPlace = buf !== null;
          const digest = new Digest('sha256');
          let sum = '';
          let verified = '';
          const from = async function* (): AsyncGenerator<Buffer> {
            if (srcLocal !== null) yield await srcLocal.readInto(a.path, buf!);
            else if (streamed) yield* src.readChunks!(a.path, buf!);
            else yield await src.readFile(a.path);
          };
          const tee = async function* (): AsyncGenerator<Buffer> {
            for await (const b of from()) {
              inPlace &&= buf !== null && b.buffer === buf.buffer && b.byteOffset === buf.byteOffset + bytes;
              chunks.push(b);
              bytes += b.length;
              digest.update(b);
              ctx.onRead(a.to, b.length);
              yield b;
            }
          };
          try {
            await dst.writeAtomic(dstRel, tee(), {
              ...opts,
              beforePlace: async (tempRel) => {
                crashPoint('copy-synced');
                await checkAll(inPlace ? buf!.subarray(0, bytes) : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
                chunks.length = 0;
                sum = digest.digest();
                verified = await checkRemoteTemp(dst, tempRel, sum);
                ctx.onWritten(a.to, bytes);
                crashPoint('copy-verified');
                lease.release(); // the data has moved: what is left (syncs, link, journal) waits, shared
              },
              onPlaced: () => {
                placedAs = dst.fileIdentity(dstRel);
                placedAs.catch(() => undefined);
              },
            });
          } finally {
            if (buf !== null) returnBuffer(buf);
          }
          check = { sha256: sum, verified };
        } else {
          let bufs: Buffer[] | null = [takeBuffer(pre.info.size + 1), takeBuffer(pre.info.size + 1)];
          const giveBack = () => {
            for (const b of bufs ?? []) returnBuffer(b);
            bufs = null;
          };
          try {
            const [buf, back] = bufs as [Buffer, Buffer];
            // The path was checked by stat (inside the root, a regular file); O_NOFOLLOW keeps it so.
            // The stamp's lstat stands for the reader's own (checkAll stats the path again after the read).
            const data = src.readInto !== undefined ? await src.readInto(a.path, buf, pre.info) : await src.readFile(a.path);
            bytes = data.length;
            ctx.onRead(a.to, bytes);
            await checkAll(data);
            const digest = new Digest('crc32');
            digest.update(data);
            // The driver reads the temp file back through the descriptor that wrote it and compares.
            await dst.writeAtomic(dstRel, data, {
              ...opts,
              readBack: back,
              beforePlace: async () => {
                giveBack(); // written and compared: the buffers serve the next copy while this one waits for syncs
                crashPoint('copy-synced');
                ctx.onWritten(a.to, bytes);
                crashPoint('copy-verified');
                lease.release();
              },
              onPlaced: () => {
                placedAs = dst.fileIdentity(dstRel);
                placedAs.catch(() => undefined);
              },
            });
            check = { verified: 'read back and compared', crc32: digest.digest() };
          } finally {
            giveBack();
          }
        }
      } else {
        // Very large files stream: header and structure checked, a checksum on the way, read back locally.
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
            if (bytes !== pre.info.size) throw new SourceChanged(`read ${bytes} bytes, the source had ${pre.info.size}`);
            const v = verifyHeaderBytes(a.path, Buffer.concat(head), bytes);
            if (!v.ok) throw new SourceProblem('SourceCorrupt', `source is not a sound whisper file: ${v.error ?? v.code}`);
            await unchanged();
            sum = digest.digest();
            if (!isRemote(dst)) {
              const g = new Digest(algo);
              for await (const c of await dst.openRead(tempRel)) g.update(c as Buffer);
              const written = g.digest();
              if (written !== sum)
                throw new DataError(`the temp copy's ${algo} ${written.slice(0, 12)} differs from the data read ${sum.slice(0, 12)}`, {
                  file: `${dst.url}/${tempRel}`,
                });
            }
            ctx.onWritten(a.to, bytes);
            crashPoint('copy-verified');
            lease.release();
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
        return fillInto(ctx, a, lease, 'the destination appeared during the copy');
      }
      throw err;
    }
    crashPoint('copy-placed');
    const dstNow = await (placedAs ?? dst.fileIdentity(dstRel));
    await journal.append({
      t: 'done',
      id: a.id,
      op: 'copy',
      result: 'copied',
      to: a.to,
      path: dstRel,
      src: pre.stamp,
      ...check,
      dst: dstNow,
      bytes,
      at: iso(),
    });
    ctx.table.verified(a.id, pre.stamp, dstNow);
    crashPoint('copy-done');
    return { kind: 'done', result: 'copied', bytes };
  }
}

/**
 * A copy between two ssh:// nodes by node-to-node pull (src/apply/node-pull.ts): the destination
 * fetched the file into a temp file and made it durable; both nodes' sha256 agree. Here: its size
 * and header checked, the source's stamp unchanged, then placed. null: this copy goes the relay way
 * (the pair cannot pull, or the pull did not give a matching copy), with the slots taken back.
 */
async function pullCopy(
  ctx: ActionContext,
  a: CopyAction,
  dst: RemoteCapable,
  pre: { info: FileInfo; stamp: SourceStamp },
  lease: Lease,
  unchanged: () => Promise<void>,
): Promise<{ check: { sha256: string; verified: string }; bytes: number; placedAs: Promise<FileIdentity | null> | null } | null> {
  // The controller moves no data for it: the slots go to copies that may join the same batch.
  lease.release();
  let got: PullOutcome;
  try {
    got = await ctx.pull!.copy(a.from, a.to, a.path, pre.info.size);
  } catch (err) {
    await lease.reacquire?.();
    throw err;
  }
  if ('relay' in got) {
    await lease.reacquire?.();
    return null;
  }
  const temp = got.tempRel;
  let placed = false;
  try {
    const st = await dst.stat(temp);
    if (st === null || st.type !== 'file' || st.size !== pre.info.size)
      throw new SourceChanged(`the pulled copy has ${st?.size ?? 'no'} bytes, the source had ${pre.info.size}`);
    const head: Buffer[] = [];
    for await (const c of await dst.openRead(temp, { start: 0, end: Math.min(pre.info.size, 65536) - 1 })) head.push(c as Buffer);
    const v = verifyHeaderBytes(a.path, Buffer.concat(head), pre.info.size);
    if (!v.ok) throw new SourceProblem('SourceCorrupt', `source is not a sound whisper file: ${v.error ?? v.code}`);
    crashPoint('copy-synced');
    await unchanged();
    ctx.onRead(a.to, pre.info.size);
    ctx.onWritten(a.to, pre.info.size);
    crashPoint('copy-verified');
    let placedAs: Promise<FileIdentity | null> | null = null;
    await dst.placeTemp!(temp, a.path, () => {
      placed = true;
      placedAs = dst.fileIdentity(a.path);
      placedAs.catch(() => undefined);
    });
    placed = true;
    ctx.pull!.placed(a.from, a.to);
    return {
      check: {
        sha256: got.sha256,
        verified: 'sha256 of the source on its node = sha256 of the durable copy on the destination (node-to-node pull)',
      },
      bytes: pre.info.size,
      placedAs,
    };
  } finally {
    // placeTemp removes the temp file itself, placed or refused; any earlier failure leaves it here.
    if (!placed) await dst.unlink(temp).catch(() => undefined);
  }
}

/** Run a copy whose destination exists, or a planned fill, as a gap-only fill. */
async function fillInto(ctx: ActionContext, a: CopyAction | FillAction, lease: Lease, note?: string): Promise<Outcome> {
  const dstRel = dstPathOf(a);
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await fillOnce(ctx, a.from, a.path, a.to, dstRel, a.to);
      if (r === 'dst-missing') {
        if (a.op === 'fill') return runCopy(ctx, { ...a, op: 'copy' } as CopyAction, lease);
        return { kind: 'failed', code: 'DstMissing', reason: 'the destination vanished while it was being filled' };
      }
      if (r === 'src-missing') return { kind: 'failed', code: 'SrcMissing', reason: `source ${a.path} is gone from ${a.from}` };
      lease.release();
      await ctx.journal(a.to).append({
        t: 'done',
        id: a.id,
        op: a.op,
        result: 'filled',
        to: a.to,
        path: dstRel,
        src: r.stamp,
        slots: r.slots,
        dst: r.after,
        dstBefore: r.before,
        bytes: r.bytes,
        at: iso(),
      });
      ctx.table.verified(a.id, r.stamp, r.after, r.before);
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

export function runFill(ctx: ActionContext, a: FillAction, lease: Lease = noLease): Promise<Outcome> {
  return fillInto(ctx, a, lease);
}

interface Filled {
  stamp: SourceStamp;
  slots: number;
  bytes: number;
  /** The destination file before and after the fill (null when it could not be told). */
  before: FileIdentity | null;
  after: FileIdentity | null;
}

/** A remote fill's view of the destination changed between reading it and locking it: start over. */
export class DestinationMoved extends Error {}

/** What a fill needs of an apply run (also the runbook's backfill, which has no journal of its own). */
export type FillContext = Pick<ActionContext, 'nodes' | 'bucket' | 'lockTimeoutMs' | 'onRead' | 'onWritten'>;

/**
 * One gap-only fill of (from, srcRel) into (to, dstRel), only slots in `window` when given; `node` gets the byte counts. Returns the
 * source stamp it read and the destination file before and after, or why nothing was done.
 */
export async function fillOnce(
  ctx: FillContext,
  from: string,
  srcRel: string,
  to: string,
  dstRel: string,
  node: string,
  window?: { from: number; until: number },
): Promise<Filled | 'dst-missing' | 'src-missing'> {
  const src = await ctx.nodes.driver(from);
  const dst = await ctx.nodes.driver(to);
  const pre = await sourceStamp(ctx, from, srcRel);
  if (pre === null) return 'src-missing';
  const srcLocal = await ctx.nodes.localPath(from, srcRel);
  const dstLocal = await ctx.nodes.localPath(to, dstRel);
  const now = clockNow();
  let result: Filled;
  if (dstLocal !== null) {
    const ds = await dst.stat(dstRel); // also confines the path to the root
    if (ds === null) return 'dst-missing';
    if (ds.type !== 'file') throw new DataError(`destination ${dstRel} at ${to} is a ${ds.type}, not a regular file`);
    await pay(ctx, pre.info.size);
    const srcArg = srcLocal ?? { path: `${src.url}/${srcRel}`, data: await src.readFile(srcRel) };
    ctx.onRead(node, pre.info.size);
    const before = await dst.fileIdentity(dstRel);
    let report;
    try {
      report = await fillGaps(srcArg, dstLocal, { now, lock: true, lockTimeoutMs: ctx.lockTimeoutMs, ...window });
    } catch (err) {
      if (err instanceof WhisperError && err.code === 'DstMissing') return 'dst-missing';
      if (err instanceof WhisperError && err.code === 'SrcMissing') return 'src-missing';
      if (err instanceof WhisperError && err.code === 'SameFile') return { stamp: pre.stamp, slots: 0, bytes: 0, before, after: before };
      throw err;
    }
    ctx.onWritten(node, report.bytesWritten);
    const after = await dst.fileIdentity(dstRel);
    result = { stamp: pre.stamp, slots: report.total, bytes: report.bytesWritten, before, after };
  } else {
    if (!isRemote(dst)) throw new Error(`location ${to} is neither local nor remote`);
    await pay(ctx, pre.info.size);
    const srcData = srcLocal !== null ? await fs.promises.readFile(srcLocal) : await src.readFile(srcRel);
    ctx.onRead(node, srcData.length);
    let moved = 0;
    for (;;) {
      try {
        const r = await remoteFillOnce(ctx, dst, dstRel, { path: `${src.url}/${srcRel}`, data: srcData }, now, node, window);
        if (r === 'dst-missing') return r;
        result = { stamp: pre.stamp, ...r };
        break;
      } catch (err) {
        if (err instanceof DestinationMoved && moved++ < ATTEMPTS) continue;
        if (err instanceof DestinationMoved)
          throw new DataError(`the destination keeps changing under the fill (${ATTEMPTS} tries): ${err.message}`, {
            file: `${dst.url}/${dstRel}`,
          });
        throw err;
      }
    }
  }
  const post = await src.stat(srcRel);
  if (post === null) return 'src-missing';
  if (!sameStamp({ size: post.size, mtimeMs: Math.round(post.mtimeMs) }, pre.stamp))
    throw new SourceChanged('the source changed while it was read');
  return result;
}

/** Size of a whisper header: 16 bytes of metadata and 12 per archive. */
function headerLength(image: Buffer): number {
  return image.length < 16 ? image.length : Math.min(image.length, 16 + 12 * image.readUInt32BE(12));
}

/**
 * The remote half of a fill: read the destination and compute the fill without its lock, then under
 * the lock check that what the fill was computed from is still there and write the filled slots.
 * (Also `ringshift restore`'s fill into a file on ssh:// storage and the runbook's backfill of an ssh://
 * pair, restricted to its window; hence the narrow context.)
 */
export async function remoteFillOnce(
  ctx: Pick<ActionContext, 'bucket' | 'lockTimeoutMs' | 'onWritten'>,
  dst: StorageDriver & import('./nodes.js').RemoteCapable,
  dstRel: string,
  srcImage: { path: string; data: Buffer },
  now: number,
  node: string,
  window?: { from: number; until: number },
): Promise<Omit<Filled, 'stamp'> | 'dst-missing'> {
  const before = await dst.fileIdentity(dstRel);
  if (before === null) return 'dst-missing';
  let f;
  try {
    f = await dst.openFile(dstRel);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return 'dst-missing';
    throw err;
  }
  try {
    await pay(ctx, f.size);
    const image = await f.readAll();
    const original = Buffer.from(image);
    const { report, writes } = fillGapsImages(srcImage, { path: `${dst.url}/${dstRel}`, data: image }, { now, ...window });
    if (writes.length === 0) return { slots: 0, bytes: 0, before, after: before };
    const bytes = writes.reduce((n, w) => n + w.length, 0);
    await pay(ctx, bytes);
    let lock;
    try {
      lock = await dst.lock(dstRel, 'ex', ctx.lockTimeoutMs);
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return 'dst-missing';
      if ((err as { code?: string }).code === 'ELOCKED') throw new WhisperError('Locked', (err as Error).message, `${dst.url}/${dstRel}`);
      throw err;
    }
    try {
      // The locked file must be the one we read, with the header and the slots we computed from.
      if (lock.file !== `${before.dev}:${before.ino}`) throw new DestinationMoved('the file was replaced');
      const hl = headerLength(original);
      const ranges = [{ position: 0, length: hl }, ...writes];
      const now = await Promise.all(ranges.map((w) => f.readRange(w.position, w.length)));
      ranges.forEach((w, i) => {
        if (!now[i]!.equals(original.subarray(w.position, w.position + w.length)))
          throw new DestinationMoved('carbon-cache wrote those slots meanwhile');
      });
      await Promise.all(
        writes.map(async (w) => {
          await f.write(w.position, image.subarray(w.position, w.position + w.length));
          crashPoint('fill-remote-write');
        }),
      );
      if (!lock.held()) throw new DataError('lost the lock while writing (the connection dropped)', { file: `${dst.url}/${dstRel}` });
    } finally {
      await lock.release();
    }
    ctx.onWritten(node, bytes);
    await dst.syncPaths([dstRel]);
    const after = await dst.fileIdentity(dstRel);
    // A file replaced right after our writes is not the one that holds them.
    const kept = after !== null && after.dev === before.dev && after.ino === before.ino ? after : null;
    return { slots: report.total, bytes, before, after: kept };
  } finally {
    await f.close();
  }
}

/**
 * Delete a source once every owner holds its data. The owners are the destination files of the
 * delete's `after` actions (all verified, which the caller checked). An owner is covered when a
 * verified copy or fill from THIS file into it, or an earlier refill, read the source with exactly its
 * current stamp (not racy), AND the owner file is right now the file that transfer left (or one our
 * fills made of it); an owner that is not covered gets a gap-only fill from this file first.
 */
export async function runDelete(ctx: ActionContext, a: DeleteAction, lease: Lease = noLease): Promise<Outcome> {
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
  const list = [...owners.values()];
  if (list.some((o) => o.loc === a.at && o.path === a.path)) {
    return { kind: 'failed', code: 'DeletesOwner', reason: `${a.path} at ${a.at} is one of its own owner files; not deleting` };
  }
  const drivers = await Promise.all(list.map((o) => ctx.nodes.driver(o.loc)));

  for (let round = 1; ; round++) {
    // Right now: the source's stamp, and which file each owner is (a journal can be older than someone's
    // cleanup or reinstall); asked together, both before the unlink.
    const [cur, nowIds] = await Promise.all([
      sourceStamp(ctx, a.at, a.path, false, round === 1 ? first : undefined),
      Promise.all(list.map((o, i) => drivers[i]!.fileIdentity(o.path))),
    ]);
    if (cur === null) return gone();
    const missing = list.findIndex((_, i) => nowIds[i] === null);
    if (missing >= 0)
      return {
        kind: 'failed',
        code: 'OwnerCopyMissing',
        reason: `the owner file ${list[missing]!.path} at ${list[missing]!.loc} is gone; not deleting`,
      };
    const good = (s: SourceStamp | null | undefined) => s != null && s.racy !== true && cur.stamp.racy !== true && sameStamp(s, cur.stamp);
    const stale = list.filter((o, i) => {
      const now = evidenceHash(nowIds[i]!);
      const proves = (stamp: SourceStamp | null | undefined, evidence: number) =>
        good(stamp) && !Number.isNaN(evidence) && t.reaches(evidence, now);
      return (
        !o.from.some((id) => proves(t.stamp(id), t.evidence[id]!)) &&
        !proves(t.refillStamp(a.id, o.loc, o.path), t.refillEvidence(a.id, o.loc, o.path))
      );
    });
    if (stale.length === 0) {
      crashPoint('delete-checked');
      lease.release();
      // The directory is synced with the next round, not before the journal says "deleted": a crash
      // that undid this unlink would bring back a copy whose data the owners hold (a stray copy that
      // `audit` shows and a new plan deletes), never lose a point.
      await at.unlink(a.path, { deferred: true });
      crashPoint('delete-unlinked');
      await journal.append({ t: 'deleted', id: a.id, result: 'deleted', src: cur.stamp, at: iso() });
      return { kind: 'done', result: 'deleted', bytes: 0 };
    }
    if (round > ATTEMPTS) {
      return {
        kind: 'failed',
        code: 'SourceChanging',
        reason: `the source or an owner file keeps changing (${ATTEMPTS} refills); not deleted — is carbon-cache still writing the source?`,
      };
    }
    if (cur.stamp.racy === true) await sleep(await ctx.nodes.racyWindowMs(a.at));
    // Changed since its data was copied, an owner replaced, or no transfer proves the owner has it: fill the owner now.
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
      await journal.append({
        t: 'refill',
        id: a.id,
        to: o.loc,
        path: o.path,
        src: r.stamp,
        slots: r.slots,
        bytes: r.bytes,
        dst: r.after,
        dstBefore: r.before,
        at: iso(),
      });
      t.refilled(a.id, o.loc, o.path, r.stamp, r.after, r.before);
      crashPoint('delete-refilled');
    }
  }
}
