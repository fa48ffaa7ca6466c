import { Args, Flags } from '@oclif/core';
import { merge } from '../../src/whisper/merge.js';
import { fillReportJson, fillReportText } from '../../src/whisper/result-rendering.js';
import { nowSeconds, parseTime } from '../../src/clock.js';
import { lockTimeoutFlag } from '../../src/whisper/lock.js';
import { BaseCommand } from '../../src/cli/base-command.js';

export default class WhisperMergeCommand extends BaseCommand {
  static override summary = 'Copy every point of SRC over DST, like whisper-merge (SRC wins).';
  static override description = `whisper-merge, slot for slot: the two files must have identical archive layouts (else exit 1, nothing written; "whisper fill" accepts any layouts). For each archive from the finest, every point SRC holds in the archive's window (limited to --from < t <= --until) is written into the same archive of DST, overwriting DST's, and propagated into DST's coarser archives with DST's aggregation method and xFilesFactor. DST keeps its points only where SRC has none.

Unlike whisper-merge it holds an exclusive flock on DST (and a shared one on SRC) for the whole run (--no-lock to skip), writes only the slots that change, fsyncs, and refuses corrupt or truncated files before writing. --json reports slots changed per archive ("filled") and SRC points copied ("gaps"). RINGSHIFT_NOW=<unix seconds> pins the clock.`;

  static override examples = [
    '<%= config.bin %> whisper merge new-node/metric.wsp old-node/metric.wsp',
    '<%= config.bin %> whisper merge src.wsp dst.wsp --from=-6h --json',
  ];

  static override args = {
    src: Args.string({ description: 'Whisper file whose points win (only read).', required: true, ignoreStdin: true }),
    dst: Args.string({ description: 'Whisper file to merge into (written in place).', required: true, ignoreStdin: true }),
  };

  static override flags = {
    from: Flags.string({ description: 'Oldest time (exclusive). [default: 0]' }),
    until: Flags.string({ description: 'Newest time (inclusive). [default: now]' }),
    lock: Flags.boolean({ description: 'flock DST (exclusive) and SRC (shared) while working.', default: true, allowNo: true }),
    'lock-timeout': Flags.string({ description: 'How long to wait for the lock: 10s, 2m (bare = seconds).', default: '10s' }),
    'dry-run': Flags.boolean({ description: 'Report what would change; write nothing.', default: false }),
  };

  public async run(): Promise<void> {
    const { args, flags } = await this.parse(WhisperMergeCommand);
    const now = nowSeconds();
    const report = await merge(args.src, args.dst, {
      now,
      from: flags.from === undefined ? undefined : parseTime(flags.from, now, '--from'),
      until: flags.until === undefined ? undefined : parseTime(flags.until, now, '--until'),
      lock: flags.lock,
      lockTimeoutMs: lockTimeoutFlag(flags['lock-timeout']),
      dryRun: flags['dry-run'],
    });
    if (flags.json) process.stdout.write(fillReportJson(report, { mode: 'merge', dryRun: flags['dry-run'] }) + '\n');
    else process.stdout.write(fillReportText(report, 'changed', flags['dry-run']).join('\n') + '\n');
  }
}
