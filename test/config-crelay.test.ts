// carbon-c-relay configuration parser: every upstream regression config either parses or fails like the
// relay (same line, same message where the relay's golden output shows it), plus lexer details,
// includes (globs, loops) and cluster selection.
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crelayRing, loadCrelayConfig, parseCrelayConfig, selectCrelayCluster } from '../src/config/crelay-conf.js';
import { crelayRoute } from '../src/config/crelay-route.js';
import { PROJECT_ROOT } from './helpers/project-root.js';
import { upstreamPath } from './helpers/test-vectors.js';
import { expectConfigError } from './helpers/thrown.js';

const ROOT = upstreamPath('carbon-c-relay');
const FIX = resolve(PROJECT_ROOT, 'fixtures/config/crelay');
const parse = (text: string, file = 'relay.conf') => parseCrelayConfig(text, file);

/** Files the relay refuses: [file, line, message pattern, file the error is in]. */
const REFUSED: [string, number, RegExp, string?][] = [
  [
    'issues/issue117.conf',
    20,
    /^invalid cluster 'really-doesnt-make-sense': replication count \(10\) is larger than the number of servers \(3\)$/,
  ],
  ['issues/issue156.conf', 8, /^cannot set instance 'c' for server 127\.0\.0\.1:2003: server was previously defined with instance 'a'$/],
  ['issues/issue157.conf', 8, /^cannot share server 127\.0\.0\.1:2003 with any_of\/failover cluster 'two'$/],
  ['issues/issue160.conf', 3, /unexpected word "blackhole"/],
  ['issues/issue263-c0.conf', 1, /unexpected word "produce"/, 'issues/issue263-c1.conf'],
  ['issues/issue263-c1.conf', 1, /unexpected word "produce"/],
  ['issues/issue448.conf', 3, /^host or IP-address required$/],
  ['issues/issue240.conf', 6, /unable to read included file 'issues\/issue240-rewrites\.conf'/],
  ['test/listen-duplicates01.conf', 6, /^duplicate listener 127\.0\.0\.1 with .* for port 2013$/],
  ['test/listen-duplicates02.conf', 8, /^duplicate listener ::1 with :: for port 2013$/],
  [
    'test/server-type.conf',
    11,
    /^cannot set type 'linemode' for server 127\.0\.0\.1:2020: server was previously defined with type 'syslog'$/,
  ],
];

