// Rings held by tools: carbonate.conf clusters and buckyd command lines. Each must model the ring the
// relay tier that picks the cache (or, in a two-tier layout, the host) really uses.
import { hasBuckydCommand, parseBuckyArgv, buckyRing } from '../../config/bucky-argv.js';
import { carbonateRing, parseCarbonateConf } from '../../config/carbonate-conf.js';
import { reportDiagnostics, type LintContext } from '../context.js';
import { rule as configUnparseable, tryParse } from '../rules/config-unparseable.js';
import type { HeldRing, LintFile } from '../model.js';

/** Reported where they matter: aggregated routing by R14, DIVERSE_REPLICAS read with bool() by R7. */
const CARBONATE_IGNORED = ['aggregated-routing', 'bool-of-string'];

export function readCarbonate(ctx: LintContext, f: LintFile): void {
  const conf = tryParse(ctx, f.path, 'carbonate.conf is refused by RawConfigParser', () => parseCarbonateConf(f.text, f.path));
  if (conf === undefined) return;
  if (conf.clusters.length === 0) {
    configUnparseable.report(ctx, {
      file: f.path,
      line: null,
      message: configUnparseable.msg('noCluster'),
      fix: configUnparseable.msg('fixNoCluster'),
    });
    return;
  }
  for (const name of conf.clusters) {
    const r = tryParse(ctx, f.path, `carbonate cannot use cluster [${name}]`, () => carbonateRing(conf, name));
    if (r === undefined) continue;
    reportDiagnostics(ctx, 'carbonate', r.diagnostics, CARBONATE_IGNORED);
    const c = r.cluster;
    const held: HeldRing = {
      label: `${f.path} [${name}]`,
      role: 'tool',
      holder: 'carbonate',
      spec: r.spec,
      members: { file: f.path, line: c.destinations[0]?.line ?? c.line },
      membersName: 'DESTINATIONS',
      hash: { file: f.path, line: c.hashingType.line ?? c.line },
      replication: { file: f.path, line: c.replicationFactor.line },
      diverse: { file: f.path, line: c.diverseReplicas.line ?? c.line },
      file: f.path,
      method: c.relayMethod.value,
      section: name,
    };
    if (c.diverseReplicas.raw !== null) held.diverseText = c.diverseReplicas.raw;
    ctx.rings.push(held);
    if (c.relayMethod.value === 'aggregated-consistent-hashing') {
      ctx.aggregationUsers.push({
        file: f.path,
        role: 'carbonate',
        label: held.label,
        rulesPath: null,
        where: { file: f.path, line: c.relayMethod.line },
      });
    }
  }
}

export function readBuckyd(ctx: LintContext, f: LintFile): void {
  if (!hasBuckydCommand(f.text)) return;
  const parsed = tryParse(ctx, f.path, 'buckyd would exit on this command line', () => parseBuckyArgv(f.text, f.path));
  if (parsed === undefined) return;
  reportDiagnostics(ctx, 'buckyd', parsed.diagnostics);
  parsed.commands.forEach((cmd, i) => {
    const r = tryParse(ctx, f.path, 'buckyd ring', () => buckyRing(parsed, f.path, String(i + 1)));
    if (r === undefined) return;
    const where = { file: f.path, line: cmd.line };
    ctx.rings.push({
      label: `${f.path}:${cmd.line} buckyd${cmd.node ? ` -node ${cmd.node}` : ''}`,
      role: 'tool',
      holder: 'buckyd',
      spec: r.spec,
      members: where,
      membersName: 'the buckyd members',
      hash: where,
      replication: where,
      file: f.path,
      ...(cmd.node !== null ? { host: cmd.node, hostWhy: '-node' } : {}),
    });
  });
}
