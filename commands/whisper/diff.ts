import { Args, Flags } from '@oclif/core';
import { nowSeconds, parseTime } from '../../src/clock.js';
import { diffFiles } from '../../src/whisper/diff.js';
import { diffJsonLine, diffSummaryText, diffText } from '../../src/whisper/result-rendering.js';
import { BaseCommand } from '../../src/cli/base-command.js';
import { LineSink } from '../../src/output/sinks.js';

export default class WhisperDiffCommand extends BaseCommand {
  static override summary = 'Show the points two whisper files disagree on, as whisper-diff.py does: the tool to compare replicas.';
  static override description = `Both files must have the same archives. Each archive is compared over the time it covers that the finer archives do not (the finest one up to --until), point by point as whisper.diff compares them: a point present in one file only differs, NaN differs from everything, -0.0 equals 0.0. --ignore-empty compares only the points both files hold.

The text is whisper-diff's: per archive "Archive N (D of T datapoints differ)" then the differing points (timestamp, value_a, value_b; values as Python prints them, None for no point); --columns prints plain "archive timestamp value_a value_b" rows, --no-headers drops the header lines, --summary prints only the counts per archive. --json: NDJSON, one line per archive {"path_a","path_b","archive","total","points","datapoint":[{"timestamp","value_a","value_b"}]} ("points" = how many differ; no "datapoint" with --summary).

Exit 0 whether or not the files differ (as whisper-diff); exit 1 for a missing or corrupt file or different layouts. --until later than now is taken as now (whisper-diff crashes there). RINGSHIFT_NOW=<unix seconds> pins the clock.`;

  static override examples = [
    '<%= config.bin %> whisper diff node1/metric.wsp node2/metric.wsp',
    '<%= config.bin %> whisper diff a.wsp b.wsp --summary',
    '<%= config.bin %> whisper diff a.wsp b.wsp --ignore-empty --until=-1h --json',
  ];

  static override args = {
    a: Args.string({ description: 'First whisper file (value_a).', required: true, ignoreStdin: true }),
    b: Args.string({ description: 'Second whisper file (value_b).', required: true, ignoreStdin: true }),
  };

  static override flags = {
    summary: Flags.boolean({ description: 'Only the counts per archive.', default: false }),
    'ignore-empty': Flags.boolean({ description: 'Compare only points both files hold.', default: false }),
    until: Flags.string({ description: 'Newest time compared. [default: now]' }),
    columns: Flags.boolean({ description: 'Plain space-separated columns.', default: false }),
    'no-headers': Flags.boolean({ description: 'Leave out the header lines.', default: false }),
  };

  public async run(): Promise<void> {
    const { args, flags } = await this.parse(WhisperDiffCommand);
    const now = nowSeconds();
    const until = flags.until === undefined ? undefined : parseTime(flags.until, now, '--until');
    const diffs = diffFiles(args.a, args.b, { now, until, ignoreEmpty: flags['ignore-empty'] });
    const style = { columns: flags.columns, headers: !flags['no-headers'] };
    const lines = flags.json
      ? diffs.map((d) => diffJsonLine(d, args.a, args.b, flags.summary))
      : flags.summary
        ? diffSummaryText(diffs, style)
        : diffText(diffs, style);
    const sink = new LineSink();
    for (const line of lines) if (sink.push(line)) await sink.flush();
    await sink.flush();
  }
}
