import { Args, Flags } from '@oclif/core';
import { UsageError } from '../../src/errors.js';
import { openNameBytes } from '../../src/input/names.js';
import { LineSink } from '../../src/output/sinks.js';
import { carbonateFill } from '../../src/whisper/compat-carbonate.js';
import { batchRecords, fillBatch, type BatchOptions } from '../../src/whisper/fill-batch.js';
import { checkWindowArgs, fillGaps } from '../../src/whisper/fill-gaps.js';
import { batchResultJson, batchResultText, batchSummaryText, fillReportJson, fillReportText } from '../../src/whisper/result-rendering.js';
import { nowSeconds, parseTime } from '../../src/clock.js';
import { lockTimeoutFlag } from '../../src/whisper/lock.js';
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

--batch FILE (or - for stdin) fills many pairs in one process, each exactly as a single fill (own locks, own fdatasync): lines "SRC<TAB>DST", or with -0 NUL-terminated fields alternating SRC and DST (find … -print0 style; any name works). One result per pair (--json: one NDJSON line each, with "index" and "ok"); a pair that is refused or fails is reported and the batch goes on; a summary goes to stderr; exit 1 if any pair failed. SIGINT/SIGTERM stop after the current pair (exit 130/143).

Reports the slots written per archive (--json: {"src","dst","archives":[{"index","secondsPerPoint","points","gaps","filled"}],"total","changed","bytesWritten"}; gaps = empty slots seen). RINGSHIFT_NOW=<unix seconds> pins the clock.`;

  static override examples = [
    '<%= config.bin %> whisper fill /staging/old-node/metric.wsp /var/lib/graphite/whisper/metric.wsp',
    '<%= config.bin %> whisper fill src.wsp dst.wsp --from=-2d --dry-run',
    '<%= config.bin %> whisper fill src.wsp dst.wsp --compat carbonate --json',
    '<%= config.bin %> whisper fill --batch pairs.tsv --json > results.ndjson',
    'paste <(find old -name "*.wsp" | sort) <(find new -name "*.wsp" | sort) | <%= config.bin %> whisper fill --batch -',
  ];

  static override args = {
    src: Args.string({ description: 'Whisper file to take points from (only read).', required: false, ignoreStdin: true }),
    dst: Args.string({ description: 'Whisper file to fill (written in place).', required: false, ignoreStdin: true }),
  };

  static override flags = {
    compat: Flags.string({ description: 'Reproduce another tool instead of the gap-only fill.', options: ['carbonate'] }),
    from: Flags.string({ description: 'Only slots at or after this time.' }),
    until: Flags.string({ description: 'Only slots before this time.' }),
    overwrite: Flags.boolean({ description: 'With --compat carbonate: copy every point of SRC (carbonate --overwrite).', default: false }),
    lock: Flags.boolean({ description: 'flock DST (exclusive) and SRC (shared) while working.', default: true, allowNo: true }),
    'lock-timeout': Flags.string({ description: 'How long to wait for the lock: 10s, 2m (bare = seconds).', default: '10s' }),
    'dry-run': Flags.boolean({ description: 'Report what would be filled; write nothing.', default: false }),
    batch: Flags.string({ description: 'Fill every pair listed in this file (- = stdin): "SRC<TAB>DST" lines, or NUL-separated with -0.' }),
    null: Flags.boolean({ description: 'With --batch (also spelled -0): fields end with NUL and alternate SRC, DST.', default: false }),
  };

  public async run(): Promise<void> {
    // -0 (xargs's and sort's spelling) for --null; oclif's short flags are letters only.
    const dash = this.argv.indexOf('--');
    this.argv = this.argv.map((a, i) => (a === '-0' && (dash < 0 || i < dash) ? '--null' : a));
    const { args, flags } = await this.parse(WhisperFillCommand);
    if (flags.overwrite && flags.compat !== 'carbonate')
      throw new UsageError('--overwrite needs --compat carbonate (the gap-only fill never overwrites)');
    const now = nowSeconds();
    const from = flags.from === undefined ? undefined : parseTime(flags.from, now, '--from');
    const until = flags.until === undefined ? undefined : parseTime(flags.until, now, '--until');
    const common = { now, lock: flags.lock, lockTimeoutMs: lockTimeoutFlag(flags['lock-timeout']), dryRun: flags['dry-run'] };
    const mode = flags.compat ?? 'gaps';
    const verb = flags.compat ? 'changed' : 'filled';
    if (flags.batch !== undefined) {
      if (args.src !== undefined) throw new UsageError('give SRC DST or --batch FILE, not both');
      const opts: BatchOptions = {
        ...common,
        mode: flags.compat === 'carbonate' ? 'carbonate' : 'gaps',
        from,
        until,
        overwrite: flags.overwrite,
      };
      await this.runBatch(flags.batch, flags.null, opts, flags.json, verb);
      return;
    }
    if (flags.null) throw new UsageError('-0 goes with --batch');
    if (args.src === undefined || args.dst === undefined)
      throw new UsageError('missing SRC and DST', { expected: 'whisper fill SRC DST, or whisper fill --batch FILE' });
    const report =
      flags.compat === 'carbonate'
        ? await carbonateFill(args.src, args.dst, { ...common, endAt: from, startFrom: until, overwrite: flags.overwrite })
        : await fillGaps(args.src, args.dst, { ...common, from, until });
    if (flags.json) process.stdout.write(fillReportJson(report, { mode, dryRun: flags['dry-run'] }) + '\n');
    else process.stdout.write(fillReportText(report, verb, flags['dry-run']).join('\n') + '\n');
  }

  private async runBatch(file: string, nul: boolean, opts: BatchOptions, json: boolean, verb: string): Promise<void> {
    // A bad window refuses the whole batch up front (exit 2), before any pair is touched.
    checkWindowArgs(opts.now, opts.from, opts.until);
    const chunks = await openNameBytes({ file });
    if (chunks === undefined) throw new UsageError('--batch needs a file of pairs or - for stdin');
    let signal: NodeJS.Signals | undefined;
    const stop = (s: NodeJS.Signals) => (signal ??= s);
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    const sink = new LineSink();
    const extra = { mode: opts.mode, dryRun: !!opts.dryRun };
    try {
      const summary = await fillBatch(batchRecords(chunks, nul), { ...opts, stopped: () => signal !== undefined }, async (r) => {
        if (sink.push(json ? batchResultJson(r, extra) : batchResultText(r, verb, !!opts.dryRun))) await sink.flush();
      });
      await sink.flush();
      process.stderr.write(`ringshift: ${batchSummaryText(summary, verb, !!opts.dryRun)}\n`);
      if (signal !== undefined) process.exitCode = signal === 'SIGINT' ? 130 : 143;
      else if (summary.failed > 0) process.exitCode = 1;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  }
}
