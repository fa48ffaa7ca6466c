// carbon.conf as carbon reads it: typing, instance inheritance (configs.md §1.2), the relay ring, the
// hazards of §1.1 as diagnostics, and the rule files (§1.6-1.8).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { carbonRing, effectiveSettings, parseCarbonConf, readSection, type CarbonConf } from '../src/config/carbon-conf.js';
import {
  aggregateMetricName,
  aggregatedRoutingKeys,
  parseAggregationRules,
  parseRelayRules,
  parseRewriteRules,
  relayRuleDestinations,
} from '../src/config/carbon-rules.js';
import { ConfigError } from '../src/errors.js';
import { upstreamPath } from './helpers/test-vectors.js';
import { expectConfigError } from './helpers/thrown.js';

const conf = (text: string): CarbonConf => parseCarbonConf(text, 'carbon.conf');
const codes = (c: { diagnostics: { code: string }[] }) => c.diagnostics.map((d) => d.code);

describe('carbon.conf typing (Settings.readFrom)', () => {
  it('splits lists on commas and strips items, uses getboolean for bools, else int/float/str', () => {
    const s = readSection(
      conf(
        '[relay]\nDESTINATIONS = a:1:x ,  b:2\nDIVERSE_REPLICAS = off\nMAX_QUEUE_SIZE = 10000\nQUEUE_LOW_WATERMARK_PCT = 0.8\nMAX_CACHE_SIZE = inf\nROUTER_HASH_TYPE = None\nUSER =\n',
      ),
      'relay',
    );
    expect(s.get('DESTINATIONS')!.value).toMatchObject({ type: 'list', value: ['a:1:x', 'b:2'] });
    expect(s.get('DIVERSE_REPLICAS')!.value).toEqual({ type: 'bool', value: false });
    expect(s.get('MAX_QUEUE_SIZE')!.value).toEqual({ type: 'int', value: 10000 });
    expect(s.get('QUEUE_LOW_WATERMARK_PCT')!.value).toEqual({ type: 'float', value: 0.8 });
    expect(s.get('MAX_CACHE_SIZE')!.value).toEqual({ type: 'float', value: Infinity });
    // None stays the string "None"
    expect(s.get('ROUTER_HASH_TYPE')!.value).toEqual({ type: 'str', value: 'None' });
    expect(s.get('USER')!.value).toEqual({ type: 'str', value: '' });
  });

  it('keeps a value with an inline comment as a string (and reports it)', () => {
    const c = conf('[cache]\nMAX_CACHE_SIZE = inf   # unlimited\nLINE_RECEIVER_PORT = 2023   # default: 2003\n');
    expect(readSection(c, 'cache').get('MAX_CACHE_SIZE')!.value).toEqual({ type: 'str', value: 'inf   # unlimited' });
    const port = c.diagnostics.filter((d) => d.code === 'non-numeric');
    expect(port.map((d) => [d.line, d.severity])).toEqual([
      [2, 'warning'],
      [3, 'error'],
    ]);
    expect(c.diagnostics.filter((d) => d.code === 'inline-comment').map((d) => d.line)).toEqual([2, 3]);
  });

  it('gives DESTINATIONS = (empty) a single empty item, which the relay rejects', () => {
    const c = conf('[relay]\nRELAY_METHOD = consistent-hashing\nDESTINATIONS =\n');
    expect(readSection(c, 'relay').get('DESTINATIONS')!.value).toMatchObject({ value: [''] });
    expect(expectConfigError(() => carbonRing(c)).line).toBe(3);
    expect(codes(c)).toContain('empty-destination');
  });

  it('fails a bad boolean only for the program that reads it', () => {
    const c = conf('[cache]\nENABLE_UDP_LISTENER = maybe\n[relay]\nRELAY_METHOD = consistent-hashing\nDESTINATIONS = a:2004\n');
    expect(expectConfigError(() => readSection(c, 'cache')).line).toBe(2);
    expect(carbonRing(c).spec.destinations).toHaveLength(1);
    expect(c.diagnostics.find((d) => d.code === 'bad-boolean')).toMatchObject({ line: 2, severity: 'error' });
  });

  it('reports a bare % as an error diagnostic and refuses it for the section that has it', () => {
    const c = conf('[cache]\nAMQP_PASSWORD = 50%off\n[relay]\nRELAY_METHOD = consistent-hashing\nDESTINATIONS = a:2004\n');
    expect(c.diagnostics.find((d) => d.code === 'interpolation')).toMatchObject({ line: 2, severity: 'error' });
    expect(() => effectiveSettings(c, 'cache')).toThrow(ConfigError);
    expect(() => carbonRing(c)).not.toThrow();
  });
});

