import { Args, Flags } from '@oclif/core';
import { setXffText } from '../../src/whisper/result-rendering.js';
import { parseXff, setAggregation } from '../../src/whisper/set-header.js';
import { lockTimeoutFlag } from '../../src/whisper/lock.js';
import { BaseCommand } from '../../src/cli/base-command.js';

export default class WhisperSetXffCommand extends BaseCommand {
  static override summary = "Change a whisper file's xFilesFactor, like whisper-set-xfilesfactor.py.";
  static override description = `Rewrites the 16 header bytes in place, as whisper does (same bytes): the xFilesFactor (stored as float32: 0.1 reads back as 0.10000000149011612), the rest as it was. The fraction of known points a bucket needs before it propagates into the next archive; existing points are not recomputed.

Under the exclusive flock carbon-cache takes (--no-lock to skip), fdatasynced. An xFilesFactor outside [0, 1] (or NaN, which whisper would store) is exit 2. --json: {"path","old","new"}.`;

  static override examples = ['<%= config.bin %> whisper set-xff metric.wsp 0', '<%= config.bin %> whisper set-xff metric.wsp 0.1 --json'];

  static override args = {
    file: Args.string({ description: 'The whisper file to change.', required: true, ignoreStdin: true }),
    xff: Args.string({ description: 'New xFilesFactor, 0..1.', required: true, ignoreStdin: true }),
  };

  static override flags = {
    lock: Flags.boolean({ description: 'flock the file exclusively while writing.', default: true, allowNo: true }),
    'lock-timeout': Flags.string({ description: 'How long to wait for the lock: 10s, 2m (bare = seconds).', default: '10s' }),
  };

  public async run(): Promise<void> {
    const { args, flags } = await this.parse(WhisperSetXffCommand);
    const r = await setAggregation(
      args.file,
      { xFilesFactor: parseXff(args.xff) },
      { lock: flags.lock, lockTimeoutMs: lockTimeoutFlag(flags['lock-timeout']) },
    );
    process.stdout.write((flags.json ? JSON.stringify({ path: r.path, old: r.old, new: r.new }) : setXffText(r)) + '\n');
  }
}
