// Common behaviour for every command: --json, typed errors shown as one line with file:line and the
// error's exit code (never a stack trace for user mistakes), quiet EPIPE.
import { Command, Flags } from '@oclif/core';
import { RingshiftError } from '../errors.js';
import { exitQuietlyOnEpipe } from '../output/sinks.js';

export abstract class BaseCommand extends Command {
  static override baseFlags = {
    json: Flags.boolean({ description: 'Machine-readable JSON output.', default: false }),
  };

  public override async init(): Promise<void> {
    await super.init();
    exitQuietlyOnEpipe();
  }

  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    if (err instanceof RingshiftError) {
      process.stderr.write(`ringshift: error: ${err.describe()}\n`);
      process.exitCode = err.exitCode;
      return undefined;
    }
    return super.catch(err);
  }
}
