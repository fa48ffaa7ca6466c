// loadRingSpec: format detection from content, every upstream config's outcome (a ring or a clear
// ConfigError), the cluster file, carbonate.conf, buckyd command lines and carbon-relay-ng routes.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buckyRing, parseBuckyArgv } from '../src/config/bucky-argv.js';
import { carbonateCluster, carbonateRing, parseCarbonateConf } from '../src/config/carbonate-conf.js';
import { loadClusterFile, parseClusterFile } from '../src/config/cluster-file.js';
import { detectFormat } from '../src/config/detect.js';
import { loadRing, loadRingSpec, ringFromText } from '../src/config/load.js';
import { expandRelayngVars, parseRelayngConf } from '../src/config/relayng-conf.js';
import { PROJECT_ROOT } from './helpers/project-root.js';
import { UPSTREAM_ROOT } from './helpers/test-vectors.js';
import { expectConfigError } from './helpers/thrown.js';

const UP = UPSTREAM_ROOT;
const FIX = resolve(PROJECT_ROOT, 'fixtures/config');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** Files that give a ring: [path, impl, hash, replication, first member (server:port:instance)]. */
const RINGS: [string, string, string, number, string][] = [
  ['docker-graphite-statsd/local_settings.py', 'graphite-web', 'carbon_ch', 1, '127.0.0.1:7002:null'],
  ['graphite-web/local_settings.py.example', 'graphite-web', 'carbon_ch', 1, '127.0.0.1:7002:null'],
  ['graphite-web/settings.py.defaults', 'graphite-web', 'carbon_ch', 1, '127.0.0.1:7002:null'],
  ['graphite-web/tests-settings.py', 'graphite-web', 'carbon_ch', 1, '127.0.0.1:7002:null'],
  // RELAY_METHOD = rules with relay-rules.conf beside it: a placement model (src/ring/rule-routers.ts)
  ['docker-graphite-statsd/carbon.conf', 'carbon', 'carbon_ch', 1, '127.0.0.1:2004:null'],
  // carbon-relay-ng's route table (a sendAllMatch route to localhost:2003)
  ['carbon-relay-ng/grafana/experiments_issue-241_carbon-relay-ng.ini', 'carbon', 'carbon_ch', 1, 'localhost:2003:null'],
  ['carbonate/tests/simple.conf', 'carbon', 'carbon_ch', 1, '1.1.1.1:2003:0'],
  ['carbonate/tests/realistic.conf', 'carbon', 'carbon_ch', 2, '192.168.9.13:2124:0'],
  ['carbon-c-relay/issues/issue17.conf', 'carbon-c-relay', 'fnv1a_ch', 1, '127.0.0.1:2013:null'],
  ['carbon-c-relay/issues/issue235.conf', 'carbon-c-relay', 'fnv1a_ch', 1, '127.0.0.1:2003:a'],
  ['carbon-c-relay/issues/issue252.conf', 'carbon-c-relay', 'fnv1a_ch', 1, '127.0.0.1:2103:null'],
  ['carbon-c-relay/issues/issue253.conf', 'carbon-c-relay', 'fnv1a_ch', 1, '127.0.0.1:2103:null'],
  ['carbon-c-relay/issues/issue288.conf', 'carbon-c-relay', 'fnv1a_ch', 1, '127.0.0.1:2003:null'],
  ['carbon-c-relay/issues/issue310.conf', 'carbon-c-relay', 'jump_fnv1a_ch', 1, '10.1.1.45:2003:9'],
  ['carbon-c-relay/issues/issue461.conf', 'carbon-c-relay', 'fnv1a_ch', 1, '127.0.0.1:2103:null'],
  ['carbon-c-relay/issues/issue462.conf', 'carbon-c-relay', 'fnv1a_ch', 1, '127.0.0.1:2103:null'],
  ['carbon-c-relay/issues/issue82.conf', 'carbon-c-relay', 'carbon_ch', 1, '127.0.0.1:2013:a'],
  ['carbon-c-relay/issues/issue94-4.conf', 'carbon-c-relay', 'fnv1a_ch', 1, '127.0.0.1:2004:a'],
];

