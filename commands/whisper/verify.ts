import { Args } from '@oclif/core';
import { verifyLine } from '../../src/whisper/result-rendering.js';
import { verifyWhisper } from '../../src/whisper/verify.js';
import { BaseCommand } from '../../src/cli/base-command.js';
import { LineSink } from '../../src/output/sinks.js';

export default class WhisperVerifyCommand extends BaseCommand {
  static override summary = 'Check whisper files: header, sizes, archive layout, every slot.';
  static override description = `One line per file: "ok" with its layout, or "CORRUPT" with the first problem found: a header whisper cannot read, a file shorter or longer than its header describes (truncated copies), archives whose offsets, steps or retentions break whisper's rules, maxRetention different from the last archive's retention, or slots whose timestamps do not sit at their ring position (slot 0 empty while others are written, random bytes). Exit 1 if any file is corrupt or missing.

--json: one object per line: {"path","ok","code"?,"error"?,"info"?,"slotsUsed"?,"layout"?}.`;

  static override examples = [
    '<%= config.bin %> whisper verify metric.wsp',
    'find /var/lib/graphite/whisper -name "*.wsp" -print0 | xargs -0 <%= config.bin %> whisper verify | grep -v ^ok',
    '<%= config.bin %> whisper verify a.wsp b.wsp --json',
  ];

  static override strict = false;
  static override args = {
    file: Args.string({ description: 'Whisper files to check.', required: true, ignoreStdin: true }),
  };

  public async run(): Promise<void> {
    const { argv, flags } = await this.parse(WhisperVerifyCommand);
    const sink = new LineSink();
    let bad = 0;
    for (const path of argv as string[]) {
      const r = verifyWhisper(path);
      if (!r.ok) bad++;
      if (sink.push(verifyLine(r, flags.json))) await sink.flush();
    }
    await sink.flush();
    if (bad > 0) {
      process.stderr.write(`ringshift: ${bad} of ${argv.length} file(s) corrupt or unreadable\n`);
      process.exitCode = 1;
    }
  }
}
