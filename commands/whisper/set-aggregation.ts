import { Args, Flags } from '@oclif/core';
import { AGGREGATION_METHODS } from '../../src/whisper/file-format.js';
import { setAggregationText } from '../../src/whisper/result-rendering.js';
import { parseMethod, parseXff, setAggregation } from '../../src/whisper/set-header.js';
import { lockTimeoutFlag } from '../../src/whisper/lock.js';
import { BaseCommand } from '../../src/cli/base-command.js';

export default class WhisperSetAggregationCommand extends BaseCommand {
  static override summary = "Change a whisper file's aggregation method (and xFilesFactor), like whisper-set-aggregation-method.py.";
  static override description = `Rewrites the 16 header bytes in place, as whisper does (same bytes): the aggregation method, the xFilesFactor when XFF is given, maxRetention and the archive count as they were. Existing points are not recomputed; the new method applies to what is written from now on.

Under the exclusive flock carbon-cache takes (--no-lock to skip), fdatasynced. A header whisper cannot read is refused (exit 1); an unknown method or an xFilesFactor outside [0, 1] is exit 2. --json: {"path","old","new"}.`;

  static override examples = [
    '<%= config.bin %> whisper set-aggregation counter.wsp sum',
    '<%= config.bin %> whisper set-aggregation latency.wsp max 0 --json',
  ];

  static override args = {
    file: Args.string({ description: 'The whisper file to change.', required: true, ignoreStdin: true }),
    method: Args.string({
      description: `New aggregation method: ${AGGREGATION_METHODS.slice(1).join(', ')}.`,
      required: true,
      ignoreStdin: true,
    }),
    xff: Args.string({ description: 'New xFilesFactor (0..1); kept when omitted.', required: false, ignoreStdin: true }),
  };

  static override flags = {
    lock: Flags.boolean({ description: 'flock the file exclusively while writing.', default: true, allowNo: true }),
    'lock-timeout': Flags.string({ description: 'How long to wait for the lock: 10s, 2m (bare = seconds).', default: '10s' }),
  };

  public async run(): Promise<void> {
    const { args, flags } = await this.parse(WhisperSetAggregationCommand);
    const method = parseMethod(args.method);
    const xff = args.xff === undefined ? undefined : parseXff(args.xff);
    const r = await setAggregation(
      args.file,
      { aggregationMethod: method, xFilesFactor: xff },
      { lock: flags.lock, lockTimeoutMs: lockTimeoutFlag(flags['lock-timeout']) },
    );
    process.stdout.write((flags.json ? JSON.stringify({ path: r.path, old: r.old, new: r.new }) : setAggregationText(r)) + '\n');
  }
}
