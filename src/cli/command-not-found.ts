// oclif's command_not_found hook (package.json oclif.hooks): a mistyped command is a usage error,
// one line with "did you mean", exit 2. At a terminal (stdin and stderr are TTYs) @oclif/plugin-not-found
// takes over and offers to run its suggestion; it is not listed in oclif.plugins because its own
// hook would also run in scripts, where it prints a warning and a second error line without a suggestion.
import type { Hook } from '@oclif/core';
import { UsageError } from '../errors.js';
import { closestName, editDistance } from './closest-name.js';
import { commandName } from './error-line.js';

const hook: Hook.CommandNotFound = async function (opts) {
  const visible = opts.config.commands.filter((c) => c.hidden !== true);
  const ids = [...visible.map((c) => c.id), ...visible.flatMap((c) => c.aliases)];
  if (process.stdin.isTTY === true && process.stderr.isTTY === true) {
    const { default: pluginNotFound } = await import('@oclif/plugin-not-found');
    try {
      return await pluginNotFound.call(this, opts);
    } catch {
      // Declined or timed out: the plugin's own error is the line below.
    }
  }
  const { typed, guess } = bestGuess(opts.id, ids);
  const hint = guess === undefined ? 'see ringshift help' : `did you mean "ringshift ${commandName(guess)}"? see ringshift help`;
  throw new UsageError(`"${commandName(typed)}" is not a ringshift command (${hint})`);
};

export default hook;

/**
 * oclif's id for an unknown command swallows the words after it ("scna /tmp" → "scna:/tmp"), so the
 * typed command is the prefix of one to three words closest to a real id ("rign locate" → "ring locate").
 */
export function bestGuess(id: string, ids: readonly string[]): { typed: string; guess?: string } {
  const words = id.split(':');
  let best: { typed: string; guess?: string; d: number } = { typed: words[0]!, d: Infinity };
  for (let n = 1; n <= Math.min(3, words.length); n++) {
    const typed = words.slice(0, n).join(':');
    const guess = closestName(typed, ids);
    if (guess === undefined) continue;
    const d = editDistance(typed, guess);
    if (d < best.d) best = { typed, guess, d };
  }
  return best.guess === undefined ? { typed: best.typed } : { typed: best.typed, guess: best.guess };
}
