// The whisper engine's in-memory entry points that `apply` uses for remote nodes: fillGaps with a source
// image, fillGapsImages (dst in memory, writes listed for replay), verifyHeaderBytes. Each must give exactly
// what the path-based functions give, on every vector fill_gaps case and every fixture.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WhisperError } from '../src/whisper/errors.js';
import { fillGaps, fillGapsImages } from '../src/whisper/fill-gaps.js';
import { verifyHeaderBytes, verifyWhisper } from '../src/whisper/verify.js';
import { NOW, copyFixture, fixturePath, manifest, scratchDir } from './whisper/vectors.js';

const cases = manifest.pairs
  .filter((p) => p.dst !== null)
  .flatMap((p) => p.ops.filter((o) => o.op === 'fill_gaps').map((o) => [`${p.name} ${o.id}`, p, o] as const));

async function outcome<T>(run: () => Promise<T> | T): Promise<{ ok: T } | { code: string }> {
  try {
    return { ok: await run() };
  } catch (err) {
    if (err instanceof WhisperError) return { code: err.code };
    throw err;
  }
}

describe('fill from memory equals fill from files', () => {
  it('has cases', () => expect(cases.length).toBeGreaterThan(30));

  it.each(cases)('%s', async (_label, pair, op) => {
    const dir = scratchDir('ringshift-apply-img-');
    const window = { from: op.args.window_from as number | undefined, until: op.args.window_until as number | undefined };
    const srcBytes = readFileSync(fixturePath(pair.src));

    // 1. the path API (the reference)
    const byPath = copyFixture(pair.dst!, dir, 'by-path.wsp');
    const ref = await outcome(() => fillGaps(fixturePath(pair.src), byPath, { now: NOW, ...window }));

    // 2. source image, dst file
    const bySrcImage = copyFixture(pair.dst!, dir, 'src-image.wsp');
    const viaImage = await outcome(() => fillGaps({ path: 'src', data: Buffer.from(srcBytes) }, bySrcImage, { now: NOW, ...window }));

    // 3. both in memory; replay the listed writes onto a copy of the original dst bytes
    const dstOrig = readFileSync(fixturePath(pair.dst!));
    const dstImage = Buffer.from(dstOrig);
    const inMemory = await outcome(() =>
      fillGapsImages({ path: 'src', data: Buffer.from(srcBytes) }, { path: 'dst', data: dstImage }, { now: NOW, ...window }),
    );

    if ('code' in ref) {
      expect(viaImage).toEqual(ref);
      expect(inMemory).toEqual(ref);
      expect(dstImage.equals(dstOrig)).toBe(true);
      return;
    }
    const want = readFileSync(byPath);
    expect(readFileSync(bySrcImage).equals(want)).toBe(true);
    expect('ok' in viaImage && viaImage.ok.total).toBe(ref.ok.total);
    expect('ok' in inMemory).toBe(true);
    if (!('ok' in inMemory)) return;
    expect(inMemory.ok.report.total).toBe(ref.ok.total);
    expect(dstImage.equals(want)).toBe(true);
    const replayed = Buffer.from(dstOrig);
    let written = 0;
    for (const w of inMemory.ok.writes) {
      dstImage.copy(replayed, w.position, w.position, w.position + w.length);
      written += w.length;
    }
    expect(replayed.equals(want)).toBe(true);
    expect(written).toBe(ref.ok.bytesWritten);
    // Only filled slots are listed: 12 bytes each.
    expect(written).toBe(ref.ok.total * 12);
  });

  it('lists writes in ascending order within the file, so slot 0 of an empty archive comes first', async () => {
    const pair = manifest.pairs.find((p) => p.name === 'B_dense_into_empty') ?? manifest.pairs.find((p) => p.dst !== null)!;
    const dstImage = Buffer.from(readFileSync(fixturePath(pair.dst!)));
    const { writes } = fillGapsImages(
      { path: 's', data: readFileSync(fixturePath(pair.src)) },
      { path: 'd', data: dstImage },
      { now: NOW },
    );
    expect(writes.length).toBeGreaterThan(0);
    for (let i = 1; i < writes.length; i++)
      expect(writes[i]!.position).toBeGreaterThanOrEqual(writes[i - 1]!.position + writes[i - 1]!.length);
  });

  it('a dry run lists nothing and leaves the image alone', () => {
    const pair = cases[0]![1];
    const dstOrig = readFileSync(fixturePath(pair.dst!));
    const img = Buffer.from(dstOrig);
    const { writes } = fillGapsImages(
      { path: 's', data: readFileSync(fixturePath(pair.src)) },
      { path: 'd', data: img },
      { now: NOW, dryRun: true },
    );
    expect(writes).toEqual([]);
    expect(img.equals(dstOrig)).toBe(true);
  });

  it('a truncated image is refused as DstCorrupt / SrcCorrupt, like a truncated file', () => {
    const good = readFileSync(fixturePath(cases[0]![1].src));
    const cut = good.subarray(0, good.length - 12);
    const dir = scratchDir('ringshift-apply-img-');
    writeFileSync(join(dir, 'cut.wsp'), cut);
    expect(() => fillGapsImages({ path: 's', data: good }, { path: 'd', data: Buffer.from(cut) }, { now: NOW })).toThrow(
      expect.objectContaining({ code: 'DstCorrupt' }),
    );
    expect(() => fillGapsImages({ path: 's', data: Buffer.from(cut) }, { path: 'd', data: Buffer.from(good) }, { now: NOW })).toThrow(
      expect.objectContaining({ code: 'SrcCorrupt' }),
    );
  });
});

describe('verifyHeaderBytes agrees with verifyWhisper on header and structure', () => {
  it.each(manifest.fixtures.map((f) => [f.name] as const))('%s', (name) => {
    const path = fixturePath(name);
    if (!existsSync(path)) return;
    const bytes = readFileSync(path);
    const full = verifyWhisper(path);
    const head = verifyHeaderBytes(path, bytes.subarray(0, 65536), bytes.length);
    if (full.ok) {
      expect(head.ok).toBe(true);
      expect(head.layout).toBe(full.layout);
    } else if (head.ok) {
      // Only slot-level problems are beyond a header check.
      expect(full.code).toBe('Corrupt');
      expect(full.error).toMatch(/^archive \d+: /);
    } else {
      expect(head.code).toBe(full.code);
      expect(head.error).toBe(full.error);
    }
  });
});