/** Files that give no ring, with what the error says. */
const NO_RING: [string | RegExp, RegExp][] = [
  ['buckytools/buckyd-argv.txt', /bad port in member "graphite010-g5:a"/],
  ['carbonate/carbonate.conf', /Cluster 'main' not defined/],
  ['carbon/conf/carbon.conf.example', /RELAY_METHOD = rules/],
  ['carbon/conf/carbon.amqp.conf.example', /RELAY_METHOD = rules/],
  ['docker-graphite-statsd/carbon.amqp.conf', /RELAY_METHOD = rules/],
  ['carbon-c-relay/issues/issue236.conf', /4 hashing clusters/],
  ['carbon-c-relay/issues/issue238.conf', /3 hashing clusters/],
  [/relay-rules\.conf/, /relay-rules\.conf \(rules, not a hash ring\)/],
  [/aggregation-rules\.conf/, /aggregation-rules|has no content/],
  // relay-ng configs are a placement model now (src/ring/relayng-router.ts): these have no carbon route, or are templates
  [/carbon-relay-ng/, /no route sends to a carbon destination|TOML: Invalid TOML/],
  [/go-carbon\.(conf|docker)/, /go-carbon config/],
  [/storage-|whitelist|blacklist|rewrite-rules|carbonapi|issue263-c1/, /format is not recognised/],
  [
    /carbon-c-relay\/(issues|test)\//,
    /no carbon_ch, fnv1a_ch or jump_fnv1a_ch cluster|replication count|cannot set|cannot share|unexpected|host or IP|unable to read included|duplicate listener|cannot set type/,
  ],
];

