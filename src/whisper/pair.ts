// Opening a (src, dst) pair for fill or merge: the refusal checks in the order the vectors define
// (DstMissing, SrcMissing, SameFile, DstCorrupt, SrcCorrupt), then locks, then the structural checks
// on what is read under the lock. Nothing is written here, so every refusal leaves dst untouched.
// The source may also be a file already read into memory (from another machine): then only dst is
// opened and locked.
import { closeSync, fstatSync, openSync, statSync, type Stats } from 'node:fs';
import { WhisperError, asPairError, ioError } from './errors.js';
import { WhisperFile } from './file.js';
import { pathText, type FsPath } from './fs-path.js';
import { lockAll, type LockRequest } from './lock.js';

export interface PairOptions {
  /** flock dst exclusively and src shared while working (default true). */
  lock?: boolean | undefined;
  /** Give up waiting for the locks after this long (default 10 s). */
  lockTimeoutMs?: number | undefined;
  /** Nothing will be written: open dst read-only and lock it shared. */
  dryRun?: boolean | undefined;
}

/** A whole whisper file read into memory; `path` names it in messages. */
export interface WhisperImage {
  path: string;
  data: Buffer;
}

export interface OpenPair {
  src: WhisperFile;
  dst: WhisperFile;
  /** Close both files (which releases the locks). */
  close(): void;
}

function isImage(x: FsPath | WhisperImage): x is WhisperImage {
  return typeof x !== 'string' && !Buffer.isBuffer(x);
}

function regularFile(path: FsPath, name: string, code: 'DstMissing' | 'SrcMissing', role: string): Stats {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') {
      throw new WhisperError(code, `${role} does not exist`, name);
    }
    throw ioError(err, name, 'stat');
  }
  if (!st.isFile()) throw new WhisperError(code, `${role} is not a regular file`, name);
  return st;
}

function openFd(path: FsPath, name: string, flags: 'r' | 'r+'): number {
  try {
    return openSync(path, flags);
  } catch (err) {
    throw ioError(err, name, flags === 'r' ? 'open for reading' : 'open for writing');
  }
}

/** Open, check and (optionally) lock a pair. Refusals raise WhisperError with the vectors' codes. */
export async function openPair(srcArg: FsPath | WhisperImage, dstPath: FsPath, opts: PairOptions = {}): Promise<OpenPair> {
  const lock = opts.lock ?? true;
  const image = isImage(srcArg) ? srcArg : undefined;
  const srcPath: FsPath = isImage(srcArg) ? srcArg.path : srcArg;
  const srcName = pathText(srcPath);
  const dstName = pathText(dstPath);
  for (let attempt = 0; ; attempt++) {
    const dstStat = regularFile(dstPath, dstName, 'DstMissing', 'destination');
    const srcStat = image === undefined ? regularFile(srcPath, srcName, 'SrcMissing', 'source') : undefined;
    if (srcStat !== undefined && dstStat.dev === srcStat.dev && dstStat.ino === srcStat.ino) {
      throw new WhisperError('SameFile', `source ${srcName} and destination are the same file`, dstName);
    }
    const dstFd = openFd(dstPath, dstName, opts.dryRun ? 'r' : 'r+');
    let srcFd = -1;
    const closeFds = () => {
      closeSync(dstFd);
      if (srcFd >= 0) closeSync(srcFd);
    };
    try {
      if (image === undefined) srcFd = openFd(srcPath, srcName, 'r');
      if (lock) {
        const reqs: LockRequest[] = [{ fd: dstFd, path: dstName, mode: opts.dryRun ? 'sh' : 'ex' }];
        if (srcFd >= 0) reqs.push({ fd: srcFd, path: srcName, mode: 'sh' });
        await lockAll(reqs, opts.lockTimeoutMs);
        // A writer that replaces files by rename (whisper-resize, heal) may have swapped dst while we
        // waited; then our descriptor holds the old inode. Start over on the new file.
        const now = statSafe(dstPath);
        const held = fstatSync(dstFd);
        if (!now || now.ino !== held.ino || now.dev !== held.dev) {
          closeFds();
          if (attempt < 3) continue;
          throw new WhisperError('IO', 'destination keeps being replaced while waiting for its lock', dstName);
        }
      }
      let dst: WhisperFile;
      try {
        dst = WhisperFile.fromFd(dstName, dstFd, { write: !opts.dryRun, strict: true });
        dst.loadAll(true);
      } catch (err) {
        throw asPairError(err, 'DstCorrupt');
      }
      let src: WhisperFile;
      try {
        src =
          image === undefined
            ? WhisperFile.fromFd(srcName, srcFd, { strict: true })
            : WhisperFile.fromBuffer(srcName, image.data, { strict: true });
      } catch (err) {
        throw asPairError(err, 'SrcCorrupt');
      }
      return { src, dst, close: closeFds };
    } catch (err) {
      closeFds();
      throw err;
    }
  }
}

function statSafe(path: FsPath): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

export { pathText, type FsPath } from './fs-path.js';
