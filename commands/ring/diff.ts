import { Args, Flags } from '@oclif/core';
import { diffRings, type MovedListener } from '../../src/ring/analysis/diff.js';
import { MATCH_MODES, type MatchMode } from '../../src/ring/analysis/members.js';
import { movedLine } from '../../src/ring-output/placements.js';
import { stderrProgress, withProgress } from '../../src/ring-output/name-progress.js';
import { diffJson, diffText } from '../../src/ring-output/ring-report.js';
import type { RingFormat } from '../../src/config/load.js';
import { UsageError } from '../../src/errors.js';
import { BaseCommand } from '../../src/cli/base-command.js';
import { sampleFlag } from '../../src/cli/ring-flags.js';
import { nameBatches } from '../../src/input/names.js';
import { LineSink } from '../../src/output/sinks.js';
import { diffReportInput, HTML_FLAG_DESCRIPTION } from '../../src/report/command-reports.js';
import { writeReport } from '../../src/report/write-report.js';
import { withCrelayRules } from '../../src/config/crelay-routing.js';
import { buildLabelledRing, describeSpec, resolveRingSource, ringSourceFromArg, RING_FORMATS } from '../../src/config/ring-source.js';

export default class RingDiff extends BaseCommand {
  static override summary = 'Compare two rings: which share of the keyspace (and of your names) changes owner.';
  static override description = `Each RING is a config file (any format "ring show --ring" reads) or an inline ring:
  'impl=carbon;hash=carbon_ch;replication=2;destinations=a:2004:a,b:2004:a'
  'ring=carbon.conf;replication=2'      (a file with what-if changes)
  'cluster=cluster.yaml'                (a ringshift cluster file)
Inline keys: impl, hash, router, destinations (dest), replication (rf), diverse, tag-relay-normalized, sanitize, ring (a config file), ring-format, cluster-name (a cluster inside the ring file), cluster (a ringshift cluster file); items separated by ";", booleans true/false.

Members of the two rings are matched as the same node by (server, instance), ports ignored — carbon's and graphite-web's node identity, so a relay (port 2004) and a webapp (cache query port 7002) line up — unless a ring has members that differ only by port (c-relay without instances): then by server:port:instance. --match-by overrides.

Keyspace: exact when both rings map keys to the same 16-bit positions (carbon_ch vs carbon_ch; fnv1a_ch vs fnv1a_ch, where carbon-c-relay's signed-char FNV agrees for ASCII keys only) — at any ring size, carbon rings of thousands of members included (their ring points run past 65535, metric positions never do); otherwise estimated over a deterministic sample of keys (--sample), with the standard error shown. The keyspace compares the rings on the same routing key: a relay's name rewriting shows in the metric counts only.

Flows: the share of the keyspace whose primary owner is member A in --from and member B in --to (A and B not the same node). They add up to "primary changed".

With names (arguments or --file): the same, counted exactly on those names as each implementation routes them; --list prints every name whose owner list changed, with its old and new owners, before the summary.`;

  static override examples = [
    '<%= config.bin %> ring diff --from /etc/carbon/carbon.conf --to /opt/graphite/webapp/graphite/local_settings.py -f names.txt',
    `<%= config.bin %> ring diff --from 'destinations=a:2004:a,b:2004:a,c:2004:a' --to 'destinations=a:2004:a,b:2004:a,c:2004:a,d:2004:a'`,
    `<%= config.bin %> ring diff --from carbon.conf --to 'ring=relay.conf;cluster-name=graphite' -f names.txt --list`,
    '<%= config.bin %> ring diff --from cluster-old.yaml --to cluster.yaml --exit-code',
    `<%= config.bin %> ring diff --from carbon.conf --to 'ring=carbon.conf;replication=2' --json`,
  ];

  static override strict = false;
  static override args = {
    metric: Args.string({ description: 'Metric names to count (or --file).', ignoreStdin: true }),
  };