describe('every upstream config gives a ring or a clear ConfigError', () => {
  const files = walk(UP).filter((f) => !f.endsWith('.md') && !f.includes('/golden/'));

  it.each(RINGS)('%s → %s %s RF %d', (rel, impl, hash, rf, first) => {
    const r = loadRing(join(UP, rel));
    expect(r.detectedBy).toBe('content');
    expect(r.spec).toMatchObject({ impl, hash, replication: rf });
    const d = r.spec.destinations[0]!;
    expect(`${d.server}:${d.port}:${d.instance}`).toBe(first);
    expect(r.spec.origin?.file).toBe(join(UP, rel));
  });

  it('all other files fail with a ConfigError naming the file and saying why', () => {
    const withRing = new Set(RINGS.map(([r]) => join(UP, r)));
    let checked = 0;
    for (const f of files.filter((x) => !withRing.has(x))) {
      const e = expectConfigError(() => loadRing(f));
      const rel = f.slice(UP.length + 1);
      const rule = NO_RING.find(([m]) => (typeof m === 'string' ? rel === m : m.test(rel)));
      expect(rule, `no expectation for ${rel}: ${e.describe()}`).toBeDefined();
      expect(e.message, rel).toMatch(rule![1]);
      expect(e.file, rel).toBeDefined();
      checked++;
    }
    expect(checked + RINGS.length).toBe(files.length);
  });

  it('detects the format from the content, not the name', () => {
    const det = (rel: string) => detectFormat(readFileSync(join(UP, rel), 'utf8')).format;
    expect(det('carbon/conf/carbon.conf.example')).toBe('carbon');
    expect(det('carbonate/tests/realistic.conf')).toBe('carbonate');
    expect(det('carbon/tests/relay-rules.conf')).toBe('relay-rules');
    expect(det('carbonate/tests/aggregation-rules.conf')).toBe('aggregation-rules');
    expect(det('docker-graphite-statsd/local_settings.py')).toBe('graphite-web');
    expect(det('carbon-c-relay/issues/issue263-c0.conf')).toBe('carbon-c-relay'); // include without ';'
    expect(det('carbon-relay-ng/grafana/carbon-relay-ng.ini')).toBe('carbon-relay-ng');
    expect(det('go-carbon/go-carbon.conf.example')).toBe('go-carbon');
    expect(det('buckytools/buckyd-argv.txt')).toBe('bucky');
    expect(detectFormat('ring:\n  destinations: [a:1]\n').format).toBe('cluster');
    expect(detectFormat('CARBONLINK_HOSTS = ["10.0.0.1:7002:a"]\nREPLICATION_FACTOR = 1\n').format).toBe('graphite-web');
  });

  it('honours --format and --cluster', async () => {
    const spec = await loadRingSpec(join(UP, 'carbon-c-relay/issues/issue236.conf'), { cluster: 'jump2' });
    expect(spec).toMatchObject({ hash: 'jump_fnv1a_ch', replication: 2, origin: { cluster: 'jump2' } });
    const fnv = loadRing(join(UP, 'carbonate/tests/realistic.conf'), { cluster: 'fnv' });
    expect(fnv.spec).toMatchObject({ hash: 'fnv1a_ch', replication: 2, origin: { cluster: 'fnv', format: 'carbonate' } });
    expect(loadRing(join(UP, 'carbonate/carbonate.conf'), { cluster: 'carbonate', format: 'carbonate' }).spec.destinations).toHaveLength(5);
    // forcing a format that does not fit fails in that format's parser
    expect(expectConfigError(() => loadRing(join(UP, 'carbonate/tests/simple.conf'), { format: 'carbon' })).message).toMatch(
      /no \[relay\] section/,
    );
  });

  it('gives the env to graphite-web', () => {
    const r = loadRing(join(UP, 'docker-graphite-statsd/local_settings.py'), {
      env: { GRAPHITE_CARBONLINK_HOSTS: 'c1:7002:a,c2:7002:a', GRAPHITE_REPLICATION_FACTOR: '2' },
    });
    expect(r.spec.destinations.map((d) => d.server)).toEqual(['c1', 'c2']);
    expect(r.spec.replication).toBe(2);
    expect(r.diagnostics.find((d) => d.code === 'env-dependent')!.data).toMatchObject({ env: 'GRAPHITE_CARBONLINK_HOSTS', from: 'env' });
  });
});

describe('carbonate.conf', () => {
  it('removes spaces from DESTINATIONS, requires REPLICATION_FACTOR, reads HASHING_TYPE and RELAY_METHOD', () => {
    const c = parseCarbonateConf(readFileSync(join(UP, 'carbonate/tests/realistic.conf'), 'utf8'), 'realistic.conf');
    expect(c.clusters).toEqual(['main', 'standalone', 'agg', 'fnv']);
    expect(carbonateCluster(c, 'agg').relayMethod.value).toBe('aggregated-consistent-hashing');
    expect(carbonateRing(c, 'agg').diagnostics.map((d) => d.code)).toEqual(['aggregated-routing']);
    const fnv = carbonateCluster(c, 'fnv');
    expect(fnv.hashingType).toEqual({ value: 'fnv1a_ch', line: 20 });
    expect(fnv.destinations.map((d) => d.destination.instance)).toEqual(['0', '0']);
    const odd = parseCarbonateConf(
      '[main]\nDESTINATIONS = a : 1 : x,\n  b:2:y ; old\nREPLICATION_FACTOR = 1\nDIVERSE_REPLICAS = False\n',
      'c.conf',
    );
    const cl = carbonateCluster(odd);
    expect(cl.destinations.map((d) => [d.text, d.line])).toEqual([
      ['a:1:x', 2],
      ['b:2:y;old', 3],
    ]);
    expect(cl.diverseReplicas).toEqual({ value: true, raw: 'False', line: 5 });
    expect(cl.diagnostics.map((d) => d.code)).toEqual(['inline-comment', 'bool-of-string']);
    expect(expectConfigError(() => carbonateCluster(parseCarbonateConf('[main]\nDESTINATIONS = a:1\n', 'c'))).message).toMatch(
      /REPLICATION_FACTOR/,
    );
    expect(
      expectConfigError(() => carbonateCluster(parseCarbonateConf('[main]\nDESTINATIONS = a:1,\nREPLICATION_FACTOR = 1\n', 'c'))).line,
    ).toBe(2);
  });
});

