// carbon-c-relay's own golden tests (test/*.tst|.dbg → *.out, test/fixtures/upstream/carbon-c-relay/golden)
// replayed through our parser, rule walk and ring engine: the config echo, the ring dumps (`-d`) and every
// routing decision of `relay -t` (cluster, `route using` key, hash_pos, owners). `-t` hashes the raw
// input, so the rings are built with sanitize false.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { crelayRing, parseCrelayConfig, type CrelayCluster, type CrelayConfig } from '../src/config/crelay-conf.js';
import { crelayExpand, crelayRoute } from '../src/config/crelay-route.js';
import { ConfigError } from '../src/errors.js';
import { buildRing } from '../src/ring/build.js';
import { fnv1aPosition16Signed } from '../src/ring/hash/fnv1a.js';
import { md5Position16 } from '../src/ring/hash/md5.js';
import type { Destination, Ring } from '../src/ring/types.js';
import { upstreamPath } from './helpers/test-vectors.js';

const ROOT = upstreamPath('carbon-c-relay');
const golden = (name: string) => `${ROOT}/golden/${name}`;

function confPath(test: string): string {
  const local = `${ROOT}/test/${test}.conf`;
  return existsSync(local) ? local : `${ROOT}/issues/${test}.conf`;
}

/** How the relay prints a member in its config echo and ring dumps: host:port[=instance]. */
function label(d: Destination): string {
  return `${address(d)}${d.instance === null ? '' : `=${d.instance}`}`;
}

/** How it prints an owner in -t decisions: host:port. */
function address(d: Destination): string {
  return `${d.server.includes(':') ? `[${d.server}]` : d.server}:${d.port}`;
}

// ---- reading the .out files ------------------------------------------------------------------------

interface EchoCluster {
  name: string;
  type: string;
  replication: number;
  members: string[];
  dump?: { pos: number; member: string }[];
}

interface Decision {
  metric: string;
  type: string;
  cluster: string;
  using?: string;
  hashPos?: number;
  owners: string[];
}

interface Golden {
  error?: { line: number; message: string };
  clusters: EchoCluster[];
  /** One entry per `match` block of the -t output (a block may send to several clusters). */
  matches: { metric: string; decisions: Decision[] }[];
  rewrites: { pattern: string; input: string; template: string; output: string }[];
}

function readGolden(name: string): Golden {
  const lines = readFileSync(golden(`${name}.out`), 'utf8').split('\n');
  const g: Golden = { clusters: [], matches: [], rewrites: [] };
  const err = /^[^ ]*\.conf:([0-9]+):[0-9]+: (.*)$/.exec(lines[0] ?? '');
  if (err) {
    g.error = { line: Number(err[1]), message: err[2]! };
    return g;
  }
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    let m: RegExpExecArray | null;
    if ((m = /^cluster (\S+)$/.exec(l))) {
      const [type, , repl] = lines[++i]!.trim().split(/\s+/);
      const c: EchoCluster = { name: m[1]!, type: type!, replication: Number(repl ?? 1), members: [] };
      while (/^ {8}\S/.test(lines[i + 1] ?? '')) c.members.push(lines[++i]!.trim().split(/\s+/)[0]!);
      g.clusters.push(c);
    } else if ((m = /^# hash ring for (\S+) follows$/.exec(l))) {
      const c = g.clusters.find((x) => x.name === m![1])!;
      c.dump = [];
      while (/^\s*[0-9]+@/.test(lines[i + 1] ?? '')) {
        for (const cell of lines[++i]!.trim().split(/\s+/)) {
          const at = cell.indexOf('@');
          c.dump.push({ pos: Number(cell.slice(0, at)), member: cell.slice(at + 1) });
        }
      }
    } else if (l === 'match') {
      const metric = /-> (.*)$/.exec(lines[++i]!)![1]!;
      const block = { metric, decisions: [] as Decision[] };
      while (/^ {4}\S/.test(lines[i + 1] ?? '') && lines[i + 1] !== 'match') {
        const head = /^ {4}([a-z0-9_]+)\((.*)\)$/.exec(lines[++i]!);
        if (head === null) continue; // validate / stop lines
        const d: Decision = { metric, type: head[1]!, cluster: head[2]!, owners: [] };
        while (/^ {8}\S/.test(lines[i + 1] ?? '')) {
          const t = lines[++i]!.trim();
          let mm: RegExpExecArray | null;
          if ((mm = /^using\(.*\) -> (\S*)/.exec(t))) d.using = mm[1]!;
          else if ((mm = /^hash_pos\(([0-9]+)\)$/.exec(t))) d.hashPos = Number(mm[1]);
          else d.owners.push(t);
        }
        block.decisions.push(d);
      }
      g.matches.push(block);
    } else if (l === 'rewrite' && / \(regex\) -> /.test(lines[i + 1] ?? '')) {
      const a = /^ {4}(.*) \(regex\) -> (.*)$/.exec(lines[++i]!)!;
      const b = /^ {4}into\((.*)\) -> (.*)$/.exec(lines[++i]!)!;
      g.rewrites.push({ pattern: a[1]!, input: a[2]!, template: b[1]!, output: b[2]! });
    }
  }
  return g;
}

