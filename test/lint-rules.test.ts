// One fixture repository per rule (test/fixtures/lint/<rule>/{bad,good}): the bad one triggers the rule,
// the good one (the same cluster with the mistake fixed) does not. Then the details that make a finding
// useful: both sides' file:line, the measured share of the keyspace, a concrete fix.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULE_METAS as RULES, type RuleId } from '../src/lint/rule-catalogue.js';
import { FIXTURE_EXPLICIT } from '../src/lint/rule-examples.js';
import { lintPaths } from '../src/lint/run.js';
import type { LintFinding } from '../src/lint/lint-finding.js';
import { buildRing } from '../src/ring/build.js';
import { makeRingSpec } from '../src/ring/spec.js';
import { COLLISION_WARN_SHARE } from '../src/lint/rules/collision-semantics.js';
import { PROJECT_ROOT } from './helpers/project-root.js';

type Finding = LintFinding<RuleId>;

const FIX = join(PROJECT_ROOT, 'test/fixtures/lint');

async function lint(dir: string, extra: string[] = []): Promise<Finding[]> {
  const r = await lintPaths([dir, ...extra], { cwd: FIX });
  return r.report.findings;
}

/** Explicitly named files for rules that need them (a directory walk skips what it does not know). */
const EXPLICIT = FIXTURE_EXPLICIT;

describe('every rule has a failing and a passing fixture', () => {
  it('has a fixture directory for every rule and no stray ones', () => {
    const dirs = readdirSync(FIX).filter((d) => existsSync(join(FIX, d, 'bad')));
    expect(dirs.sort()).toEqual(RULES.map((r) => r.id).sort());
  });

  for (const rule of RULES) {
    it(`${rule.id} (${rule.ref})`, async () => {
      const bad = await lint(
        `${rule.id}/bad`,
        (EXPLICIT[rule.id] ?? []).map((f) => `${rule.id}/bad/${f}`),
      );
      expect(bad.filter((f) => f.message.includes('internal error'))).toEqual([]);
      const hits = bad.filter((f) => f.rule === rule.id);
      expect(hits.length, `bad fixture: ${bad.map((f) => `${f.rule}: ${f.message}`).join('\n')}`).toBeGreaterThan(0);
      for (const f of hits) {
        expect(f.ref).toBe(rule.ref);
        expect(f.file.startsWith(`${rule.id}/bad/`)).toBe(true);
        expect(f.message.length).toBeGreaterThan(20);
        if (f.rule !== 'config-warning') expect(f.fix, `${f.rule} has a fix`).toBeTruthy();
      }
      const good = await lint(`${rule.id}/good`);
      expect(good.filter((f) => f.rule === rule.id)).toEqual([]);
      // A passing fixture has no errors at all (warnings of other rules may stand, e.g. collisions).
      expect(good.filter((f) => f.severity === 'error')).toEqual([]);
    });
  }
});

