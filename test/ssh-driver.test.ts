// The storage driver contract, run against the local driver and the ssh driver (through an in-process
// ssh2 server on loopback), plus what only the ssh driver does: host keys, authentication, quoting,
// remote flock, positional file access, reconnects.
import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StorageDriver, WalkEntry } from '../src/storage/driver.js';
import { LocalDriver } from '../src/storage/local-driver.js';
import { SshDriver, shq } from '../src/storage/ssh-driver.js';
import { checkHostKey, hostPatternsMatch, knownKeys } from '../src/storage/ssh-known-hosts.js';
import { driverContract, makeTree } from './helpers/driver-contract.js';
import { canFlockLocally } from './helpers/flock.js';
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
    const other = (await import('ssh2')).default.utils.generateKeyPairSync('ed25519');
    const blob = (await import('ssh2')).default.utils.parseKey(other.public);
    if (blob instanceof Error) throw blob;
    fs.writeFileSync(kh, `[127.0.0.1]:${server.port} ssh-ed25519 ${blob.getPublicSSH().toString('base64')}\n`);
    await expect(SshDriver.connect(server.url(root), sshOpts({ knownHostsFiles: [kh], acceptNewHostKeys: true }))).rejects.toThrow(
      /HOST KEY CHANGED/,
    );
  });

  it('reports a key the server does not accept', async () => {
    const wrong = join(base, 'wrong-key');
    fs.writeFileSync(wrong, (await import('ssh2')).default.utils.generateKeyPairSync('ed25519').private, { mode: 0o600 });
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

  it('quotes every argument for the shell', () => {
    expect(shq("a'b")).toBe(`'a'\\''b'`);
    expect(shq('$(x) `y` "z"')).toBe(`'$(x) \`y\` "z"'`);
  });
});
