// Node's errno codes in words. A user who typed `ringshift apply /tmp` should read "is a directory",
// not "EISDIR: illegal operation on a directory, read" and a "Code:" line; and whether a failed system
// call is their mistake (a wrong path: exit 2) or the world's (a full disk, a refused connection:
// exit 1) decides the exit code of the one error line (docs/cli.md "Exit codes").

interface ErrnoInfo {
  words: string;
  /** The path or address given was wrong (usage/config, exit 2), rather than an operation failing (exit 1). */
  usage: boolean;
}

const ERRNO: Record<string, ErrnoInfo> = {
  ENOENT: { words: 'no such file or directory', usage: true },
  EISDIR: { words: 'is a directory', usage: true },
  ENOTDIR: { words: 'a part of the path is not a directory', usage: true },
  EACCES: { words: 'permission denied', usage: true },
  EPERM: { words: 'operation not permitted', usage: true },
  ENAMETOOLONG: { words: 'file name too long', usage: true },
  ELOOP: { words: 'too many levels of symbolic links', usage: true },
  EEXIST: { words: 'already exists', usage: true },
  ENOTEMPTY: { words: 'directory not empty', usage: true },
  EROFS: { words: 'read-only file system', usage: true },
  EXDEV: { words: 'not on the same file system', usage: true },
  ENOTFOUND: { words: 'host name not found', usage: true },
  EINVAL: { words: 'invalid argument', usage: true },
  ENOSPC: { words: 'no space left on device', usage: false },
  EDQUOT: { words: 'disk quota exceeded', usage: false },
  EFBIG: { words: 'file too large', usage: false },
  EMFILE: { words: 'too many open files (raise ulimit -n, or lower --concurrency)', usage: false },
  ENFILE: { words: 'too many open files in the system', usage: false },
  EIO: { words: 'input/output error', usage: false },
  EBUSY: { words: 'resource busy', usage: false },
  EAGAIN: { words: 'resource temporarily unavailable', usage: false },
  ENOMEM: { words: 'out of memory', usage: false },
  EPIPE: { words: 'the other end closed the pipe', usage: false },
  ECONNREFUSED: { words: 'connection refused', usage: false },
  ECONNRESET: { words: 'connection reset by the other side', usage: false },
  ECONNABORTED: { words: 'connection aborted', usage: false },
  ETIMEDOUT: { words: 'timed out', usage: false },
  EHOSTUNREACH: { words: 'host unreachable', usage: false },
  EHOSTDOWN: { words: 'host is down', usage: false },
  ENETUNREACH: { words: 'network unreachable', usage: false },
  EADDRINUSE: { words: 'address already in use', usage: false },
  EAI_AGAIN: { words: 'temporary failure in name resolution', usage: false },
  ESTALE: { words: 'stale file handle (NFS)', usage: false },
};

/** The words for an errno code ("ENOENT" → "no such file or directory"), or undefined for an unknown code. */
export function errnoWords(code: string): string | undefined {
  return ERRNO[code]?.words;
}

/** Whether a failed call with this code means a wrong path/address given by the user (exit 2). */
export function errnoIsUsage(code: string): boolean {
  return ERRNO[code]?.usage ?? false;
}

/** A Node system-call error: has an errno code such as ENOENT (and often syscall, path, address). */
export interface ErrnoError extends Error {
  code: string;
  syscall?: string;
  path?: string;
  dest?: string;
  address?: string;
  port?: number;
}

export function isErrnoError(err: unknown): err is ErrnoError {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string' && /^E[A-Z_0-9]+$/.test((err as ErrnoError).code);
}

/**
 * Rewrites the errno parts a message quotes into words: Node's "ENOENT: no such file or directory,
 * open '/x'" and a bare "EISDIR" both become the words (the path is named by the caller already).
 */
export function errnoInWords(text: string): string {
  return text
    .replace(
      /\b(E[A-Z]{2,}[A-Z_0-9]*): [^,()]*?, [a-z_]+(?: '[^']*'(?: -> '[^']*')?)?/g,
      (whole, code: string) => errnoWords(code) ?? whole,
    )
    .replace(/\b(E[A-Z]{2,}[A-Z_0-9]*)\b/g, (whole, code: string) => errnoWords(code) ?? whole);
}
