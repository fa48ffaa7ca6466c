// The metric filter flags of the cluster commands (scan, audit, plan and the toolbox): one spelling
// and one meaning everywhere (src/cli/flag-grammar.ts: --match, --regex, --metrics), parsed into a
// MetricFilter (src/storage/metric-filter.ts).
import { Flags } from '@oclif/core';
import { MetricFilter } from '../storage/metric-filter.js';

export const metricFilterFlags = {
  match: Flags.string({
    helpValue: 'GLOB',
    multiple: true,
    description:
      'Only metrics matching this Graphite glob, as graphite-web matches it: * ? [0-9] {a,b} per component, ** across components (repeatable: any of them).',
    helpGroup: 'FILTER',
  }),
  regex: Flags.string({
    helpValue: 'RE',
    multiple: true,
    description:
      'Only metrics whose name matches this regular expression (JavaScript syntax, searched anywhere in the name; repeatable: any of them).',
    helpGroup: 'FILTER',
  }),
  metrics: Flags.string({
    helpValue: 'FILE',
    description: 'Only the metrics listed in FILE, one name a line ("-" = stdin).',
    helpGroup: 'FILTER',
  }),
};

/** The filter the flags give (different flags narrow each other), or null when none was given. */
export function metricFilterFrom(flags: {
  match?: string[] | undefined;
  regex?: string[] | undefined;
  metrics?: string | undefined;
}): Promise<MetricFilter | null> {
  return MetricFilter.fromSpec({ match: flags.match, regex: flags.regex, metrics: flags.metrics });
}