describe('what a finding says', () => {
  it('R1 tool: names the missing member and quantifies it, pointing at both member lists', async () => {
    const [f] = (await lint('ring-members-mismatch/bad')).filter((x) => x.rule === 'ring-members-mismatch');
    expect(f).toMatchObject({ file: 'ring-members-mismatch/bad/carbonate.conf', line: 2, severity: 'error' });
    expect(f!.message).toMatch(/ownership of [0-9.]+ % of the keyspace differs/);
    expect(f!.message).toContain('members only in ring-members-mismatch/bad/relay/carbon.conf: graphite-2:b');
    expect(f!.related).toEqual([{ file: 'ring-members-mismatch/bad/relay/carbon.conf', line: 7 }]);
    expect(f!.fix).toContain('graphite-1:2004:a, graphite-1:2104:b, graphite-2:2004:a, graphite-2:2104:b');
  });

  it('R1 tool: the share is the exact keyspace diff of the two rings (owner lists, RF 1)', async () => {
    const [f] = (await lint('ring-members-mismatch/bad')).filter((x) => x.rule === 'ring-members-mismatch');
    const relay = buildRing(
      makeRingSpec({ destinations: dests('graphite-1:2004:a graphite-1:2104:b graphite-2:2004:a graphite-2:2104:b') }),
    );
    const tool = buildRing(makeRingSpec({ destinations: dests('graphite-1:2004:a graphite-1:2104:b graphite-2:2004:a') }));
    let differ = 0;
    for (let p = 0; p < 65536; p++) {
      const a = relay.positionSpace!.ownersAt(p)[0]!;
      const b = tool.positionSpace!.ownersAt(p)[0]!;
      if (a.server !== b.server || a.instance !== b.instance) differ++;
    }
    expect(f!.message).toContain(`ownership of ${((differ / 65536) * 100).toFixed(1)} % of the keyspace differs`);
  });

  it('R1 webapp: 127.0.0.1 where the relay says graphite-1, with the share of keys looked up on the wrong instance', async () => {
    const [f] = (await lint('carbonlink-members-mismatch/bad')).filter((x) => x.rule === 'carbonlink-members-mismatch');
    expect(f).toMatchObject({ file: 'carbonlink-members-mismatch/bad/graphite-1/local_settings.py', line: 2, severity: 'error' });
    expect(f!.message).toContain('only in CARBONLINK_HOSTS: 127.0.0.1:a, 127.0.0.1:b');
    const m = /looks up ([0-9.]+) % of the keys stored on graphite-1 on another cache instance/.exec(f!.message);
    expect(m).not.toBeNull();
    // Independent estimate on names: of the names the relay stores on graphite-1, how many does the
    // webapp's own ring send to another instance?
    const relay = buildRing(
      makeRingSpec({ destinations: dests('graphite-1:2004:a graphite-1:2104:b graphite-2:2004:a graphite-2:2104:b') }),
    );
    const web = buildRing(makeRingSpec({ impl: 'graphite-web', destinations: dests('127.0.0.1:7002:a 127.0.0.1:7102:b') }));
    let stored = 0;
    let wrong = 0;
    for (let i = 0; i < 40000; i++) {
      const name = `app.host${i % 97}.metric${i}.count`;
      const owner = relay.locate(name).owners[0]!;
      if (owner.server !== 'graphite-1') continue;
      stored++;
      if (web.locate(name).owners[0]!.instance !== owner.instance) wrong++;
    }
    expect(Math.abs((wrong / stored) * 100 - Number(m![1]))).toBeLessThan(2);
    expect(f!.fix).toBe('set CARBONLINK_HOSTS = ["graphite-1:7002:a", "graphite-1:7102:b"]');
    expect(f!.related).toEqual([{ file: 'carbonlink-members-mismatch/bad/relay/carbon.conf', line: 7 }]);
  });

  it('R8: the c-relay pointed at pickle ports is reported per member line', async () => {
    const hits = (await lint('destination-port-mismatch/bad')).filter((x) => x.rule === 'destination-port-mismatch');
    expect(hits.map((h) => h.line)).toEqual([4, 5, 6, 7]);
    expect(hits[0]!.message).toContain('2004 is the pickle receiver of carbon-cache a');
  });

  it('R9: the instance that inherits its ports is named with the inherited key', async () => {
    const hits = (await lint('cache-port-conflict/bad')).filter((x) => x.rule === 'cache-port-conflict');
    expect(hits.map((h) => h.message.match(/tcp port (\d+)/)![1])).toEqual(['2003', '2004', '7002']);
    expect(hits[0]!.message).toContain("[cache:b] does not set LINE_RECEIVER_PORT, so it inherits [cache]'s");
  });

  it('R3: the degenerate fnv1a_ch ring is measured', async () => {
    const [f] = (await lint('fnv1a-instances/bad')).filter((x) => x.rule === 'fnv1a-instances');
    expect(f!.message).toMatch(/the busiest member owns (9\d\.\d) % of the keyspace/);
  });

  it('R5: lists the colliding key positions', async () => {
    const [f] = (await lint('collision-semantics/bad')).filter((x) => x.rule === 'collision-semantics');
    expect(f!.message).toMatch(/\d+ of 65536 key positions .* in \d+ ranges? \(0x[0-9a-f]{4}/);
  });

  it('R5: fnv1a_ch is measured like carbon_ch, and the share is the exact position-by-position difference', async () => {
    const [f] = (await lint('collision-semantics/bad')).filter((x) => x.rule === 'collision-semantics');
    expect(f).toMatchObject({ file: 'collision-semantics/bad/relay/relay.conf', line: 4, severity: 'warning' });
    // Independently: carbon's ring (bump) and carbon-c-relay's (first-sorted) over the same members, owner by owner.
    const members = Array.from({ length: 10 }, (_, i) => ({ server: `graphite-${i + 1}`, port: 2003, instance: `graphite-${i + 1}:2003` }));
    const carbon = buildRing(makeRingSpec({ impl: 'carbon', hash: 'fnv1a_ch', destinations: members }));
    const crelay = buildRing(makeRingSpec({ impl: 'carbon-c-relay', hash: 'fnv1a_ch', destinations: members, diverse: false }));
    let differ = 0;
    for (let p = 0; p < 65536; p++) {
      const a = carbon.positionSpace!.ownersAt(p)[0]!;
      const b = crelay.positionSpace!.ownersAt(p)[0]!;
      if (a.server !== b.server || a.instance !== b.instance) differ++;
    }
    expect(differ).toBeGreaterThan(65536 * COLLISION_WARN_SHARE);
    expect(f!.message).toContain(`${differ} of 65536 key positions (${((differ / 65536) * 100).toFixed(3)} %) get another primary owner`);
  });

  it('R5: below the threshold share (one contested carbon_ch position) it is an info', async () => {
    const [f] = (await lint('_topology/collision-carbon-ch-one-position')).filter((x) => x.rule === 'collision-semantics');
    expect(f).toMatchObject({ severity: 'info' });
    expect(f!.message).toContain('1 of 65536 key positions (0.0015 %) get another primary owner, in 1 range (0x8c04)');
  });

  it('R14: points at the first line where the rule files differ, on both sides (the shorter file at its last line)', async () => {
    const [f] = (await lint('aggregation-rules-mismatch/bad')).filter((x) => x.rule === 'aggregation-rules-mismatch');
    // The relay's file has 2 lines; the aggregators' has a third rule.
    expect(f).toMatchObject({ file: 'aggregation-rules-mismatch/bad/relay/aggregation-rules.conf', line: 2 });
    expect(f!.message).toContain('which differs from line 3');
    expect(f!.related![0]).toEqual({ file: 'aggregation-rules-mismatch/bad/aggregator/aggregation-rules.conf', line: 3 });
  });

  it('a refused file is a finding with the parser line, and the rest of the cluster is still checked', async () => {
    const fs = await lint('config-unparseable/bad');
    expect(fs.find((f) => f.rule === 'config-unparseable')).toMatchObject({
      file: 'config-unparseable/bad/relay/carbon.conf',
      line: 13,
      severity: 'error',
    });
  });
});

function dests(s: string) {
  return s.split(' ').map((t) => {
    const [server, port, instance] = t.split(':');
    return { server: server!, port: Number(port), instance: instance ?? null };
  });
}
