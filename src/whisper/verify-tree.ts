// `whisper verify DIR`: every *.wsp file under a directory, checked as `whisper verify FILE` checks one,
// in a stable order (names sorted bytewise, depth first) and streamed: memory holds one directory
// listing per level, whatever the tree's size. Symlinks are not followed (a tree of whisper files has
// none; following them could leave the tree or loop). Names that are not UTF-8 are opened as bytes.
import { opendir } from 'node:fs/promises';
import { joinFsPath, pathText, type FsPath } from './fs-path.js';
import { verifyWhisper, type VerifyResult } from './verify.js';

const SUFFIX = Buffer.from('.wsp');

async function listSorted(dir: FsPath): Promise<{ name: Buffer; kind: 'dir' | 'file' | 'other' }[]> {
  const out: { name: Buffer; kind: 'dir' | 'file' | 'other' }[] = [];
  const d = await opendir(typeof dir === 'string' ? Buffer.from(dir) : dir, { encoding: 'buffer' as BufferEncoding });
  for await (const e of d) {
    const name = e.name as unknown as Buffer;
    out.push({ name, kind: e.isDirectory() ? 'dir' : e.isFile() ? 'file' : 'other' });
  }
  return out.sort((a, b) => Buffer.compare(a.name, b.name));
}

function asPath(dir: FsPath, name: Buffer): FsPath {
  const s = name.toString('utf8');
  const n: FsPath = Buffer.byteLength(s) === name.length && !s.includes('\ufffd') ? s : name;
  return joinFsPath(dir, n);
}

/** Verify every *.wsp file under `root`; an unreadable directory is reported as a failed entry (code IO). */
export async function* verifyTree(root: FsPath): AsyncGenerator<VerifyResult> {
  const stack: FsPath[] = [root];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let entries;
    try {
      entries = await listSorted(dir);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      yield { path: pathText(dir), ok: false, code: 'IO', error: `cannot read the directory: ${e.code ?? e.message}` };
      continue;
    }
    const subdirs: FsPath[] = [];
    for (const e of entries) {
      if (e.kind === 'dir') subdirs.push(asPath(dir, e.name));
      else if (e.kind === 'file' && e.name.length > SUFFIX.length && e.name.subarray(-SUFFIX.length).equals(SUFFIX)) {
        yield verifyWhisper(asPath(dir, e.name));
      }
    }
    // Files of a directory first, then its subdirectories in name order.
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]!);
  }
}
