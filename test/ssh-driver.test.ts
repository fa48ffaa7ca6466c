// The storage driver contract, run against the local driver and the ssh driver (through an in-process
// ssh2 server on loopback), plus what only the ssh driver does: host keys, authentication, quoting,
// remote flock, positional file access, reconnects.
import { createHash, createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StorageDriver, WalkEntry } from '../src/storage/driver.js';
import { LocalDriver } from '../src/storage/local-driver.js';
import { SshDriver, shq } from '../src/storage/ssh-driver.js';
import { checkHostKey, hostPatternsMatch, knownKeys } from '../src/storage/ssh-known-hosts.js';
import { driverContract, makeTree } from './helpers/driver-contract.js';
import { canFlockLocally } from './helpers/flock.js';
import { keyPair } from './helpers/ssh-keys.js';
import { startSshServer, type TestSshServer } from './helpers/sshd.js';

const fsExt = createRequire(import.meta.url)('fs-ext') as { flockSync(fd: number, mode: string): void };

let server: TestSshServer;
let base: string;

beforeAll(async () => {
  server = await startSshServer();
  base = fs.realpathSync(fs.mkdtempSync(join(tmpdir(), 'ringshift-sshdrv-')));
});
afterAll(async () => {
  await server.stop();
  fs.rmSync(base, { recursive: true, force: true });
});

function sshOpts(extra: Record<string, unknown> = {}) {
  return { identityFiles: [server.identityFile], agent: null, knownHostsFiles: [server.knownHostsFile], ...extra };
}

