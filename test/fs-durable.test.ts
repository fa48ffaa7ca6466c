// The one directory fsync (src/fs-durable.ts): it works on a real directory and reports a failure with
// the directory named, and whisper's create passes that failure on instead of calling the file durable.
import fs from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { fsyncDir, fsyncDirSync } from '../src/fs-durable.js';
import { create } from '../src/whisper/create.js';
import { WhisperError } from '../src/whisper/errors.js';
import { caught } from './helpers/thrown.js';

const dir = mkdtempSync(join(tmpdir(), 'ringshift-durable-'));

afterEach(() => {
  vi.restoreAllMocks();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function eio(): NodeJS.ErrnoException {
  return Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO', errno: -5, syscall: 'fsync' });
}

describe('fsyncDir', () => {
  it('syncs a real directory, both ways', async () => {
    await expect(fsyncDir(dir)).resolves.toBeUndefined();
    expect(() => fsyncDirSync(dir)).not.toThrow();
  });

  it('reports a directory it cannot open, naming it and keeping the errno code', async () => {
    const missing = join(dir, 'nope');
    await expect(fsyncDir(missing)).rejects.toMatchObject({
      code: 'ENOENT',
      message: expect.stringContaining(`fsync of directory ${missing}`),
    });
    expect(caught(() => fsyncDirSync(missing))).toMatchObject({ code: 'ENOENT' });
  });

  it('reports a failed fsync instead of swallowing it', () => {
    vi.spyOn(fs, 'fsyncSync').mockImplementation(() => {
      throw eio();
    });
    const err = caught(() => fsyncDirSync(dir)) as NodeJS.ErrnoException;
    expect(err.code).toBe('EIO');
    expect(err.message).toBe(`fsync of directory ${dir}: EIO: i/o error, fsync`);
  });

  it('lets through a filesystem that cannot sync a directory at all (EINVAL)', () => {
    vi.spyOn(fs, 'fsyncSync').mockImplementation(() => {
      throw Object.assign(new Error('EINVAL: invalid argument, fsync'), { code: 'EINVAL' });
    });
    expect(() => fsyncDirSync(dir)).not.toThrow();
  });

  it('whisper create: a failed directory fsync is an error, not a silently undurable file', () => {
    vi.spyOn(fs, 'fsyncSync').mockImplementation(() => {
      throw eio();
    });
    const path = join(dir, 'x.wsp');
    const err = caught(() => create(path, [[60, 10]]));
    expect(err).toBeInstanceOf(WhisperError);
    expect((err as WhisperError).code).toBe('IO');
    expect((err as WhisperError).message).toMatch(/^cannot make its name durable: EIO: fsync of directory/);
  });
});
