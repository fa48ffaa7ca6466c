import { Args } from '@oclif/core';
import { UsageError } from '../../src/errors.js';
import { WhisperError } from '../../src/whisper/errors.js';
import { infoChecked } from '../../src/whisper/info.js';
import { INFO_FIELDS, infoFieldText, infoText } from '../../src/whisper/result-rendering.js';
import { BaseCommand } from '../../src/cli/base-command.js';

export default class WhisperInfoCommand extends BaseCommand {
  static override summary = "Show a whisper file's header: aggregation method, xFilesFactor, archives.";
  static override description = `The fields of whisper.info() (whisper-info.py) plus fileSize. xFilesFactor is the stored float32 widened to double (0.1 shows as 0.10000000149011612), as whisper compares it.

With FIELD (aggregationMethod, maxRetention, xFilesFactor, archives, fileSize), only that value, printed as whisper-info.py prints it (Python's str()); with --json, {"FIELD": value}.

Exit 1 when the header cannot be read, or when the file is inconsistent with it (truncated, extra bytes, archives out of order): the header is still printed, the problem goes to stderr. "whisper verify" checks every slot too.`;

  static override examples = [
    '<%= config.bin %> whisper info /var/lib/graphite/whisper/carbon/agents/a/cpuUsage.wsp',
    '<%= config.bin %> whisper info metric.wsp xFilesFactor',
    '<%= config.bin %> whisper info metric.wsp --json',
  ];

  static override args = {
    file: Args.string({ description: 'A whisper (.wsp) file.', required: true, ignoreStdin: true }),
    field: Args.string({ description: `Print only this field (${INFO_FIELDS.join(', ')}).`, required: false, ignoreStdin: true }),
  };

  public async run(): Promise<void> {
    const { args, flags } = await this.parse(WhisperInfoCommand);
    const field = args.field;
    if (field !== undefined && !(INFO_FIELDS as readonly string[]).includes(field)) {
      throw new UsageError(`unknown field ${JSON.stringify(field)}`, { expected: `one of ${INFO_FIELDS.join(', ')}` });
    }
    const r = infoChecked(args.file);
    const { problem, ...info } = r;
    if (field !== undefined) {
      const value = info[field as (typeof INFO_FIELDS)[number]];
      process.stdout.write(flags.json ? JSON.stringify({ [field]: value }) + '\n' : infoFieldText(info, field) + '\n');
    } else process.stdout.write(flags.json ? JSON.stringify(info) + '\n' : infoText(args.file, info).join('\n') + '\n');
    if (problem) throw new WhisperError('Corrupt', problem, args.file);
  }
}
