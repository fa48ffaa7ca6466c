import { Args } from '@oclif/core';
import { verifyLine } from '../../src/whisper/result-rendering.js';
import { verifyWhisper, type VerifyResult } from '../../src/whisper/verify.js';
import { verifyTree } from '../../src/whisper/verify-tree.js';
import { statSync } from 'node:fs';
import { BaseCommand } from '../../src/cli/base-command.js';
import { LineSink } from '../../src/output/sinks.js';

export default class WhisperVerifyCommand extends BaseCommand {
  static override summary = 'Check whisper files, or every *.wsp under a directory: header, sizes, archive layout, every slot.';
  static override description = `One line per file: "ok" with its layout, or "CORRUPT" with the first problem found: a header whisper cannot read, a file shorter or longer than its header describes (truncated copies), archives whose offsets, steps or retentions break whisper's rules, maxRetention different from the last archive's retention, or slots whose timestamps do not sit at their ring position (slot 0 empty while others are written, random bytes). Exit 1 if any file is corrupt or missing.

A directory is walked: every *.wsp file under it, names sorted, files of a directory before its subdirectories, symlinks not followed; an unreadable directory counts as a failure.

--json: one object per line: {"path","ok","code"?,"error"?,"info"?,"slotsUsed"?,"layout"?}.`;

  static override examples = [
    '<%= config.bin %> whisper verify metric.wsp',
    '<%= config.bin %> whisper verify /var/lib/graphite/whisper | grep -v ^ok',
    '<%= config.bin %> whisper verify a.wsp b.wsp --json',
  ];

  static override strict = false;
  static override args = {
    file: Args.string({ description: 'Whisper files, or directories to walk.', required: true, ignoreStdin: true }),
  };

  public async run(): Promise<void> {
    const { argv, flags } = await this.parse(WhisperVerifyCommand);
    const sink = new LineSink();
    let bad = 0;
    let files = 0;
    const report = async (r: VerifyResult): Promise<void> => {
      files++;
      if (!r.ok) bad++;
      if (sink.push(verifyLine(r, flags.json))) await sink.flush();
    };
    for (const path of argv as string[]) {
      let isDir = false;
      try {
        isDir = statSync(path).isDirectory();
      } catch {
        // verifyWhisper reports a missing or unreadable file
      }
      if (!isDir) await report(verifyWhisper(path));
      else {
        const before = files;
        for await (const r of verifyTree(path)) await report(r);
        if (files === before) process.stderr.write(`ringshift: no *.wsp files under ${path}\n`);
      }
    }
    await sink.flush();
    if (bad > 0) {
      process.stderr.write(`ringshift: ${bad} of ${files} file(s) corrupt or unreadable\n`);
      process.exitCode = 1;
    }
  }
}
