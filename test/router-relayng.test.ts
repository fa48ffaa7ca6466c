// carbon-relay-ng's route table as a placement model (issue 13, part 3; configs.md §5). Ground truth: relay-ng's own tests,
// transcribed as data (route/consistent_hashing_test.go: ring positions, the ring of three destinations
// with 2 points each and the destination index of three keys; matcher/matcher_test.go: prefix, notPrefix,
// anchored and fixed-prefix regexes, combined conditions), then a TOML config through `ring locate`; the
// aggregators against relay-ng's documented bucketing example (docs/aggregation.md) and Go's regexp.Expand.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import RingLocate from '../commands/ring/locate.js';
import { loadRing } from '../src/config/load.js';
import { buildRing } from '../src/ring/build.js';
import { md5Position16 } from '../src/ring/hash/md5.js';
import { goExpand, goRegExp, RelayngHasher, RelayngMatcher, regexToPrefix, rewriteName } from '../src/ring/relayng-router.js';
import { relayngRing } from '../src/config/relayng-routing.js';
import { ConfigError } from '../src/errors.js';
import { memberId } from '../src/ring/types.js';
import { PROJECT_ROOT } from './helpers/project-root.js';
import { runCommand } from './helpers/run-command.js';

const CONF = join(PROJECT_ROOT, 'test/fixtures/router/relayng/relay.toml');

describe("carbon-relay-ng's consistent hasher (route/consistent_hashing_test.go)", () => {
  it('computeRingPosition', () => {
    expect(md5Position16('a.b.c.d')).toBe(54437);
    expect(md5Position16('')).toBe(54301);
  });

  it('TestConsistentHashingDestinations: the ring, then two more destinations, then three lookups', () => {
    const dests = [
      { addr: '10.0.0.1', instance: '' },
      { addr: '127.0.0.1:2003', instance: 'a' },
      { addr: '127.0.0.1:2004', instance: 'b' },
    ];
    const h = new RelayngHasher(dests, false, 2);
    expect(h.ring.map((e) => [e.position, e.host, e.instance, e.index])).toEqual([
      [7885, '127.0.0.1', 'a', 1],
      [10461, '127.0.0.1', 'b', 2],
      [24043, '127.0.0.1', 'a', 1],
      [35540, '10.0.0.1', '', 0],
      [46982, '10.0.0.1', '', 0],
      [54295, '127.0.0.1', 'b', 2],
    ]);
    const h2 = new RelayngHasher([...dests, { addr: '127.0.0.1', instance: 'c' }, { addr: '10.0.0.2', instance: '' }], false, 2);
    expect(h2.ring.map((e) => [e.position, e.index])).toEqual([
      [6639, 4],
      [7885, 1],
      [10461, 2],
      [24043, 1],
      [24467, 3],
      [35540, 0],
      [46982, 0],
      [52177, 4],
      [53472, 3],
      [54295, 2],
    ]);
    expect(h2.indexOf('a.b.c.d')).toBe(4);
    expect(h2.indexOf('a.b.c..d')).toBe(1);
    expect(h2.indexOf('collectd.bar.memory.free')).toBe(3);
  });

  it('consistentHashing-v2 moves a point that lands on an earlier destination’s position up until it is free', () => {
    const dests = Array.from({ length: 30 }, (_, i) => ({ addr: `10.20.${i}.1:2003`, instance: '' }));
    const without = new RelayngHasher(dests, false);
    const withFix = new RelayngHasher(dests, true);
    const pos = (h: RelayngHasher, index: number) =>
      h.ring
        .filter((e) => e.index === index)
        .map((e) => e.position)
        .sort((x, y) => x - y);
    // 3000 points on 65536 positions collide without the fix; with it, no two destinations share a
    // position (a destination's own points are not checked against each other: they join the ring together)
    expect(new Set(without.ring.map((e) => e.position)).size).toBeLessThan(3000);
    const owner = new Map<number, number>();
    for (const e of withFix.ring) {
      if (!owner.has(e.position)) owner.set(e.position, e.index);
      expect(owner.get(e.position)).toBe(e.index);
    }
    // the first destination is never moved; a later one only where an earlier one already was
    expect(pos(withFix, 0)).toEqual(pos(without, 0));
    let moved = 0;
    for (let i = 1; i < 30; i++) {
      const earlier = new Set(withFix.ring.filter((e) => e.index < i).map((e) => e.position));
      const before = pos(without, i);
      const after = pos(withFix, i);
      for (const p of before) if (!earlier.has(p)) expect(after).toContain(p);
      moved += before.filter((p) => earlier.has(p)).length;
    }
    expect(moved).toBeGreaterThan(0);
  });
});

