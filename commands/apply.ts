import { Args, Flags } from '@oclif/core';
import { applyPlan, type ApplyOptions } from '../src/apply/executor.js';
import type { TransportMode } from '../src/apply/node-pull.js';
import { stderrApplyProgress } from '../src/apply/apply-progress.js';
import { isPhasedPlan, runPhase } from '../src/apply/phase-runner.js';
import { liveWindowFlag, switchedAtFlag } from '../src/cli/live-flags.js';
import { nowSeconds, parseTime } from '../src/clock.js';
import { PHASES } from '../src/plan/phase-names.js';
import { BaseCommand } from '../src/cli/base-command.js';
import { clusterFileFlag, countFlag, nodeFlag, progressFlags, progressStream, sshFlags, sshOptionsFrom } from '../src/cli/common-flags.js';
import { DataError, RingshiftError, UsageError } from '../src/errors.js';
import { INTERRUPTED_LINE, signalExitCode, withStopSignals } from '../src/cli/stop-signals.js';
import { LineSink } from '../src/output/sinks.js';
import { parseByteRate, parseDuration } from '../src/units.js';

export default class Apply extends BaseCommand {
  static override summary = 'Execute a plan: copy, gap-fill and delete whisper files, resumably, with a journal.';
  static override description = `Runs the actions of a plan written by "ringshift plan":

  copy    read the source whole and check it (header, structure and every slot; unchanged while read), write a hidden temp file beside the destination, check what was written (read back locally; over ssh every write acknowledged and the size the node sees), make it durable, then link it into place without ever replacing a file. A destination that appeared meanwhile (carbon-cache created it) is filled instead.
  fill    the gap-only fill (see "ringshift whisper fill"), in place, under the destination's flock, on local and on ssh:// storage; over ssh the lock is held only while the filled slots are written.
  delete  only once every owner's copy is verified (by this run or a journal), the source still has the size and mtime those copies read, and each owner file is still the very file the copy left (device, inode, size, times); otherwise the source is filled into the owners again first.

Every step is journaled (append-only NDJSON, fsynced) in PLAN.journal/, one file per destination. Re-running the same command resumes: done actions are skipped, temp files of interrupted copies are removed. kill -9 at any moment loses nothing. A plan whose ring no longer matches the cluster file is refused. Run carbon-cache with WHISPER_LOCK_WRITES = True meanwhile. Plan format, journal format and the safety argument: docs/apply.md.

--node runs one node's actions (copies and fills into it, deletes on it), so a big cluster can run one job per node on the same plan; deletes wait for the other nodes' journals (in the same PLAN.journal/ directory) and exit 3 until then.

Progress goes to stderr when it is a terminal (or with --progress): the actions finished, the bytes read from sources, the rate and the time left. The report lists what was done, skipped (corrupt or unusable sources, which are never deleted), failed and waiting. SIGINT/SIGTERM (Ctrl-C): the actions in flight finish and are journaled, no new one starts, the journals are closed, the cursor is restored; then one line, "interrupted: run the same command to resume", and exit 130/143 (a second signal exits at once, as safe as kill -9). Exit 0 only when everything selected is done; 1 when something failed or was skipped, or a node could not be reached (run again to resume); 3 when only deletes waiting for other nodes remain; 2 for usage errors.

ssh:// storage uses the ssh agent or --identity keys; host keys must be in known_hosts (--accept-new-host-keys trusts new hosts on first use; a changed key, or a key of another type than the one known, is always refused).`;

  static override examples = [
    '<%= config.bin %> apply shuffle.plan',
    '<%= config.bin %> apply shuffle.plan --dry-run',
    '<%= config.bin %> apply shuffle.plan --concurrency 16 --per-node 8 --bwlimit 50M',
    '<%= config.bin %> apply shuffle.plan --node cache-c --json',
    '<%= config.bin %> apply shuffle.plan --lock-timeout 2m --identity ~/.ssh/ringshift_ed25519 --accept-new-host-keys',
    '<%= config.bin %> apply change.plan                          # a phased plan: runs the next phase that is due',
    '<%= config.bin %> apply change.plan --phase switch --switched-at 2026-12-04T21:30:00Z',
  ];

  static override args = {
    plan: Args.string({ description: 'Plan file written by "ringshift plan -o".', required: true, ignoreStdin: true }),
  };