describe('buckyd command lines', () => {
  it('parses flags like Go and members as HOST[:PORT][=INSTANCE]', () => {
    const text = '# init script\nexec /usr/local/bin/buckyd -node g1 -hash=fnv1a -sparse \\\n  -b 0.0.0.0:4242 g1:2003=a g2=b\n';
    const p = parseBuckyArgv(text, 'unit');
    const r = buckyRing(p, 'unit');
    expect(r.spec).toMatchObject({ impl: 'bucky', hash: 'fnv1a_ch', replication: 1, diverse: false, origin: { line: 2, cluster: 'g1' } });
    expect(r.spec.destinations).toEqual([
      { server: 'g1', port: 2003, instance: 'a', line: 3 },
      { server: 'g2', port: 2003, instance: 'b', line: 3 },
    ]);
    expect(expectConfigError(() => parseBuckyArgv('buckyd -nodes x a', 'u')).message).toMatch(/flag provided but not defined: -nodes/);
    expect(expectConfigError(() => parseBuckyArgv('buckyd -hash md5 a', 'u')).message).toMatch(/hash type/);
    expect(expectConfigError(() => parseBuckyArgv('buckyd -node x', 'u')).message).toMatch(/at least 1 node/);
    expect(parseBuckyArgv('buckyd a:2003', 'u').diagnostics.map((d) => d.code)).toEqual(['bucky-no-node']);
  });

  it("the README example fails the code's member parser", () => {
    const e = expectConfigError(() => loadRing(join(UP, 'buckytools/buckyd-argv.txt')));
    expect(e.line).toBe(3);
  });
});

