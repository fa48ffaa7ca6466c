// A small plan result, plain and phased, in the shapes `plan --json` and `plan --phased --json` print
// (runbook phases: name, what, files, bytes, seconds; readImpact: metrics, per phase per reader gaps and
// recent points missed, with samples), for the report's plan section tests.
import { PlanSummary, type SummaryView } from '../src/plan/summary.js';
import type { PlanPhaseJson, ReadImpactJson } from '../src/report/report-input.js';

const stamp = (size: number) => ({ size, mtimeMs: 1_700_000_000_000 });

export function plainPlanResult(): SummaryView {
  const summary = new PlanSummary();
  summary.addAction({
    type: 'action',
    id: 1,
    op: 'copy',
    metric: 'web01.cpu',
    path: 'web01/cpu.wsp',
    from: 'a',
    to: 'b',
    source: stamp(4096),
  });
  summary.addAction({
    type: 'action',
    id: 2,
    op: 'copy',
    metric: 'web02.cpu',
    path: 'web02/cpu.wsp',
    from: 'a',
    to: 'c',
    source: stamp(8192),
  });
  summary.addAction({
    type: 'action',
    id: 3,
    op: 'delete',
    metric: 'web01.cpu',
    path: 'web01/cpu.wsp',
    at: 'a',
    source: stamp(4096),
    after: [1],
  });
  return { summary, destinations: [], refused: [], maxFill: 0.9, throughput: 10 * 1024 * 1024, written: null, notes: [] };
}

const reader = (gaps: number, recent: number, sample: string[] = []) => ({
  gaps,
  recent,
  gapSample: gaps > 0 ? sample : [],
  recentSample: recent > 0 ? sample : [],
});

export function phasedPlanResult(): SummaryView & { runbook: { phases: PlanPhaseJson[] }; readImpact: ReadImpactJson } {
  return {
    ...plainPlanResult(),
    runbook: {
      phases: [
        {
          name: 'pre-copy',
          what: 'copy the files to their new owners while the relays still send to the old ones',
          files: 2,
          bytes: 12288,
          seconds: 1,
        },
        { name: 'switch', what: 'deploy the config edits', files: 3, bytes: 0, seconds: 0, detail: { configs: 3 } },
        { name: 'backfill', what: 'fill the window between pre-copy and switch', files: 2, bytes: 2048, seconds: 1 },
        { name: 'verify', what: 'check that every point the old holders have is at the owners', files: 2, bytes: 12288, seconds: 1 },
        { name: 'cleanup', what: 'delete the old copies', files: 1, bytes: 0, seconds: 0, detail: { freed: 4096 } },
      ],
    },
    readImpact: {
      metrics: 2,
      phases: [
        {
          phase: 'pre-copy',
          readers: { 'graphite-web-merge': reader(0, 0), 'graphite-web-no-merge': reader(0, 0), broadcast: reader(0, 0) },
        },
        {
          phase: 'switch',
          readers: {
            'graphite-web-merge': reader(0, 2, ['web<01>.cpu', 'web02.cpu']),
            'graphite-web-no-merge': reader(2, 2, ['web<01>.cpu', 'web02.cpu']),
            broadcast: reader(0, 0),
          },
        },
        {
          phase: 'backfill',
          readers: { 'graphite-web-merge': reader(0, 0), 'graphite-web-no-merge': reader(1, 0, ['web02.cpu']), broadcast: reader(0, 0) },
        },
        {
          phase: 'cleanup',
          readers: { 'graphite-web-merge': reader(0, 0), 'graphite-web-no-merge': reader(0, 0), broadcast: reader(0, 0) },
        },
      ],
    },
  };
}
