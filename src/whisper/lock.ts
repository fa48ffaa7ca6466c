// Advisory flock(2), the lock carbon-cache takes with WHISPER_LOCK_WRITES (whisper-spec.md §10).
// Node has no flock; fs-ext (pinned, native, loaded lazily so read-only commands never need it)
// provides flockSync. We only ever use the non-blocking form and poll with a back-off: a blocking
// flock would park a libuv thread (or the whole process) with no way to give up, and taking two
// locks all-or-nothing cannot deadlock against another ringshift filling the other way round.
import { createRequire } from 'node:module';
import { UsageError } from '../errors.js';
import { parseDuration } from '../units.js';
import { WhisperError } from './errors.js';

type FlockMode = 'sh' | 'ex' | 'shnb' | 'exnb' | 'un';
interface FsExt {
  flockSync(fd: number, mode: FlockMode): void;
}

let fsExt: FsExt | undefined;
function flockLib(path: string): FsExt {
  if (!fsExt) {
    try {
      fsExt = createRequire(import.meta.url)('fs-ext') as FsExt;
    } catch (err) {
      throw new WhisperError('IO', `cannot lock: the fs-ext flock addon failed to load (${(err as Error).message}); use --no-lock`, path);
    }
  }
  return fsExt;
}

export interface LockRequest {
  fd: number;
  path: string;
  mode: 'ex' | 'sh';
}

/** Try once; true when acquired, false when another process holds a conflicting lock. */
export function tryLock(req: LockRequest): boolean {
  try {
    flockLib(req.path).flockSync(req.fd, req.mode === 'ex' ? 'exnb' : 'shnb');
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return false;
    throw new WhisperError('IO', `cannot lock: ${(err as Error).message}`, req.path);
  }
}

export function unlock(req: LockRequest): void {
  try {
    flockLib(req.path).flockSync(req.fd, 'un');
  } catch {
    // Closing the descriptor releases the lock anyway.
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Take every lock or none: try each in order; on contention release what was taken, wait (2 ms
 * doubling to 100 ms) and start over, until `timeoutMs` has passed.
 */
export async function lockAll(reqs: readonly LockRequest[], timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let wait = 2;
  for (;;) {
    const held: LockRequest[] = [];
    let blocked: LockRequest | undefined;
    for (const r of reqs) {
      if (tryLock(r)) held.push(r);
      else {
        blocked = r;
        break;
      }
    }
    if (!blocked) return;
    for (const r of held) unlock(r);
    if (Date.now() >= deadline) {
      throw new WhisperError(
        'Locked',
        `still locked by another process after ${timeoutMs / 1000} s (carbon-cache or another fill?)`,
        blocked.path,
      );
    }
    await sleep(Math.min(wait, Math.max(1, deadline - Date.now())));
    wait = Math.min(wait * 2, 100);
  }
}

/** --lock-timeout as the suite's durations read it (10, 10s, 2m; bare = seconds), 0 to 1 day, in ms. */
export function lockTimeoutFlag(text: string): number {
  const s = parseDuration(text, '--lock-timeout');
  if (!(s >= 0 && s <= 86400))
    throw new UsageError(`--lock-timeout ${JSON.stringify(text)} is out of range`, { expected: 'a duration from 0 to 1d' });
  return Math.round(s * 1000);
}
