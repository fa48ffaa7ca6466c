// How the linter places files on hosts and sorts relays into tiers: from directory names, from hosts/<name>/,
// from what a file names, and from a cluster file's topology: section.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseClusterFile } from '../src/config/cluster-file.js';
import { ConfigError } from '../src/errors.js';
import { detectKind } from '../src/lint/files.js';
import type { StatedTopology } from '../src/config/cluster-topology.js';
import { lintPaths } from '../src/lint/run.js';
import { PROJECT_ROOT } from './helpers/project-root.js';

const FIX = join(PROJECT_ROOT, 'test/fixtures/lint');

async function lint(paths: string[], cluster?: string) {
  return lintPaths(paths, { cwd: FIX, ...(cluster ? { cluster } : {}) });
}

describe('layout inference', () => {
  it('single-tier: one relay ring, each webapp mirrors the members on its host (directory named after it)', async () => {
    const r = await lint(['ring-members-mismatch/good']);
    expect(r.explain).toContain('Layout: single-tier (inferred)');
    expect(r.explain.join('\n')).toMatch(/graphite-1\/local_settings\.py: local-settings .*; on graphite-1 \(directory graphite-1\/\)/);
    expect(r.explain.join('\n')).toContain(
      'ring-members-mismatch/good/graphite-1/local_settings.py on graphite-1 (directory graphite-1/): 2 CARBONLINK_HOSTS, mirrors ring-members-mismatch/good/relay/carbon.conf [relay] (the members on graphite-1)',
    );
  });

  it('two-tier: the top relay picks the host, the relay on each host picks the instance', async () => {
    const r = await lint(['tool-models-wrong-tier/good']);
    const text = r.explain.join('\n');
    expect(text).toContain('Layout: two-tier (inferred)');
    expect(text).toMatch(
      /Tier 1 \(picks the host\):\n {2}tool-models-wrong-tier\/good\/relay\/carbon.conf \[relay\]: carbon-relay, carbon_ch, replication 1, 2 members \(graphite-1:2014, graphite-2:2014\)/,
    );
    expect(text).toMatch(
      /Tier 2 on graphite-1 \(picks the instance\):\n {2}tool-models-wrong-tier\/good\/graphite-1\/carbon.conf \[relay\]: .*127\.0\.0\.1:2004:a, 127\.0\.0\.1:2104:b/,
    );
    expect(text).toContain('mirrors tool-models-wrong-tier/good/graphite-1/carbon.conf [relay] (the per-host relay on graphite-1)');
    // 127.0.0.1 in CARBONLINK_HOSTS is right here: the per-host relay also says 127.0.0.1.
    expect(r.report.findings).toEqual([]);
  });

  it('hosts/<name>/ places files even when the ring names hosts by address', async () => {
    const r = await lint(['_topology/hosts-dir']);
    expect(r.explain.join('\n')).toContain(
      '_topology/hosts-dir/hosts/alpha/local_settings.py: local-settings (file name local_settings.py); on alpha (directory hosts/alpha/)',
    );
    expect(r.report.findings).toEqual([]);
  });

  it('no relay: a tool ring stands in as the reference', async () => {
    const r = await lint(['ring-members-mismatch/bad/carbonate.conf', 'ring-members-mismatch/bad/graphite-1']);
    expect(r.explain).toContain('Layout: none (no relay ring) (inferred)');
    expect(r.explain.join('\n')).toContain('Reference ring (no relay given):');
  });
});

