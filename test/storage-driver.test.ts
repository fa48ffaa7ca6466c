// The local storage driver: atomic writes that never clobber or half-write, moves, refusals of every
// path that would leave the root (bad relative paths, symlinked directories), stat/read/free space.
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../src/errors.js';
import { checkRelPath } from '../src/storage/driver.js';
import { LocalDriver } from '../src/storage/local-driver.js';

let base: string;
let root: string;
let outside: string;
let drv: LocalDriver;

beforeAll(async () => {
  base = fs.mkdtempSync(join(tmpdir(), 'ringshift-driver-'));
  root = join(base, 'root');
  outside = join(base, 'outside');
  fs.mkdirSync(join(root, 'a'), { recursive: true });
  fs.mkdirSync(outside);
  fs.writeFileSync(join(outside, 'x.wsp'), 'outside');
  fs.symlinkSync(outside, join(root, 'escape'));
  fs.symlinkSync(join(outside, 'x.wsp'), join(root, 'a', 'link.wsp'));
  drv = await LocalDriver.open(root);
});

afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

function leftovers(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.includes('ringshift-'));
}

describe('checkRelPath', () => {
  it('accepts normal relative paths and refuses anything that could leave the root', () => {
    expect(checkRelPath('a/b/c.wsp')).toBe('a/b/c.wsp');
    expect(checkRelPath('a/b/.wsp')).toBe('a/b/.wsp');
    for (const bad of ['', '/etc/passwd', '../x.wsp', 'a/../../x.wsp', 'a/./b.wsp', 'a//b.wsp', 'a/', 'a\0b.wsp', '..']) {
      expect(() => checkRelPath(bad), bad).toThrow(DataError);
    }
  });
});

describe('LocalDriver', () => {
  it('writes atomically, creating directories, with mtime', async () => {
    await drv.writeAtomic('n/e/w.wsp', Buffer.from('hello'), { mtimeMs: 1_600_000_000_000 });
    expect(fs.readFileSync(join(root, 'n/e/w.wsp'), 'utf8')).toBe('hello');
    const info = await drv.stat('n/e/w.wsp');
    expect(info).toMatchObject({ type: 'file', size: 5, mtimeMs: 1_600_000_000_000, mode: 0o644 });
    expect(leftovers(join(root, 'n/e'))).toEqual([]);
  });

  it('writes streams', async () => {
    async function* chunks(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('ab');
      yield Buffer.from('cd');
    }
    await drv.writeAtomic('s.wsp', chunks());
    expect(await drv.readFile('s.wsp')).toEqual(Buffer.from('abcd'));
  });

  it('never replaces an existing file unless asked', async () => {
    await drv.writeAtomic('keep.wsp', Buffer.from('original'));
    await expect(drv.writeAtomic('keep.wsp', Buffer.from('new'))).rejects.toThrow(/refusing to replace/);
    expect(fs.readFileSync(join(root, 'keep.wsp'), 'utf8')).toBe('original');
    expect(leftovers(root)).toEqual([]);
    await drv.writeAtomic('keep.wsp', Buffer.from('replaced'), { overwrite: true });
    expect(fs.readFileSync(join(root, 'keep.wsp'), 'utf8')).toBe('replaced');
  });

  it('leaves nothing behind when the data source fails', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('partial');
      throw new Error('source broke');
    }
    await expect(drv.writeAtomic('a/fail.wsp', failing())).rejects.toThrow('source broke');
    expect(fs.existsSync(join(root, 'a/fail.wsp'))).toBe(false);
    expect(leftovers(join(root, 'a'))).toEqual([]);
  });

  it('moves files without clobbering', async () => {
    await drv.writeAtomic('m/from.wsp', Buffer.from('1'));
    await drv.writeAtomic('m/busy.wsp', Buffer.from('2'));
    await expect(drv.rename('m/from.wsp', 'm/busy.wsp')).rejects.toThrow(/refusing to replace/);
    expect(fs.readFileSync(join(root, 'm/busy.wsp'), 'utf8')).toBe('2');
    await drv.rename('m/from.wsp', 'other/dir/to.wsp');
    expect(fs.existsSync(join(root, 'm/from.wsp'))).toBe(false);
    expect(fs.readFileSync(join(root, 'other/dir/to.wsp'), 'utf8')).toBe('1');
  });

  it('unlinks files, not directories', async () => {
    await drv.writeAtomic('gone.wsp', Buffer.from('x'));
    await drv.unlink('gone.wsp');
    expect(await drv.stat('gone.wsp')).toBeNull();
    await expect(drv.unlink('a')).rejects.toThrow(/directory/);
  });

  it('refuses to work through a symlinked directory that leads outside', async () => {
    await expect(drv.writeAtomic('escape/new.wsp', Buffer.from('x'))).rejects.toThrow(/outside the storage root/);
    await expect(drv.writeAtomic('escape/deeper/new.wsp', Buffer.from('x'))).rejects.toThrow(/outside the storage root/);
    expect(fs.readdirSync(outside).sort()).toEqual(['x.wsp']);
    await expect(drv.readFile('escape/x.wsp')).rejects.toThrow(/outside the storage root/);
    await expect(drv.stat('escape/x.wsp')).rejects.toThrow(/outside the storage root/);
    await expect(drv.unlink('escape/x.wsp')).rejects.toThrow(/outside the storage root/);
    expect(fs.existsSync(join(outside, 'x.wsp'))).toBe(true);
  });

  it('does not read through a symlinked file', async () => {
    expect((await drv.stat('a/link.wsp'))?.type).toBe('symlink');
    await expect(drv.readFile('a/link.wsp')).rejects.toThrow(/ELOOP/);
    await expect(drv.openRead('a/link.wsp')).rejects.toThrow(/ELOOP/);
    await expect(drv.rename('a/link.wsp', 'a/moved.wsp')).rejects.toThrow(/not a regular file/);
  });

  it('refuses bad relative paths everywhere', async () => {
    await expect(drv.stat('../outside/x.wsp')).rejects.toThrow(DataError);
    await expect(drv.writeAtomic('/tmp/x.wsp', Buffer.from(''))).rejects.toThrow(DataError);
    await expect(drv.rename('keep.wsp', 'a/../../x.wsp')).rejects.toThrow(DataError);
  });

  it('reads byte ranges', async () => {
    await drv.writeAtomic('r.wsp', Buffer.from('0123456789'));
    const stream = await drv.openRead('r.wsp', { start: 2, end: 5 });
    const parts: Buffer[] = [];
    for await (const c of stream) parts.push(c as Buffer);
    expect(Buffer.concat(parts).toString()).toBe('2345');
  });

  it('reports free space and an identity shared by every path to the same directory', async () => {
    const free = await drv.freeSpace();
    expect(free.total).toBeGreaterThan(0);
    expect(free.available).toBeGreaterThan(0);
    expect(free.available).toBeLessThanOrEqual(free.total);
    fs.symlinkSync(root, join(base, 'root-link'));
    const again = await LocalDriver.open(join(base, 'root-link'));
    expect(await again.identity()).toBe(await drv.identity());
    expect(again.root).toBe(fs.realpathSync(root));
  });

  it('refuses roots that are missing or not directories', async () => {
    await expect(LocalDriver.open(join(base, 'missing'))).rejects.toThrow(/ENOENT/);
    await expect(LocalDriver.open(join(outside, 'x.wsp'))).rejects.toThrow(/not a directory/);
  });
});

