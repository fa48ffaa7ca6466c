// flock around fill and merge: waits for carbon-cache's exclusive lock, gives up after the timeout with
// dst untouched, --no-lock ignores it, and a dst replaced by rename while waiting is re-opened.
import { chmodSync, closeSync, copyFileSync, openSync, readFileSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WhisperError } from '../src/whisper/errors.js';
import { fillGaps } from '../src/whisper/fill-gaps.js';
import { merge } from '../src/whisper/merge.js';
import { rejectionOf } from './helpers/thrown.js';
import { NOW, PUBLIC_SET, copyFixture, fixturePath, loadPair, scratchDir, sha256, sha256NanCanonical } from './whisper/vectors.js';

const fsExt = createRequire(import.meta.url)('fs-ext') as { flockSync(fd: number, mode: string): void };

/** Take a lock on `path` through a separate open file description, as another process would. */
function hold(path: string, mode: 'exnb' | 'shnb'): { release(): void } {
  const fd = openSync(path, 'r');
  fsExt.flockSync(fd, mode);
  return { release: () => closeSync(fd) };
}

const fillGapsWant = () => loadPair('B_dense_into_gappy').ops.find((o) => o.id === 'fill_gaps')!.state.sha256_nan_canonical;

describe.runIf(PUBLIC_SET)('locking', () => {
  it('gives up after the timeout while another writer holds dst, dst unchanged', async () => {
    const dst = copyFixture('B_gappy_a', scratchDir(), 'dst.wsp');
    const h = hold(dst, 'exnb');
    try {
      const err = await rejectionOf(fillGaps(fixturePath('B_dense'), dst, { now: NOW, lockTimeoutMs: 150 }));
      expect(err).toBeInstanceOf(WhisperError);
      expect((err as WhisperError).code).toBe('Locked');
      expect((err as WhisperError).file).toBe(dst);
    } finally {
      h.release();
    }
    expect(sha256(readFileSync(dst))).toBe(sha256(readFileSync(fixturePath('B_gappy_a'))));
  });

  it('waits for the lock to be released, then fills', async () => {
    const dst = copyFixture('B_gappy_a', scratchDir(), 'dst.wsp');
    const h = hold(dst, 'exnb');
    setTimeout(() => h.release(), 120);
    const t0 = Date.now();
    const r = await fillGaps(fixturePath('B_dense'), dst, { now: NOW, lockTimeoutMs: 5000 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(100);
    expect(r.changed).toBe(true);
    expect(sha256NanCanonical(readFileSync(dst))).toBe(fillGapsWant());
  });

  it('a reader holding a shared lock on dst also blocks (exclusive needed)', async () => {
    const dst = copyFixture('B_gappy_a', scratchDir(), 'dst.wsp');
    const h = hold(dst, 'shnb');
    try {
      const err = await rejectionOf(fillGaps(fixturePath('B_dense'), dst, { now: NOW, lockTimeoutMs: 100 }));
      expect((err as WhisperError).code).toBe('Locked');
    } finally {
      h.release();
    }
  });

  it('an exclusive lock on src blocks too (src is read under a shared lock)', async () => {
    const dir = scratchDir();
    const src = copyFixture('B_dense', dir, 'src.wsp');
    const dst = copyFixture('B_gappy_a', dir, 'dst.wsp');
    const h = hold(src, 'exnb');
    try {
      const err = await rejectionOf(merge(src, dst, { now: NOW, lockTimeoutMs: 100 }));
      expect((err as WhisperError).code).toBe('Locked');
      expect((err as WhisperError).file).toBe(src);
    } finally {
      h.release();
    }
    expect(sha256(readFileSync(dst))).toBe(sha256(readFileSync(fixturePath('B_gappy_a'))));
  });

  it('lock: false ignores other locks', async () => {
    const dst = copyFixture('B_gappy_a', scratchDir(), 'dst.wsp');
    const h = hold(dst, 'exnb');
    try {
      await fillGaps(fixturePath('B_dense'), dst, { now: NOW, lock: false });
    } finally {
      h.release();
    }
    expect(sha256NanCanonical(readFileSync(dst))).toBe(fillGapsWant());
  });

  it('re-opens dst when it is replaced by rename while waiting for the lock', async () => {
    const dir = scratchDir();
    const dst = copyFixture('B_gappy_b', dir, 'dst.wsp');
    const h = hold(dst, 'exnb');
    setTimeout(() => {
      const tmp = join(dir, 'replacement.tmp');
      copyFileSync(fixturePath('B_gappy_a'), tmp);
      chmodSync(tmp, 0o644);
      renameSync(tmp, dst);
      h.release();
    }, 80);
    await fillGaps(fixturePath('B_dense'), dst, { now: NOW, lockTimeoutMs: 5000 });
    // The fill went into the new file (B_gappy_a), not the unlinked old one.
    expect(sha256NanCanonical(readFileSync(dst))).toBe(fillGapsWant());
  });
});