describe('stated topology (cluster file)', () => {
  it('without it, a webapp that names only 127.0.0.1 cannot be placed: the mismatch is reported without a share', async () => {
    const r = await lint(['_topology/stated/relay', '_topology/stated/web-a', '_topology/stated/web-b']);
    const f = r.report.findings.filter((x) => x.rule === 'carbonlink-members-mismatch');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('CARBONLINK_HOSTS names only 127.0.0.1, which is no member of DESTINATIONS');
    expect(f[0]!.message).not.toContain('looks up');
  });

  it('with it, the webapp is on graphite-1 and the wrong-instance share is measured', async () => {
    for (const r of [
      await lint(['_topology/stated']),
      await lint(['_topology/stated/relay', '_topology/stated/web-a', '_topology/stated/web-b'], '_topology/stated/cluster.yaml'),
    ]) {
      expect(r.explain).toContain('Layout: single-tier (stated in _topology/stated/cluster.yaml)');
      const f = r.report.findings.filter((x) => x.rule === 'carbonlink-members-mismatch');
      expect(f).toHaveLength(1);
      expect(f[0]!.message).toMatch(/graphite-web looks up 47\.\d % of the keys stored on graphite-1 on another cache instance/);
      expect(f[0]!.fix).toBe('set CARBONLINK_HOSTS = ["graphite-1:7002:a", "graphite-1:7102:b"]');
    }
  });

  it('the topology section is validated with lines', () => {
    const text = ['ring:', '  destinations: [a:2004:a]', 'topology:', '  relays:', '    - { file: r.conf, tier: 3 }', ''].join('\n');
    expect(() => parseClusterFile(text, join(FIX, 'x.yaml'))).toThrow(ConfigError);
    try {
      parseClusterFile(text, join(FIX, 'x.yaml'));
    } catch (e) {
      expect((e as ConfigError).line).toBe(5);
      expect((e as ConfigError).message).toContain('tier must be 1');
    }
    const ok = parseClusterFile(
      ['ring:', '  destinations: [a:2004:a]', 'topology:', '  layout: two-tier', '  hosts:', '    a: [hosts/a, other/a.conf]', ''].join(
        '\n',
      ),
      join(FIX, 'x.yaml'),
    );
    const t = ok.sections!['topology'] as StatedTopology;
    expect(t.layout).toBe('two-tier');
    expect(t.hosts.get('a')!.paths).toEqual([join(FIX, 'hosts/a'), join(FIX, 'other/a.conf')]);
  });
});

describe('file detection', () => {
  it('by name first, then by content', () => {
    expect(detectKind('/x/carbon.conf', '[cache]\nLINE_RECEIVER_PORT = 2003\n')?.kind).toBe('carbon-conf');
    expect(detectKind('/x/relay.conf', 'cluster a carbon_ch 10.0.0.1:2003=a;\nmatch * send to a;\n')?.kind).toBe('crelay');
    expect(detectKind('/x/ring.yaml', 'ring:\n  destinations: [a:2004]\n')?.kind).toBe('cluster-file');
    expect(detectKind('/x/api.yaml', 'upstreams:\n  backends: ["http://a:8080"]\n')?.kind).toBe('carbonapi');
    expect(detectKind('/x/storage-schemas.conf', '[default]\npattern = .*\nretentions = 60:1d\n')?.kind).toBe('storage-schemas');
    expect(detectKind('/x/blacklist.conf', '^foo\\.bar$\n')).toBeNull();
    expect(detectKind('/x/README.md', 'DESTINATIONS = a:2004\n', false)).toBeNull();
  });
});

describe('two-tier ports', () => {
  it('a top relay that writes straight to a cache port bypasses the per-host relay', async () => {
    const r = await lint(['_topology/two-tier-bypass']);
    const f = r.report.findings.filter((x) => x.rule === 'destination-port-mismatch');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ file: '_topology/two-tier-bypass/relay/carbon.conf', line: 4 });
    expect(f[0]!.message).toContain('2004 is a receiver of carbon-cache a: this bypasses the per-host relay');
    expect(f[0]!.fix).toBe('use port 2014 (the pickle receiver of the relay)');
  });
});

