// The ring commands run in-process (Cmd.run with captured stdout/stderr): output formats, option
// handling, and one-line errors with exit code 2 for bad input.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import RingDiff from '../commands/ring/diff.js';
import RingLocate from '../commands/ring/locate.js';
import RingShow from '../commands/ring/show.js';
import RingSieve from '../commands/ring/sieve.js';
import { buildRing } from '../src/ring/build.js';
import { parseDestinationList, parseInlineDestination } from '../src/ring/destination.js';
import { makeRingSpec } from '../src/ring/spec.js';
import { memberId } from '../src/ring/types.js';
import { runCommand, type CommandRun, type RunnableCommand } from './helpers/run-command.js';

async function run(cmd: RunnableCommand, argv: string[]): Promise<CommandRun> {
  const r = await runCommand(cmd, argv);
  // Only our own lines: oclif may print warnings about other (half-built) commands it scans.
  const ours = r.err.split('\n').filter((l) => l.startsWith('ringshift: ') || /^\s+at /.test(l));
  return { ...r, err: ours.map((l) => l + '\n').join('') };
}

afterEach(() => {
  process.exitCode = undefined;
});

const TMP = mkdtempSync(join(tmpdir(), 'ringshift-ring-cmd-'));
const DESTS = 'cache-a:2004:a,cache-b:2004:a,cache-c:2004:a,cache-d:2004:a';
const NAMES = Array.from({ length: 500 }, (_, i) => `servers.host${i % 37}.cpu.${i}`);
const NAMES_FILE = join(TMP, 'names.txt');
writeFileSync(NAMES_FILE, NAMES.join('\n') + '\n');
const ring = buildRing(makeRingSpec({ destinations: parseDestinationList(DESTS, parseInlineDestination) }));

describe('ring locate', () => {
  it('text: one aligned line per name, owners primary first', async () => {
    const r = await run(RingLocate, ['--destinations', DESTS, '--replication', '2', 'a.b', 'servers.web01.cpu.user']);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    const r2 = buildRing(makeRingSpec({ destinations: parseDestinationList(DESTS, parseInlineDestination), replication: 2 }));
    for (const [i, name] of ['a.b', 'servers.web01.cpu.user'].entries()) {
      const cells = lines[i]!.split(/ {2,}/);
      expect(cells).toEqual([name, ...r2.locate(name).owners.map(memberId)]);
    }
    expect(lines[0]!.indexOf('cache-')).toBe(lines[1]!.indexOf('cache-'));
  });

  it('--json from a file: one object per line, in input order', async () => {
    const r = await run(RingLocate, ['--destinations', DESTS, '-f', NAMES_FILE, '--json']);
    expect(r.code).toBe(0);
    const lines = r.out
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { metric: string; owners: unknown[] });
    expect(lines.map((l) => l.metric)).toEqual(NAMES);
    for (const l of lines) {
      const o = ring.locate(l.metric).owners.map((d) => ({ server: d.server, port: d.port, instance: d.instance }));
      expect(l.owners).toEqual(o);
    }
  });

  it('c-relay: routedAs and dropped', async () => {
    const r = await run(RingLocate, ['--impl', 'carbon-c-relay', '--destinations', 'a:2003=x,b:2003=y', '--json', 'a..b', '...']);
    const [first, second] = r.out
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(first!.routedAs).toBe('a.b');
    expect(second).toEqual({ metric: '...', owners: [], dropped: true });
  });

  it('a missing names file is a usage error naming the file', async () => {
    const r = await run(RingLocate, ['--destinations', DESTS, '-f', join(TMP, 'nope.txt')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^ringshift: error: .*nope\.txt: cannot read names: no such file or directory\n$/);
  });
});

