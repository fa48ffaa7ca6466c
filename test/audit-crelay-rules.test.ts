// audit (and so plan) on a cluster whose ring is a carbon-c-relay config with rules: files are judged by
// where the relay sends each name — the `route using` key it hashes, not the name — with the owners taken
// from the installed carbon-c-relay's own test mode (`carbon-c-relay -t`), never from ringshift's ring.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AuditFinding } from '../src/audit/audit-findings.js';
import { runAudit } from '../src/audit/run-audit.js';
import { buildRing } from '../src/ring/build.js';
import { makeRingSpec } from '../src/ring/spec.js';
import { clusterFactory } from './audit-cluster.js';

const cluster = clusterFactory();

const RELAY = `cluster graphite
    carbon_ch
        n1:2003=a
        n2:2003=a
        n3:2003=a
    ;
match ^stats\\.timers\\.([^.]+)\\.
    route using stats.timers.\\1
    send to graphite
    stop
    ;
match ^drop\\.
    send to blackhole
    stop
    ;
match *
    send to graphite
    ;
`;

/** The member carbon-c-relay -t sends `metric` to (its server), or undefined when it sends it nowhere. */
function relayOwner(conf: string, metric: string): string | undefined {
  const r = spawnSync('carbon-c-relay', ['-t', '-f', conf], { input: metric + '\n', encoding: 'utf8', timeout: 20_000 });
  if (r.error !== undefined) throw new Error(`carbon-c-relay (Debian package carbon-c-relay) did not run: ${String(r.error)}`);
  const tail = r.stdout.slice(r.stdout.lastIndexOf('\nmatch\n'));
  return /^ {8}(n[0-9]):2003$/m.exec(tail)?.[1];
}

describe('audit on a carbon-c-relay cluster with route using and blackhole rules, against carbon-c-relay -t', () => {
  const c = cluster('audit-crelay-rules');
  const conf = join(c.dir, 'relay.conf');
  fs.writeFileSync(conf, RELAY);
  const path = join(c.dir, 'cluster.yaml');
  fs.writeFileSync(
    path,
    `ring:\n  source: relay.conf\n  cluster: graphite\nstorage:\n  n1: ./nodes/n1\n  n2: ./nodes/n2\n  n3: ./nodes/n3\n`,
  );
  const timers = Array.from({ length: 12 }, (_, i) => `stats.timers.svc${i % 4}.p${90 + i}`);
  const plain = ['servers.web1.cpu.user', 'servers.web2.cpu.user'];
  const bare = buildRing(
    makeRingSpec({ impl: 'carbon-c-relay', destinations: ['n1', 'n2', 'n3'].map((s) => ({ server: s, port: 2003, instance: 'a' })) }),
  );
  const truth = new Map([...timers, ...plain].map((m) => [m, relayOwner(conf, m)!]));
  // a timer whose own name hashes elsewhere than its route using key (what the bare ring would expect)
  const moved = timers.find((m) => bare.locate(m).owners[0]!.server !== truth.get(m))!;
  const ready = (async () => {
    for (const [m, owner] of truth) await c.plant(owner, m);
    await c.plant(bare.locate(moved).owners[0]!.server, moved, 1);
    await c.plant('n1', 'drop.old.metric');
  })();

  it('every file on the node the relay sends its name to is ok; a copy where the bare ring would put it is misplaced', async () => {
    await ready;
    expect(moved).toBeDefined();
    expect(new Set(timers.map((m) => truth.get(m))).size).toBeGreaterThan(1);
    const out: AuditFinding[] = [];
    await runAudit({ clusterPath: path }, (f) => void out.push(f));
    for (const [m, owner] of truth) {
      const f = out.find((x) => x.metric === m && x.node === owner)!;
      expect(f.kind, `${m} on ${owner}`).toBe('ok');
      expect(f.owners).toEqual([owner]);
    }
    const stray = out.find((x) => x.metric === moved && x.node !== truth.get(moved))!;
    // the owner already holds it, so the copy the bare ring would expect is an extra copy
    expect(stray).toMatchObject({ kind: 'extra-copy', owners: [truth.get(moved)] });
    // blackholed by the relay: no node owns it
    expect(out.find((x) => x.metric === 'drop.old.metric')).toMatchObject({ kind: 'misplaced', owners: [] });
  });
});
