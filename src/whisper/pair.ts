// Opening a (src, dst) pair for fill or merge: the refusal checks in the order the vectors define
// (DstMissing, SrcMissing, SameFile, DstCorrupt, SrcCorrupt), then locks, then the structural checks
// on what is read under the lock. Nothing is written here, so every refusal leaves dst untouched.
// The source may also be a file already read into memory (from another machine): then only dst is
// opened and locked.
import { closeSync, fstatSync, openSync, statSync, type Stats } from 'node:fs';
import { WhisperError, asPairError, ioError } from './errors.js';
import { WhisperFile } from './file.js';
import { lockAll, type LockRequest } from './lock.js';

export interface PairOptions {
  /** flock dst exclusively and src shared while working (default true). */
  lock?: boolean;
  /** Give up waiting for the locks after this long (default 10 s). */
  lockTimeoutMs?: number;
  /** Nothing will be written: open dst read-only and lock it shared. */
  dryRun?: boolean;
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

function regularFile(path: string, code: 'DstMissing' | 'SrcMissing', role: string): Stats {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') {
      throw new WhisperError(code, `${role} does not exist`, path);
    }
    throw ioError(err, path, 'stat');
  }
  if (!st.isFile()) throw new WhisperError(code, `${role} is not a regular file`, path);
  return st;
}

function openFd(path: string, flags: 'r' | 'r+'): number {
  try {
    return openSync(path, flags);
  } catch (err) {
    throw ioError(err, path, flags === 'r' ? 'open for reading' : 'open for writing');
  }
}

/** Open, check and (optionally) lock a pair. Refusals raise WhisperError with the vectors' codes. */
export async function openPair(srcArg: string | WhisperImage, dstPath: string, opts: PairOptions = {}): Promise<OpenPair> {
  const lock = opts.lock ?? true;
  const image = typeof srcArg === 'string' ? undefined : srcArg;
  const srcPath = typeof srcArg === 'string' ? srcArg : srcArg.path;
  for (let attempt = 0; ; attempt++) {
    const dstStat = regularFile(dstPath, 'DstMissing', 'destination');
    const srcStat = image === undefined ? regularFile(srcPath, 'SrcMissing', 'source') : undefined;
    if (srcStat !== undefined && dstStat.dev === srcStat.dev && dstStat.ino === srcStat.ino) {
      throw new WhisperError('SameFile', `source ${srcPath} and destination are the same file`, dstPath);
    }
    const dstFd = openFd(dstPath, opts.dryRun ? 'r' : 'r+');
    let srcFd = -1;
    const closeFds = () => {
      closeSync(dstFd);
      if (srcFd >= 0) closeSync(srcFd);
    };
    try {
      if (image === undefined) srcFd = openFd(srcPath, 'r');
      if (lock) {
        const reqs: LockRequest[] = [{ fd: dstFd, path: dstPath, mode: opts.dryRun ? 'sh' : 'ex' }];
        if (srcFd >= 0) reqs.push({ fd: srcFd, path: srcPath, mode: 'sh' });
        await lockAll(reqs, opts.lockTimeoutMs);
        // A writer that replaces files by rename (whisper-resize, heal) may have swapped dst while we
        // waited; then our descriptor holds the old inode. Start over on the new file.
        const now = statSafe(dstPath);
        const held = fstatSync(dstFd);
        if (!now || now.ino !== held.ino || now.dev !== held.dev) {
          closeFds();
          if (attempt < 3) continue;
          throw new WhisperError('IO', 'destination keeps being replaced while waiting for its lock', dstPath);
        }
      }
      let dst: WhisperFile;
      try {
        dst = WhisperFile.fromFd(dstPath, dstFd, { write: !opts.dryRun, strict: true });
        dst.loadAll(true);
      } catch (err) {
        throw asPairError(err, 'DstCorrupt');
      }
      let src: WhisperFile;
      try {
        src =
          image === undefined
            ? WhisperFile.fromFd(srcPath, srcFd, { strict: true })
            : WhisperFile.fromBuffer(srcPath, image.data, { strict: true });
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

function statSafe(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