describe('bad ring input: one line, exit 2, no stack trace', () => {
  it.each([
    [
      ['--destinations', 'a:2004,b:x'],
      'ringshift: error: --destinations: bad port "x" in destination "b:x" (expected host:port[:instance] or [ipv6]:port[:instance])\n',
    ],
    [
      ['--impl', 'carbon-c-relay', '--destinations', 'a:2003=x,b:2003=y', '--replication', '3'],
      /replication 3 is larger than the number of members \(2\)/,
    ],
    [['--impl', 'bucky', '--destinations', 'a:2003,b:2003', '--replication', '2'], /buckytools supports one owner per metric/],
    [
      [
        '--impl',
        'carbon-c-relay',
        '--hash',
        'fnv1a_ch',
        '--destinations',
        '10.0.0.1:2003=cache0,10.0.0.1:2103=cache1,10.0.0.2:2003=cache0,10.0.0.2:2103=cache1',
        '--replication',
        '3',
      ],
      /spin forever/,
    ],
    [['--destinations', 'a:2004:x,a:2104:x'], /already configured/],
    [['--impl', 'graphite-web', '--no-diverse', '--destinations', 'a:1'], /always picks replicas on distinct hosts/],
  ])('%j', async (args, msg) => {
    const r = await run(RingLocate, [...args, 'x.y']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.split('\n')).toHaveLength(2);
    expect(r.err.startsWith('ringshift: error: ')).toBe(true);
    if (typeof msg === 'string') expect(r.err).toBe(msg);
    else expect(r.err).toMatch(msg);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('an unknown hash is rejected by the flag parser with exit 2', async () => {
    const r = await run(RingLocate, ['--hash', 'md5', '--destinations', DESTS, 'x']);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      'ringshift: error: --hash "md5" is not one of the choices (expected one of: carbon_ch, fnv1a_ch, jump_fnv1a_ch, mmh3_ch)\n',
    );
  });
});

describe('ring sieve', () => {
  it('partitions the names: every name is passed for exactly its owner (RF 1), --invert is the complement', async () => {
    const seen: string[] = [];
    for (const m of ring.members) {
      const r = await run(RingSieve, ['--destinations', DESTS, '--node', m.server, '-f', NAMES_FILE]);
      expect(r.code).toBe(0);
      const got = r.out === '' ? [] : r.out.trimEnd().split('\n');
      expect(got).toEqual(NAMES.filter((n) => ring.locate(n).owners[0] === m));
      const inv = await run(RingSieve, ['--destinations', DESTS, '--node', `${m.server}:${m.instance}`, '--invert', '-f', NAMES_FILE]);
      expect(inv.out.trimEnd().split('\n').length).toBe(NAMES.length - got.length);
      seen.push(...got);
    }
    expect(seen.sort()).toEqual([...NAMES].sort());
  });

  it('RF 2: any owner by default, --primary for the primary only; --json gives locate lines', async () => {
    const args = ['--destinations', DESTS, '--replication', '2', '--node', 'cache-b:2004:a', '-f', NAMES_FILE];
    const r2 = buildRing(makeRingSpec({ destinations: parseDestinationList(DESTS, parseInlineDestination), replication: 2 }));
    const any = (await run(RingSieve, args)).out.trimEnd().split('\n');
    const primary = (await run(RingSieve, [...args, '--primary'])).out.trimEnd().split('\n');
    expect(any).toEqual(NAMES.filter((n) => r2.locate(n).owners.some((o) => o.server === 'cache-b')));
    expect(primary).toEqual(NAMES.filter((n) => r2.locate(n).owners[0]!.server === 'cache-b'));
    expect(primary.length).toBeLessThan(any.length);
    const json = (await run(RingSieve, [...args, '--json'])).out
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { metric: string });
    expect(json.map((j) => j.metric)).toEqual(any);
  });

  it('an unknown node is a usage error listing the members', async () => {
    const r = await run(RingSieve, ['--destinations', DESTS, '--node', 'cache-z', 'x']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--node "cache-z" matches no ring member \(members: cache-a:2004:a, cache-b:2004:a/);
  });
});

describe('ring show', () => {
  it('--json: members with exact shares summing to 1, imbalance', async () => {
    const r = await run(RingShow, ['--destinations', DESTS, '--json']);
    const j = JSON.parse(r.out) as {
      exact: boolean;
      positions: number;
      members: { server: string; port: number; instance: string; share: number }[];
      imbalance: { min: number; max: number };
    };
    expect(j.exact).toBe(true);
    expect(j.positions).toBe(65536);
    expect(j.members.map((m) => m.server)).toEqual(['cache-a', 'cache-b', 'cache-c', 'cache-d']);
    expect(j.members.reduce((s, m) => s + m.share, 0)).toBeCloseTo(1, 12);
    const counts = [0, 0, 0, 0];
    for (let p = 0; p < 65536; p++) counts[ring.members.indexOf(ring.positionSpace!.ownersAt(p)[0]!)]!++;
    expect(j.members.map((m) => m.share)).toEqual(counts.map((c) => c / 65536));
    expect(j.imbalance.min).toBe(Math.min(...counts) / 65536);
  });

  it('RF 2 with names: any-replica shares and name counts', async () => {
    const r = await run(RingShow, ['--destinations', DESTS, '--replication', '2', '-f', NAMES_FILE, '--json']);
    const j = JSON.parse(r.out) as { members: { anyShare: number; names: number; anyNames: number }[]; metrics: { total: number } };
    expect(j.metrics.total).toBe(500);
    expect(j.members.reduce((s, m) => s + m.names, 0)).toBe(500);
    expect(j.members.reduce((s, m) => s + m.anyNames, 0)).toBe(1000);
    expect(j.members.reduce((s, m) => s + m.anyShare, 0)).toBeCloseTo(2, 12);
  });

  it('text output names the method', async () => {
    const r = await run(RingShow, ['--destinations', DESTS, '--router', 'fast-hashing', '--sample', '20000']);
    expect(r.out).toMatch(/^ring: carbon mmh3_ch, fast-hashing, replication 1, 4 members\nshares: estimate over 20,000 sampled keys/);
  });
});

describe('ring diff', () => {
  const FROM = `destinations=${DESTS}`;
  const TO = `destinations=${DESTS},cache-e:2004:a`;

  it('--json: the documented fields; flows only into the new member', async () => {
    const r = await run(RingDiff, ['--from', FROM, '--to', TO, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as {
      exact: boolean;
      keyspace: { ownersChanged: number; primaryChanged: number };
      members: { node: string; primaryAfter: number }[];
      flows: { from: string; to: string; share: number }[];
      onlyTo: string[];
    };
    expect(j.exact).toBe(true);
    expect(j.onlyTo).toEqual(['cache-e:a']);
    expect(j.flows.every((f) => f.to === 'cache-e:2004:a')).toBe(true);
    expect(j.keyspace.primaryChanged).toBe(j.members.find((m) => m.node === 'cache-e:a')!.primaryAfter);
    expect(j.keyspace.ownersChanged).toBe(j.keyspace.primaryChanged);
  });

  it('--list with names prints moved names first, then the summary; --exit-code', async () => {
    const after = buildRing(makeRingSpec({ destinations: parseDestinationList(`${DESTS},cache-e:2004:a`, parseInlineDestination) }));
    const moved = NAMES.filter((n) => memberId(ring.locate(n).owners[0]!) !== memberId(after.locate(n).owners[0]!));
    const r = await run(RingDiff, ['--from', FROM, '--to', TO, '-f', NAMES_FILE, '--list', '--json', '--exit-code']);
    expect(r.code).toBe(1);
    const lines = r.out
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const summary = lines.pop() as { metrics: { total: number; ownersChanged: number } };
    expect(lines.map((l) => l.metric)).toEqual(moved);
    expect(lines.every((l) => (l.to as string[])[0] === 'cache-e:2004:a')).toBe(true);
    expect(summary.metrics.total).toBe(500);
    expect(summary.metrics.ownersChanged).toBe(moved.length);
    const text = await run(RingDiff, ['--from', FROM, '--to', TO, '-f', NAMES_FILE, '--list']);
    expect(text.code).toBe(0);
    expect(text.out.split('\n').slice(0, moved.length)).toEqual(
      moved.map((n) => `${n}  ${memberId(ring.locate(n).owners[0]!)} -> cache-e:2004:a`),
    );
    expect(text.out).toMatch(/\nnames: 500, counted exactly\n {2}owner list changed \d+ \(/);
  });

  it('identical rings with --exit-code exit 0', async () => {
    const r = await run(RingDiff, ['--from', FROM, '--to', FROM, '--exit-code']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/owner list changed 0\.000 %, primary changed 0\.000 %/);
  });

  it('errors name the side: --to', async () => {
    const r = await run(RingDiff, ['--from', FROM, '--to', 'impl=carbon-c-relay;replication=9;destinations=a:1=x']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^ringshift: error: --to: replication 9 is larger than the number of members/);
    const r2 = await run(RingDiff, ['--from', 'destinations=a:1;hash=sha1', '--to', FROM]);
    expect(r2.err).toMatch(/^ringshift: error: --from: hash "sha1" is not supported/);
    const r3 = await run(RingDiff, ['--from', FROM, '--to', FROM, '--list']);
    expect(r3.code).toBe(2);
    expect(r3.err).toMatch(/--list needs metric names/);
  });
});

describe('rings from config files (--ring, --from FILE, ring=FILE)', () => {
  const CARBON = join(TMP, 'carbon.conf');
  const WEBAPP = join(TMP, 'local_settings.py');
  const RELAY = join(TMP, 'relay.conf');
  const BAD = join(TMP, 'bad.conf');
  const hosts = [
    'graphite-1:2004:a',
    'graphite-1:2104:b',
    'graphite-2:2004:a',
    'graphite-2:2104:b',
    'graphite-3:2004:a',
    'graphite-3:2104:b',
  ];
  writeFileSync(
    CARBON,
    `[cache]\nLOCAL_DATA_DIR = /var/lib/graphite/whisper\n\n[relay]\nRELAY_METHOD = consistent-hashing\nREPLICATION_FACTOR = 2\nDESTINATIONS = ${hosts.join(', ')}\n`,
  );
  // The webapp lists 127.0.0.1 for graphite-3's second cache: the classic mismatch.
  const links = hosts
    .map((h) => h.replace(':2004:', ':7002:').replace(':2104:', ':7102:'))
    .map((h, i) => (i === 5 ? '127.0.0.1:7102:b' : h));
  writeFileSync(WEBAPP, `SECRET_KEY = 'x'\nCARBONLINK_HOSTS = ${JSON.stringify(links)}\nREPLICATION_FACTOR = 2\n`);
  writeFileSync(
    RELAY,
    `cluster graphite\n    carbon_ch replication 2\n${hosts.map((h) => `        ${h.replace(/:(\d+):(\w)$/, ':$1=$2')}\n`).join('')}    ;\nmatch * send to graphite;\n`,
  );
  writeFileSync(BAD, '[relay]\nRELAY_METHOD = consistent-hashing\nDESTINATIONS = graphite-1:2004:a,\n  graphite-2:x:a\n');

  it('ring show --ring carbon.conf, with a what-if override', async () => {
    const j = JSON.parse((await run(RingShow, ['--ring', CARBON, '--json'])).out) as {
      ring: { replication: number; source: string };
      members: { anyShare: number }[];
    };
    expect(j.ring.replication).toBe(2);
    expect(j.ring.source).toBe(CARBON);
    expect(j.members).toHaveLength(6);
    const j1 = JSON.parse((await run(RingShow, ['--ring', CARBON, '--replication', '1', '--json'])).out) as {
      ring: { replication: number };
      members: { anyShare?: number }[];
    };
    expect(j1.ring.replication).toBe(1);
    expect(j1.members[0]!.anyShare).toBeUndefined();
  });

  it('relay vs webapp files: the 127.0.0.1 member is reported by name on both sides', async () => {
    const r = await run(RingDiff, ['--from', CARBON, '--to', WEBAPP, '--json']);
    const j = JSON.parse(r.out) as {
      exact: boolean;
      onlyFrom: string[];
      onlyTo: string[];
      keyspace: { primaryChanged: number };
      match: { mode: string };
    };
    expect(j.exact).toBe(true);
    expect(j.match.mode).toBe('node');
    expect(j.onlyFrom).toEqual(['graphite-3:b']);
    expect(j.onlyTo).toEqual(['127.0.0.1:b']);
    expect(j.keyspace.primaryChanged).toBeGreaterThan(0.1);
  });

  it('carbon.conf vs the same members in a c-relay config: primaries differ only on collisions', async () => {
    const j = JSON.parse((await run(RingDiff, ['--from', CARBON, '--to', RELAY, '--json'])).out) as {
      exact: boolean;
      keyspace: { primaryChanged: number; ownersChanged: number };
    };
    expect(j.exact).toBe(true);
    expect(j.keyspace.primaryChanged).toBeLessThan(0.01);
    // RF 2: carbon is host-diverse, c-relay is not, so many replica lists differ.
    expect(j.keyspace.ownersChanged).toBeGreaterThan(j.keyspace.primaryChanged);
  });

  it('inline ring=FILE with overrides; the same file on both sides changes nothing', async () => {
    const same = JSON.parse((await run(RingDiff, ['--from', CARBON, '--to', `ring=${CARBON}`, '--json'])).out) as {
      keyspace: { ownersChanged: number };
    };
    expect(same.keyspace.ownersChanged).toBe(0);
    const rf1 = JSON.parse((await run(RingDiff, ['--from', CARBON, '--to', `ring=${CARBON};rf=1`, '--json'])).out) as {
      keyspace: { ownersChanged: number; primaryChanged: number };
    };
    expect(rf1.keyspace.ownersChanged).toBe(1);
    expect(rf1.keyspace.primaryChanged).toBe(0);
  });

  it('a malformed destination in a file: file:line, exit 2', async () => {
    const r = await run(RingLocate, ['--ring', BAD, 'x']);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      `ringshift: error: ${BAD}:4: bad port "x" in destination "graphite-2:x:a" (expected host:port[:instance] or [ipv6]:port[:instance])\n`,
    );
    const r2 = await run(RingDiff, ['--from', CARBON, '--from-cluster', 'nope', '--to', CARBON]);
    expect(r2.code).toBe(2);
    expect(r2.err).toMatch(/carbon\.conf: no \[relay:nope\] section/);
  });
});
