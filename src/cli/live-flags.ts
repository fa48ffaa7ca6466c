// The liveness flags shared by audit, plan, apply and heal: how recent a point makes a file live, when the
// relays were switched, which other relay configs may still send, and how complete a --names list is.
import { Flags } from '@oclif/core';
import { nowSeconds, parseTime } from '../clock.js';
import { parseDuration } from '../units.js';

export const liveWindowFlag = Flags.custom<number>({
  helpValue: 'DURATION',
  description:
    'A file that received a point this recently is live (still written: never moved or deleted). [default: max(10m, 3 × its finest step)]',
  parse: async (input) => parseDuration(input, '--live-window'),
})();

export const switchedAtFlag = Flags.string({
  helpValue: 'TIME',
  description:
    'When the relays were switched to the new ring (unix seconds, ISO 8601, -2h, now-30m): a point after it makes a misplaced file live.',
});

/** The flags audit and plan share. */
export const auditLiveFlags = {
  'names-complete': Flags.boolean({
    description: 'The --names list holds every name the relays received (then a raw form it lacks is ruled out).',
    dependsOn: ['names'],
  }),
  // The old flag: a list is a sample by default now.
  'names-sample': Flags.boolean({
    description: 'The --names list is only a sample of the traffic (the default; kept for old scripts).',
    dependsOn: ['names'],
    hidden: true,
  }),
  'live-window': liveWindowFlag,
  'switched-at': switchedAtFlag,
  ring: Flags.string({
    helpValue: 'FILE',
    description:
      "A ring that may still send to this cluster: another relay's config file (repeatable). A live file it routes here names it.",
    multiple: true,
  }),
};

/** The liveness inputs of the audit/plan library calls, from the parsed flags. */
export function liveInputsFrom(flags: {
  'names-complete'?: boolean | undefined;
  'live-window'?: number | undefined;
  'switched-at'?: string | undefined;
  ring?: string[] | undefined;
}): { namesComplete?: boolean; liveWindow?: number; switchedAt?: number; senders?: string[] } {
  const out: { namesComplete?: boolean; liveWindow?: number; switchedAt?: number; senders?: string[] } = {};
  if (flags['names-complete'] === true) out.namesComplete = true;
  if (flags['live-window'] !== undefined) out.liveWindow = flags['live-window'];
  if (flags['switched-at'] !== undefined) out.switchedAt = parseTime(flags['switched-at'], nowSeconds(), '--switched-at');
  if (flags.ring !== undefined && flags.ring.length > 0) out.senders = flags.ring;
  return out;
}
