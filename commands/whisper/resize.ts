import { Args, Flags } from '@oclif/core';
import { nowSeconds } from '../../src/clock.js';
import { AGGREGATION_METHODS, type AggregationMethod } from '../../src/whisper/file-format.js';
import { resize } from '../../src/whisper/resize.js';
import { resizeReportText } from '../../src/whisper/result-rendering.js';
import { parseRetentions } from '../../src/whisper/retention.js';
import { parseXff } from '../../src/whisper/set-header.js';
import { lockTimeoutFlag } from '../../src/whisper/lock.js';
import { BaseCommand } from '../../src/cli/base-command.js';

export default class WhisperResizeCommand extends BaseCommand {
  static override summary = 'Give a whisper file new archives, keeping its data: the same file whisper-resize.py writes.';
  static override description = `RETENTION as for "whisper create" (10s:6h 1m:7d 10m:5y, or 60:1440). The data is migrated as whisper-resize does it, so the result is byte-identical to whisper-resize's at the same clock: every old archive is read as whisper.fetch reads it (coarsest first) and written with whisper.update_many into the new layout, finer data last, propagating into the coarser archives. --aggregate resamples the old points into each new step instead (whisper-resize --aggregate's logic; that script fails under Python 3), leaving empty an interval with no known point. --xff and --aggregation change those header fields too.

Safer than whisper-resize: the file must pass the structural check; it is flock'ed (exclusive) while read and replaced; the new file is written under a temporary name, fsynced, then renamed over FILE, which therefore always exists (the backup FILE.bak is a hard link made first; whisper-resize renames FILE away and leaves a moment with no file). The backup is kept unless --no-backup; an existing FILE.bak is not overwritten (exit 1). --newfile F writes the result to F and leaves FILE alone. --dry-run reports without writing.

Points carbon-cache writes to FILE while it is being resized go to the old file (as with whisper-resize): pause writes to the metric, or fill them in afterwards from FILE.bak with "whisper fill". RINGSHIFT_NOW=<unix seconds> pins the clock. --json: {"path","output","from","to","aggregationMethod","xFilesFactor","size","points","backup","dryRun"}.`;

  static override examples = [
    '<%= config.bin %> whisper resize metric.wsp 10s:6h 1m:30d 10m:5y',
    '<%= config.bin %> whisper resize counter.wsp 1m:7d,1h:2y --aggregation sum --xff 0 --no-backup',
    '<%= config.bin %> whisper resize metric.wsp 1m:1y --aggregate --dry-run --json',
  ];

  static override strict = false;
  static override args = {
    file: Args.string({ description: 'The whisper file to resize.', required: true, ignoreStdin: true }),
    retention: Args.string({ description: 'The new archives, e.g. 10s:6h 1m:7d 10m:5y.', required: true, ignoreStdin: true }),
  };

  static override flags = {
    xff: Flags.string({ description: 'New xFilesFactor (0..1). [default: the file’s]' }),
    aggregation: Flags.string({ description: 'New aggregation method. [default: the file’s]', options: AGGREGATION_METHODS.slice(1) }),
    aggregate: Flags.boolean({ description: 'Resample the old points into the new steps.', default: false }),
    backup: Flags.boolean({ description: 'Keep the old file as FILE.bak (--no-backup: do not).', default: true, allowNo: true }),
    newfile: Flags.string({ description: 'Write the result to this new file and leave FILE alone.' }),
    'dry-run': Flags.boolean({ description: 'Report what would be written; write nothing.', default: false }),
    lock: Flags.boolean({ description: 'flock FILE while reading and replacing it.', default: true, allowNo: true }),
    'lock-timeout': Flags.string({ description: 'How long to wait for the lock: 10s, 2m (bare = seconds).', default: '10s' }),
  };

  public async run(): Promise<void> {
    const { argv, flags } = await this.parse(WhisperResizeCommand);
    const [file, ...retentions] = argv as string[];
    const r = await resize(file!, parseRetentions(retentions), {
      now: nowSeconds(),
      xFilesFactor: flags.xff === undefined ? undefined : parseXff(flags.xff),
      aggregationMethod: flags.aggregation as AggregationMethod | undefined,
      aggregate: flags.aggregate,
      backup: flags.backup,
      newFile: flags.newfile,
      dryRun: flags['dry-run'],
      lock: flags.lock,
      lockTimeoutMs: lockTimeoutFlag(flags['lock-timeout']),
    });
    process.stdout.write((flags.json ? JSON.stringify(r) : resizeReportText(r)) + '\n');
  }
}
