// carbon-c-relay configs: one ring per hashing cluster (carbon_ch, fnv1a_ch, jump_fnv1a_ch), the dynamic and
// any_of clusters (R20), and the rewrites / `route using` that change what is hashed (R13).
import { crelayHashType, parseCrelayConfig } from '../../config/crelay-conf.js';
import { ConfigError } from '../../errors.js';
import { buildRing } from '../../ring/build.js';
import { makeRingSpec } from '../../ring/spec.js';
import { reportDiagnostics, type LintContext } from '../context.js';
import { reportUnparseable } from '../rules/config-unparseable.js';
import { rule as crelayClusterInvalid } from '../rules/crelay-cluster-invalid.js';
import type { LintFile } from '../model.js';

/** Refusals that break the cluster limits of R16 (the relay's own wording, golden issue117/156). */
const CLUSTER_LIMITS =
  /replication count|cannot set instance|cannot define server|cannot set type|at most 128|cannot share server|same name already defined/;

export function readCrelay(ctx: LintContext, f: LintFile): void {
  let cfg;
  try {
    cfg = parseCrelayConfig(f.text, f.path);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const limits = CLUSTER_LIMITS.test(e.message);
    // The relay names the cluster; its parser stops at the end of the statement (the `;`): cite the cluster.
    const named = /cluster '([^']+)'/.exec(e.message)?.[1];
    const at =
      named === undefined
        ? -1
        : f.text
            .split('\n')
            .findIndex((l) => new RegExp(`^\\s*cluster\\s+${named.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}(\\s|$)`).test(l));
    const err = at >= 0 && e.file === f.path ? new ConfigError(e.message, { file: f.path, line: at + 1, expected: e.expected }) : e;
    const include = /included file/.test(e.message);
    reportUnparseable(
      ctx,
      f.path,
      err,
      'carbon-c-relay refuses this configuration',
      limits ? crelayClusterInvalid : undefined,
      limits
        ? crelayClusterInvalid.msg('fixConfig')
        : include
          ? "carbon-c-relay resolves a relative include against its working directory, ringshift against the including file's directory: make the include path absolute (or relative to the including file)"
          : undefined,
    );
    return;
  }
  ctx.crelays.push(cfg);
  reportDiagnostics(ctx, 'crelay', cfg.diagnostics);
  for (const c of cfg.clusters) {
    const hash = crelayHashType(c.type);
    if (hash === undefined) continue;
    const spec = makeRingSpec({
      impl: 'carbon-c-relay',
      hash,
      router: 'consistent-hashing',
      destinations: c.members.map((m) => ({ ...m.destination, line: m.line })),
      replication: c.replication,
      diverse: false,
      sanitize: true,
      origin: { file: c.file, line: c.line, cluster: c.name, format: 'carbon-c-relay' },
    });
    try {
      buildRing(spec);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      reportUnparseable(ctx, c.file, e, `carbon-c-relay cluster ${c.name}`, crelayClusterInvalid, crelayClusterInvalid.msg('fixCluster'));
      continue;
    }
    const where = { file: c.file, line: c.line };
    ctx.rings.push({
      label: `${c.file} cluster ${c.name}`,
      role: 'relay',
      holder: 'carbon-c-relay',
      spec,
      members: { file: c.file, line: c.members[0]?.line ?? c.line },
      membersName: `cluster ${c.name}`,
      hash: where,
      replication: where,
      file: c.file,
      protocol: 'line',
      section: c.name,
      ...(c.dynamic ? { dynamic: where } : {}),
    });
  }
}