describe('carbon.conf hazards (R15)', () => {
  it('flags an unindented host:port line read as a key, as an error when it leaves a trailing comma', () => {
    const c = conf('[relay]\nDESTINATIONS = 10.1.0.1:2004:a,\n10.1.0.2:2004:a\nMAX_QUEUE_SIZE = 5\n');
    const d = c.diagnostics.find((x) => x.code === 'host-port-key')!;
    expect(d).toMatchObject({ line: 3, severity: 'error' });
    expect(d.data).toMatchObject({ destination: '10.1.0.2:2004:a', continues: 'DESTINATIONS' });
    const silent = conf('[relay]\nDESTINATIONS = 10.1.0.1:2004:a\n10.1.0.2:2004:a\n');
    expect(silent.diagnostics.find((x) => x.code === 'host-port-key')!.severity).toBe('warning');
    expect(silent.diagnostics.some((x) => x.code === 'unknown-key')).toBe(false);
  });

  it('suggests the real key for unknown ones', () => {
    const c = conf('[relay]\nDESTINATIONS_POOL_REPLICAS = True\nLOG_LISTENER_CONNECTIONS = True\n');
    const u = c.diagnostics.filter((x) => x.code === 'unknown-key');
    expect(u[0]!.data).toMatchObject({ key: 'DESTINATIONS_POOL_REPLICAS', suggestions: ['DESTINATION_POOL_REPLICAS'] });
    expect(u[1]!.line).toBe(3);
  });

  it('warns about a ROUTER_HASH_TYPE carbon does not know and falls back to carbon_ch, as carbon does', () => {
    const c = conf('[relay]\nRELAY_METHOD = consistent-hashing\nROUTER_HASH_TYPE = fnv1a\nDESTINATIONS = a:2004:x, b:2004:y\n');
    const r = carbonRing(c);
    expect(r.spec.hash).toBe('carbon_ch');
    expect(r.diagnostics.find((d) => d.code === 'unknown-hash-type')).toMatchObject({ line: 3, data: { suggestions: ['fnv1a_ch'] } });
  });

  it('rejects an unknown RELAY_METHOD (carbon-relay exits) and a rules relay as a ring', () => {
    expect(expectConfigError(() => carbonRing(conf('[relay]\nRELAY_METHOD = consistent_hashing\nDESTINATIONS = a:1\n'))).message).toMatch(
      /not a carbon router/,
    );
    expect(expectConfigError(() => carbonRing(conf('[relay]\nDESTINATIONS = a:1\n'))).message).toMatch(/RELAY_METHOD = rules/);
  });

  it('reports duplicate (server, instance) with another port as an error and exact repeats as a warning', () => {
    const c = conf('[relay]\nDESTINATIONS = h:2104, h:2204, g:1:a, g:1:a\n');
    expect(c.diagnostics.filter((d) => d.code.endsWith('-destination')).map((d) => [d.code, d.severity])).toEqual([
      ['duplicate-destination', 'error'],
      ['repeated-destination', 'warning'],
    ]);
  });

  it('notes sections no program reads, and spaces inside the brackets', () => {
    const c = conf('[cahce]\nA = 1\n[ relay ]\nB = 2\n[::1]:2004:a\n');
    expect(c.diagnostics.filter((d) => d.code.includes('section')).map((d) => [d.code, d.line])).toEqual([
      ['unknown-section', 1],
      ['section-name-spaces', 3],
      ['host-port-section', 5],
    ]);
  });
});

