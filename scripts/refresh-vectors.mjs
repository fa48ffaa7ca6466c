// Rebuilds the committed test ground truth from the reference tree ../shared (beside the checkout):
//
//   npm run vectors:refresh                 reads ../shared
//   npm run vectors:refresh -- --from DIR   reads DIR (same layout: DIR/vectors, DIR/upstream-configs)
//
// test/vectors/ring, test/vectors/whisper   the vectors computed by upstream code, gzip'd where large
// test/fixtures/upstream                    the upstream example/test configs, verbatim
//
// The tests never read ../shared: a fresh clone must pass `npm test` with nothing beside it, so the
// vectors live in the repository (test/vectors/README.md says where each set comes from). This script
// is the only way they change. Output is deterministic: gzip with mtime 0 and a fixed OS byte, and a
// file whose decompressed content is unchanged is left alone, so a refresh with unchanged inputs gives
// no git diff even when a different zlib would compress differently. Files that no longer come from the
// source are removed; the files written by hand (test/vectors/README.md,
// test/fixtures/upstream/LICENSES.md) are kept.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const VECTORS_OUT = join(ROOT, 'test/vectors');
const UPSTREAM_OUT = join(ROOT, 'test/fixtures/upstream');
/** Written by hand, never touched by a refresh. */
const KEEP = new Set([join(VECTORS_OUT, 'README.md'), join(UPSTREAM_OUT, 'LICENSES.md')]);

function usage(message) {
  process.stderr.write(`refresh-vectors: ${message}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  let from = resolve(ROOT, '../shared');
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--from') {
      if (argv[i + 1] === undefined) usage('--from needs a directory');
      from = resolve(argv[++i]);
    } else if (a.startsWith('--from=')) from = resolve(a.slice('--from='.length));
    else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: node scripts/refresh-vectors.mjs [--from DIR]   (default DIR: ../shared beside the checkout)\n');
      process.exit(0);
    } else usage(`unknown argument ${JSON.stringify(a)} (expected --from DIR)`);
  }
  return from;
}

/** gzip, byte-for-byte reproducible on one zlib: level 9, mtime 0, no name, OS byte 3 (Unix). */
function gzip(bytes) {
  const gz = gzipSync(bytes, { level: 9 });
  gz.writeUInt32LE(0, 4);
  gz[9] = 3;
  return gz;
}

function listFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? listFiles(p) : [p];
  });
}

/** Output path → { bytes (uncompressed), gzip } for everything the tests read. */
function plan(from) {
  const out = new Map();
  const need = (p) => {
    if (!existsSync(p)) usage(`${p} is missing: is ${from} the reference tree (vectors/, upstream-configs/)?`);
    return readFileSync(p);
  };
  const add = (src, dst, compress) => out.set(compress ? `${dst}.gz` : dst, { bytes: need(src), gzip: compress });

  // Ring vectors: clusters.json stays readable (small, reviewed by eye); the rest is gzip'd.
  const ring = join(from, 'vectors/ring');
  add(join(ring, 'README.md'), join(VECTORS_OUT, 'ring/README.md'), false);
  add(join(ring, 'clusters.json'), join(VECTORS_OUT, 'ring/clusters.json'), false);
  for (const f of ['metrics.json', 'rings.json', 'vectors.jsonl']) add(join(ring, f), join(VECTORS_OUT, 'ring', f), true);

  // Whisper vectors: manifest and index stay readable; fixtures, expected states and results are gzip'd.
  const wsp = join(from, 'vectors/whisper');
  const wout = join(VECTORS_OUT, 'whisper');
  add(join(wsp, 'README.md'), join(wout, 'README.md'), false);
  add(join(wsp, 'manifest.json'), join(wout, 'manifest.json'), false);
  const manifest = JSON.parse(need(join(wsp, 'manifest.json')).toString('utf8'));
  for (const f of manifest.fixtures) add(join(wsp, f.file), join(wout, f.file), true);
  add(join(wsp, 'expected/index.json'), join(wout, 'expected/index.json'), false);
  const index = JSON.parse(need(join(wsp, 'expected/index.json')).toString('utf8'));
  for (const rel of index.singles) add(join(wsp, rel), join(wout, rel), true);
  for (const rel of index.pairs) {
    add(join(wsp, rel), join(wout, rel), true);
    // Result files: the tests compare bytes only for fill_gaps (the upstream ops are compared by slots).
    const expected = JSON.parse(need(join(wsp, rel)).toString('utf8'));
    for (const op of expected.ops)
      if (op.op === 'fill_gaps' && op.result_file) add(join(wsp, op.result_file), join(wout, op.result_file), true);
  }

  // Upstream configs: verbatim (the tests lint and parse them in place, includes are relative).
  const up = join(from, 'upstream-configs');
  if (!existsSync(up)) usage(`${up} is missing: is ${from} the reference tree (vectors/, upstream-configs/)?`);
  for (const f of listFiles(up)) add(f, join(UPSTREAM_OUT, relative(up, f)), false);
  return out;
}

function sameContent(path, want) {
  if (!existsSync(path)) return false;
  let have = readFileSync(path);
  if (want.gzip) {
    try {
      have = gunzipSync(have);
    } catch {
      return false;
    }
  }
  return have.equals(want.bytes);
}

function main() {
  const from = parseArgs(process.argv.slice(2));
  if (!existsSync(from) || !statSync(from).isDirectory()) {
    usage(
      `no reference tree at ${from}: the vectors are refreshed from ../shared (beside the checkout) or --from DIR; the committed copies in test/vectors and test/fixtures/upstream are unchanged`,
    );
  }
  const files = plan(from);
  let written = 0;
  let kept = 0;
  let removed = 0;
  for (const [path, want] of files) {
    if (sameContent(path, want)) {
      kept++;
      continue;
    }
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, want.gzip ? gzip(want.bytes) : want.bytes);
    written++;
  }
  for (const path of [...listFiles(join(VECTORS_OUT)), ...listFiles(UPSTREAM_OUT)]) {
    if (files.has(path) || KEEP.has(path)) continue;
    rmSync(path);
    removed++;
  }
  let bytes = 0;
  for (const path of [...files.keys()].sort()) {
    bytes += statSync(path).size;
  }
  process.stdout.write(
    `refresh-vectors: from ${from}: ${files.size} files (${written} written, ${kept} unchanged, ${removed} removed), ` +
      `${(bytes / 1024).toFixed(0)} KiB on disk\n`,
  );
}

main();