  static override flags = {
    from: Flags.string({ description: 'The ring before: a config file or an inline ring.', required: true }),
    to: Flags.string({ description: 'The ring after: a config file or an inline ring.', required: true }),
    'from-ring-format': Flags.string({
      description: 'Format of the --from file (default: detected).',
      options: [...RING_FORMATS],
      aliases: ['from-format'],
      deprecateAliases: true,
    }),
    'to-ring-format': Flags.string({
      description: 'Format of the --to file (default: detected).',
      options: [...RING_FORMATS],
      aliases: ['to-format'],
      deprecateAliases: true,
    }),
    'from-cluster-name': Flags.string({
      description: 'Cluster of a multi-cluster --from file (c-relay cluster, carbonate section).',
      helpValue: 'NAME',
      aliases: ['from-cluster'],
      deprecateAliases: true,
    }),
    'to-cluster-name': Flags.string({
      description: 'Cluster of a multi-cluster --to file.',
      helpValue: 'NAME',
      aliases: ['to-cluster'],
      deprecateAliases: true,
    }),
    file: Flags.string({ char: 'f', description: 'Count the names in FILE ("-" for stdin), streamed.' }),
    list: Flags.boolean({ description: 'Print each name whose owners change (needs names).', default: false }),
    'match-by': Flags.string({
      description: 'How members are matched across the rings (see above).',
      aliases: ['match'],
      deprecateAliases: true,
      options: ['auto', ...MATCH_MODES],
      default: 'auto',
    }),
    sample: sampleFlag,
    html: Flags.string({ helpValue: 'FILE', description: HTML_FLAG_DESCRIPTION }),
    'exit-code': Flags.boolean({
      description: 'Exit 1 when anything changes (the names, if given, else the keyspace), 0 otherwise.',
      default: false,
    }),
  };

  public async run(): Promise<void> {
    const { flags, argv } = await this.parse(RingDiff);
    const args = argv as string[];
    const fromSpec = await resolveRingSource(
      ringSourceFromArg(flags.from, '--from', {
        format: flags['from-ring-format'] as RingFormat | undefined,
        cluster: flags['from-cluster-name'],
      }),
    );
    const toSpec = await resolveRingSource(
      ringSourceFromArg(flags.to, '--to', { format: flags['to-ring-format'] as RingFormat | undefined, cluster: flags['to-cluster-name'] }),
    );
    // c-relay configs: names are placed after the relay's rules (match, route using, rewrite, stop).
    const from = withCrelayRules(buildLabelledRing(fromSpec, '--from'));
    const to = withCrelayRules(buildLabelledRing(toSpec, '--to'));
    const haveNames = args.length > 0 || flags.file !== undefined;
    if (flags.list && !haveNames) throw new UsageError('--list needs metric names (arguments or --file)');

    const sink = new LineSink();
    const listener: MovedListener | undefined = flags.list
      ? { moved: (metric, a, b) => sink.push(movedLine(metric, a, b, flags.json)), flush: () => sink.flush() }
      : undefined;
    const names = haveNames ? withProgress(nameBatches({ args, file: flags.file }), stderrProgress('ring diff')) : undefined;
    const d = await diffRings(from, to, {
      match: flags['match-by'] as MatchMode | 'auto',
      sampleSize: flags.sample,
      names,
      listener,
    });
    if (flags.json) sink.push(JSON.stringify(diffJson(fromSpec, toSpec, d)));
    else {
      if (flags.list) sink.push('');
      const showAny = fromSpec.replication > 1 || toSpec.replication > 1;
      const text = diffText(describeSpec(fromSpec, from.members.length), describeSpec(toSpec, to.members.length), d, showAny);
      for (const line of text) sink.push(line);
    }
    await sink.flush();
    if (flags.html !== undefined) {
      const json = diffJson(fromSpec, toSpec, d);
      writeReport(
        flags.html,
        diffReportInput({ from, to, fromSpec, toSpec, fromArg: flags.from, toArg: flags.to, json, namesFile: flags.file }),
      );
    }
    if (flags['exit-code']) {
      const changed = d.metrics ? d.metrics.ownersChanged > 0 : d.keyspace.ownersChanged > 0;
      if (changed) process.exitCode = 1;
    }
  }
}
