import { Args, Flags } from '@oclif/core';
import { nowSeconds } from '../../src/clock.js';
import { UsageError } from '../../src/errors.js';
import { parsePointArg, readPointLines } from '../../src/whisper/point-input.js';
import { updateReportText } from '../../src/whisper/result-rendering.js';
import { updatePoints } from '../../src/whisper/update.js';
import { lockTimeoutFlag } from '../../src/whisper/lock.js';
import { BaseCommand } from '../../src/cli/base-command.js';

export default class WhisperUpdateCommand extends BaseCommand {
  static override summary = 'Write points into a whisper file, exactly as whisper-update.py does.';
  static override description = `Each point is TIMESTAMP:VALUE (N:VALUE = now), or with no points given, "TIMESTAMP VALUE" lines on stdin. TIMESTAMP is unix seconds, ISO 8601, now or relative (-2h); VALUE a number (nan and inf too).

The same slots as whisper-update: one point goes through whisper.update (it must be within the retention and not in the future, else exit 1), several through whisper.update_many (the finest archive whose retention covers each point's age, future points into the first archive, points older than the last archive dropped), with whisper's propagation into the coarser archives under the file's xFilesFactor and aggregation method. The resulting file is byte-identical to whisper-update's at the same clock.

Unlike whisper-update it takes the exclusive flock carbon-cache takes (--no-lock to skip), writes only the slots that change, fdatasyncs, and refuses a corrupt or truncated file before writing. RINGSHIFT_NOW=<unix seconds> pins the clock. --json: {"path","points","call","dropped","changedSlots","bytesWritten"}.`;

  static override examples = [
    '<%= config.bin %> whisper update metric.wsp N:42',
    '<%= config.bin %> whisper update metric.wsp 1700000000:1.5 1700000060:2.5',
    'printf "1700000000 1\\n1700000060 2\\n" | <%= config.bin %> whisper update metric.wsp --json',
  ];

  static override strict = false;
  static override args = {
    file: Args.string({ description: 'The whisper file to write.', required: true, ignoreStdin: true }),
    points: Args.string({
      description: 'TIMESTAMP:VALUE points (else "TIMESTAMP VALUE" lines on stdin).',
      required: false,
      ignoreStdin: true,
    }),
  };

  static override flags = {
    lock: Flags.boolean({ description: 'flock the file exclusively while writing.', default: true, allowNo: true }),
    'lock-timeout': Flags.string({ description: 'How long to wait for the lock: 10s, 2m (bare = seconds).', default: '10s' }),
  };

  public async run(): Promise<void> {
    const { argv, flags } = await this.parse(WhisperUpdateCommand);
    const [file, ...args] = argv as string[];
    const now = nowSeconds();
    let points;
    if (args.length > 0) points = args.map((a) => parsePointArg(a, now));
    else {
      if (process.stdin.isTTY) throw new UsageError('no points: give TIMESTAMP:VALUE arguments or "TIMESTAMP VALUE" lines on stdin');
      points = await readPointLines(process.stdin, now);
      if (points.length === 0) throw new UsageError('no points on stdin', { file: '-', expected: '"TIMESTAMP VALUE" lines' });
    }
    const r = await updatePoints(file!, points, { now, lock: flags.lock, lockTimeoutMs: lockTimeoutFlag(flags['lock-timeout']) });
    process.stdout.write(flags.json ? JSON.stringify(r) + '\n' : updateReportText(r) + '\n');
  }
}
