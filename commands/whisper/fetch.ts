import { Args, Flags } from '@oclif/core';
import { nowSeconds, parseTime } from '../../src/clock.js';
import { fetch } from '../../src/whisper/fetch.js';
import { fetchJson, fetchText, type DropMode } from '../../src/whisper/result-rendering.js';
import { BaseCommand } from '../../src/cli/base-command.js';
import { LineSink } from '../../src/output/sinks.js';

export default class WhisperFetchCommand extends BaseCommand {
  static override summary = 'Read a time range of a whisper file, exactly as whisper.fetch does.';
  static override description = `Returns the points with from < t <= until at the step of the first archive (finest first) whose retention reaches back to FROM; the range is clamped to the file's retention and to now, a zero-length range returns the next point. Times: unix seconds, ISO 8601 (UTC unless an offset is given), now, or relative: -7d, now-2h (write --from=-7d, with "=", so it is not read as a flag). Defaults: the last 24 hours.

Text: whisper-fetch's lines, "timestamp<TAB>value" per step with the value as Python's '%f' and None where there is no point; --pretty shows local times as time.ctime() (or --time-format's strftime). --drop nulls|zeroes|empty leaves those values out (each kept value keeps its own timestamp; whisper-fetch shifts them). --json: one line {"start","end","step","values"} with null for missing points and "NaN"/"Infinity"/"-Infinity" for those values (with --drop, the kept values and their "timestamps"); null when the range lies entirely in the future or before the retention.

The header is read first: a corrupt file is exit 1 whatever the window; an inverted window on a sound file is exit 2. A truncated archive is an error (exit 1), where whisper silently returns fewer values. RINGSHIFT_NOW=<unix seconds> pins the clock.`;

  static override examples = [
    '<%= config.bin %> whisper fetch metric.wsp',
    '<%= config.bin %> whisper fetch metric.wsp --from=-2h --json',
    '<%= config.bin %> whisper fetch metric.wsp --from 2023-11-14T00:00:00Z --until 2023-11-14T06:00:00Z --drop nulls',
    '<%= config.bin %> whisper fetch metric.wsp --from=-7d --archive 10m --pretty',
  ];

  static override args = {
    file: Args.string({ description: 'A whisper (.wsp) file.', required: true, ignoreStdin: true }),
  };

  static override flags = {
    from: Flags.string({ description: 'Start (exclusive). [default: now-24h]' }),
    until: Flags.string({ description: 'End (inclusive). [default: now]' }),
    archive: Flags.string({ description: 'Read the archive with this precision (e.g. 60 or 1m) instead of choosing by age.' }),
    drop: Flags.string({ description: 'Leave out null values, zero values, or both (empty).', options: ['nulls', 'zeroes', 'empty'] }),
    pretty: Flags.boolean({ description: 'Show local times (time.ctime) instead of unix seconds.', default: false }),
    'time-format': Flags.string({ char: 't', description: 'strftime(3) format for --pretty, e.g. "%F %T".' }),
  };

  public async run(): Promise<void> {
    const { args, flags } = await this.parse(WhisperFetchCommand);
    const now = nowSeconds();
    const from = flags.from === undefined ? now - 86400 : parseTime(flags.from, now, '--from');
    const until = flags.until === undefined ? now : parseTime(flags.until, now, '--until');
    const drop = flags.drop as DropMode | undefined;
    const r = fetch(args.file, from, until, { now, archiveToSelect: flags.archive, corruptBeforeWindow: true });
    if (flags.json) {
      process.stdout.write(fetchJson(r, drop) + '\n');
      return;
    }
    if (r === null) return;
    const sink = new LineSink();
    for (const line of fetchText(r, { pretty: flags.pretty, timeFormat: flags['time-format'] }, drop))
      if (sink.push(line)) await sink.flush();
    await sink.flush();
  }
}