describe('upstream regression configs', () => {
  const files = [...readdirSync(`${ROOT}/issues`).map((f) => `issues/${f}`), ...readdirSync(`${ROOT}/test`).map((f) => `test/${f}`)].filter(
    (f) => f.endsWith('.conf'),
  );

  it('covers all 57 files', () => {
    expect(files).toHaveLength(57);
  });

  it.each(REFUSED)('%s is refused at line %d', (file, line, message, inFile) => {
    const e = expectConfigError(() => loadCrelayConfig(`${ROOT}/${file}`));
    expect(e.line).toBe(line);
    expect(e.message).toMatch(message);
    expect(e.file).toBe(`${ROOT}/${inFile ?? file}`);
  });

  it('parses every other file, with a line for every cluster, member and rule inside the files read', () => {
    const refused = new Set(REFUSED.map(([f]) => f));
    let clusters = 0;
    let members = 0;
    for (const f of files.filter((x) => !refused.has(x))) {
      const cfg = loadCrelayConfig(`${ROOT}/${f}`);
      for (const c of cfg.clusters) {
        clusters++;
        const n = readFileSync(c.file, 'utf8').split('\n').length;
        expect(c.line).toBeGreaterThan(0);
        expect(c.endLine).toBeLessThanOrEqual(n);
        for (const m of c.members) {
          members++;
          expect(readFileSync(m.file, 'utf8').split('\n')[m.line - 1]).toContain(m.text);
        }
      }
      for (const r of cfg.rules) expect(r.line).toBeGreaterThan(0);
    }
    expect(clusters).toBeGreaterThan(30);
    expect(members).toBeGreaterThan(100);
  });

  it("issue240 parses when includes resolve against the relay's working directory", () => {
    const cfg = loadCrelayConfig(`${ROOT}/issues/issue240.conf`, { includeBase: ROOT });
    expect(cfg.files).toEqual([`${ROOT}/issues/issue240.conf`, `${ROOT}/issues/issue240-rewrites.conf`]);
    expect(cfg.rules.map((r) => r.kind)).toEqual(['rewrite', 'match']);
  });

  it('issue165 includes two files in place; issue263 reads the glob in order', () => {
    const cfg = loadCrelayConfig(`${ROOT}/issues/issue165.conf`);
    expect(cfg.includes.map((i) => i.pattern)).toEqual(['../issues/issue10.conf', '../issues/issue16.conf']);
    expect(cfg.rules.filter((r) => r.kind === 'rewrite')).toHaveLength(10);
    expect(cfg.clusters.map((c) => [c.name, c.type, c.file])).toEqual([['one', 'any_of', `${ROOT}/issues/issue16.conf`]]);
  });

  it('issue27: # ends a bare word (comment), a quoted string keeps it', () => {
    const cfg = loadCrelayConfig(`${ROOT}/issues/issue27.conf`);
    const rw = cfg.rules.map((r) => (r.kind === 'rewrite' ? r.replacement.text : ''));
    expect(rw).toEqual(['env.app.POS', 'env.app.POS#.yadda.count']);
  });

  it('issue369: a quoted ";" is a pattern', () => {
    const r = loadCrelayConfig(`${ROOT}/issues/issue369.conf`).rules[0]!;
    expect(r.kind === 'match' && r.patterns?.map((p) => p.text)).toEqual([';']);
  });

  it('selects the hashing cluster: the only one, by name, or an error listing them', () => {
    expect(selectCrelayCluster(loadCrelayConfig(`${ROOT}/issues/issue17.conf`)).name).toBe('all');
    const multi = loadCrelayConfig(`${ROOT}/issues/issue236.conf`);
    const e = expectConfigError(() => selectCrelayCluster(multi));
    expect(e.message).toMatch(/4 hashing clusters/);
    expect(e.expected).toMatch(/carbon \(carbon_ch, .*:1\), fnv \(fnv1a_ch, .*:10\), jump \(jump_fnv1a_ch, .*:19\), jump2/);
    expect(selectCrelayCluster(multi, 'jump2').members.map((m) => m.destination.instance)).toEqual([
      null,
      '1',
      null,
      '2',
      null,
      'foo',
      null,
    ]);
    expect(() => selectCrelayCluster(loadCrelayConfig(`${ROOT}/issues/issue14.conf`))).toThrow(
      /no carbon_ch, fnv1a_ch or jump_fnv1a_ch cluster/,
    );
    expect(() => selectCrelayCluster(loadCrelayConfig(`${ROOT}/issues/issue14.conf`), 'new')).toThrow(/is forward, not a hash ring/);
  });

  it('gives the ring spec of a cluster with member lines, and notes route using', () => {
    const r = crelayRing(loadCrelayConfig(`${ROOT}/issues/issue235.conf`));
    expect(r.spec).toMatchObject({ impl: 'carbon-c-relay', hash: 'fnv1a_ch', replication: 1, diverse: false, sanitize: true });
    expect(r.spec.origin).toMatchObject({ cluster: 'aggrs', format: 'carbon-c-relay', line: 1 });
    expect(r.spec.destinations[7]).toEqual({ server: '127.0.0.2', port: 2006, instance: 'd', line: 9 });
    expect(r.diagnostics.map((d) => [d.code, d.line])).toEqual([['route-using', 12]]);
  });
});

