// carbon-relay-ng: one ring per consistentHashing route. Its ring has no collision bump, sorts colliding
// points by (host, instance) with instance-less first and keeps one owner: buckytools' carbon ring, which is
// how it is modelled (ring-spec.md §6). consistentHashing-v2's partial bump is not modelled; such routes are
// marked approximate.
import { parseRelayngConf } from '../../config/relayng-conf.js';
import { splitLines } from '../../config/ini.js';
import { makeRingSpec } from '../../ring/spec.js';
import type { Destination } from '../../ring/types.js';
import { reportDiagnostics, type LintContext } from '../context.js';
import { tryParse } from '../rules/config-unparseable.js';
import type { HeldRing, LintFile } from '../model.js';

export function readRelayng(ctx: LintContext, f: LintFile): void {
  const conf = tryParse(ctx, f.path, 'carbon-relay-ng cannot parse this TOML', () => parseRelayngConf(f.text, f.path, { env: ctx.env }));
  if (conf === undefined) return;
  reportDiagnostics(ctx, 'relayng', conf.diagnostics);
  for (const route of conf.routes) {
    if (route.type !== 'consistentHashing' && route.type !== 'consistentHashing-v2') continue;
    const dests = route.destinations.filter((x) => x.port !== null && x.host !== '');
    if (dests.length < 2) continue;
    const destinations: Destination[] = dests.map((x) => ({
      server: x.host,
      port: x.port!,
      instance: x.instance,
      ...(x.line !== null ? { line: x.line } : {}),
    }));
    const pickle = dests.every((x) => x.options['pickle'] === 'true');
    const where = { file: f.path, line: route.line };
    const held: HeldRing = {
      label: `${f.path} route ${route.key}`,
      role: 'relay',
      holder: 'carbon-relay-ng',
      spec: makeRingSpec({
        impl: 'bucky',
        hash: 'carbon_ch',
        destinations,
        replication: 1,
        diverse: false,
        sanitize: false,
        origin: { file: f.path, ...(route.line !== null ? { line: route.line } : {}), cluster: route.key, format: 'carbon-relay-ng' },
      }),
      members: { file: f.path, line: dests[0]!.line ?? route.line },
      membersName: `route ${route.key}`,
      hash: where,
      replication: where,
      file: f.path,
      protocol: pickle ? 'pickle' : 'line',
      section: route.key,
    };
    if (route.type === 'consistentHashing-v2')
      held.approximate = 'consistentHashing-v2 bumps collisions only against earlier destinations; modelled as consistentHashing';
    ctx.rings.push(held);
  }
  splitLines(f.text).forEach((l, i) => {
    if (/^\s*\[\[\s*rewriter\s*\]\]/.test(l)) ctx.rewriters.push({ file: f.path, line: i + 1, label: '[[rewriter]]' });
  });
}
