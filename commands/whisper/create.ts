import { Args, Flags } from '@oclif/core';
import { create } from '../../src/whisper/create.js';
import { AGGREGATION_METHODS, retentionString } from '../../src/whisper/file-format.js';
import { parseRetentions } from '../../src/whisper/retention.js';
import { parseXff } from '../../src/whisper/set-header.js';
import { BaseCommand } from '../../src/cli/base-command.js';

export default class WhisperCreateCommand extends BaseCommand {
  static override summary = 'Create an empty whisper file.';
  static override description = `RETENTION is precision:duration as in storage-schemas.conf and whisper-create.py: 10s:6h, 1m:7d, 10m:5y (units s, m/min, h, d, w, y = 365 days), or with bare numbers seconds:points (60:1440). Several per argument may be separated by commas. Archives are sorted by precision and checked with whisper's rules: distinct precisions, each dividing the next, growing retention, enough points to consolidate into the next.

The file is written under a temporary name in the same directory, fsynced, then linked into place: an existing file is never replaced (exit 1), and no partial file is ever visible.`;

  static override examples = [
    '<%= config.bin %> whisper create metric.wsp 10s:6h 1m:7d 10m:5y',
    '<%= config.bin %> whisper create counter.wsp 60:1440,300:2016 --aggregation sum --xff 0',
    '<%= config.bin %> whisper create big.wsp 10s:6h,1m:7d,10m:5y --sparse --json',
  ];

  static override strict = false;
  static override args = {
    file: Args.string({ description: 'Path of the new file.', required: true, ignoreStdin: true }),
    retention: Args.string({ description: 'One or more retentions, e.g. 10s:6h 1m:7d 10m:5y.', required: true, ignoreStdin: true }),
  };

  static override flags = {
    aggregation: Flags.string({
      description: 'Aggregation method of the coarser archives.',
      options: AGGREGATION_METHODS.slice(1),
      default: 'average',
    }),
    xff: Flags.string({ description: 'xFilesFactor: fraction of known points a bucket needs to propagate (0..1).', default: '0.5' }),
    sparse: Flags.boolean({ description: 'Leave the data region as a hole (same bytes, disk allocated on write).', default: false }),
  };

  public async run(): Promise<void> {
    const { argv, flags } = await this.parse(WhisperCreateCommand);
    const [file, ...retentions] = argv as string[];
    const xff = parseXff(flags.xff);
    const r = create(file!, parseRetentions(retentions), { aggregationMethod: flags.aggregation, xFilesFactor: xff, sparse: flags.sparse });
    const layout = r.archives.map(([s, p]) => retentionString({ secondsPerPoint: s, retention: s * p })).join(',');
    if (flags.json) process.stdout.write(JSON.stringify({ ...r, layout }) + '\n');
    else
      process.stdout.write(
        `created ${r.path}: ${layout}, ${r.aggregationMethod}, xFilesFactor ${r.xFilesFactor}, ${r.size} bytes${flags.sparse ? ' (sparse)' : ''}\n`,
      );
  }
}