describe('lexer and statements', () => {
  it('reads members host[:port][=instance] with the default port, a spaced =, numeric and IPv6 forms', () => {
    const cfg = parse('cluster c carbon_ch\n  h1\n  h2:2104 = a\n  h3:2003=007\n  [::1]:2005=x proto udp\n  [2001:db8::1]\n  ;\n');
    expect(
      cfg.clusters[0]!.members.map((m) => [m.destination.server, m.destination.port, m.destination.instance, m.line, m.proto]),
    ).toEqual([
      ['h1', 2003, null, 2, 'tcp'],
      ['h2', 2104, 'a', 3, 'tcp'],
      ['h3', 2003, '7', 4, 'tcp'],
      ['::1', 2005, 'x', 5, 'udp'],
      ['2001:db8::1', 2003, null, 6, 'tcp'],
    ]);
  });

  it('joins "\\ " into a word and treats # as a comment anywhere outside quotes', () => {
    const cfg = parse('match ^a\\ b # trailing\n  send to # mid-statement\n  blackhole;\n');
    const r = cfg.rules[0]!;
    expect(r.kind === 'match' && r.patterns![0]!.text).toBe('^a\\ b');
    expect(r.kind === 'match' && r.blackhole && r.stop).toBe(true);
  });

  it('reads replication and dynamic in either order, and useall', () => {
    const cfg = parse('cluster a fnv1a_ch dynamic replication 2 h1 h2;\ncluster b forward useall h3;\n');
    expect(cfg.clusters.map((c) => [c.replication, c.dynamic, c.useall])).toEqual([
      [2, true, false],
      [1, false, true],
    ]);
    expect(cfg.diagnostics.map((d) => d.code)).toContain('dynamic-cluster');
  });

  it('rejects empty strings, unterminated strings, stray characters and unknown clusters', () => {
    expect(expectConfigError(() => parse('match "" send to blackhole;')).message).toMatch(/empty string/);
    expect(expectConfigError(() => parse('match "abc\nsend to x;')).message).toMatch(/unterminated string/);
    expect(expectConfigError(() => parse('cluster c forward h1 !;')).message).toMatch(/unexpected character "!"/);
    expect(expectConfigError(() => parse('match * send to nowhere;\n')).message).toBe("unknown cluster 'nowhere'");
    expect(expectConfigError(() => parse('cluster c forward h1;\ncluster c forward h2;\n'))).toMatchObject({
      line: 2,
      message: 'cluster with the same name already defined',
    });
    expect(expectConfigError(() => parse('cluster c fnv1a_ch replication 0 h1;')).message).toMatch(/between 1 and 255/);
    expect(expectConfigError(() => parse('cluster a carbon_ch h1:2003;\ncluster b carbon_ch h1:2003=x;\n')).message).toMatch(
      /previously defined without instance/,
    );
    expect(expectConfigError(() => parse('aggregate x every 60 seconds expire after 30 seconds compute sum write to y;')).message).toMatch(
      /expire must be greater/,
    );
  });

  it('warns about rules after a match * ... stop and about the deprecated send statistics form', () => {
    const cfg = parse('cluster c forward h;\nsend statistics to c;\nmatch * send to c stop;\nmatch x send to c;\n');
    expect(cfg.diagnostics.map((d) => [d.code, d.line])).toEqual([
      ['deprecated-syntax', 2],
      ['unreachable-rule', 4],
    ]);
    expect(cfg.statistics).toMatchObject({ sendTo: ['c'], deprecatedForm: true });
  });
});

describe('includes', () => {
  it("resolves relative paths and globs against the including file and keeps each file's lines", () => {
    const cfg = loadCrelayConfig(`${FIX}/main.conf`);
    expect(cfg.files.map((f) => f.slice(FIX.length + 1))).toEqual([
      'main.conf',
      'clusters.conf',
      'parts/10-rewrite.conf',
      'parts/20-blackhole.conf',
    ]);
    const store = cfg.clusters[0]!;
    expect(store.members.map((m) => [m.destination.server, m.destination.instance, m.line])).toEqual([
      ['10.3.0.11', '8f1c0d5a9e', 3],
      ['10.3.0.12', '27be44a0c1', 4],
      ['10.3.0.13', 'd90e7f3b56', 5],
    ]);
    expect(cfg.rules.map((r) => [r.kind, r.file.slice(FIX.length + 1), r.line])).toEqual([
      ['rewrite', 'parts/10-rewrite.conf', 1],
      ['match', 'parts/20-blackhole.conf', 1],
      ['match', 'main.conf', 4],
    ]);
    // the walk: rewrite, then the catch-all match hashes the rewritten name
    expect(crelayRoute(cfg, 'old.x').decisions.map((d) => [d.cluster.name, d.hashKey])).toEqual([['store', 'new.x']]);
    expect(crelayRoute(cfg, 'carbon.relays.a').decisions).toEqual([]);
  });

  it('stops include loops', () => {
    const e = expectConfigError(() => loadCrelayConfig(`${FIX}/loop/a.conf`));
    expect(e.message).toMatch(/include loop/);
    expect(e.file).toBe(`${FIX}/loop/b.conf`);
  });
});
