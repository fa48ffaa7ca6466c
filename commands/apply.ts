import { Args, Flags } from '@oclif/core';
import { applyPlan, type ApplyOptions } from '../src/apply/executor.js';
import { isPhasedPlan, runPhase } from '../src/apply/phase-runner.js';
import { liveWindowFlag, switchedAtFlag } from '../src/cli/live-flags.js';
import { nowSeconds, parseTime } from '../src/clock.js';
import { UsageError } from '../src/errors.js';
import { PHASES } from '../src/plan/phase-names.js';
import { stderrApplyProgress } from '../src/apply/progress.js';
import { parseRate } from '../src/apply/throttle.js';
import { BaseCommand } from '../src/cli/base-command.js';
import { LineSink } from '../src/output/sinks.js';

export default class Apply extends BaseCommand {
  static override summary = 'Execute a plan: copy, gap-fill and delete whisper files, resumably, with a journal.';
  static override description = `Runs the actions of a plan written by "ringshift plan":

  copy    write the file into a hidden temp file beside the destination, fsync, verify (header and structure parse; what was written is what was read: read back and compared locally, sha256 computed on the node over ssh; the source unchanged meanwhile), then link it into place without ever replacing a file. A destination that appeared meanwhile (carbon-cache created it) is filled instead.
  fill    the gap-only fill (see "ringshift whisper fill"), in place, under the destination's flock, on local and on ssh:// storage.
  delete  only once every owner's copy is verified (by this run or a journal) and still there, and the source still has the size and mtime those copies read; a source that changed since is filled into the owners again first.

Every step is journaled (append-only NDJSON, fsynced) in PLAN.journal/, one file per destination. Re-running the same command resumes: done actions are skipped, temp files of interrupted copies are removed. kill -9 at any moment loses nothing. A plan whose ring no longer matches the cluster file is refused. Run carbon-cache with WHISPER_LOCK_WRITES = True meanwhile. Plan format, journal format and the safety argument: docs/apply.md.

--only-dest runs one destination's actions (copies and fills into it, deletes on it), so a big cluster can run one job per node on the same plan; deletes wait for the other destinations' journals (in the same PLAN.journal/ directory) and exit 3 until then.

Progress goes to stderr (bars on a terminal, a line every 10 s otherwise). The report lists what was done, skipped (corrupt or unusable sources, which are never deleted), failed and waiting. Exit 0 only when everything selected is done; 1 when something failed or was skipped; 3 when only deletes waiting for other jobs remain; 2 for usage errors.

ssh:// storage uses the ssh agent or --identity keys; host keys must be in known_hosts (--accept-new-host-keys trusts new hosts on first use).`;

  static override examples = [
    '<%= config.bin %> apply shuffle.plan',
    '<%= config.bin %> apply shuffle.plan --dry-run',
    '<%= config.bin %> apply shuffle.plan --concurrency 16 --per-node 4 --bwlimit 50M',
    '<%= config.bin %> apply shuffle.plan --only-dest cache-c --json',
    '<%= config.bin %> apply shuffle.plan --identity ~/.ssh/ringshift_ed25519 --accept-new-host-keys',
    '<%= config.bin %> apply change.plan                          # a phased plan: runs the next phase that is due',
    '<%= config.bin %> apply change.plan --phase switch --switched-at 2026-12-04T21:30:00Z',
  ];

  static override args = {
    plan: Args.string({ description: 'Plan file written by "ringshift plan -o".', required: true, ignoreStdin: true }),
  };

  static override flags = {
    concurrency: Flags.integer({ description: 'Actions running at once.', default: 8, min: 1, max: 256 }),
    'per-node': Flags.integer({
      description: 'Actions running at once per storage location (a copy counts for its source and its destination).',
      default: 4,
      min: 1,
      max: 64,
    }),
    bwlimit: Flags.string({
      description: 'Bandwidth cap for all transfers together, like rsync: KiB/s, or 500K, 20M, 1G (1024-based), 20MB (1000-based).',
    }),
    'only-dest': Flags.string({ description: "Only this destination's actions: a location id, storage key, member id or server name." }),
    'dry-run': Flags.boolean({ description: 'List what would run (from the plan and the journals); touch nothing.', default: false }),
    cluster: Flags.string({ char: 'c', description: "Cluster file to check the ring against (default: the plan's)." }),
    identity: Flags.string({
      char: 'i',
      description: 'Private key for ssh:// storage (repeatable; default ~/.ssh/id_* and the ssh agent).',
      multiple: true,
    }),
    'known-hosts': Flags.string({
      description: 'known_hosts file (repeatable; default ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts).',
      multiple: true,
    }),
    'accept-new-host-keys': Flags.boolean({
      description: 'Trust ssh hosts not yet in known_hosts and record their keys (a changed key is always refused).',
      default: false,
    }),
    phase: Flags.string({
      description: 'A phased plan (plan --phased): run this phase (its predecessors must be done). Default: the next phase that is due.',
      options: [...PHASES],
    }),
    'switched-at': switchedAtFlag,
    'live-window': liveWindowFlag,
    'lock-timeout': Flags.integer({ description: "Seconds a fill waits for the destination's flock.", default: 30, min: 1 }),
    'progress-interval': Flags.integer({
      description: 'Seconds between progress lines when stderr is not a terminal.',
      default: 10,
      min: 1,
      helpGroup: 'ADVANCED',
    }),
  };

  public async run(): Promise<void> {
    const { args, flags } = await this.parse(Apply);
    const common: ApplyOptions = {
      plan: args.plan,
      concurrency: flags.concurrency,
      perNode: flags['per-node'],
      bwlimit: flags.bwlimit === undefined ? null : parseRate(flags.bwlimit),
      dryRun: flags['dry-run'],
      lockTimeoutMs: flags['lock-timeout'] * 1000,
      progress: flags['dry-run'] ? undefined : stderrApplyProgress(process.stderr, flags['progress-interval'] * 1000),
      ...(flags['only-dest'] !== undefined ? { onlyDest: flags['only-dest'] } : {}),
      ...(flags.cluster !== undefined ? { cluster: flags.cluster } : {}),
      ssh: {
        acceptNewHostKeys: flags['accept-new-host-keys'],
        ...(flags.identity !== undefined ? { identityFiles: flags.identity } : {}),
        ...(flags['known-hosts'] !== undefined ? { knownHostsFiles: flags['known-hosts'] } : {}),
      },
    };
    const sink = new LineSink();
    if (isPhasedPlan(args.plan)) {
      const outcome = await runPhase({
        ...common,
        phase: flags.phase as (typeof PHASES)[number] | undefined,
        switchedAt: flags['switched-at'] === undefined ? undefined : parseTime(flags['switched-at'], nowSeconds(), '--switched-at'),
        liveWindow: flags['live-window'],
      });
      if (flags.json) sink.push(JSON.stringify(outcome.json));
      else for (const line of outcome.lines) sink.push(line);
      await sink.flush();
      process.exitCode = outcome.exitCode;
      return;
    }
    if (flags.phase !== undefined || flags['switched-at'] !== undefined)
      throw new UsageError('--phase and --switched-at need a phased plan', { expected: 'a plan written by ringshift plan --phased' });
    const report = await applyPlan(common);
    if (flags.json) sink.push(JSON.stringify(report.json()));
    else for (const line of report.text()) sink.push(line);
    await sink.flush();
    process.exitCode = report.exitCode();
  }
}