describe('instances (read_config)', () => {
  const text = [
    '[cache]',
    'STORAGE_DIR = /srv/g1',
    'LINE_RECEIVER_PORT = 2003',
    '[cache:b]',
    'STORAGE_DIR = /srv/g2',
    'LINE_RECEIVER_PORT = 2103',
    '[cache:c]',
    'LOCAL_DATA_DIR = /srv/g3/whisper',
  ].join('\n');

  it('keeps the data of an instance that only sets STORAGE_DIR under the program section STORAGE_DIR', () => {
    const c = conf(text);
    const b = effectiveSettings(c, 'cache', 'b');
    expect(b.sectionsRead).toEqual(['cache', 'cache:b']);
    expect(b.paths.localDataDir).toBe('/srv/g1/whisper');
    expect(b.paths.storageDir).toBe('/srv/g2');
    expect(b.paths.pidfile).toBe('/srv/g1/carbon-cache-b.pid');
    expect(b.paths.logDir).toBe('/srv/g1/log/carbon-cache/carbon-cache-b');
    expect(b.settings.get('LINE_RECEIVER_PORT')).toMatchObject({ value: { value: 2103 }, section: 'cache:b', line: 6 });
    expect(c.diagnostics.find((d) => d.code === 'instance-storage-dir')).toMatchObject({ line: 5 });
  });

  it('moves data only with LOCAL_DATA_DIR; an instance without ports inherits the program section ports', () => {
    const cc = effectiveSettings(conf(text), 'cache', 'c');
    expect(cc.paths.localDataDir).toBe('/srv/g3/whisper');
    expect(cc.settings.get('LINE_RECEIVER_PORT')).toMatchObject({ value: { value: 2003 }, section: 'cache' });
  });

  it('uses instance a by default and GRAPHITE_ROOT / GRAPHITE_STORAGE_DIR from the given env only', () => {
    const c = conf('[cache]\nLINE_RECEIVER_PORT = 2003\n[cache:a]\nLINE_RECEIVER_PORT = 2013\n');
    const a = effectiveSettings(c, 'cache');
    expect(a.settings.get('LINE_RECEIVER_PORT')!.value).toEqual({ type: 'int', value: 2013 });
    expect(a.paths.storageDir).toBeUndefined();
    expect(a.unresolved).toMatch(/GRAPHITE_ROOT/);
    const withRoot = effectiveSettings(c, 'cache', 'a', { env: { GRAPHITE_ROOT: '/opt/graphite' } });
    expect(withRoot.paths.localDataDir).toBe('/opt/graphite/storage/whisper');
    expect(effectiveSettings(c, 'cache', null, { env: { GRAPHITE_STORAGE_DIR: '/data/' } }).paths.pidfile).toBe('/data/carbon-cache.pid');
  });

  it('does not inherit across program sections', () => {
    const s = effectiveSettings(conf('[cache]\nMAX_QUEUE_SIZE = 5\n[relay]\nLINE_RECEIVER_PORT = 2013\n'), 'relay');
    expect(s.settings.get('MAX_QUEUE_SIZE')).toMatchObject({ source: 'default', value: { value: 1000 } });
  });
});

describe('the relay ring', () => {
  it('reads DESTINATIONS with a line per item, RF, DIVERSE_REPLICAS and the hash', () => {
    const text = [
      '[relay]',
      'RELAY_METHOD = consistent-hashing',
      'REPLICATION_FACTOR = 2',
      'DIVERSE_REPLICAS = False',
      'ROUTER_HASH_TYPE = fnv1a_ch',
      'DESTINATIONS = 10.1.0.1:2004:a,',
      '    10.1.0.2:2004:b,',
      '    # 10.1.0.3:2004:c,',
      '    [2001:db8::7]:2004:c',
    ].join('\n');
    const r = carbonRing(conf(text));
    expect(r.spec).toMatchObject({ impl: 'carbon', hash: 'fnv1a_ch', router: 'consistent-hashing', replication: 2, diverse: false });
    expect(r.spec.destinations).toEqual([
      { server: '10.1.0.1', port: 2004, instance: 'a', line: 6 },
      { server: '10.1.0.2', port: 2004, instance: 'b', line: 7 },
      { server: '2001:db8::7', port: 2004, instance: 'c', line: 9 },
    ]);
    expect(r.spec.origin).toMatchObject({ file: 'carbon.conf', cluster: 'relay', format: 'carbon', line: 6 });
  });

  it('keeps "; old box" in the instance of a continuation line (it changes the ring key)', () => {
    const r = carbonRing(
      conf('[relay]\nRELAY_METHOD = consistent-hashing\nDESTINATIONS = 10.1.0.1:2004:a,\n  10.1.0.2:2004:a ; old box\n'),
    );
    expect(r.spec.destinations[1]).toMatchObject({ instance: 'a ; old box', line: 4 });
  });

  it('uses fast-hashing with mmh3_ch by default, and a [relay:N] section when asked', () => {
    const text =
      '[relay]\nRELAY_METHOD = fast-hashing\nDESTINATIONS = a:1\n[relay:2]\nRELAY_METHOD = consistent-hashing\nDESTINATIONS = b:1, c:1\n';
    expect(carbonRing(conf(text)).spec).toMatchObject({ router: 'fast-hashing', hash: 'mmh3_ch' });
    const r2 = carbonRing(conf(text), { cluster: 'relay:2' });
    expect(r2.spec).toMatchObject({ router: 'consistent-hashing', hash: 'carbon_ch', origin: { cluster: 'relay:2' } });
    expect(carbonRing(conf(text), { cluster: '2' }).spec.destinations.map((d) => d.server)).toEqual(['b', 'c']);
    expect(() => carbonRing(conf(text), { cluster: 'relay:9' })).toThrow(/no \[relay:9\] section/);
    expect(carbonRing(conf(text)).diagnostics.find((d) => d.code === 'other-instances')).toMatchObject({
      line: 1,
      data: { sections: ['relay:2'] },
    });
  });

  it('notes the aggregated router and reads TAG_RELAY_NORMALIZED', () => {
    const r = carbonRing(conf('[relay]\nRELAY_METHOD = aggregated-consistent-hashing\nTAG_RELAY_NORMALIZED = yes\nDESTINATIONS = a:1\n'));
    expect(r.spec.tagRelayNormalized).toBe(true);
    expect(r.diagnostics.map((d) => d.code)).toContain('aggregated-routing');
  });
});

