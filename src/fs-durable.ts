// Durability on local disks: the fsync of a directory is what makes a create, rename or unlink in it
// survive a crash (a file's own fsync covers its bytes, not its name). A failure is reported, never
// swallowed: a caller that promised durability must learn it did not get it. Only a filesystem that
// cannot sync a directory at all (EINVAL, ENOTSUP) is let through, as PostgreSQL and SQLite do: there is
// nothing more to be had there.
import fs from 'node:fs';

const UNSUPPORTED = new Set(['EINVAL', 'ENOTSUP', 'EOPNOTSUPP']);

/** The errno error with the directory in its message; code, errno and syscall stay for callers that branch on them. */
function naming(err: unknown, dir: string): unknown {
  if (err instanceof Error) {
    const e = err as NodeJS.ErrnoException;
    e.message = `fsync of directory ${dir}: ${e.message}`;
    e.path ??= dir;
  }
  return err;
}

/** fsync a directory so a create or rename in it survives a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(dir, 'r');
  } catch (err) {
    throw naming(err, dir);
  }
  try {
    await fh.sync();
  } catch (err) {
    if (!UNSUPPORTED.has((err as NodeJS.ErrnoException).code ?? '')) throw naming(err, dir);
  } finally {
    await fh.close();
  }
}

/** The same, synchronously (for the synchronous whisper writers). */
export function fsyncDirSync(dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch (err) {
    throw naming(err, dir);
  }
  try {
    fs.fsyncSync(fd);
  } catch (err) {
    if (!UNSUPPORTED.has((err as NodeJS.ErrnoException).code ?? '')) throw naming(err, dir);
  } finally {
    fs.closeSync(fd);
  }
}
