import { Args } from '@oclif/core';
import { WhisperFile } from '../../src/whisper/file.js';
import { dumpLines } from '../../src/whisper/result-rendering.js';
import { BaseCommand } from '../../src/cli/base-command.js';
import { LineSink } from '../../src/output/sinks.js';

export default class WhisperDumpCommand extends BaseCommand {
  static override summary = 'Print the header and every slot of every archive, like whisper-dump.py.';
  static override description = `Each slot as "index: timestamp, value", in storage order (a ring: slot 0 holds whatever interval was written there; timestamp 0 means never written). --json: the header fields and, per archive, "slots": [[timestamp, value], …] with "NaN"/"Infinity"/"-Infinity" for those values. Streams one archive at a time.`;

  static override examples = [
    '<%= config.bin %> whisper dump metric.wsp | less',
    "<%= config.bin %> whisper dump metric.wsp --json | jq '.archives[0].slots[:5]'",
  ];

  static override args = {
    file: Args.string({ description: 'A whisper (.wsp) file.', required: true, ignoreStdin: true }),
  };

  public async run(): Promise<void> {
    const { args, flags } = await this.parse(WhisperDumpCommand);
    const file = WhisperFile.open(args.file);
    try {
      const sink = new LineSink();
      for (const line of dumpLines(file, flags.json)) if (sink.push(line)) await sink.flush();
      await sink.flush();
    } finally {
      file.close();
    }
  }
}
