import { Args, Flags } from '@oclif/core';
import { WhisperFile } from '../../src/whisper/file.js';
import { dumpJson, dumpText } from '../../src/whisper/result-rendering.js';
import { BaseCommand } from '../../src/cli/base-command.js';
import { LineSink } from '../../src/output/sinks.js';

export default class WhisperDumpCommand extends BaseCommand {
  static override summary = 'Print the header and every slot of every archive, exactly as whisper-dump.py does.';
  static override description = `The text is whisper-dump's, line for line: the header, each archive's info, then each archive's slots as "index: timestamp, value" in storage order (a ring: slot 0 holds whatever interval was written there first; timestamp 0 means never written), the value as Python's '%10.35g'. --pretty shows local times as time.ctime() does (TZ applies), or with --time-format as strftime(3) does.

--json: NDJSON, a header line {"aggregationMethod","maxRetention","xFilesFactor","fileSize","archiveCount"}, then one line per archive {"archive","offset","secondsPerPoint","points","retention","size","slots":[[timestamp, value], …]} with "NaN"/"Infinity"/"-Infinity" for those values. Streams one chunk of slots at a time.

A header whisper cannot read, or a file shorter than its header says, is an error naming the file (exit 1).`;

  static override examples = [
    '<%= config.bin %> whisper dump metric.wsp | less',
    '<%= config.bin %> whisper dump metric.wsp --pretty --time-format "%F %T"',
    "<%= config.bin %> whisper dump metric.wsp --json | jq -c 'select(.archive == 0) | .slots[:5]'",
  ];

  static override args = {
    file: Args.string({ description: 'A whisper (.wsp) file.', required: true, ignoreStdin: true }),
  };

  static override flags = {
    pretty: Flags.boolean({ description: 'Show local times (time.ctime) instead of unix seconds.', default: false }),
    'time-format': Flags.string({ char: 't', description: 'strftime(3) format for --pretty, e.g. "%F %T".' }),
  };

  public async run(): Promise<void> {
    const { args, flags } = await this.parse(WhisperDumpCommand);
    const file = WhisperFile.open(args.file);
    try {
      const sink = new LineSink();
      const lines = flags.json ? dumpJson(file) : dumpText(file, { pretty: flags.pretty, timeFormat: flags['time-format'] });
      for (const line of lines) if (sink.push(line)) await sink.flush();
      await sink.flush();
    } finally {
      file.close();
    }
  }
}