describe("carbon-relay-ng's matchers (matcher/matcher_test.go) and rewriters", () => {
  const cases: [Record<string, string>, string[], boolean[]][] = [
    [{ prefix: 'aaa' }, ['abc', 'aaaaa', 'baab', 'a'], [false, true, false, false]],
    [{ notPrefix: 'aaa' }, ['abc', 'aaaaa', 'baab', 'a'], [true, false, true, true]],
    [{ regex: '^[a-c]{3}' }, ['abcdef', 'aad', 'daaab'], [true, false, false]],
    [{ regex: '^abc.+' }, ['daaab', 'abc', 'abcdef'], [false, false, true]],
    [{ regex: '[a-c]{3}' }, ['abcdef', 'aadbbb', 'daaab', 'dadada'], [true, true, true, false]],
    [{ regex: '[a-c]{3}', prefix: 'f', notPrefix: 'fa' }, ['fabc', 'fbca', 'fcba', 'fcb', 'cbaf'], [false, true, true, false, false]],
    [
      { sub: 'a', notSub: 'aa', notRegex: 'ab' },
      ['aaa', 'aba', 'aab', 'aca', 'bab', 'bbb', 'cba'],
      [false, false, false, true, false, false, true],
    ],
  ];
  it.each(cases)('%j', (m, values, want) => {
    const matcher = new RelayngMatcher(m);
    expect(values.map((v) => matcher.match(v))).toEqual(want);
  });

  it('the static prefix relay-ng derives from a regex is required, even where the regex would not need it', () => {
    expect(regexToPrefix('^abc?')).toBe('abc');
    expect(regexToPrefix('^foo\\.bar-1_x[0-9]')).toBe('foo.bar-1_x');
    expect(regexToPrefix('abc')).toBe('');
    expect(new RelayngMatcher({ regex: '^abc?' }).match('ab.x')).toBe(false);
  });

  it('rewriters: plain with max, regex with Go templates, not', () => {
    expect(rewriteName({ old: 'a', new: 'b', not: '', max: 2 }, 'aaaa')).toBe('bbaa');
    expect(rewriteName({ old: 'a', new: 'b', not: '', max: -1 }, 'aaaa')).toBe('bbbb');
    expect(rewriteName({ old: '/^(\\w+)\\.(\\w+)$/', new: '${2}.$1', not: '', max: -1 }, 'x.y')).toBe('y.x');
    expect(rewriteName({ old: 'a', new: 'b', not: 'keep', max: -1 }, 'keep.a')).toBe('keep.a');
    expect(rewriteName({ old: 'a', new: 'b', not: '/^k/', max: -1 }, 'ka')).toBe('ka');
  });
});

describe('a carbon-relay-ng TOML config through ring locate', () => {
  it('blocklist, rewriters, every matching route, and what decided', () => {
    const ring = buildRing(loadRing(CONF).spec);
    const blocked = ring.locate('collectd.localhost.cpu');
    expect(blocked).toMatchObject({ owners: [], decidedBy: 'blocklist prefix=collectd.localhost' });
    expect(ring.locate('foo.x.cpuuu').decidedBy).toBe('blocklist regex=^foo\\..*\\.cpu+');
    const prod = ring.locate('prod.api.cpu.user');
    expect(prod.routedAs).toBe('production.api.cpu.user');
    // consistentHashing picks one of the three by its ring; sendAllMatch adds archive-2 (archive-1 wants hosts., archive-3 ^ab?c)
    const ch = new RelayngHasher(
      [
        { addr: '10.0.0.1:2003', instance: '' },
        { addr: '127.0.0.1:2003', instance: 'a' },
        { addr: '127.0.0.1:2004', instance: 'b' },
      ],
      false,
    );
    const first = ['10.0.0.1:2003', '127.0.0.1:2003:a', '127.0.0.1:2004:b'][ch.indexOf('production.api.cpu.user')]!;
    expect(prod.owners.map(memberId)).toEqual([first, 'archive-2:2003']);
    expect(prod.decidedBy).toMatch(
      /^route carbon-default \(consistentHashing\) \(relay\.toml:21\) → .*; route archive \(sendAllMatch\) .* → archive-2:2003; route cloud \(grafanaNet\) .*not a carbon destination/,
    );
    const host = ring.locate('servers.web1.cpu');
    expect(host.routedAs).toBe('hosts.web1.cpu');
    expect(host.owners.map(memberId).slice(1)).toEqual(['archive-1:2003', 'archive-2:2003']);
    expect(ring.locate('stats.timers.x').owners.map(memberId)).toEqual(['stats-1:2003']);
    expect(ring.locate('stats.counters.x').owners.map(memberId)).toEqual(['stats-2:2003']);
    expect(ring.locate('other')).toMatchObject({ owners: [], decidedBy: 'no route matches' });
  });

  it('ring locate --ring relay.toml --json', async () => {
    const run = await runCommand(RingLocate, ['--ring', CONF, '--json', 'stats.timers.x']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out)).toMatchObject({
      metric: 'stats.timers.x',
      owners: [{ server: 'stats-1', port: 2003, instance: null }],
      decidedBy: 'route first (sendFirstMatch) (relay.toml:39) → stats-1:2003',
    });
  });
});