describe('fnv1a_ch across implementations (R3 with R1)', () => {
  it("carbon-side instances equal to the c-relay members' host:port agree; only the collision handling differs (R5, measured)", async () => {
    const r = await lint(['_topology/fnv1a-crelay-good']);
    expect(r.report.findings.map((f) => f.rule)).toEqual(['collision-semantics']);
    const [f] = r.report.findings;
    // One contested position: below the warning threshold (0.01 % of the keyspace), so an info.
    expect(f).toMatchObject({ file: '_topology/fnv1a-crelay-good/relay/relay.conf', severity: 'info' });
    expect(f!.message).toContain('this fnv1a_ch ring is modelled by graphite-web');
    expect(f!.message).toContain('1 of 65536 key positions (0.0015 %) get another primary owner, in 1 range (0xecc6)');
  });

  it('other instances disagree, measured on the caches the two sides reach', async () => {
    const r = await lint(['_topology/fnv1a-crelay-bad']);
    const [f] = r.report.findings.filter((x) => x.rule === 'carbonlink-members-mismatch');
    expect(f).toMatchObject({ file: '_topology/fnv1a-crelay-bad/graphite-2/local_settings.py', line: 2 });
    expect(f!.message).toContain(
      'members only in cluster graphite: graphite-2:graphite-2:2003, graphite-2:graphite-2:2103; only in CARBONLINK_HOSTS: graphite-2:a, graphite-2:b',
    );
    expect(f!.message).toMatch(/looks up [1-9][0-9.]* % of the keys stored on graphite-2 on another cache instance/);
    expect(f!.fix).toBe('set CARBONLINK_HOSTS = ["graphite-2:7002:graphite-2:2003", "graphite-2:7102:graphite-2:2103"]');
  });
});

describe('a central webapp (not on a storage host, REPLICATION_FACTOR > 1) must list the whole ring', () => {
  it('a missing node is a members mismatch whose fix adds it (not "set REPLICATION_FACTOR = 1")', async () => {
    const r = await lint(['_topology/central-webapp-bad']);
    expect(r.report.findings.map((f) => f.rule).sort()).toEqual(['carbonlink-members-mismatch', 'storage-host-not-queried']);
    const f = r.report.findings.find((x) => x.rule === 'carbonlink-members-mismatch')!;
    expect(f).toMatchObject({ file: '_topology/central-webapp-bad/web/local_settings.py', line: 3, severity: 'error' });
    expect(f.message).toContain('members only in DESTINATIONS: graphite-3:a');
    expect(f.fix).toBe('set CARBONLINK_HOSTS = ["graphite-1:7002:a", "graphite-2:7002:a", "graphite-3:7002:a"]');
    expect(r.explain.join('\n')).toContain(
      'with REPLICATION_FACTOR 2 over several storage hosts it serves the whole ring, and no other webapp lists graphite-3',
    );
    // The fan-out entry is written like the others (their port is 8080, not graphite-web's default 80).
    const s = r.report.findings.find((x) => x.rule === 'storage-host-not-queried')!;
    expect(s.fix).toBe('add "graphite-3:8080" to CLUSTER_SERVERS (the port the other entries use)');
    expect(s.edits).toEqual([
      {
        file: '_topology/central-webapp-bad/web/local_settings.py',
        line: 6,
        column: 19,
        old: '["graphite-1:8080", "graphite-2:8080"]',
        new: '["graphite-1:8080", "graphite-2:8080", "graphite-3:8080"]',
      },
    ]);
  });

  it('with a second mistake, the suggested list still has the missing node', async () => {
    const r = await lint(['_topology/central-webapp-two-mistakes']);
    expect(r.report.findings.map((f) => f.rule)).toEqual(['carbonlink-members-mismatch']);
    const [f] = r.report.findings;
    expect(f!.message).toContain('members only in DESTINATIONS: graphite-2:a, graphite-3:a; only in CARBONLINK_HOSTS: graphite-2:b');
    expect(f!.fix).toBe('set CARBONLINK_HOSTS = ["graphite-1:7002:a", "graphite-2:7002:a", "graphite-3:7002:a"]');
    // The multi-line list is replaced as a whole.
    expect(f!.edits).toEqual([
      {
        file: '_topology/central-webapp-two-mistakes/web/local_settings.py',
        line: 3,
        column: 20,
        old: '[\n    "graphite-1:7002:a",\n    "graphite-2:7002:b",\n]',
        new: '["graphite-1:7002:a", "graphite-2:7002:a", "graphite-3:7002:a"]',
      },
    ]);
  });

  it('the complete central webapp is clean; sharded webapps with REPLICATION_FACTOR 1 keep the subset rule', async () => {
    expect((await lint(['_topology/central-webapp-good'])).report.findings).toEqual([]);
    // The bundled example: two webapps each serving two hosts (REPLICATION_FACTOR 1): still only the carbonate finding.
    const ex = await lintPaths(['fixtures/example/configs'], { cwd: PROJECT_ROOT });
    expect(ex.report.findings.map((f) => f.rule)).toEqual(['ring-members-mismatch']);
  });
});
