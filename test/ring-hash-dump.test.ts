// `ring show --positions` and `ring hash` against the tools operators compare them with: carbon's own
// hashing.py (ConsistentHashRing.ring printed entry by entry, carbonHash, the replica keys) through
// /usr/bin/python3, and carbon-c-relay's own `-d` ring dump (the installed binary in test mode). Both
// must be there: these tests fail, not skip, without them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildRing } from '../src/ring/build.js';
import { fnv1aPosition16 } from '../src/ring/hash/fnv1a.js';
import { keyHashes, replicaKeys, RingKeyHasher } from '../src/ring/key-hashes.js';
import { positionLines } from '../src/ring/ring-dump.js';
import { makeRingSpec } from '../src/ring/spec.js';
import type { Destination, HashType, Impl } from '../src/ring/types.js';

const RUN = join(process.cwd(), 'bin/run.js');
const TMP = mkdtempSync(join(tmpdir(), 'ringshift-hash-dump-'));
const CRELAY = '/usr/bin/carbon-c-relay';

function python(code: string, input: unknown): unknown {
  const r = spawnSync('/usr/bin/python3', ['-c', code], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`/usr/bin/python3 (graphite-carbon installed?) failed: ${r.error?.message ?? r.stderr}`);
  return JSON.parse(r.stdout);
}

