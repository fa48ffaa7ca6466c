// ringshift cluster files: the ring ringshift itself uses (a tool ring, like carbonate's), and the optional
// `topology:` section where a team states what the linter would otherwise infer:
//
//   topology:
//     layout: two-tier                    # or single-tier
//     hosts:                              # files and directories that live on each host
//       graphite-1: [hosts/graphite-1]
//     relays:
//       - { file: relay/carbon.conf, tier: 1 }
//       - { file: hosts/graphite-1/carbon.conf, cluster: relay, tier: 2, host: graphite-1 }
//     webapps:
//       - { file: web/local_settings.py, host: graphite-1, mirrors: hosts/graphite-1/carbon.conf }
//
// Paths are relative to the cluster file. The section is parsed with the cluster file (src/config/cluster-topology.ts).
import { parseClusterFile } from '../../config/cluster-file.js';
import { reportDiagnostics, type LintContext } from '../context.js';
import { tryParse } from '../rules/config-unparseable.js';
import type { LintFile, StatedTopology } from '../model.js';

export function readClusterFile(ctx: LintContext, f: LintFile, explicitCluster: boolean): void {
  const cf = tryParse(ctx, f.path, 'the cluster file cannot be used', () => parseClusterFile(f.text, f.path));
  if (cf === undefined) return;
  reportDiagnostics(ctx, 'cluster-file', cf.diagnostics ?? []);
  const stated = cf.sections?.['topology'] as StatedTopology | undefined;
  if (stated !== undefined) {
    if (ctx.stated !== undefined && !explicitCluster) {
      ctx.notes.push(
        `${ctx.display(f.path)}: a second cluster file with topology: was ignored (${ctx.display(ctx.stated.file)} states it)`,
      );
    } else if (ctx.stated === undefined || explicitCluster) {
      ctx.stated = stated;
    }
  }
  const where = { file: f.path, line: cf.ringLine ?? null };
  // A ring read from another config (`source:`) is that config's ring: nothing to compare.
  if (cf.source !== undefined) {
    ctx.notes.push(`${f.path}: the ring comes from ${cf.source.file} (ring.source), so it always agrees with it`);
    return;
  }
  const first = cf.ring.destinations[0]?.line;
  ctx.rings.push({
    label: `${f.path} ring`,
    role: 'tool',
    holder: 'ringshift',
    spec: cf.ring,
    members: { file: f.path, line: first ?? where.line },
    membersName: 'ring.destinations',
    hash: where,
    replication: where,
    diverse: where,
    file: f.path,
  });
}
