// The suite's CLI grammar on the ring commands, run as the user runs them (bin/run.js): --cluster FILE
// is a ringshift cluster file, --ring FILE [--ring-format] [--cluster-name], the old spellings
// (--format, --from-format, --from-cluster) still work with a deprecation warning, the old
// --cluster NAME gets a one-line hint, and counts are refused with their range (never "1e20").
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const RUN = join(process.cwd(), 'bin/run.js');
const TMP = mkdtempSync(join(tmpdir(), 'ringshift-grammar-'));
const RELAY = join(TMP, 'relay.conf');
writeFileSync(
  RELAY,
  'cluster graphite\n    carbon_ch replication 2\n        10.0.0.1:2004=a\n        10.0.0.2:2004=a\n        10.0.0.3:2004=a\n    ;\n' +
    'cluster other\n    fnv1a_ch\n        10.0.0.7:2004=a\n        10.0.0.8:2004=b\n    ;\nmatch * send to graphite;\n',
);
const CLUSTER = join(TMP, 'cluster.yaml');
writeFileSync(
  CLUSTER,
  'ring:\n  impl: carbon\n  replication: 2\n  destinations:\n    - graphite-1:2004:a\n    - graphite-2:2004:a\n    - graphite-3:2004:a\n' +
    'storage:\n  graphite-1: /srv/1\n  graphite-2: /srv/2\n  graphite-3: /srv/3\n',
);

function cli(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [RUN, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** oclif's warnings, unwrapped (it breaks them over lines starting with ' ›'). */
const warnings = (err: string): string => err.replace(/\s*\n\s*›\s*/g, ' ');

const NAMES = ['servers.web01.cpu.user', 'a.b.c', 'collectd.host7.load'];

// Every test starts the CLI a few times: generous timeouts for loaded machines.
describe('ring commands: one CLI grammar', { timeout: 300_000 }, () => {
  it('--cluster FILE reads the ring of a ringshift cluster file, as --destinations with the same ring does', () => {
    const viaCluster = cli(['ring', 'locate', '--cluster', CLUSTER, '--json', ...NAMES]);
    const viaFlags = cli([
      'ring',
      'locate',
      '--destinations',
      'graphite-1:2004:a,graphite-2:2004:a,graphite-3:2004:a',
      '--replication',
      '2',
      '--json',
      ...NAMES,
    ]);
    expect(viaCluster.code, viaCluster.err).toBe(0);
    expect(viaCluster.out).toBe(viaFlags.out);
    expect(viaCluster.out.trimEnd().split('\n')).toHaveLength(3);
    expect(cli(['ring', 'show', '-c', CLUSTER, '--json']).out).toMatch(/"replication":2/);
  });

  it('--ring FILE --cluster-name NAME picks a cluster; the old --cluster NAME gets a one-line hint, exit 2', () => {
    const ok = cli(['ring', 'show', '--ring', RELAY, '--cluster-name', 'other', '--json']);
    expect(ok.code, ok.err).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ ring: { impl: 'carbon-c-relay', hash: 'fnv1a_ch', cluster: 'other' } });
    const old = cli(['ring', 'show', '--ring', RELAY, '--cluster', 'other']);
    expect(old.code).toBe(2);
    expect(old.out).toBe('');
    expect(old.err).toBe(
      `ringshift: error: --cluster takes a ringshift cluster file; to choose cluster "other" inside --ring ${RELAY} write --cluster-name other` +
        ' (expected --ring FILE [--cluster-name NAME], or --cluster CLUSTER.yaml)\n',
    );
  });

  it('the old --format still works as --ring-format, with a deprecation warning', () => {
    const now = cli(['ring', 'locate', '--ring', RELAY, '--ring-format', 'carbon-c-relay', '--cluster-name', 'graphite', ...NAMES]);
    const old = cli(['ring', 'locate', '--ring', RELAY, '--format', 'carbon-c-relay', '--cluster-name', 'graphite', ...NAMES]);
    expect(now.code).toBe(0);
    expect(old.code).toBe(0);
    expect(old.out).toBe(now.out);
    expect(warnings(old.err)).toMatch(/"--format" flag has been deprecated\. Use "--ring-format"/);
  });

  it('ring diff: --from-ring-format/--from-cluster-name, and the old --from-cluster still works', () => {
    const a = cli([
      'ring',
      'diff',
      '--from',
      RELAY,
      '--from-cluster-name',
      'graphite',
      '--to',
      RELAY,
      '--to-cluster-name',
      'other',
      '--json',
    ]);
    const b = cli(['ring', 'diff', '--from', RELAY, '--from-cluster', 'graphite', '--to', RELAY, '--to-cluster', 'other', '--json']);
    expect(a.code, a.err).toBe(0);
    expect(b.out).toBe(a.out);
    expect(warnings(b.err)).toMatch(/"--from-cluster" flag has been deprecated\. Use "--from-cluster-name"/);
    const inline = cli(['ring', 'diff', '--from', `cluster=${CLUSTER}`, '--to', `cluster=${CLUSTER};rf=1`, '--json']);
    expect(inline.code, inline.err).toBe(0);
    expect(JSON.parse(inline.out)).toMatchObject({ exact: true, keyspace: { primaryChanged: 0 } });
  });

  it.each([
    [
      ['ring', 'show', '--destinations', 'a:1:a,b:1:a', '--router', 'fast-hashing', '--sample', '999999999999'],
      '--sample',
      '999999999999',
      'from 1000 to 16777216',
    ],
    [
      ['ring', 'locate', '--destinations', 'a:1:a,b:1:a', '--replication', '99999999999999999999', 'x'],
      '--replication',
      '99999999999999999999',
      'from 1 to 255',
    ],
    [
      ['ring', 'diff', '--from', 'destinations=a:1', '--to', 'destinations=b:1', '--sample', '12'],
      '--sample',
      '12',
      'from 1000 to 16777216',
    ],
    [['ring', 'sieve', '--destinations', 'a:1:a', '--node', 'a', '--replication', '0', 'x'], '--replication', '0', 'from 1 to 255'],
  ])('%j: refused with the range, exit 2', (args, flag, value, range) => {
    const r = cli(args);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe(`ringshift: error: ${flag} "${value}" is out of range (expected an integer ${range})\n`);
  });
});