/** The stdin of the golden run: non-empty lines; the relay routes the text before the first space. */
function inputs(name: string): string[] {
  for (const ext of ['tst', 'dbg']) {
    const p = golden(`${name}.${ext}`);
    if (existsSync(p))
      return readFileSync(p, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.split(' ')[0]!);
  }
  return [];
}

// ---- checks ----------------------------------------------------------------------------------------

function ringOf(cfg: CrelayConfig, cluster: CrelayCluster, rings: Map<string, Ring>): Ring {
  let r = rings.get(cluster.name);
  if (r === undefined) {
    const spec = { ...crelayRing(cfg, cluster.name).spec, sanitize: false };
    r = buildRing(spec);
    rings.set(cluster.name, r);
  }
  return r;
}

function checkEcho(cfg: CrelayConfig, g: Golden): void {
  expect(cfg.clusters.map((c) => c.name)).toEqual(g.clusters.map((c) => c.name));
  for (const e of g.clusters) {
    const c = cfg.clusters.find((x) => x.name === e.name)!;
    expect(c.type.replace(' ', '')).toBe(e.type);
    if (c.type !== 'file' && c.type !== 'file ip') {
      expect(c.replication).toBe(e.replication);
      expect(c.members.map((m) => label(m.destination))).toEqual(e.members);
    }
  }
}

function checkDumps(cfg: CrelayConfig, g: Golden, rings: Map<string, Ring>): number {
  let n = 0;
  for (const e of g.clusters) {
    if (e.dump === undefined) continue;
    const cluster = cfg.clusters.find((c) => c.name === e.name)!;
    const ring = ringOf(cfg, cluster, rings);
    // Consistent rings print position@member; jump rings print, in bucket order, the member's index
    // in the configuration.
    const jump = cluster.type === 'jump_fnv1a_ch';
    const configIndex = (d: Destination) => cluster.members.findIndex((m) => label(m.destination) === label(d));
    const points = ring.points!().map((p) => ({ pos: jump ? configIndex(p.member) : p.position, member: label(p.member) }));
    expect(points, `ring dump of ${e.name}`).toEqual(e.dump);
    n++;
  }
  return n;
}

function checkDecisions(cfg: CrelayConfig, g: Golden, metrics: string[], rings: Map<string, Ring>): number {
  const got: { metric: string; decisions: Decision[] }[] = [];
  for (const metric of metrics) {
    const r = crelayRoute(cfg, metric);
    expect(r.unsupported).toBeUndefined();
    if (r.decisions.length === 0 && !g.matches.some((m) => m.metric === r.metric)) continue;
    const decisions = r.decisions.map((d) => {
      const ring = ringOf(cfg, d.cluster, rings);
      const owners = ring.ownersOfKey(d.hashKey);
      const out: Decision = { metric: d.metric, type: d.cluster.type, cluster: d.cluster.name, owners: owners.map(address) };
      if (d.hashKey !== d.metric || d.rule.routeUsing !== undefined) out.using = d.hashKey;
      const hp = g.matches.find((m) => m.metric === d.metric)?.decisions.find((x) => x.cluster === d.cluster.name)?.hashPos;
      if (hp !== undefined) {
        // What the relay printed as hash_pos: the 16-bit ring position, or the jump bucket.
        if (d.cluster.type === 'carbon_ch') out.hashPos = md5Position16(d.hashKey);
        else if (d.cluster.type === 'fnv1a_ch') out.hashPos = fnv1aPosition16Signed(d.hashKey);
        else out.hashPos = ring.points!().findIndex((p) => p.member === owners[0]); // the first bucket
        if (ring.positionSpace) expect(ring.positionSpace.ownersAt(out.hashPos).map(address)).toEqual(out.owners);
      }
      return out;
    });
    got.push({ metric: r.decisions[0]?.metric ?? r.metric, decisions });
  }
  expect(got).toEqual(g.matches);
  return got.reduce((n, m) => n + m.decisions.length, 0);
}