describe('LocalDriver on apply’s path', () => {
  it('a named temp a killed run left is replaced, and the placed file holds the new data', async () => {
    fs.mkdirSync(join(root, 'stale'), { recursive: true });
    fs.writeFileSync(join(root, 'stale', '.m.wsp.ringshift-x-1.tmp'), 'left by a killed run');
    await drv.writeAtomic('stale/m.wsp', Buffer.from('fresh'), { tempName: '.m.wsp.ringshift-x-1.tmp', grouped: true });
    expect(fs.readFileSync(join(root, 'stale', 'm.wsp'), 'utf8')).toBe('fresh');
    expect(leftovers(join(root, 'stale'))).toEqual([]);
  });

  it('reads the temp back through its descriptor when asked (a scratch buffer longer than the data)', async () => {
    const data = Buffer.alloc(100_000, 7);
    await drv.writeAtomic('rb/m.wsp', data, { readBack: Buffer.alloc(100_001), grouped: true });
    expect(fs.readFileSync(join(root, 'rb', 'm.wsp')).equals(data)).toBe(true);
  });

  it('a read-back that does not match what was written refuses the copy: nothing placed, no temp left', async () => {
    // A scratch buffer shorter than the data reads back less than was written: the check must fail.
    const data = Buffer.alloc(1000, 9);
    await expect(drv.writeAtomic('rbbad/m.wsp', data, { readBack: Buffer.alloc(500), grouped: true })).rejects.toThrow(/differs/);
    expect(fs.existsSync(join(root, 'rbbad', 'm.wsp'))).toBe(false);
    expect(leftovers(join(root, 'rbbad'))).toEqual([]);
  });

  it('a directory it knew and that was removed meanwhile is made again', async () => {
    await drv.writeAtomic('gone/one.wsp', Buffer.from('1'));
    fs.rmSync(join(root, 'gone'), { recursive: true });
    await drv.writeAtomic('gone/two.wsp', Buffer.from('2'));
    expect(fs.readFileSync(join(root, 'gone', 'two.wsp'), 'utf8')).toBe('2');
  });

  it('refuses a directory swapped for a symlink out of the root once the driver forgets what it knew', async () => {
    await drv.writeAtomic('swap/one.wsp', Buffer.from('1')); // swap/ is now known to be inside the root
    fs.rmSync(join(root, 'swap'), { recursive: true });
    fs.symlinkSync(outside, join(root, 'swap'));
    fs.mkdirSync(join(root, 'scratch'));
    expect(await drv.removeEmptyDir('scratch')).toBe(true); // a removal forgets every directory it knew
    await expect(drv.writeAtomic('swap/two.wsp', Buffer.from('2'))).rejects.toThrow(/outside the storage root/);
    expect(fs.existsSync(join(outside, 'two.wsp'))).toBe(false);
  });

  it('a sync round of many paths is one syncfs through the long-lived shell', async () => {
    const rels: string[] = [];
    for (let i = 0; i < 8; i++) {
      await drv.writeAtomic(`many/m${i}.wsp`, Buffer.from(String(i)), { grouped: true });
      rels.push(`many/m${i}.wsp`);
    }
    const before = drv.syncRounds;
    await drv.syncPaths(rels);
    expect(drv.syncRounds).toBe(before + 1);
  });
});