  static override flags = {
    concurrency: countFlag('concurrency', 'Actions moving data at once [default: 16].', 1, 256),
    'per-node': countFlag(
      'per-node',
      'Actions moving data at once per storage location; a copy counts for its source and its destination [default: 8].',
      1,
      64,
    ),
    bwlimit: Flags.custom<number>({
      helpValue: 'RATE',
      description:
        'Bandwidth cap for all transfers together. A rate with a unit: 500K, 20M, 50MiB/s (1024-based), 20MB/s (1000-based). [default: none]',
      parse: async (input) => parseByteRate(input, '--bwlimit'),
    })(),
    transport: Flags.string({
      description:
        'How a copy between two ssh:// nodes travels: auto (the destination pulls from the source over its own ssh when it can log in there non-interactively, else through this machine), pull (always; fail if it cannot), relay (always through this machine: every slot checked here). --bwlimit implies relay. [default: auto]',
      options: ['auto', 'relay', 'pull'],
    }),
    node: {
      ...nodeFlag('its actions: copies and fills into it, deletes on it'),
      aliases: ['only-dest'],
      deprecateAliases: true,
    },
    'dry-run': Flags.boolean({ description: 'List what would run (from the plan and the journals); touch nothing.', default: false }),
    cluster: clusterFileFlag("the ring to check and the storage to use (default: the plan's)."),
    ...sshFlags,
    phase: Flags.string({
      description: 'A phased plan (plan --phased): run this phase (its predecessors must be done). Default: the next phase that is due.',
      options: [...PHASES],
    }),
    'switched-at': switchedAtFlag,
    'live-window': liveWindowFlag,
    'lock-timeout': Flags.custom<number>({
      helpValue: 'DURATION',
      description: "How long a fill waits for the destination's flock: 30, 30s, 2m. [default: 30s]",
      parse: async (input) => parseDuration(input, '--lock-timeout'),
    })(),
    ...progressFlags,
    'progress-interval': Flags.custom<number>({
      helpValue: 'DURATION',
      description: 'Time between progress lines when stderr is not a terminal (with --progress): 10, 10s, 1m. [default: 10s]',
      parse: async (input) => parseDuration(input, '--progress-interval'),
      helpGroup: 'ADVANCED',
    })(),
  };

  public async run(): Promise<void> {
    const { args, flags } = await this.parse(Apply);
    const lockTimeout = flags['lock-timeout'] ?? 30;
    const interval = flags['progress-interval'] ?? 10;
    const stream = flags['dry-run'] ? undefined : progressStream(flags);
    // --progress on a pipe: plain lines every interval (a log), not redrawn bars.
    const forcedLines = stream !== undefined && process.stderr.isTTY !== true;
    const common: ApplyOptions = {
      plan: args.plan,
      concurrency: flags.concurrency ?? 16,
      perNode: flags['per-node'] ?? 8,
      bwlimit: flags.bwlimit ?? null,
      transport: (flags.transport ?? 'auto') as TransportMode,
      dryRun: flags['dry-run'],
      lockTimeoutMs: Math.max(1, lockTimeout) * 1000,
      progress: stream === undefined ? undefined : stderrApplyProgress(forcedLines ? process.stderr : stream, Math.max(1, interval) * 1000),
      ...(flags.node !== undefined ? { node: flags.node } : {}),
      ...(flags.cluster !== undefined ? { cluster: flags.cluster } : {}),
      ssh: sshOptionsFrom(flags),
    };
    const sink = new LineSink();
    if (isPhasedPlan(args.plan)) {
      const { result: outcome, signal } = await withStopSignals((stop) =>
        oneLine(() =>
          runPhase({
            ...common,
            interrupt: stop,
            phase: flags.phase as (typeof PHASES)[number] | undefined,
            switchedAt: flags['switched-at'] === undefined ? undefined : parseTime(flags['switched-at'], nowSeconds(), '--switched-at'),
            liveWindow: flags['live-window'],
          }),
        ),
      );
      if (flags.json) sink.push(JSON.stringify(outcome.json));
      else for (const line of outcome.lines) sink.push(line);
      await sink.flush();
      process.exitCode = outcome.exitCode;
      if (signal !== null) interrupted(signal);
      return;
    }
    if (flags.phase !== undefined || flags['switched-at'] !== undefined)
      throw new UsageError('--phase and --switched-at need a phased plan', { expected: 'a plan written by ringshift plan --phased' });
    const { result: report, signal } = await withStopSignals((stop) => oneLine(() => applyPlan({ ...common, interrupt: stop })));
    if (flags.json) sink.push(JSON.stringify(report.json()));
    else for (const line of report.text()) sink.push(line);
    await sink.flush();
    process.exitCode = report.exitCode();
    if (signal !== null) interrupted(signal);
  }
}

/** After a clean stop: the one line, and 130/143. */
function interrupted(signal: NodeJS.Signals): void {
  process.stderr.write(`${INTERRUPTED_LINE}\n`);
  process.exitCode = signalExitCode(signal);
}

/** Anything that is not one of our typed errors (a node that vanished while connecting, say) is still one line, exit 1. */
async function oneLine<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    // errno errors (EISDIR for a directory given as the plan, …) go to the error line's errno words.
    if (err instanceof RingshiftError || !(err instanceof Error) || typeof (err as NodeJS.ErrnoException).code === 'string') throw err;
    throw new DataError(err.message);
  }
}
