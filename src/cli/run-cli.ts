// What bin/run.js runs: oclif, started as cheaply as it can be, behind the error contract.
//
// Start-up is most of a short command's time (a `whisper fill` per pair, `ring locate` in a shell
// loop), so: `--version` is answered from package.json without loading oclif; a command of our own
// (its words name a module under the bundle's commands directory: two stat calls, where reading the
// 190 KB manifest for its ids cost more) is handed to oclif's run() with options rather than a loaded
// Config — run() loads its configuration once either way, so a Config loaded here would be loaded
// twice — and that configuration skips oclif's plugins (help, autocomplete: loaded only when the
// command line asks for them, or is not one of ours); oclif's engine check (which loads semver) is
// skipped — package.json's engines says the same. Whatever is thrown ends as one stderr line and an
// exit code (error-line.ts), and a run whose promise never settles (a socket closed under a waiting
// operation) ends with a line and exit 1 instead of Node's silent exit 13.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { exitQuietlyOnEpipe } from '../output/sinks.js';
import { describeError, STACK_HINT, ERROR_PREFIX } from './error-line.js';

interface PackageJson {
  name: string;
  version: string;
  oclif: { plugins?: string[]; topicSeparator?: string; [k: string]: unknown };
  [k: string]: unknown;
}

/** Runs the CLI for `argv` (without node and script); sets process.exitCode, never throws. */
export async function runCli(argv: string[], root: string): Promise<void> {
  const unsettled = guardUnsettledExit();
  // `ringshift ring locate --help | head`: help is printed before any command's init runs.
  exitQuietlyOnEpipe();
  try {
    const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;
    if (argv.length === 1 && argv[0] === '--version') {
      process.stdout.write(`${pjson.name}/${pjson.version} ${process.platform}-${process.arch} node-${process.version}\n`);
      return;
    }
    process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1';
    const { Config, run, flush } = await import('./oclif-engine.js');
    if (typeof pjson.oclif.commands === 'string' && ownCommandOf(argv, join(root, pjson.oclif.commands)) !== undefined) {
      // Not a typo (the words name a command), so no Config is needed before run().
      await run(argv, { root, pjson: { ...pjson, oclif: { ...pjson.oclif, plugins: [] } } as never, userPlugins: false });
    } else {
      const config = await Config.load({ root, pjson: pjson as never, userPlugins: false });
      const typo = subcommandTypo(argv, config.commandIDs, new Set(config.topics.map((t) => t.name)));
      if (typo !== undefined) await config.runCommand(typo.id, typo.rest);
      else await run(argv, config);
    }
    await flush();
  } catch (err) {
    const r = describeError(err);
    if (r.text !== '') process.stderr.write(r.text);
    process.exitCode = r.exitCode;
  } finally {
    unsettled.settle();
  }
}

/**
 * The id of the command of ours that the words at the start of argv name ("ring locate x" →
 * "ring:locate"): the longest run of words that is a module under `commandsDir` (ring/locate.js),
 * found as oclif finds commands without a manifest. Words are lower-case names only, so no path
 * tricks and no case-insensitive file system can make a word that oclif would not match.
 */
function ownCommandOf(argv: readonly string[], commandsDir: string): string | undefined {
  let found: string | undefined;
  let dir = commandsDir;
  const words: string[] = [];
  for (const a of argv) {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(a) || a === 'index') break;
    words.push(a);
    if (statSync(join(dir, `${a}.js`), { throwIfNoEntry: false })?.isFile() === true) found = words.join(':');
    dir = join(dir, a);
    if (statSync(dir, { throwIfNoEntry: false })?.isDirectory() !== true) break;
  }
  return found;
}

/** The id of the command the words at the start of argv name ("ring locate x" → "ring:locate"), if one of `ids`. */
export function commandOf(argv: readonly string[], ids: readonly string[]): string | undefined {
  const known = new Set(ids);
  let found: string | undefined;
  const words: string[] = [];
  for (const a of argv) {
    if (a.startsWith('-')) break;
    words.push(a);
    const id = words.join(':');
    if (known.has(id)) found = id;
    else if (!ids.some((k) => k.startsWith(`${id}:`))) break;
  }
  return found;
}

/**
 * "ring locat x": a topic followed by a word that names none of its commands. oclif would print the
 * topic's help and exit 0; we treat it as the mistyped command it is (command_not_found: did you mean).
 */
export function subcommandTypo(
  argv: readonly string[],
  ids: readonly string[],
  topics: ReadonlySet<string>,
): { id: string; rest: string[] } | undefined {
  const topic = argv[0];
  const word = argv[1];
  if (topic === undefined || word === undefined || word.startsWith('-') || !topics.has(topic)) return undefined;
  if (ids.includes(topic) || commandOf(argv, ids) !== undefined) return undefined;
  return { id: `${topic}:${word}`, rest: argv.slice(2) };
}

/**
 * Node exits with code 13 and no word when the entry module's top-level await never settles, and
 * with code 0 when a plain promise is simply forgotten. Either way the command did not finish: say so.
 */
export function guardUnsettledExit(): { settle: () => void } {
  let settled = false;
  // 'beforeExit' comes only when the event loop ran dry (never on an explicit process.exit()).
  const onDrained = (): void => {
    if (settled) return;
    process.stderr.write(
      `${ERROR_PREFIX}internal error: the command stopped before it finished (nothing was left to wait for) ${STACK_HINT}\n`,
    );
    process.exitCode = 1;
  };
  process.once('beforeExit', onDrained);
  return {
    settle: () => {
      settled = true;
      process.removeListener('beforeExit', onDrained);
    },
  };
}
