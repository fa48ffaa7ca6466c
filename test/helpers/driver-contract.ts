// The storage driver contract: what every StorageDriver must do, run against the local driver, the ssh
// driver through the in-process ssh2 server, and the ssh driver against a real OpenSSH sshd.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import type { StorageDriver } from '../../src/storage/driver.js';

/** The same small tree for every driver: nested files, a non-.wsp file, a shell-hostile name, a non-UTF-8 name, symlinks. */
export function makeTree(root: string): void {
  fs.mkdirSync(join(root, 'a/b'), { recursive: true });
  fs.mkdirSync(join(root, 'c'), { recursive: true });
  fs.writeFileSync(join(root, 'a/b/m1.wsp'), Buffer.alloc(1000, 1));
  fs.writeFileSync(join(root, 'a/m2.wsp'), Buffer.alloc(2000, 2));
  fs.writeFileSync(join(root, 'a/notes.txt'), 'x');
  fs.writeFileSync(join(root, "c/it's $(touch PWNED) x.wsp"), 'q');
  fs.writeFileSync(Buffer.concat([Buffer.from(root + '/c/bad-'), Buffer.from([0xff, 0xfe]), Buffer.from('.wsp')]), 'b');
  fs.symlinkSync('b/m1.wsp', join(root, 'a/link.wsp'));
  fs.symlinkSync('/etc', join(root, 'outside'));
  fs.symlinkSync('a/b', join(root, 'dirlink'));
  fs.utimesSync(join(root, 'a/b/m1.wsp'), 1_700_000_000, 1_700_000_000.5);
}

