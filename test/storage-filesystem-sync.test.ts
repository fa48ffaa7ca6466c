// syncfs through one long-lived shell: answers in order, survives its shell being killed (falls back
// to a `sync -f` of its own), and never keeps the process alive when idle.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FilesystemSync } from '../src/storage/filesystem-sync.js';

const dir = fs.mkdtempSync(join(tmpdir(), 'ringshift-syncfs-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('FilesystemSync', () => {
  it('answers concurrent requests, one shell for all of them', async () => {
    const s = new FilesystemSync(dir);
    await Promise.all(Array.from({ length: 10 }, () => s.sync()));
    await s.sync();
    expect(s.calls).toBe(11);
    const shells = spawnSync('pgrep', ['-P', String(process.pid), '-f', 'ringshift-syncfs'], { encoding: 'utf8' });
    expect(shells.stdout.trim().split('\n').filter(Boolean)).toHaveLength(1);
    s.close();
  });

  it('a killed shell: the waiting request and later ones still get a real syncfs', async () => {
    const s = new FilesystemSync(dir);
    await s.sync();
    const pids = spawnSync('pgrep', ['-P', String(process.pid), '-f', 'ringshift-syncfs'], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n');
    for (const pid of pids) if (pid !== '') process.kill(Number(pid), 'SIGKILL');
    await s.sync();
    await s.sync();
    expect(s.calls).toBe(3);
    s.close();
  });

  it('a directory `sync -f` cannot open falls back to a plain sync(2)', async () => {
    const s = new FilesystemSync(join(dir, 'no-such-dir'));
    await expect(s.sync()).resolves.toBeUndefined();
    s.close();
  });
});
