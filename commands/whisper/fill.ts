import { Args, Flags } from '@oclif/core';
import { UsageError } from '../../src/errors.js';
import { carbonateFill } from '../../src/whisper/compat-carbonate.js';
import { fillGaps } from '../../src/whisper/fill-gaps.js';
import { fillReportJson, fillReportText } from '../../src/whisper/report.js';
import { clockNow, parseTime } from '../../src/whisper/time.js';
import { BaseCommand } from '../../src/cli/base-command.js';

export default class WhisperFillCommand extends BaseCommand {
  static override summary = "Fill the gaps of DST with SRC's points, never changing a point DST holds.";
  static override description = `The gap-only fill. Each archive of DST is filled on its own, and only in its empty slots (never written, or holding a point older than the archive's retention) inside the time the archive covers now:
  - from SRC's archive with the same step, copied exactly, when that archive covers the time; if it has no point there the slot stays empty;
  - otherwise from SRC's finest archive whose step divides DST's and that covers the whole interval, aggregated with DST's aggregation method, only when at least DST's xFilesFactor of the finer points are known;
  - otherwise (SRC only has coarser data there) the slot stays empty: coarse values are never spread into a finer archive.
A slot that holds a point is never changed, whatever its value (0.0 and NaN are points), in any archive; nothing is recomputed or propagated; DST's layout never changes. Running it twice changes nothing the second time. The layouts may differ.

Only the filled slots are written, in place, then fdatasync, under an exclusive flock on DST (the lock carbon-cache takes with WHISPER_LOCK_WRITES) and a shared one on SRC, both held from the first read to the last write (--no-lock to skip). Refused, with DST untouched: missing files, SRC and DST the same file, corrupt or truncated files (exit 1); bad times (exit 2).

--from/--until limit the fill to slots with from <= timestamp < until (unix seconds, ISO 8601, or relative: --from=-7d).

--compat carbonate reproduces carbonate's whisper-fill (1.1.10) slot for slot, for results identical to it: a stored 0.0 counts as a gap, the first point after each gap is rewritten, coarse values can land in a finer archive at its edge, and every write propagates into DST's coarser archives. There --from/--until are carbonate's endAt/startFrom and --overwrite copies every point SRC has.

Reports the slots written per archive (--json: {"src","dst","archives":[{"index","secondsPerPoint","points","gaps","filled"}],"total","changed","bytesWritten"}; gaps = empty slots seen). RINGSHIFT_NOW=<unix seconds> pins the clock.`;

  static override examples = [
    '<%= config.bin %> whisper fill /staging/old-node/metric.wsp /var/lib/graphite/whisper/metric.wsp',
    '<%= config.bin %> whisper fill src.wsp dst.wsp --from=-2d --dry-run',
    '<%= config.bin %> whisper fill src.wsp dst.wsp --compat carbonate --json',
  ];

  static override args = {
    src: Args.string({ description: 'Whisper file to take points from (only read).', required: true, ignoreStdin: true }),
    dst: Args.string({ description: 'Whisper file to fill (written in place).', required: true, ignoreStdin: true }),
  };

  static override flags = {
    compat: Flags.string({ description: 'Reproduce another tool instead of the gap-only fill.', options: ['carbonate'] }),
    from: Flags.string({ description: 'Only slots at or after this time.' }),
    until: Flags.string({ description: 'Only slots before this time.' }),
    overwrite: Flags.boolean({ description: 'With --compat carbonate: copy every point of SRC (carbonate --overwrite).', default: false }),
    lock: Flags.boolean({ description: 'flock DST (exclusive) and SRC (shared) while working.', default: true, allowNo: true }),
    'lock-timeout': Flags.integer({ description: 'Seconds to wait for the locks.', default: 10, min: 0 }),
    'dry-run': Flags.boolean({ description: 'Report what would be filled; write nothing.', default: false }),
  };

  public async run(): Promise<void> {
    const { args, flags } = await this.parse(WhisperFillCommand);
    if (flags.overwrite && flags.compat !== 'carbonate')
      throw new UsageError('--overwrite needs --compat carbonate (the gap-only fill never overwrites)');
    const now = clockNow();
    const from = flags.from === undefined ? undefined : parseTime(flags.from, now);
    const until = flags.until === undefined ? undefined : parseTime(flags.until, now);
    const common = { now, lock: flags.lock, lockTimeoutMs: flags['lock-timeout'] * 1000, dryRun: flags['dry-run'] };
    const report =
      flags.compat === 'carbonate'
        ? await carbonateFill(args.src, args.dst, { ...common, endAt: from, startFrom: until, overwrite: flags.overwrite })
        : await fillGaps(args.src, args.dst, { ...common, from, until });
    const mode = flags.compat ?? 'gaps';
    if (flags.json) process.stdout.write(fillReportJson(report, { mode, dryRun: flags['dry-run'] }) + '\n');
    else process.stdout.write(fillReportText(report, flags.compat ? 'changed' : 'filled', flags['dry-run']).join('\n') + '\n');
  }
}