function cli(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [RUN, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

const NODES: [string, string | null][] = [
  ['10.0.0.1', 'a'],
  ['cache-02.example.net', null],
  ['::1', 'x'],
  ["it's", 'q"uote'],
  ['h\\b', 'é'],
];

/** fnv1a_ch replica keys of an instance. */
const keysOf = (instance: string): string[] => Array.from({ length: 100 }, (_, i) => `${i}-${instance}`);

const KEYS = ['servers.web01.cpu.user', 'x.é', 'a..b;t=1', 'collectd.host-7.load.shortterm', '指标.🚀', 'q\'"\\', ''];

describe('ring show --positions --positions-format carbon: ConsistentHashRing.ring as Python prints it', () => {
  for (const hash of ['carbon_ch', 'fnv1a_ch'] as const) {
    it(`${hash}: every entry, with odd names${hash === 'fnv1a_ch' ? ', positions past 65535' : ''}`, () => {
      // Twelve members sharing one instance under fnv1a_ch collide on every replica key; one of its keys
      // hashes to the top of the ring, so the bumps run past 65535.
      let top = '';
      for (let k = 0; top === ''; k++) if (keysOf(`t${k}`).some((key) => fnv1aPosition16(key) >= 65530)) top = `t${k}`;
      const nodes: [string, string | null][] =
        hash === 'fnv1a_ch' ? [...NODES, ...Array.from({ length: 12 }, (_, i): [string, string] => [`dup-${i}`, top])] : NODES;
      const expected = python(
        `import json, sys
from carbon.hashing import ConsistentHashRing
req = json.load(sys.stdin)
ring = ConsistentHashRing([tuple(n) for n in req['nodes']], hash_type=req['hash'])
print(json.dumps([str(e) for e in ring.ring]))`,
        { nodes, hash },
      ) as string[];
      const ring = buildRing(
        makeRingSpec({ hash, destinations: nodes.map(([server, instance]): Destination => ({ server, port: 2004, instance })) }),
      );
      expect([...positionLines(ring, 'carbon', 'ring')]).toEqual(expected);
      if (hash === 'fnv1a_ch') expect(ring.points!().at(-1)!.position).toBeGreaterThan(65535);
    });
  }
});

describe('ring show --positions --positions-format crelay: carbon-c-relay -d, byte for byte', () => {
  it(`${CRELAY} -t -d prints the same hash ring blocks`, () => {
    const conf = join(TMP, 'relay.conf');
    writeFileSync(
      conf,
      [
        'cluster ch',
        '    carbon_ch replication 2',
        '        10.0.0.1:2004=a',
        '        [::1]:2004=b',
        '        averyveryverylonghostname.example.net:2004=instance1',
        '        127.0.0.1:2104',
        '    ;',
        'cluster fnv',
        '    fnv1a_ch',
        '        10.0.0.1:2004=a',
        '        10.0.0.2:2004=a',
        '        10.0.0.3:2004',
        '    ;',
        'cluster jump',
        '    jump_fnv1a_ch',
        '        10.0.0.9:2004=b',
        '        10.0.0.8:2004=a',
        '        10.0.0.7:2004',
        '        10.0.0.6:2004=10',
        '    ;',
        'match * send to ch;',
        '',
      ].join('\n'),
    );
    const r = spawnSync(CRELAY, ['-t', '-d', '-f', conf], { input: '', encoding: 'utf8', timeout: 30_000 });
    expect(r.error, `${CRELAY} must be installed (apt-get install carbon-c-relay)`).toBeUndefined();
    const dump = r.stdout + r.stderr;
    for (const name of ['ch', 'fnv', 'jump']) {
      const lines = dump.split('\n');
      const start = lines.indexOf(`# hash ring for ${name} follows`);
      expect(start, `${name}: a ring dump in the relay's output`).toBeGreaterThanOrEqual(0);
      let end = start + 1;
      while (end < lines.length && /^ *-?[0-9]+@/.test(lines[end]!)) end++;
      const theirs = lines.slice(start, end).join('\n') + '\n';
      const ours = cli(['ring', 'show', '--ring', conf, '--cluster-name', name, '--positions', '--positions-format', 'crelay']);
      expect(ours.code, ours.err).toBe(0);
      expect(ours.out).toBe(theirs);
    }
  }, 300_000);
});

describe('ring hash: the hashes carbon computes', () => {
  it('carbonHash of each key (carbon_ch, fnv1a_ch) as carbon.hashing computes it, for carbon, graphite-web and buckytools', () => {
    const theirs = python(
      `import json, sys
from carbon.hashing import carbonHash
keys = json.load(sys.stdin)
print(json.dumps([[carbonHash(k, 'carbon_ch'), carbonHash(k, 'fnv1a_ch')] for k in keys]))`,
      KEYS,
    ) as [number, number][];
    KEYS.forEach((key, i) => {
      const rows = keyHashes(key);
      const at = (impl: Impl, hash: HashType): number | null => rows.find((r) => r.impl === impl && r.hash === hash)!.position;
      for (const impl of ['carbon', 'graphite-web', 'bucky'] as const) {
        expect(at(impl, 'carbon_ch'), `${impl} carbon_ch ${key}`).toBe(theirs[i]![0]);
        expect(at(impl, 'fnv1a_ch'), `${impl} fnv1a_ch ${key}`).toBe(theirs[i]![1]);
      }
    });
  });

  it('--members: the replica keys carbon formats, their hashes, and each node’s ring positions after the bumps', () => {
    const nodes: [string, string | null][] = [...NODES, ...Array.from({ length: 8 }, (_, i): [string, string] => [`dup-${i}`, 'z'])];
    for (const hash of ['carbon_ch', 'fnv1a_ch'] as const) {
      const theirs = python(
        `import json, sys
from carbon.hashing import ConsistentHashRing
req = json.load(sys.stdin)
nodes = [tuple(n) for n in req['nodes']]
ring = ConsistentHashRing(nodes, hash_type=req['hash'])
out = []
for node in nodes:
    keys = [("%d-%s" % (i, node[1])) if req['hash'] == 'fnv1a_ch' else ("%s:%d" % (node, i)) for i in range(100)]
    out.append({'keys': keys, 'hashes': [ring.compute_ring_position(k) for k in keys],
                'positions': sorted(p for (p, n) in ring.ring if n == node)})
print(json.dumps(out))`,
        { nodes, hash },
      ) as { keys: string[]; hashes: number[]; positions: number[] }[];
      const ring = buildRing(makeRingSpec({ hash, destinations: nodes.map(([server, instance]) => ({ server, port: 2004, instance })) }));
      const rows = [...replicaKeys(ring)!];
      expect(rows).toHaveLength(nodes.length * 100);
      nodes.forEach((_, n) => {
        const mine = rows.slice(n * 100, n * 100 + 100);
        expect(mine.map((r) => r.key)).toEqual(theirs[n]!.keys);
        expect(mine.map((r) => r.hash)).toEqual(theirs[n]!.hashes);
        expect(mine.map((r) => r.position).sort((a, b) => a - b)).toEqual(theirs[n]!.positions);
      });
      if (hash === 'fnv1a_ch') expect(rows.some((r) => r.position !== r.hash)).toBe(true);
    }
  });

  it('on a ring: the key as routed, its position, the entry the lookup starts from, the owners', () => {
    const ring = buildRing(
      makeRingSpec({
        impl: 'carbon-c-relay',
        replication: 2,
        destinations: ['a', 'b', 'c'].map((s): Destination => ({ server: s, port: 2003, instance: null })),
      }),
    );
    const h = new RingKeyHasher(ring).explain('servers..web01;env=prod');
    expect(h.routedAs).toBe('servers.web01;env=prod');
    expect(h.text).toBe('servers.web01');
    expect(h.position).toBe(keyHashes('servers.web01').find((r) => r.impl === 'carbon-c-relay' && r.hash === 'carbon_ch')!.position);
    const pts = ring.points!();
    expect(h.entry!.position).toBe(pts.find((p) => p.position >= h.position!)?.position ?? pts[0]!.position);
    expect(h.owners).toEqual(ring.locate('servers..web01;env=prod').owners);
    expect(h.owners[0]).toBe(h.entry!.member);
  });

  it('the command: NDJSON rows, --impl/--hash narrow them, --members needs a ring', () => {
    const r = cli(['ring', 'hash', '--json', '--impl', 'carbon', '--hash', 'carbon_ch', 'servers.web01.cpu.user']);
    expect(r.code, r.err).toBe(0);
    expect(
      r.out
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([
      {
        key: 'servers.web01.cpu.user',
        impl: 'carbon',
        hash: 'carbon_ch',
        text: 'servers.web01.cpu.user',
        position: 28773,
        digest: '7065d4936c126e5d22434202f4f20634',
      },
    ]);
    const members = cli(['ring', 'hash', '--destinations', 'a:2004:x,b:2004:x', '--members', '--json']);
    expect(members.out.trimEnd().split('\n')).toHaveLength(200);
    expect(JSON.parse(members.out.split('\n')[0]!)).toEqual({
      member: 'a:2004:x',
      replica: 0,
      key: "('a', 'x'):0",
      hash: expect.any(Number),
      position: expect.any(Number),
    });
    const bad = cli(['ring', 'hash', '--members']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^ringshift: error: --members needs a ring/);
  }, 300_000);
});