/** Run the contract on a driver opened at `root` (a fresh directory on this machine) by `open`. */
export function driverContract(name: string, base: () => string, open: (root: string) => Promise<StorageDriver>): void {
  describe(`driver contract: ${name}`, () => {
    let root: string;
    let outside: string;
    let d: StorageDriver;

    beforeAll(async () => {
      root = join(base(), name);
      outside = join(base(), `${name}-outside`);
      fs.mkdirSync(root);
      fs.mkdirSync(outside);
      makeTree(root);
      fs.symlinkSync(outside, join(root, 'escape'));
      d = await open(root);
    });
    afterAll(async () => d.close());

    it('stat: files, symlinks, missing', async () => {
      const st = await d.stat('a/b/m1.wsp');
      expect(st?.type).toBe('file');
      expect(st?.size).toBe(1000);
      expect(Math.floor(st!.mtimeMs / 1000)).toBe(1_700_000_000);
      expect((await d.stat('a/link.wsp'))?.type).toBe('symlink');
      expect(await d.stat('a/none.wsp')).toBeNull();
      expect(await d.stat('nodir/none.wsp')).toBeNull();
    });

    it('reads whole files and ranges, refuses symlinks', async () => {
      expect((await d.readFile('a/m2.wsp')).equals(Buffer.alloc(2000, 2))).toBe(true);
      const chunks: Buffer[] = [];
      for await (const c of await d.openRead('a/m2.wsp', { start: 10, end: 19 })) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks).length).toBe(10);
      await expect(d.readFile('a/link.wsp')).rejects.toThrow();
    });

    it('readInto: the file lands in the buffer given, at most its length; symlinks refused', async () => {
      const readInto = d.readInto?.bind(d);
      expect(readInto).toBeDefined();
      const buf = Buffer.alloc(2001, 9);
      const got = await readInto!('a/m2.wsp', buf);
      expect(got.length).toBe(2000);
      expect(got.buffer === buf.buffer && got.byteOffset === buf.byteOffset).toBe(true); // a view, no copy
      expect(got.equals(Buffer.alloc(2000, 2))).toBe(true);
      // A file bigger than the caller expected fills the buffer, so the caller's size check sees it.
      const small = await readInto!('a/m2.wsp', Buffer.alloc(1500));
      expect(small.length).toBe(1500);
      await expect(readInto!('a/link.wsp', Buffer.alloc(2001))).rejects.toThrow();
    });

    it('streams a multi-megabyte file intact', async () => {
      const big = Buffer.alloc(3 * 1024 * 1024 + 7);
      for (let i = 0; i < big.length; i += 4096) big.writeUInt32BE(i, i);
      fs.writeFileSync(join(root, 'big.wsp'), big);
      expect((await d.readFile('big.wsp')).equals(big)).toBe(true);
      expect((await d.readInto!('big.wsp', Buffer.alloc(big.length + 1))).equals(big)).toBe(true);
      const parts: Buffer[] = [];
      for await (const c of await d.openRead('big.wsp')) parts.push(c as Buffer);
      expect(Buffer.concat(parts).equals(big)).toBe(true);
    });

    it('writeAtomic: parents, content, mode, mtime, no clobber, no leftovers', async () => {
      async function* gen() {
        yield Buffer.from('hello ');
        yield Buffer.from('world');
      }
      await d.writeAtomic('new/deep/x.wsp', gen(), { mode: 0o640, mtimeMs: 1_600_000_000_000 });
      expect(fs.readFileSync(join(root, 'new/deep/x.wsp'), 'utf8')).toBe('hello world');
      const st = fs.statSync(join(root, 'new/deep/x.wsp'));
      expect(st.mode & 0o777).toBe(0o640);
      expect(Math.floor(st.mtimeMs / 1000)).toBe(1_600_000_000);
      await expect(d.writeAtomic('new/deep/x.wsp', Buffer.from('other'))).rejects.toBeInstanceOf(DataError);
      expect(fs.readFileSync(join(root, 'new/deep/x.wsp'), 'utf8')).toBe('hello world');
      await d.writeAtomic('new/deep/x.wsp', Buffer.from('replaced'), { overwrite: true });
      expect(fs.readFileSync(join(root, 'new/deep/x.wsp'), 'utf8')).toBe('replaced');
      expect(fs.readdirSync(join(root, 'new/deep'))).toEqual(['x.wsp']);
    });

    it('writeAtomic: the caller names the temp file and checks it before it is placed', async () => {
      let seen = '';
      await d.writeAtomic('t/y.wsp', Buffer.from('payload'), {
        tempName: '.y.wsp.ringshift-test.tmp',
        beforePlace: async (tempRel) => {
          expect(tempRel).toBe('t/.y.wsp.ringshift-test.tmp');
          seen = fs.readFileSync(join(root, tempRel), 'utf8');
          expect(fs.existsSync(join(root, 't/y.wsp'))).toBe(false);
        },
      });
      expect(seen).toBe('payload');
      expect(fs.readdirSync(join(root, 't'))).toEqual(['y.wsp']);
      await expect(
        d.writeAtomic('t/z.wsp', Buffer.from('bad'), {
          tempName: '.z.tmp',
          beforePlace: async () => {
            throw new Error('verification failed');
          },
        }),
      ).rejects.toThrow('verification failed');
      expect(fs.readdirSync(join(root, 't'))).toEqual(['y.wsp']);
      await expect(d.writeAtomic('t/w.wsp', Buffer.from('x'), { tempName: 'visible.wsp' })).rejects.toBeInstanceOf(DataError);
      await expect(d.writeAtomic('t/w.wsp', Buffer.from('x'), { tempName: '.a/b' })).rejects.toBeInstanceOf(DataError);
    });

    it('rename never clobbers; unlink removes files only', async () => {
      fs.writeFileSync(join(root, 'r1.wsp'), '1');
      fs.writeFileSync(join(root, 'r2.wsp'), '2');
      await expect(d.rename('r1.wsp', 'r2.wsp')).rejects.toBeInstanceOf(DataError);
      expect(fs.readFileSync(join(root, 'r2.wsp'), 'utf8')).toBe('2');
      await d.rename('r1.wsp', 'moved/r1.wsp');
      expect(fs.readFileSync(join(root, 'moved/r1.wsp'), 'utf8')).toBe('1');
      expect(fs.existsSync(join(root, 'r1.wsp'))).toBe(false);
      await d.unlink('r2.wsp');
      expect(fs.existsSync(join(root, 'r2.wsp'))).toBe(false);
      await expect(d.unlink('moved')).rejects.toThrow();
    });

    it('never leaves the root', async () => {
      for (const bad of ['../x.wsp', '/etc/passwd', 'a/../../x.wsp']) {
        await expect(d.stat(bad)).rejects.toBeInstanceOf(DataError);
        await expect(d.writeAtomic(bad, Buffer.from('x'))).rejects.toBeInstanceOf(DataError);
      }
      fs.writeFileSync(join(outside, 'secret.wsp'), 's');
      await expect(d.readFile('escape/secret.wsp')).rejects.toBeInstanceOf(DataError);
      await expect(d.writeAtomic('escape/new.wsp', Buffer.from('x'))).rejects.toBeInstanceOf(DataError);
      await expect(d.unlink('escape/secret.wsp')).rejects.toBeInstanceOf(DataError);
      expect(fs.readdirSync(outside)).toEqual(['secret.wsp']);
    });

    it('free space and identity', async () => {
      const f = await d.freeSpace();
      expect(f.total).toBeGreaterThan(0);
      expect(f.available).toBeGreaterThan(0);
      expect(f.available).toBeLessThanOrEqual(f.free);
      expect(f.free).toBeLessThanOrEqual(f.total);
      // Counted like statfs here: root-reserved blocks are free, not used (same filesystem, a moment apart).
      const local = fs.statfsSync(root);
      const used = (local.blocks - local.bfree) * local.bsize;
      expect(Math.abs(f.total - f.free - used)).toBeLessThan(Math.max(64 << 20, used * 0.02));
      expect(Math.abs(f.total - local.blocks * local.bsize)).toBeLessThan(1 << 20);
      expect(typeof (await d.identity())).toBe('string');
    });

    it('fileIdentity: inode, size and ns times of regular files; a replaced or rewritten file is another', async () => {
      const rel = 'ident/f.wsp';
      fs.mkdirSync(join(root, 'ident'), { recursive: true });
      fs.writeFileSync(join(root, rel), Buffer.alloc(100, 7));
      const a = await d.fileIdentity(rel);
      const st = fs.lstatSync(join(root, rel), { bigint: true });
      expect(a).toMatchObject({ dev: String(st.dev), ino: String(st.ino), size: 100 });
      expect(a!.mtime).toMatch(/^[0-9]+\.[0-9]{9}$/);
      expect(a!.mtime.split('.')[0]).toBe(String(st.mtimeNs / 1_000_000_000n));
      // Calls in one turn are answered together, each with its own file.
      const [again, missing, dir, link] = await Promise.all([
        d.fileIdentity(rel),
        d.fileIdentity('ident/none.wsp'),
        d.fileIdentity('a/b'),
        d.fileIdentity('a/link.wsp'),
      ]);
      expect(again).toEqual(a);
      expect([missing, dir, link]).toEqual([null, null, null]);
      // Written in place (same inode): ctime moves even when mtime is put back.
      await new Promise((r) => setTimeout(r, 20));
      const fd = fs.openSync(join(root, rel), 'r+');
      fs.writeSync(fd, Buffer.from([1]), 0, 1, 50);
      fs.closeSync(fd);
      fs.utimesSync(join(root, rel), Number(st.atimeMs) / 1000, Number(st.mtimeNs) / 1e9);
      const written = await d.fileIdentity(rel);
      expect(written!.ino).toBe(a!.ino);
      expect(written!.ctime).not.toBe(a!.ctime);
      // Replaced by a fresh file of the same size: another inode.
      fs.writeFileSync(join(root, 'ident/.new'), Buffer.alloc(100, 7));
      fs.renameSync(join(root, 'ident/.new'), join(root, rel));
      expect((await d.fileIdentity(rel))!.ino).not.toBe(a!.ino);
      // A backslash and a newline in the name (GNU tools print such names escaped; we never parse them).
      const odd = 'ident/a\\b\nc.wsp';
      fs.writeFileSync(join(root, odd), 'xyz');
      expect(await d.fileIdentity(odd)).toMatchObject({ ino: String(fs.statSync(join(root, odd)).ino), size: 3 });
      await d.syncPaths([rel, odd, 'ident', '']);
    });

    it('handles names no shell should see unquoted', async () => {
      const rel = "c/it's $(touch PWNED) x.wsp";
      expect((await d.stat(rel))?.size).toBe(1);
      await d.writeAtomic("c/new `id` $HOME 'q'\n.wsp", Buffer.from('n'));
      expect(fs.readFileSync(join(root, "c/new `id` $HOME 'q'\n.wsp"), 'utf8')).toBe('n');
      expect(fs.existsSync('PWNED') || fs.existsSync(join(root, 'PWNED')) || fs.existsSync(join(root, 'c/PWNED'))).toBe(false);
    });
  });
}
