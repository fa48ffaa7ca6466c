// The ground truth the tests compare against lives in the repository: test/vectors (computed by upstream
// code, large files gzip'd) and test/fixtures/upstream (upstream configs, verbatim); test/vectors/README.md
// says where each set comes from and how `npm run vectors:refresh` rebuilds it. A missing or unreadable
// vector file is an error naming the file, so the test that needs it fails: ground truth is never skipped.
//
// RINGSHIFT_TEST_VECTORS=DIR runs the same tests against another vector set with the layout of
// test/vectors (ring/, whisper/; each file plain or .gz), e.g. a held-out set.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { PROJECT_ROOT } from './project-root.js';

export const VECTORS_ROOT = process.env.RINGSHIFT_TEST_VECTORS
  ? resolve(process.env.RINGSHIFT_TEST_VECTORS)
  : resolve(PROJECT_ROOT, 'test/vectors');
export const UPSTREAM_ROOT = resolve(PROJECT_ROOT, 'test/fixtures/upstream');
/** Where gzip'd vectors that code must open by path are unpacked, one directory per compressed content. */
const UNPACK_DIR = resolve(PROJECT_ROOT, 'node_modules/.cache/ringshift-vectors');

const shown = (p: string) => (p.startsWith(PROJECT_ROOT + '/') ? relative(PROJECT_ROOT, p) : p);

interface Located {
  path: string;
  gzip: boolean;
}

function locate(rel: string): Located {
  const plain = join(VECTORS_ROOT, rel);
  if (existsSync(`${plain}.gz`)) return { path: `${plain}.gz`, gzip: true };
  if (existsSync(plain)) return { path: plain, gzip: false };
  throw new Error(`test vector missing: ${shown(plain)}.gz (nor ${basename(plain)} beside it); see test/vectors/README.md`);
}

const cache = new Map<string, Buffer>();

/** The bytes of vector file `rel` (e.g. 'ring/vectors.jsonl'), decompressed; read once per process. */
export function vectorBytes(rel: string): Buffer {
  const hit = cache.get(rel);
  if (hit) return hit;
  const { path, gzip } = locate(rel);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
    if (gzip) bytes = gunzipSync(bytes);
  } catch (e) {
    throw new Error(`test vector unreadable: ${shown(path)}: ${(e as Error).message}`, { cause: e });
  }
  cache.set(rel, bytes);
  return bytes;
}

export function vectorText(rel: string): string {
  return vectorBytes(rel).toString('utf8');
}

export function vectorJson<T>(rel: string): T {
  try {
    return JSON.parse(vectorText(rel)) as T;
  } catch (e) {
    if (e instanceof SyntaxError) throw new Error(`test vector is not JSON: ${rel}: ${e.message}`, { cause: e });
    throw e;
  }
}

/** One JSON value per non-empty line. */
export function vectorLines<T>(rel: string): T[] {
  return vectorText(rel)
    .split('\n')
    .filter((l) => l !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as T;
      } catch (e) {
        throw new Error(`test vector line ${i + 1} is not JSON: ${rel}: ${(e as Error).message}`, { cause: e });
      }
    });
}

/**
 * A path holding vector file `rel`, for code that opens files by name (whisper fixtures). A plain file is
 * returned as is; a gzip'd one is unpacked once into node_modules/.cache/ringshift-vectors/<hash>/, read-only
 * like the original fixtures, and reused by later runs while its compressed content is the same.
 */
export function vectorFile(rel: string): string {
  const { path, gzip } = locate(rel);
  if (!gzip) return path;
  const hash = createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16);
  const target = join(UNPACK_DIR, hash, basename(rel));
  if (existsSync(target)) return target;
  const bytes = vectorBytes(rel);
  mkdirSync(join(UNPACK_DIR, hash), { recursive: true });
  const tmp = `${target}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  chmodSync(tmp, 0o444);
  renameSync(tmp, target);
  return target;
}

/** An upstream config under test/fixtures/upstream (MANIFEST.md there lists them). */
export function upstreamPath(...parts: string[]): string {
  const p = resolve(UPSTREAM_ROOT, ...parts);
  if (!existsSync(p)) throw new Error(`upstream config fixture missing: ${shown(p)}; see test/fixtures/upstream/MANIFEST.md`);
  return p;
}
