import { Args, Flags } from '@oclif/core';
import { fetch } from '../../src/whisper/fetch.js';
import { fetchJson, fetchText } from '../../src/whisper/report.js';
import { clockNow, parseTime } from '../../src/whisper/time.js';
import { BaseCommand } from '../../src/cli/base-command.js';
import { LineSink } from '../../src/output/sinks.js';

export default class WhisperFetchCommand extends BaseCommand {
  static override summary = 'Read a time range of a whisper file, exactly as whisper.fetch does.';
  static override description = `Returns the points with from < t <= until at the step of the first archive (finest first) whose retention reaches back to FROM; the range is clamped to the file's retention and to now, a zero-length range returns the next point. Times: unix seconds, ISO 8601 (UTC unless an offset is given), now, or relative: -7d, now-2h (write --from=-7d, with "=", so it is not read as a flag). Defaults: the last 24 hours.

Text: "timestamp<TAB>value" per step, None where there is no point. --json: {"start","end","step","values"} with null for missing points and "NaN"/"Infinity"/"-Infinity" for those values; null when the range lies entirely in the future or before the retention.

A truncated archive is an error (exit 1), where whisper silently returns fewer values. RINGSHIFT_NOW=<unix seconds> pins the clock.`;

  static override examples = [
    '<%= config.bin %> whisper fetch metric.wsp',
    '<%= config.bin %> whisper fetch metric.wsp --from=-2h --json',
    '<%= config.bin %> whisper fetch metric.wsp --from 2023-11-14T00:00:00Z --until 2023-11-14T06:00:00Z',
    '<%= config.bin %> whisper fetch metric.wsp --from=-7d --archive 10m',
  ];

  static override args = {
    file: Args.string({ description: 'A whisper (.wsp) file.', required: true, ignoreStdin: true }),
  };

  static override flags = {
    from: Flags.string({ description: 'Start (exclusive). [default: now-24h]' }),
    until: Flags.string({ description: 'End (inclusive). [default: now]' }),
    archive: Flags.string({ description: 'Read the archive with this precision (e.g. 60 or 1m) instead of choosing by age.' }),
  };

  public async run(): Promise<void> {
    const { args, flags } = await this.parse(WhisperFetchCommand);
    const now = clockNow();
    const from = flags.from === undefined ? now - 86400 : parseTime(flags.from, now);
    const until = flags.until === undefined ? now : parseTime(flags.until, now);
    const r = fetch(args.file, from, until, { now, archiveToSelect: flags.archive });
    if (flags.json) {
      process.stdout.write(fetchJson(r) + '\n');
      return;
    }
    if (r === null) return;
    const sink = new LineSink();
    for (const line of fetchText(r)) if (sink.push(line)) await sink.flush();
    await sink.flush();
  }
}
