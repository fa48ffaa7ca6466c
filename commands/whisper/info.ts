import { Args } from '@oclif/core';
import { WhisperError } from '../../src/whisper/errors.js';
import { infoChecked } from '../../src/whisper/info.js';
import { infoText } from '../../src/whisper/result-rendering.js';
import { BaseCommand } from '../../src/cli/base-command.js';

export default class WhisperInfoCommand extends BaseCommand {
  static override summary = "Show a whisper file's header: aggregation method, xFilesFactor, archives.";
  static override description = `The fields of whisper.info() (whisper-info.py) plus fileSize. xFilesFactor is the stored float32 widened to double (0.1 shows as 0.10000000149011612), as whisper compares it.

Exit 1 when the header cannot be read, or when the file is inconsistent with it (truncated, extra bytes, archives out of order): the header is still printed, the problem goes to stderr. "whisper verify" checks every slot too.`;

  static override examples = [
    '<%= config.bin %> whisper info /var/lib/graphite/whisper/carbon/agents/a/cpuUsage.wsp',
    '<%= config.bin %> whisper info metric.wsp --json',
  ];

  static override args = {
    file: Args.string({ description: 'A whisper (.wsp) file.', required: true, ignoreStdin: true }),
  };

  public async run(): Promise<void> {
    const { args, flags } = await this.parse(WhisperInfoCommand);
    const r = infoChecked(args.file);
    const { problem, ...info } = r;
    process.stdout.write(flags.json ? JSON.stringify(info) + '\n' : infoText(args.file, info).join('\n') + '\n');
    if (problem) throw new WhisperError('Corrupt', problem, args.file);
  }
}