async function collect(d: StorageDriver, opts: Parameters<StorageDriver['list']>[0] = {}): Promise<WalkEntry[]> {
  const out: WalkEntry[] = [];
  for await (const b of d.list(opts)) out.push(...b);
  return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

const kinds = ['local', 'ssh'] as const;

for (const kind of kinds) {
  driverContract(
    kind,
    () => base,
    (root) => (kind === 'local' ? LocalDriver.open(root) : SshDriver.connect(server.url(root), sshOpts())),
  );
}

describe('ssh listing equals local listing', () => {
  let root: string;
  let local: LocalDriver;
  let remote: SshDriver;
  let viaSftp: SshDriver;
  beforeAll(async () => {
    root = join(base, 'listing');
    fs.mkdirSync(root);
    makeTree(root);
    local = await LocalDriver.open(root);
    remote = await SshDriver.connect(server.url(root), sshOpts({ listMethod: 'find' }));
    viaSftp = await SshDriver.connect(server.url(root), sshOpts({ listMethod: 'sftp' }));
  });
  afterAll(async () => {
    await remote.close();
    await viaSftp.close();
  });

  const shape = (e: WalkEntry) => ({
    rel: e.rel,
    dir: e.dir,
    name: e.name,
    type: e.type,
    size: e.size,
    mtime: e.mtimeMs === undefined ? undefined : Math.floor(e.mtimeMs / 1000),
    target: e.target,
    badName: e.badName,
    note: e.note,
  });

  for (const opts of [{}, { stat: true }, { followSymlinks: true, stat: true }, { suffix: '' }]) {
    it(`find over exec: ${JSON.stringify(opts)}`, async () => {
      const want = (await collect(local, opts)).map(shape);
      const got = (await collect(remote, opts)).map(shape);
      expect(got).toEqual(want);
      expect(want.length).toBeGreaterThan(3);
    });
  }

  it('SFTP readdir fallback (UTF-8 names)', async () => {
    const good = (e: WalkEntry) => e.badName !== true && !e.rel.includes('\ufffd');
    const want = (await collect(local, { stat: true })).filter(good).map(shape);
    const got = (await collect(viaSftp, { stat: true })).filter((e) => e.type !== 'unreadable').map(shape);
    expect(got).toEqual(want);
  });

  it('batches and progress', async () => {
    const seen: number[] = [];
    let batches = 0;
    for await (const b of remote.list({ batchSize: 1, onProgress: (p) => seen.push(p.files) })) {
      batches++;
      expect(b.length).toBe(1);
    }
    expect(batches).toBeGreaterThan(3);
    expect(seen.at(-1)).toBeGreaterThan(0);
  });
});

describe('ssh: host keys and authentication', () => {
  let root: string;
  beforeAll(() => {
    root = join(base, 'auth');
    fs.mkdirSync(root);
  });

  it('refuses an unknown host, and trusts it on first use only when asked', async () => {
    const kh = join(base, 'kh-empty');
    await expect(SshDriver.connect(server.url(root), sshOpts({ knownHostsFiles: [kh] }))).rejects.toThrow(
      /not in known_hosts.*--accept-new-host-keys/,
    );
    expect(fs.existsSync(kh)).toBe(false);
    const d = await SshDriver.connect(server.url(root), sshOpts({ knownHostsFiles: [kh], acceptNewHostKeys: true }));
    await d.close();
    const keys = knownKeys([kh], `[127.0.0.1]:${server.port}`);
    expect(keys).toHaveLength(1);
    expect(keys[0]!.key).toBe(server.hostKeyBlob.toString('base64'));
    // Now known: no flag needed.
    const again = await SshDriver.connect(server.url(root), sshOpts({ knownHostsFiles: [kh] }));
    await again.close();
  });

  it('refuses a changed host key even with --accept-new-host-keys', async () => {
    const kh = join(base, 'kh-wrong');
    const other = keyPair();
    const blob = (await import('ssh2')).default.utils.parseKey(other.public);
    if (blob instanceof Error) throw blob;
    fs.writeFileSync(kh, `[127.0.0.1]:${server.port} ssh-ed25519 ${blob.getPublicSSH().toString('base64')}\n`);
    await expect(SshDriver.connect(server.url(root), sshOpts({ knownHostsFiles: [kh], acceptNewHostKeys: true }))).rejects.toThrow(
      /REMOTE HOST IDENTIFICATION HAS CHANGED/,
    );
  });

  it('refuses a host whose known key is of another type, like OpenSSH, even with --accept-new-host-keys; nothing is recorded', async () => {
    const kh = join(base, 'kh-other-type');
    const other = keyPair('ecdsa');
    const blob = (await import('ssh2')).default.utils.parseKey(other.public);
    if (blob instanceof Error) throw blob;
    const line = `[127.0.0.1]:${server.port} ecdsa-sha2-nistp256 ${blob.getPublicSSH().toString('base64')}\n`;
    fs.writeFileSync(kh, line);
    // The server only has an ed25519 key: an impostor offering another type than the one we know.
    await expect(SshDriver.connect(server.url(root), sshOpts({ knownHostsFiles: [kh], acceptNewHostKeys: true }))).rejects.toThrow(
      /REMOTE HOST IDENTIFICATION HAS CHANGED.*another type \(ecdsa-sha2-nistp256\)/,
    );
    expect(fs.readFileSync(kh, 'utf8')).toBe(line);
  });

  it('reports a key the server does not accept', async () => {
    const wrong = join(base, 'wrong-key');
    fs.writeFileSync(wrong, keyPair().private, { mode: 0o600 });
    await expect(SshDriver.connect(server.url(root), sshOpts({ identityFiles: [wrong] }))).rejects.toThrow(/authentication failed/);
  });

  it('known_hosts matching: hashed names, ports, wildcards, negation', () => {
    const salt = Buffer.from('0123456789abcdef0123');
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[db1]:2222').digest('base64')}`;
    expect(hostPatternsMatch(hashed, '[db1]:2222')).toBe(true);
    expect(hostPatternsMatch(hashed, 'db1')).toBe(false);
    expect(hostPatternsMatch('cache-*.example,!cache-9.example', 'cache-1.example')).toBe(true);
    expect(hostPatternsMatch('cache-*.example,!cache-9.example', 'cache-9.example')).toBe(false);
    expect(hostPatternsMatch('db?', 'db1')).toBe(true);
    expect(hostPatternsMatch('db1', '[db1]:2222')).toBe(false);
    const kh = join(base, 'kh-revoked');
    fs.writeFileSync(kh, `@revoked * ssh-ed25519 ${server.hostKeyBlob.toString('base64')}\n`);
    expect(checkHostKey([kh], '127.0.0.1', server.port, server.hostKeyBlob, true)).toMatchObject({ ok: false, reason: 'revoked' });
  });
});

describe('ssh: locks, positional I/O, checksums, reconnects', () => {
  let root: string;
  let d: SshDriver;
  beforeAll(async () => {
    root = join(base, 'lock');
    fs.mkdirSync(root);
    fs.writeFileSync(join(root, "m 'q'.wsp"), Buffer.alloc(100, 7));
    d = await SshDriver.connect(server.url(root), sshOpts());
  });
  afterAll(async () => d.close());

  const tryLocal = canFlockLocally;

  it('an exclusive remote lock excludes other lockers until released', async () => {
    const path = join(root, "m 'q'.wsp");
    const lock = await d.lock("m 'q'.wsp", 'ex', 5000);
    expect(tryLocal(path)).toBe(false);
    await lock.release();
    expect(tryLocal(path)).toBe(true);
  });

  it('waits for a lock another process holds, and gives up after the timeout', async () => {
    const path = join(root, "m 'q'.wsp");
    const fd = fs.openSync(path, 'r');
    fsExt.flockSync(fd, 'ex');
    try {
      await expect(d.lock("m 'q'.wsp", 'ex', 1000)).rejects.toMatchObject({ code: 'ELOCKED' });
    } finally {
      fsExt.flockSync(fd, 'un');
      fs.closeSync(fd);
    }
    const lock = await d.lock("m 'q'.wsp", 'sh', 1000);
    await lock.release();
  });

  it('never creates the file it locks', async () => {
    await expect(d.lock('absent.wsp', 'ex', 1000)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(fs.existsSync(join(root, 'absent.wsp'))).toBe(false);
  });

  it('a dropped connection releases the lock, and the driver reconnects', async () => {
    const path = join(root, "m 'q'.wsp");
    await d.lock("m 'q'.wsp", 'ex', 5000);
    expect(tryLocal(path)).toBe(false);
    server.dropAll();
    for (let i = 0; i < 50 && !tryLocal(path); i++) await new Promise((r) => setTimeout(r, 50));
    expect(tryLocal(path)).toBe(true);
    expect((await d.stat("m 'q'.wsp"))?.size).toBe(100);
  });

  it('positional reads and writes, fsync, remote sha256', async () => {
    const f = await d.openFile("m 'q'.wsp");
    expect(f.size).toBe(100);
    expect((await f.readAll()).equals(Buffer.alloc(100, 7))).toBe(true);
    await f.write(10, Buffer.from('abc'));
    await f.write(98, Buffer.from('yz'));
    await f.sync();
    await f.close();
    const want = Buffer.alloc(100, 7);
    want.write('abc', 10);
    want.write('yz', 98);
    const got = fs.readFileSync(join(root, "m 'q'.wsp"));
    expect(got.equals(want)).toBe(true);
    const { createHash } = await import('node:crypto');
    expect(await d.sha256("m 'q'.wsp")).toBe(createHash('sha256').update(want).digest('hex'));
  });

  it('checksums and identities of many files asked at once (one batch): hostile names, a missing file, a directory', async () => {
    const { createHash } = await import('node:crypto');
    const names = ['b/back\\slash.wsp', 'b/new\nline.wsp', 'b/sp ace.wsp', 'b/$(touch x).wsp', "b/q'uote.wsp", 'b/plain.wsp'];
    fs.mkdirSync(join(root, 'b', 'dir.wsp'), { recursive: true });
    names.forEach((n, i) => fs.writeFileSync(join(root, n), Buffer.alloc(1000 + i, i + 1)));
    const [sums, ids, missingSum, missingId, dirId] = await Promise.all([
      Promise.all(names.map((n) => d.sha256(n))),
      Promise.all(names.map((n) => d.fileIdentity(n))),
      d.sha256('b/missing.wsp').then(
        () => 'found',
        (e: { code?: string }) => e.code,
      ),
      d.fileIdentity('b/missing.wsp'),
      d.fileIdentity('b/dir.wsp'),
    ]);
    expect(sums).toEqual(
      names.map((n) =>
        createHash('sha256')
          .update(fs.readFileSync(join(root, n)))
          .digest('hex'),
      ),
    );
    expect(ids.map((x) => `${x?.ino}:${x?.size}`)).toEqual(
      names.map((n) => `${fs.statSync(join(root, n)).ino}:${fs.statSync(join(root, n)).size}`),
    );
    expect(missingSum).toBe('ENOENT');
    expect(missingId).toBeNull();
    expect(dirId).toBeNull();
  });

  it('many fills at once into one node with live lock holders: no deadlock, every lock let go (the old one-channel-per-lock hang)', async () => {
    // 24 "fills" at once, each: lock, then more remote work while holding it (stat with inode, sha256,
    // a positional write), then release. Carbon-cache-like holders keep some files locked for a while.
    const names = Array.from({ length: 24 }, (_, i) => `many/f${i}.wsp`);
    fs.mkdirSync(join(root, 'many'), { recursive: true });
    for (const n of names) fs.writeFileSync(join(root, n), Buffer.alloc(64, 1));
    const held = names.slice(0, 6).map((n) => {
      const fd = fs.openSync(join(root, n), 'r');
      fsExt.flockSync(fd, 'ex');
      return fd;
    });
    const releaser = setTimeout(() => held.forEach((fd) => (fsExt.flockSync(fd, 'un'), fs.closeSync(fd))), 700);
    const fill = async (n: string) => {
      const lock = await d.lock(n, 'ex', 20_000);
      try {
        expect(lock.held()).toBe(true);
        const id = await d.fileIdentity(n);
        expect(lock.file).toBe(`${id!.dev}:${id!.ino}`);
        expect(await d.sha256(n)).toMatch(/^[0-9a-f]{64}$/);
        const f = await d.openFile(n);
        await f.write(0, Buffer.from('x'));
        await f.close();
      } finally {
        await lock.release();
      }
    };
    try {
      await Promise.race([
        Promise.all(names.map(fill)),
        new Promise((_, reject) => setTimeout(() => reject(new Error('fills did not finish in 30 s: deadlock')), 30_000)),
      ]);
    } finally {
      clearTimeout(releaser);
    }
    for (const n of names) {
      expect(fs.readFileSync(join(root, n))[0]).toBe(0x78);
      expect(tryLocal(join(root, n))).toBe(true);
    }
  }, 40_000);

  it('deferred unlinks: gone at once, one SFTP request each, their directories synced once by the next round', async () => {
    for (const dir of ['da', 'db']) {
      fs.mkdirSync(join(root, dir), { recursive: true });
      for (let i = 0; i < 5; i++) fs.writeFileSync(join(root, dir, `f${i}.wsp`), 'x');
    }
    const sent: string[] = [];
    server.faults.shellInput = (text) => (sent.push(text), text);
    const lstats = () => server.stats.sftp.LSTAT ?? 0;
    const removes = () => server.stats.sftp.REMOVE ?? 0;
    const [l0, r0] = [lstats(), removes()];
    try {
      for (const dir of ['da', 'db']) for (let i = 0; i < 5; i++) await d.unlink(`${dir}/f${i}.wsp`, { deferred: true });
      expect(fs.readdirSync(join(root, 'da'))).toEqual([]);
      expect(lstats() - l0).toBe(0);
      expect(removes() - r0).toBe(10);
      expect(sent.join('')).not.toMatch(/sync/); // nothing waited for a sync
      await d.syncPaths([]);
      const syncs = sent.join('').match(/\/(da|db)'/g) ?? [];
      expect(syncs.sort()).toEqual(["/da'", "/db'"]); // each directory once
      // A directory is still refused (named by a stat only then).
      await expect(d.unlink('da', { deferred: true })).rejects.toThrow(/a directory/);
    } finally {
      server.faults.shellInput = undefined;
    }
  });

  it('a remote shell that gets no answer in time fails with a message, and the next request starts a new one', async () => {
    const slow = await SshDriver.connect(server.url(root), sshOpts({ opTimeoutMs: 1500 }));
    const name = 'shell-timeout.wsp';
    fs.writeFileSync(join(root, name), 'abc');
    try {
      server.faults.shellInput = (text) => text.replace(/^\{ sha256sum/m, '{ sleep 5; sha256sum');
      await expect(slow.sha256(name)).rejects.toThrow(/no answer from the remote shell in time/);
      server.faults.shellInput = undefined;
      expect(await slow.sha256(name)).toBe(createHash('sha256').update('abc').digest('hex'));
    } finally {
      server.faults.shellInput = undefined;
      await slow.close();
    }
  });

  it("reads the node's clock from a file it creates over SFTP (no command), else from the shell's date", async () => {
    const sent: string[] = [];
    server.faults.shellInput = (text) => (sent.push(text), text);
    try {
      const d = await SshDriver.connect(server.url(root), sshOpts());
      try {
        expect(Math.abs(await d.clockOffsetMs())).toBeLessThan(1500);
        expect(sent.join('')).not.toMatch(/date/); // the SFTP probe answered
        expect(fs.readdirSync(root).filter((n) => n.startsWith('.ringshift-clock'))).toEqual([]);
      } finally {
        await d.close();
      }
      // Nothing may be created in the root (a read-only node): `date` in the remote shell.
      server.faults.denyOpen = (path, flags) => flags.includes('x') && posix.basename(path).startsWith('.ringshift-clock');
      const ro = await SshDriver.connect(server.url(root), sshOpts());
      try {
        expect(Math.abs(await ro.clockOffsetMs())).toBeLessThan(1500);
        expect(sent.join('')).toMatch(/date \+%s/);
      } finally {
        await ro.close();
      }
    } finally {
      server.faults.denyOpen = undefined;
      server.faults.shellInput = undefined;
    }
  });

  it('a request after an idle spell longer than the timeout is not taken for a silent node', async () => {
    // The watchdog counted silence from the last answer, even one from before the idle spell: the first
    // request after it was declared lost at the next tick unless it was answered within the tick.
    const idle = await SshDriver.connect(server.url(root), sshOpts({ opTimeoutMs: 1500 }));
    try {
      expect(await idle.stat("m 'q'.wsp")).not.toBeNull();
      await new Promise((r) => setTimeout(r, 2500));
      server.faults.statDelayMs = 700;
      expect(await idle.stat("m 'q'.wsp")).not.toBeNull();
    } finally {
      server.faults.statDelayMs = undefined;
      await idle.close();
    }
  });

  it('a backslash and a newline in a name: lock, identity, sha256 and I/O (GNU sha256sum would print \\HASH for it)', async () => {
    const name = 'odd\\name\nwith break.wsp';
    fs.writeFileSync(join(root, name), Buffer.alloc(48, 3));
    const lock = await d.lock(name, 'ex', 5000);
    expect(tryLocal(join(root, name))).toBe(false);
    const id = await d.fileIdentity(name);
    expect(lock.file).toBe(`${id!.dev}:${id!.ino}`);
    await lock.release();
    expect(tryLocal(join(root, name))).toBe(true);
    const { createHash } = await import('node:crypto');
    expect(await d.sha256(name)).toBe(createHash('sha256').update(Buffer.alloc(48, 3)).digest('hex'));
    await d.writeAtomic('odd\\dir\n/x.wsp', Buffer.from('ok'), { grouped: true });
    expect(fs.readFileSync(join(root, 'odd\\dir\n/x.wsp'), 'utf8')).toBe('ok');
  });

  it('quotes every argument for the shell', () => {
    expect(shq("a'b")).toBe(`'a'\\''b'`);
    expect(shq('$(x) `y` "z"')).toBe(`'$(x) \`y\` "z"'`);
  });
});
