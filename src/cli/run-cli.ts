// What bin/run.js runs: oclif, started as cheaply as it can be, behind the error contract.
//
// Start-up is most of a short command's time (a `whisper fill` per pair, `ring locate` in a shell
// loop), so: `--version` is answered from package.json without loading oclif; a command of our own
// is run with a configuration that skips oclif's plugins (help, autocomplete: loaded only when the
// command line asks for them, or is not one of ours); oclif's engine check (which loads semver) is
// skipped — package.json's engines says the same. Whatever is thrown ends as one stderr line and an
// exit code (error-line.ts), and a run whose promise never settles (a socket closed under a waiting
// operation) ends with a line and exit 1 instead of Node's silent exit 13.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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
  try {
    const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;
    if (argv.length === 1 && argv[0] === '--version') {
      process.stdout.write(`${pjson.name}/${pjson.version} ${process.platform}-${process.arch} node-${process.version}\n`);
      return;
    }
    const ownIds = manifestCommandIds(root);
    const own = ownIds !== undefined && commandOf(argv, ownIds) !== undefined;
    process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1';
    const { Config, run, flush } = await import('./oclif-engine.js');
    const config = await Config.load({
      root,
      pjson: (own ? { ...pjson, oclif: { ...pjson.oclif, plugins: [] } } : pjson) as never,
      userPlugins: false,
    });
    const typo = subcommandTypo(argv, config.commandIDs, new Set(config.topics.map((t) => t.name)));
    if (typo !== undefined) await config.runCommand(typo.id, typo.rest);
    else await run(argv, config);
    await flush();
  } catch (err) {
    const r = describeError(err);
    if (r.text !== '') process.stderr.write(r.text);
    process.exitCode = r.exitCode;
  } finally {
    unsettled.settle();
  }
}

/** The command ids in oclif.manifest.json, or undefined without a manifest (oclif then scans dist/). */
function manifestCommandIds(root: string): string[] | undefined {
  try {
    const m = JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8')) as { commands?: Record<string, unknown> };
    return m.commands === undefined ? undefined : Object.keys(m.commands);
  } catch {
    return undefined;
  }
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
