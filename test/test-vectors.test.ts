// The vector reader: committed files decompress, a missing or damaged vector is an error naming the file
// (never a skip), RINGSHIFT_TEST_VECTORS points the tests at another set, and the refresh script refuses
// to run without its source.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PROJECT_ROOT } from './helpers/project-root.js';
import { UPSTREAM_ROOT, VECTORS_ROOT, upstreamPath, vectorBytes, vectorFile, vectorJson } from './helpers/test-vectors.js';

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

describe('the committed vectors', () => {
  const files = walk(VECTORS_ROOT);

  it('are compact: every file well under 2 MB', () => {
    for (const f of files) expect(statSync(f).size, relative(PROJECT_ROOT, f)).toBeLessThan(1_000_000);
  });

  it('every .gz decompresses and was written reproducibly (mtime 0, OS byte 3)', () => {
    const gz = files.filter((f) => f.endsWith('.gz'));
    expect(gz.length).toBeGreaterThan(100);
    for (const f of gz) {
      const rel = relative(VECTORS_ROOT, f).replace(/\.gz$/, '');
      const head = readFileSync(f).subarray(0, 10);
      expect([head.readUInt32LE(4), head[9]], rel).toEqual([0, 3]);
      expect(vectorBytes(rel).length, rel).toBe(gunzipSync(readFileSync(f)).length);
    }
  });

  it('reads a plain and a gzip’d file by the name without .gz', () => {
    expect(vectorJson<{ clusters: unknown[] }>('ring/clusters.json').clusters.length).toBeGreaterThan(10);
    expect(vectorJson<{ metrics: string[] }>('ring/metrics.json').metrics).toHaveLength(2000);
  });

  it('unpacks a fixture to a read-only file with the original bytes, once', () => {
    const p = vectorFile('whisper/fixtures/B_dense.wsp');
    expect(p).toContain('node_modules/.cache/ringshift-vectors/');
    expect(statSync(p).mode & 0o222).toBe(0);
    expect(readFileSync(p).equals(vectorBytes('whisper/fixtures/B_dense.wsp'))).toBe(true);
    expect(vectorFile('whisper/fixtures/B_dense.wsp')).toBe(p);
  });

  it('a missing vector is an error naming the file', () => {
    expect(() => vectorBytes('ring/no-such.json')).toThrow('test vector missing: test/vectors/ring/no-such.json.gz');
    expect(() => vectorFile('whisper/fixtures/no-such.wsp')).toThrow('whisper/fixtures/no-such.wsp.gz');
    expect(() => upstreamPath('carbon/no-such.conf')).toThrow(
      'upstream config fixture missing: test/fixtures/upstream/carbon/no-such.conf',
    );
  });

  it('the upstream configs are there, with their manifest and licenses', () => {
    expect(upstreamPath('MANIFEST.md')).toBe(join(UPSTREAM_ROOT, 'MANIFEST.md'));
    expect(readFileSync(upstreamPath('LICENSES.md'), 'utf8')).toContain('BSD-2-Clause');
    expect(walk(UPSTREAM_ROOT).length).toBeGreaterThan(120);
  });
});

describe('RINGSHIFT_TEST_VECTORS: another set', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  async function readerOver(files: Record<string, Buffer | string>) {
    const dir = mkdtempSync(join(tmpdir(), 'ringshift-vectors-test-'));
    for (const [rel, bytes] of Object.entries(files)) {
      mkdirSync(join(dir, rel, '..'), { recursive: true });
      writeFileSync(join(dir, rel), bytes);
    }
    vi.stubEnv('RINGSHIFT_TEST_VECTORS', dir);
    vi.resetModules();
    return { dir, reader: await import('./helpers/test-vectors.js') };
  }

  it('reads plain and gzip’d files from it', async () => {
    const { dir, reader } = await readerOver({ 'a.json': '{"x":1}', 'b.jsonl.gz': gzipSync('{"y":1}\n{"y":2}\n') });
    expect(reader.VECTORS_ROOT).toBe(dir);
    expect(reader.vectorJson('a.json')).toEqual({ x: 1 });
    expect(reader.vectorLines('b.jsonl')).toEqual([{ y: 1 }, { y: 2 }]);
    expect(reader.vectorFile('a.json')).toBe(join(dir, 'a.json'));
  });

  it('a damaged file is an error naming it, not a skip', async () => {
    const { dir, reader } = await readerOver({ 'bad.json.gz': Buffer.from('not gzip'), 'text.json': 'nope', 'l.jsonl': '{}\n{\n' });
    expect(() => reader.vectorBytes('bad.json')).toThrow(`test vector unreadable: ${join(dir, 'bad.json.gz')}: `);
    expect(() => reader.vectorJson('text.json')).toThrow('test vector is not JSON: text.json');
    expect(() => reader.vectorLines('l.jsonl')).toThrow('test vector line 2 is not JSON: l.jsonl');
  });
});

describe('npm run vectors:refresh', () => {
  it('without its source says so and exits 1, touching nothing', () => {
    const before = execFileSync('git', ['status', '--porcelain', 'test/vectors', 'test/fixtures/upstream'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
    });
    const r = spawnSync(process.execPath, ['scripts/refresh-vectors.mjs', '--from', join(tmpdir(), 'ringshift-no-such-shared')], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^refresh-vectors: no reference tree at .*ringshift-no-such-shared: .*committed copies .* are unchanged\n$/);
    expect(
      execFileSync('git', ['status', '--porcelain', 'test/vectors', 'test/fixtures/upstream'], { cwd: PROJECT_ROOT, encoding: 'utf8' }),
    ).toBe(before);
  });
});