describe('carbon-c-relay golden tests', () => {
  it('issue236: carbon_ch, fnv1a_ch and jump_fnv1a_ch rings (dumps) and 44 -t lines × 3 clusters', () => {
    const cfg = parseCrelayConfig(readFileSync(confPath('issue236'), 'utf8'), confPath('issue236'));
    const g = readGolden('issue236');
    const rings = new Map<string, Ring>();
    checkEcho(cfg, g);
    expect(checkDumps(cfg, g, rings)).toBe(4);
    const metrics = inputs('issue236');
    expect(metrics).toHaveLength(44);
    expect(checkDecisions(cfg, g, metrics, rings)).toBe(44 * 3);
  });

  it('issue310: jump_fnv1a_ch ordering of numeric instances 0..11 (ring dump)', () => {
    const cfg = parseCrelayConfig(readFileSync(confPath('issue310'), 'utf8'), confPath('issue310'));
    const g = readGolden('issue310');
    checkEcho(cfg, g);
    expect(checkDumps(cfg, g, new Map())).toBe(1);
  });

  it('issue235: route using changes only the fnv1a_ch hash key', () => {
    const cfg = parseCrelayConfig(readFileSync(confPath('issue235'), 'utf8'), confPath('issue235'));
    const g = readGolden('issue235');
    checkEcho(cfg, g);
    expect(checkDecisions(cfg, g, inputs('issue235'), new Map())).toBe(1);
    expect(g.matches[0]!.decisions[0]).toMatchObject({ using: 'collection.fo.bar.x.blakwklsa.skla', owners: ['127.0.0.1:2004'] });
  });

  it('issue252, issue461, issue462: aggregates before a fnv1a_ch match (stop consumes the metric)', () => {
    for (const name of ['issue252', 'issue461', 'issue462']) {
      const cfg = parseCrelayConfig(readFileSync(confPath(name), 'utf8'), confPath(name));
      const g = readGolden(name);
      checkEcho(cfg, g);
      const n = checkDecisions(cfg, g, inputs(name), new Map());
      expect(n, name).toBe(name === 'issue252' ? 1 : 0);
    }
  });

  it('issue253, issue288, issue238: configuration echo (clusters, members, replication)', () => {
    // issue238's decisions hinge on `validate` regexes that the C library interprets (upstream calls the
    // test non-portable); only its configuration is compared.
    for (const name of ['issue253', 'issue288', 'issue238']) {
      const cfg = parseCrelayConfig(readFileSync(confPath(name), 'utf8'), confPath(name));
      checkEcho(cfg, readGolden(name));
    }
  });

  it('issue10: rewrite with \\_1 (lowercase) and \\^1 (uppercase) replacements', () => {
    const g = readGolden('issue10');
    expect(g.rewrites.length).toBeGreaterThanOrEqual(8);
    for (const r of g.rewrites) {
      const m = new RegExp(r.pattern).exec(r.input)!;
      expect(r.input.slice(0, m.index) + crelayExpand(r.template, m) + r.input.slice(m.index + m[0].length)).toBe(r.output);
    }
    // The relay applies every matching rewrite in turn: each input's chain of blocks ends in its final name.
    const cfg = parseCrelayConfig(readFileSync(confPath('issue10'), 'utf8'), confPath('issue10'));
    let chains = 0;
    for (let i = 0; i < g.rewrites.length; i++) {
      const input = g.rewrites[i]!.input;
      let j = i;
      while (j + 1 < g.rewrites.length && g.rewrites[j + 1]!.input === g.rewrites[j]!.output) j++;
      expect(crelayRoute(cfg, input).metric).toBe(g.rewrites[j]!.output);
      chains++;
      i = j;
    }
    expect(chains).toBe(inputs('issue10').length);
  });

  it('configuration errors: the relay refuses these files at the same line with the same message', () => {
    for (const name of ['issue117', 'issue156', 'server-type', 'listen-duplicates02']) {
      const g = readGolden(name);
      let err: ConfigError | undefined;
      try {
        parseCrelayConfig(readFileSync(confPath(name), 'utf8'), confPath(name));
      } catch (e) {
        if (e instanceof ConfigError) err = e;
        else throw e;
      }
      expect(err, name).toBeDefined();
      expect(err!.line, name).toBe(g.error!.line);
      expect(err!.message, name).toBe(g.error!.message);
    }
    // listen-duplicates01: same line; the relay names the resolved address of the bare port
    const g = readGolden('listen-duplicates01');
    expect(() => parseCrelayConfig(readFileSync(confPath('listen-duplicates01'), 'utf8'), confPath('listen-duplicates01'))).toThrow(
      expect.objectContaining({ line: g.error!.line }),
    );
  });

  it('listen: every listener of the echo, in order', () => {
    const cfg = parseCrelayConfig(readFileSync(confPath('listen'), 'utf8'), confPath('listen'));
    const echo = readFileSync(golden('listen.out'), 'utf8')
      .split('\n')
      .filter((l) => /^ {8}\S+ proto (tcp|udp|unix)$/.test(l))
      .map((l) => l.trim());
    expect(cfg.listeners.map((l) => `${l.address} proto ${l.proto}`)).toEqual(echo);
  });
});