describe('carbon-relay-ng aggregators: which aggregate a metric feeds and where the aggregate goes', () => {
  const AGG = join(PROJECT_ROOT, 'test/fixtures/router/relayng/aggregation.toml');
  const ring = buildRing(loadRing(AGG, { format: 'carbon-relay-ng' }).spec);
  const feeds = (metric: string) =>
    [...(ring.locate(metric).decidedBy ?? '').matchAll(/feeds aggregation \w+ \([^)]*\) as "([^"]+)"/g)].map((m) => m[1]);

  it("docs/aggregation.md's bucketing example: eight inputs, the three aggregates it lists", () => {
    const inputs = [
      'servers.dc1.app1.cpu_usage',
      'servers.dc1.app2.cpu_usage',
      'servers.dc1.app3.cpu_usage',
      'servers.dc1.proxy1.cpu_usage',
      'servers.dc1.proxy2.cpu_usage',
      'servers.dc1.proxy3.cpu_usage',
      'servers.dc2.proxy1.stats.num_requests',
      'servers.dc2.proxy2.stats.num_requests',
    ];
    const out = [...new Set(inputs.flatMap(feeds))];
    expect(out).toEqual([
      'aggregates.dc1.app.cpu_usage.sum',
      'aggregates.dc1.proxy.cpu_usage.sum',
      'aggregates.dc2.proxy.stats.num_requests.sum',
    ]);
  });

  it('an aggregate is routed by the route table: consistentHashing on its name; a route regex sees the whole "NAME VALUE TS" line', () => {
    const p = ring.locate('servers.dc1.app1.cpu_usage');
    // the raw metric itself goes by the table as usual (not dropRaw)
    expect(p.owners.map(memberId)).toEqual(['main-2:2003']);
    const hasher = new RelayngHasher(
      ['agg-1:2003', 'agg-2:2003', 'agg-3:2003'].map((addr) => ({ addr, instance: '' })),
      false,
    );
    const agg = `agg-${hasher.indexOf('aggregates.dc1.app.cpu_usage.sum') + 1}:2003`;
    expect(p.decidedBy).toContain(
      `as "aggregates.dc1.app.cpu_usage.sum" every 60s → route aggregates (consistentHashing) (aggregation.toml:35) → ${agg}, route everything (sendFirstMatch) (aggregation.toml:47) → main-2:2003`,
    );
    // `\.sum$` never matches an aggregate line: it ends in the value and the timestamp
    expect(p.decidedBy).not.toContain('sums-only');
  });

  it('percentiles write six aggregates (.p25 … .p99); sub= and the regex prefix pre-match', () => {
    expect(feeds('stats.timers.app3.requests.login')).toEqual(
      ['p25', 'p50', 'p75', 'p90', 'p95', 'p99'].map((p) => `stats.timers.app.requests.login.${p}`),
    );
    expect(feeds('stats.timers.web3.requests.login')).toEqual([]);
  });

  it('after the rewriters; dropRaw keeps the metric itself out of the routes; the blocklist comes first', () => {
    const p = ring.locate('prod.web.x');
    expect(p).toMatchObject({ routedAs: 'production.web.x', owners: [], reason: 'only its aggregates are routed (dropRaw)' });
    expect(feeds('prod.web.x')).toEqual(['production.avg.web']);
    expect(ring.locate('junk.servers.dc1.app1.x')).toMatchObject({ owners: [], reason: 'dropped before routing' });
  });

  it("Go's regexp.Expand: $1x is the group named 1x (empty), ${1}x, $$, named groups, a malformed $ stays", () => {
    const m = goRegExp('(?P<first>a)(b)').exec('ab')!;
    expect(goExpand('$1x|${1}x|$$|${first}-$2|$first.$|$}', m)).toBe('|ax|$|a-b|a.$|$}');
    expect(goExpand('x.$3', m)).toBe('x.');
  });

  it('refused as the relay refuses: an unknown function, no regex, a bad regex', () => {
    const bad = (agg: string): ConfigError => {
      try {
        relayngRing(`[[aggregation]]\n${agg}\n[[route]]\nkey = "r"\ntype = "sendAllMatch"\ndestinations = ["a:2003"]\n`, 'r.toml');
      } catch (e) {
        if (e instanceof ConfigError) return e;
        throw e;
      }
      throw new Error('accepted');
    };
    expect(bad("function = 'median'\nregex = '^a'\ninterval = 10").message).toMatch(/no such aggregation function "median"/);
    expect(bad("function = 'sum'\ninterval = 10").message).toMatch(/has no regex/);
    expect(bad("function = 'sum'\nregex = '(a'\ninterval = 10")).toMatchObject({ line: 1 });
    // cfg keys are matched case-insensitively (BurntSushi/toml), as relay-ng's own configs rely on
    const ok = relayngRing(
      '[[aggregation]]\nFunction = \'sum\'\nRegex = \'^a\\.(.*)\'\nFormat = \'b.$1\'\nInterval = 10\nDropRaw = true\n[[route]]\nkey = "r"\ntype = "sendAllMatch"\ndestinations = ["a:2003"]\n',
      'r.toml',
    );
    expect(ok.spec.routing).toMatchObject({ aggregators: [{ fn: 'sum', format: 'b.$1', dropRaw: true, interval: 10 }] });
  });

  it('the first dropRaw aggregator ends the metric’s trip through the table: later aggregators never see it', () => {
    const agg = (fn: string, format: string, dropRaw: boolean) =>
      `[[aggregation]]\nfunction = '${fn}'\nregex = '^a\\.(.*)'\nformat = '${format}'\ninterval = 10\ndropRaw = ${dropRaw}\n`;
    const toml =
      agg('sum', 's.$1', false) +
      agg('max', 'm.$1', true) +
      agg('min', 'n.$1', false) +
      '[[route]]\nkey = "r"\ntype = "sendAllMatch"\ndestinations = ["d:2003"]\n';
    const p = buildRing(relayngRing(toml, 'r.toml').spec).locate('a.x');
    expect([...(p.decidedBy ?? '').matchAll(/as "([^"]+)"/g)].map((m) => m[1])).toEqual(['s.x', 'm.x']);
    expect(p.owners).toEqual([]);
  });

  it("init.cmds addAgg, as relay-ng's own test and admin-interface docs write it, come before the [[aggregation]] tables", () => {
    // imperatives_test.go (old raw-regex syntax) and docs/tcp-admin-interface.md (regex=, sub=, cache=, dropRaw=)
    const cmds = [
      String.raw`addAgg sum ^stats\.timers\.(app|proxy|static)[0-9]+\.requests\.(.*) stats.timers._sum_$1.requests.$2 10 20`,
      String.raw`addAgg avg regex=^stats\.timers\.(app|proxy|static)[0-9]+\.requests\.(.*) sub=requests stats.timers._avg_$1.requests.$2 5 10 dropRaw=false`,
    ];
    const toml =
      `[init]\ncmds = [\n${cmds.map((c) => `  '${c}',`).join('\n')}\n]\n` +
      "[[aggregation]]\nfunction = 'max'\nregex = '^stats\\.(.*)'\nformat = 'max.$1'\ninterval = 60\n" +
      '[[route]]\nkey = "r"\ntype = "sendAllMatch"\ndestinations = ["d:2003"]\n';
    const { spec } = relayngRing(toml, 'r.toml');
    expect(spec.routing).toMatchObject({
      aggregators: [
        {
          fn: 'sum',
          interval: 10,
          wait: 20,
          dropRaw: false,
          line: 3,
          matcher: { regex: String.raw`^stats\.timers\.(app|proxy|static)[0-9]+\.requests\.(.*)` },
        },
        { fn: 'avg', interval: 5, wait: 10, matcher: { sub: 'requests' } },
        { fn: 'max' },
      ],
    });
    const p = buildRing(spec).locate('stats.timers.proxy7.requests.login');
    expect([...(p.decidedBy ?? '').matchAll(/as "([^"]+)"/g)].map((m) => m[1])).toEqual([
      'stats.timers._sum_proxy.requests.login',
      'stats.timers._avg_proxy.requests.login',
      'max.timers.proxy7.requests.login',
    ]);
    const refused = (cmd: string) => {
      try {
        relayngRing(`[init]\ncmds = ['${cmd}']\n[[route]]\nkey = "r"\ntype = "sendAllMatch"\ndestinations = ["d:2003"]\n`, 'r.toml');
      } catch (e) {
        if (e instanceof ConfigError) return e.message;
        throw e;
      }
      return 'accepted';
    };
    expect(refused('addAgg percentiles ^a x 10 20')).toMatch(/invalid function/);
    expect(refused('addAgg sum sub=a x 10 20')).toMatch(/need a regex string/);
    expect(refused('addAgg sum ^a x ten 20')).toMatch(/need an interval number/);
  });
});