describe('cluster file', () => {
  it('reads an inline ring and storage, resolving local paths against the file', async () => {
    const cf = await loadClusterFile(`${FIX}/cluster/inline.yaml`);
    expect(cf.ring).toMatchObject({
      impl: 'carbon',
      hash: 'carbon_ch',
      replication: 2,
      diverse: true,
      origin: { format: 'cluster', line: 2 },
    });
    expect(cf.ring.destinations.map((d) => d.line)).toEqual([7, 7]);
    expect(cf.storage).toEqual([
      { key: '10.0.0.1', location: `${FIX}/cluster/nodes/n1`, line: 9, server: '10.0.0.1', instance: null, remote: false },
      {
        key: '10.0.0.2:a',
        location: 'ssh://graphite@10.0.0.2/var/lib/graphite/whisper',
        line: 10,
        server: '10.0.0.2',
        instance: 'a',
        remote: true,
      },
    ]);
    expect(cf.diagnostics).toEqual([]);
  });

  it('reads the ring from source: (relative), with cluster:', () => {
    const cf = parseClusterFile(readFileSync(`${FIX}/cluster/from-crelay.yaml`, 'utf8'), `${FIX}/cluster/from-crelay.yaml`);
    expect(cf.source).toEqual({ file: `${FIX}/crelay/main.conf`, cluster: 'store', line: 3 });
    expect(cf.ring).toMatchObject({
      impl: 'carbon-c-relay',
      hash: 'fnv1a_ch',
      replication: 2,
      origin: { file: `${FIX}/crelay/clusters.conf`, cluster: 'store', line: 1 },
    });
    expect(cf.ring.destinations[0]).toMatchObject({ server: '10.3.0.11', instance: '8f1c0d5a9e', line: 3 });
    expect(cf.diagnostics!.map((d) => d.code)).toEqual(['storage-missing', 'storage-missing']);
  });

  it('reads node_ssh: (arguments for the ssh a node runs to pull from another), refusing anything but a list of strings', () => {
    const ring = 'ring:\n  impl: carbon\n  destinations: ["a:2004", "b:2004"]\n';
    const cf = parseClusterFile(`${ring}node_ssh: ["-i", "/var/lib/carbon/.ssh/k", "-o", "ConnectTimeout=5"]\n`, '/tmp/c.yaml');
    expect(cf.sections?.node_ssh).toEqual(['-i', '/var/lib/carbon/.ssh/k', '-o', 'ConnectTimeout=5']);
    expect(parseClusterFile(`${ring}node_ssh: []\n`, '/tmp/c.yaml').sections?.node_ssh).toEqual([]);
    expect(parseClusterFile(ring, '/tmp/c.yaml').sections?.node_ssh).toBeUndefined();
    const bad = expectConfigError(() => parseClusterFile(`${ring}node_ssh: -i /k\n`, '/tmp/c.yaml'));
    expect(bad.message).toBe('node_ssh: must be a list of strings');
    expect(bad.line).toBe(4);
    const nested = expectConfigError(() => parseClusterFile(`${ring}node_ssh:\n  - -i\n  - [a]\n`, '/tmp/c.yaml'));
    expect(nested.message).toBe('node_ssh: every item must be a string');
    expect(nested.line).toBe(6);
  });

  it('refuses a source: that is another cluster file (a chain of them could loop)', () => {
    const e = expectConfigError(() => parseClusterFile('ring:\n  source: inline.yaml\n', `${FIX}/cluster/chained.yaml`));
    expect(e.message).toBe('ring.source is another ringshift cluster file');
    expect(e.file).toBe(`${FIX}/cluster/inline.yaml`);
    expect(e.expected).toMatch(/carbon\.conf/);
  });

  it("parses members in the implementation's syntax (c-relay: host[:port][=instance], or carbon syntax)", () => {
    const cf = parseClusterFile(readFileSync(`${FIX}/cluster/crelay-members.yaml`, 'utf8'), `${FIX}/cluster/crelay-members.yaml`);
    expect(cf.ring).toMatchObject({ impl: 'carbon-c-relay', diverse: false, sanitize: true });
    expect(cf.ring.destinations.map((d) => [d.server, d.port, d.instance, d.line])).toEqual([
      ['10.0.0.1', 2003, '1', 5],
      ['10.0.0.2', 2003, null, 6],
      ['::1', 2005, null, 7],
      ['10.0.0.4', 2004, 'x', 8],
    ]);
  });

  it('rejects unknown keys with the line and the accepted keys', () => {
    const e = expectConfigError(() => parseClusterFile(readFileSync(`${FIX}/cluster/bad-key.yaml`, 'utf8'), 'bad-key.yaml'));
    expect(e.line).toBe(4);
    expect(e.message).toBe('unknown key ring.replicas');
    expect(e.expected).toMatch(/replication/);
    expect(expectConfigError(() => parseClusterFile('ring:\n  destinations: [a:1]\ntopolgy: {}\n', 'c.yaml'))).toMatchObject({
      line: 3,
      message: 'unknown section "topolgy"',
    });
    expect(expectConfigError(() => parseClusterFile('ring:\n  source: x.conf\n  replication: 2\n', 'c.yaml')).line).toBe(3);
    expect(expectConfigError(() => parseClusterFile('ring:\n  impl: bucky\n  diverse: true\n  destinations: [a]\n', 'c.yaml')).line).toBe(
      3,
    );
    expect(expectConfigError(() => parseClusterFile('ring:\n  destinations: ["a:1", "b"]\n', 'c.yaml')).line).toBe(2);
    expect(expectConfigError(() => parseClusterFile('ring: [\n', 'c.yaml')).message).toMatch(/^YAML/);
    expect(expectConfigError(() => parseClusterFile('ring:\n  destinations: [a:1]\nstorage:\n  a: ftp://x/y\n', 'c.yaml')).line).toBe(4);
  });

  it('is what loadRingSpec reads for a cluster file', async () => {
    const spec = await loadRingSpec(`${FIX}/cluster/inline.yaml`);
    expect(spec.origin).toMatchObject({ format: 'cluster' });
    expect(ringFromText('ring:\n  destinations: [a:2004:x]\nstorage:\n  b: /x\n', '/tmp/c.yaml').diagnostics.map((d) => d.code)).toEqual([
      'storage-unknown-member',
      'storage-missing',
    ]);
  });
});

