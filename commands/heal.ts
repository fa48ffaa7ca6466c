import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import { countFlag, requiredClusterFileFlag } from '../src/cli/common-flags.js';
import { liveWindowFlag } from '../src/cli/live-flags.js';
import { nowSeconds, parseTime } from '../src/clock.js';
import { LineSink } from '../src/output/sinks.js';
import { INTERRUPTED_LINE, signalExitCode, withStopSignals } from '../src/cli/stop-signals.js';
import { healNode, type HealReport } from '../src/toolbox/heal.js';
import { formatBytes, parseDuration, plural } from '../src/units.js';

export default class Heal extends BaseCommand {
  static override summary = 'Heal a node after an outage: fill the window from the other replicas (or a mirror), fold back strays.';
  static override description = `While NODE was down, its metrics kept arriving at the other replicas (replication ≥ 2) and, behind a failover or any_of relay, at nodes that do not own them. heal brings NODE back without a hole in any graph and without losing a point:

  strays   every file of a metric NODE owns, on a node that does not own it, that received points in the window (other misplaced files are left to plan) is gap-filled into each owner (copied where an owner lacks the file), then deleted once every owner is re-proven to hold its points — a plan run by the apply executor, journaled (the plan and PLAN.journal/ at --plan-file until done). A stray still receiving points (a relay still sends there) is left alone and listed.
  copies   metrics NODE owns but has no file of (created during the outage) are copied from a replica.
  window   each of NODE's files is gap-filled in [--since, --until] from every other owner of its metric, and from --from-cluster's owners: the backfill's windowed fill, which reads and writes only the window's slots and never overwrites a point.

Run it again after an interruption: it resumes the plan from its journal and the window fill is idempotent. --dry-run shows files and bytes per source and touches nothing. Local storage only (run it on a host that mounts every location). Exit 0 when all is done; 1 when something failed (run the same command again); 2 for usage errors (NODE not a member, replication 1 without --from-cluster).`;

  static override examples = [
    '<%= config.bin %> heal cache-b --cluster cluster.yaml --since 2026-12-04T21:00:00Z --until 2026-12-04T22:30:00Z --dry-run',
    '<%= config.bin %> heal cache-b --cluster cluster.yaml --since -3h',
    '<%= config.bin %> heal cache-b --cluster dc1.yaml --from-cluster dc2.yaml --since -3h --json',
  ];

  static override args = {
    node: Args.string({ description: 'The node that was down: a location id, storage key, member id or server.', required: true }),
  };

  static override flags = {
    cluster: requiredClusterFileFlag('the ring NODE is a member of, and where every node stores its files.'),
    since: Flags.string({
      helpValue: 'TIME',
      required: true,
      description: 'Start time of the outage: unix seconds, ISO 8601, -2h, now-2h.',
    }),
    until: Flags.string({ helpValue: 'TIME', description: 'End time of the outage: unix seconds, ISO 8601, -2h, now-2h. [default: now]' }),
    'from-cluster': Flags.string({
      helpValue: 'FILE',
      description: 'A mirror cluster file (the same metrics in another cluster): a source for the window, the only one at replication 1.',
    }),
    'dry-run': Flags.boolean({ description: 'Show the files and bytes each source would give; write nothing.', default: false }),
    'plan-file': Flags.string({
      helpValue: 'FILE',
      description:
        'Where heal keeps the plan of its copies, stray fills and deletes while they run (journal beside it). [default: ./heal-NODE.plan]',
    }),
    'live-window': liveWindowFlag,
    'lock-timeout': Flags.custom<number>({
      helpValue: 'DURATION',
      description: "How long a fill waits for carbon-cache's flock on a file: 30, 30s, 2m. [default: 30s]",
      parse: async (input) => parseDuration(input, '--lock-timeout'),
    })(),
    concurrency: countFlag('concurrency', 'Copies, fills and deletes of the plan at once [default: 8].', 1, 256),
  };