describe('upstream carbon.conf files', () => {
  it('carbon.conf.example: three sections, only MAX_QUEUE_SIZE_HARD_PCT-free known keys, no ring (rules relay)', () => {
    const path = upstreamPath('carbon/conf/carbon.conf.example');
    const c = parseCarbonConf(readFileSync(path, 'utf8'), path);
    expect(c.sections).toEqual(['cache', 'relay', 'aggregator']);
    // %(STORAGE_DIR)s only appears in comments: no interpolation problem
    expect(codes(c)).not.toContain('interpolation');
    expect(c.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const e = expectConfigError(() => carbonRing(c));
    expect(e.message).toMatch(/RELAY_METHOD = rules/);
    expect(readSection(c, 'relay').get('DESTINATIONS')!.value).toMatchObject({ value: ['127.0.0.1:2004'] });
  });

  it('docker-graphite-statsd carbon.conf: USE_RATIO_RESET=False without spaces, USER empty, no hazards', () => {
    const path = upstreamPath('docker-graphite-statsd/carbon.conf');
    const c = parseCarbonConf(readFileSync(path, 'utf8'), path);
    expect(c.diagnostics).toEqual([]);
    const relay = readSection(c, 'relay');
    expect(relay.get('USE_RATIO_RESET')!.value).toEqual({ type: 'bool', value: false });
    expect(readSection(c, 'cache').get('USER')!.value).toEqual({ type: 'str', value: '' });
    expect(relay.get('LINE_RECEIVER_PORT')!.value).toEqual({ type: 'int', value: 2013 });
  });
});

describe('relay-rules.conf', () => {
  it('evaluates pattern rules in order with re.I and search(), the default last, continue', () => {
    const r = parseRelayRules(
      '[default]\ndefault = true\ndestinations = 10.0.0.3:2004:a\n[apps]\npattern = ^apps\\.(checkout|search)\\.\ndestinations = 10.0.0.1:2004:a,\n  10.0.0.2:2004:a\ncontinue = true\n[off]\ndefault = false\ndestinations = x:1\n',
      'relay-rules.conf',
    );
    expect(r.rules.map((x) => x.name)).toEqual(['apps', 'default']);
    expect(r.rules[0]!.destinations.map((d) => d.line)).toEqual([6, 7]);
    expect(r.ignored).toEqual([{ name: 'off', line: 9, reason: 'default = false' }]);
    expect(relayRuleDestinations(r, 'APPS.Search.x').map((d) => d.text)).toEqual(['10.0.0.1:2004:a', '10.0.0.2:2004:a', '10.0.0.3:2004:a']);
    expect(relayRuleDestinations(r, 'other').map((d) => d.text)).toEqual(['10.0.0.3:2004:a']);
  });

  it('refuses what loadRelayRules refuses', () => {
    expect(() => parseRelayRules('[a]\npattern = x\n', 'r')).toThrow(/destinations/);
    expect(() => parseRelayRules('[a]\npattern = x\ndefault = true\ndestinations = a:1\n', 'r')).toThrow(/both 'pattern' and 'default'/);
    expect(() => parseRelayRules('[a]\ndefault = true\ndestinations = a:1\n[b]\ndefault = true\ndestinations = a:1\n', 'r')).toThrow(
      /only one default/,
    );
    expect(() => parseRelayRules('[a]\npattern = x\ndestinations = a:1\n', 'r')).toThrow(/no default rule/);
  });

  it('reads the upstream examples', () => {
    for (const p of ['carbon/conf/relay-rules.conf.example', 'carbon/tests/relay-rules.conf', 'docker-graphite-statsd/relay-rules.conf']) {
      const path = upstreamPath(p);
      const r = parseRelayRules(readFileSync(path, 'utf8'), path);
      expect(r.rules).toHaveLength(1);
      expect(r.rules[0]!.isDefault).toBe(true);
    }
    const ex = parseRelayRules(readFileSync(upstreamPath('carbon/conf/relay-rules.conf.example'), 'utf8'), 'x');
    expect(ex.rules[0]!.destinations.map((d) => d.text)).toEqual(['127.0.0.1:2004:a', '127.0.0.1:2104:b']);
  });
});

describe('aggregation-rules.conf', () => {
  it('builds carbon regexes for <f>, <<f>> and *, and names the aggregate', () => {
    const r = parseAggregationRules(
      '# c\n<env>.api.<endpoint>.all.p99 (60) = p99 <env>.api.<endpoint>.*.latency\n<env>.disk.<<mount>>.total (300) = sum <env>.host.*.disk.<<mount>>\n',
      'agg',
    );
    expect(r.rules.map((x) => [x.line, x.frequency, x.method])).toEqual([
      [2, 60, 'p99'],
      [3, 300, 'sum'],
    ]);
    expect(aggregateMetricName(r.rules[0]!, 'prod.api.login.web1.latency')).toBe('prod.api.login.all.p99');
    expect(aggregateMetricName(r.rules[0]!, 'prod.api.login.web1.latency.x')).toBeNull();
    // <<mount>> in an OUTPUT becomes %(%(mount)s)s in carbon's template: it never formats
    expect(aggregateMetricName(r.rules[1]!, 'prod.host.h1.disk.var.log')).toBeNull();
    expect(r.diagnostics.find((d) => d.code === 'aggregation-output-template')).toMatchObject({ line: 3 });
    const ok = parseAggregationRules('<env>.disk.<mount>.total (300) = sum <env>.host.*.disk.<<mount>>\n', 'agg');
    expect(aggregateMetricName(ok.rules[0]!, 'prod.host.h1.disk.var.log')).toBe('prod.disk.var.log.total');
    expect(aggregatedRoutingKeys(ok, 'prod.host.h1.disk.x')).toEqual(['prod.disk.x.total']);
    expect(aggregatedRoutingKeys(r, 'nomatch')).toEqual(['nomatch']);
  });

  it("reads the upstream files: an all-comment file has no rules; carbonate's file (no final newline) has 3", () => {
    expect(parseAggregationRules(readFileSync(upstreamPath('carbon/conf/aggregation-rules.conf.example'), 'utf8'), 'x').rules).toEqual([]);
    const c = parseAggregationRules(readFileSync(upstreamPath('carbonate/tests/aggregation-rules.conf'), 'utf8'), 'x');
    expect(c.rules.map((x) => x.method)).toEqual(['sum', 'avg', 'avg']);
    // its third rule names <app> in the output but captures no <app>: carbon's `template % fields` fails and
    // the rule yields no aggregate
    expect(aggregateMetricName(c.rules[2]!, 'prod.a.anything')).toBeNull();
    expect(aggregateMetricName(c.rules[0]!, 'prod.applications.web.host1.requests')).toBe('prod.applications.web.all.requests');
  });

  it('refuses lines carbon cannot parse', () => {
    expect(() => parseAggregationRules('a.b (60) = median a.*\n', 'x')).toThrow(/invalid aggregation method/);
    expect(() => parseAggregationRules('a.b 60 = sum\n', 'x')).toThrow(ConfigError);
  });
});

describe('rewrite-rules.conf', () => {
  it('splits at the first = and keeps [pre]/[post]', () => {
    const r = parseRewriteRules('[pre]\n^servers\\.([^.]+)\\.cpu-(\\d+)\\. = servers.\\1.cpu.\\2.\n[POST]\n_sum$ =\n', 'rw');
    expect(r.sections.get('pre')![0]).toMatchObject({ line: 2, replacement: 'servers.\\1.cpu.\\2.' });
    expect(r.sections.get('post')![0]).toMatchObject({ pattern: '_sum$', replacement: '' });
    expect(parseRewriteRules(readFileSync(upstreamPath('carbon/conf/rewrite-rules.conf.example'), 'utf8'), 'x').sections.size).toBe(0);
  });
});