describe('carbon-relay-ng', () => {
  it('expands ${HOST} and GRAFANA_NET_* only, and rewrites other ${X} to $X', () => {
    expect(expandRelayngVars('a ${HOST} $HOST ${GRAFANA_NET_KEY} ${OTHER} $PATH', { hostname: 'h1', env: { GRAFANA_NET_KEY: 'k' } })).toBe(
      'a h1 h1 k $OTHER $PATH',
    );
  });

  it('reads [[route]] tables and init.cmds addRoute lines with their destinations', () => {
    const text = [
      "instance = 'x'",
      '[init]',
      "cmds = ['addRoute sendAllMatch carbon-default prefix=a  localhost:2003 spool=false pickle=false  b:2004:c flush=10']",
      '[[route]]',
      "key = 'store'",
      "type = 'consistentHashing-v2'",
      'destinations = [',
      "  '10.3.0.11:2004:a pickle=true spool=true',",
      "  '10.3.0.12:2004:a pickle=true',",
      ']',
      '[[route]]',
      "key = 'lonely'",
      "type = 'consistentHashing'",
      "destinations = ['10.3.0.13:2004']",
    ].join('\n');
    const c = parseRelayngConf(text, 'ng.ini');
    // cfg.InitTable applies init.cmds before the [[route]] tables
    expect(c.routes.map((r) => [r.from, r.type, r.key, r.line, r.destinations.map((d) => [d.host, d.port, d.instance, d.line])])).toEqual([
      [
        'init',
        'sendAllMatch',
        'carbon-default',
        3,
        [
          ['localhost', 2003, null, 3],
          ['b', 2004, 'c', 3],
        ],
      ],
      [
        'table',
        'consistentHashing-v2',
        'store',
        4,
        [
          ['10.3.0.11', 2004, 'a', 8],
          ['10.3.0.12', 2004, 'a', 9],
        ],
      ],
      ['table', 'consistentHashing', 'lonely', 11, [['10.3.0.13', 2004, null, 14]]],
    ]);
    expect(c.routes[0]!.matchers).toEqual({ prefix: 'a' });
    expect(c.routes[1]!.destinations[0]!.options).toEqual({ pickle: 'true', spool: 'true' });
    expect(c.diagnostics.map((d) => [d.code, d.line])).toEqual([['relayng-ch-destinations', 11]]);
  });

  it('reads the upstream examples; the k8s template is not TOML until rendered', () => {
    const ex = parseRelayngConf(readFileSync(join(UP, 'carbon-relay-ng/grafana/experiments_issue-241_carbon-relay-ng.ini'), 'utf8'), 'x');
    expect(ex.routes.map((r) => [r.type, r.key, r.destinations.map((d) => d.address)])).toEqual([
      ['sendAllMatch', 'carbon-default', ['localhost:2003']],
    ]);
    const jsonnet = parseRelayngConf(
      readFileSync(join(UP, 'carbon-relay-ng/grafana/jsonnet_lib_carbon-relay-ng_files_carbon-relay-ng.ini'), 'utf8'),
      'x',
    );
    expect(jsonnet.routes.map((r) => r.type)).toEqual(['grafanaNet']);
    expect(
      expectConfigError(() =>
        parseRelayngConf(readFileSync(join(UP, 'carbon-relay-ng/grafana/operations_k8s_templates_carbon-relay-ng.ini'), 'utf8'), 't'),
      ).line,
    ).toBe(1);
  });
});