  public async run(): Promise<void> {
    const { args, flags } = await this.parse(Heal);
    const now = nowSeconds();
    const { result: report, signal } = await withStopSignals((interrupt) =>
      healNode({
        interrupt,
        cluster: flags.cluster,
        node: args.node,
        since: parseTime(flags.since, now, '--since'),
        until: flags.until === undefined ? now : parseTime(flags.until, now, '--until'),
        now,
        fromCluster: flags['from-cluster'],
        dryRun: flags['dry-run'],
        liveWindow: flags['live-window'],
        planPath: flags['plan-file'] ?? `heal-${args.node.replace(/[^A-Za-z0-9._-]/g, '_')}.plan`,
        lockTimeoutMs: (flags['lock-timeout'] ?? 30) * 1000,
        concurrency: flags.concurrency,
      }),
    );
    const sink = new LineSink();
    if (flags.json) for (const o of healJson(report)) sink.push(JSON.stringify(o));
    else for (const line of healText(report)) sink.push(line);
    await sink.flush();
    process.exitCode = report.exitCode;
    if (signal !== null) {
      process.stderr.write(`${INTERRUPTED_LINE}\n`);
      process.exitCode = signalExitCode(signal);
    }
  }
}

function iso(t: number): string {
  return new Date(t * 1000).toISOString().replace('.000Z', 'Z');
}

function healJson(r: HealReport): Record<string, unknown>[] {
  return [
    ...r.sources.map((s) => ({ ...s })),
    ...r.liveStrays.map((s) => ({ liveStray: s })),
    {
      summary: {
        node: r.node,
        since: r.since,
        until: r.until,
        dryRun: r.dryRun,
        noSource: r.noSource,
        liveStrays: r.liveStrays.length,
        resumed: r.resumed?.json() ?? null,
        apply: r.apply?.json() ?? null,
        exitCode: r.exitCode,
      },
    },
  ];
}

function healText(r: HealReport): string[] {
  const dry = r.dryRun;
  const out = [`heal ${r.node}: window ${iso(r.since)} .. ${iso(r.until)}${dry ? ' (dry run: nothing written)' : ''}`];
  if (r.resumed !== null) out.push('resumed the plan of an earlier run:', ...r.resumed.text().map((l) => `  ${l}`));
  for (const s of r.sources) {
    const parts: string[] = [];
    if (s.windowFiles > 0)
      parts.push(
        `window: ${plural(s.windowFiles, 'file')}, ${plural(s.slots, 'slot')} ${dry ? 'to fill' : 'filled'}, ${formatBytes(s.bytesRead)} read` +
          (dry ? '' : `, ${formatBytes(s.bytesWritten)} written`),
      );
    if (s.copies > 0) parts.push(`${plural(s.copies, 'file')} ${dry ? 'to copy' : 'copied'} to ${r.node} (${formatBytes(s.copyBytes)})`);
    if (s.strays > 0)
      parts.push(
        `${plural(s.strays, 'stray')} ${dry ? 'to fold into the owners and delete' : 'folded into the owners and deleted'} (${formatBytes(s.strayBytes)})`,
      );
    out.push(`  from ${s.source}: ${parts.join('; ')}`);
  }
  if (r.sources.length === 0) out.push('  nothing to do: no source holds a point of the window that NODE lacks');
  for (const s of r.liveStrays.slice(0, 20))
    out.push(`  left alone: ${s.path} at ${s.at} still receives points (last ${iso(s.lastPoint)}): a relay still sends there`);
  if (r.liveStrays.length > 20) out.push(`  … and ${r.liveStrays.length - 20} more live strays`);
  if (r.noSource > 0) out.push(`  ${plural(r.noSource, 'file')} of ${r.node} have no other copy to fill from`);
  if (r.apply !== null) out.push('plan (copies, stray fills, deletes):', ...r.apply.text().map((l) => `  ${l}`));
  if (r.exitCode !== 0) out.push('not finished: run the same command again to resume');
  return out;
}
