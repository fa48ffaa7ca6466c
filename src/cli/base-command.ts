// Common behaviour for every command: --json, the error contract (any error is one line naming the
// file, flag or argument, with exit 2 for usage/config and 1 for data problems — see error-line.ts and
// docs/cli.md), never a stack trace for user mistakes, quiet EPIPE.
import { stripVTControlCharacters } from 'node:util';
import { Command, Flags } from '@oclif/core';
import type { Interfaces } from '@oclif/core';
import { exitQuietlyOnEpipe } from '../output/sinks.js';
import { describeError, type CommandContext, type OptionDef } from './error-line.js';

export abstract class BaseCommand extends Command {
  static override baseFlags = {
    json: Flags.boolean({ description: 'Machine-readable output: NDJSON, one JSON object a line.', default: false }),
  };

  /** What parse() returned, so an error about a path can name the flag or argument that gave it. */
  private parsedValues: CommandContext['values'];

  public override async init(): Promise<void> {
    await super.init();
    exitQuietlyOnEpipe();
  }

  // oclif's FlagOutput/ArgOutput ({ [name: string]: any }) are not exported; the same shape is spelled out.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  protected override async parse<F extends Record<string, any>, B extends Record<string, any>, A extends Record<string, any>>(
    options?: Interfaces.Input<F, B, A>,
    argv?: string[],
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    const out = await super.parse(options, argv);
    this.parsedValues = { flags: out.flags as Record<string, unknown>, args: out.args as Record<string, unknown> };
    return out;
  }

  /** oclif's warnings (a deprecated flag spelling, …) as one line, like everything else on stderr. */
  public override warn(input: string | Error): string | Error {
    const text = stripVTControlCharacters(typeof input === 'string' ? input : input.message).replace(/\s*\n\s*/g, ' ');
    process.stderr.write(`ringshift: warning: ${text}\n`);
    return input;
  }

  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    const ctor = this.ctor as unknown as {
      flags?: Record<string, OptionDef>;
      baseFlags?: Record<string, OptionDef>;
      args?: Record<string, OptionDef>;
    };
    const ctx: CommandContext = {
      id: this.commandId(),
      flags: { ...ctor.baseFlags, ...ctor.flags },
      args: { ...ctor.args },
      values: this.parsedValues,
    };
    const r = describeError(err, ctx);
    // Reported: oclif's "did not parse its arguments" warning would only add a second line.
    this.parsed = true;
    if (r.text !== '') process.stderr.write(r.text);
    process.exitCode = r.exitCode;
    return undefined;
  }

  /** The command's id as typed; a command class run directly (tests) has its class name as id, so look it up. */
  private commandId(): string {
    const config = this.config as typeof this.config | undefined;
    if (config === undefined) return this.id ?? '';
    if (this.id !== undefined && config.commandIDs.includes(this.id)) return this.id;
    const hit = config.commands.find((c) => c.summary === this.ctor.summary && c.description === this.ctor.description);
    return hit?.id ?? this.id ?? '';
  }
}
