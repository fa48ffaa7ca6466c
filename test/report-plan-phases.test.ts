// The plan section's phases and read impact: drawn only when the planner gives them (a phased plan's
// runbook, `plan --json` readImpact), in the shape `plan --phased --json` prints; a plain plan's section
// has neither. The numbers against the DOM, in a real browser, are in report-browser.test.ts.
import { describe, expect, it } from 'vitest';
import { PlanSummary } from '../src/plan/summary.js';
import { planJson, planReportInput } from '../src/report/command-reports.js';
import { renderReport } from '../src/report/report-page.js';
import { phasedPlanResult, plainPlanResult } from './report-plan-fixture.js';

/** The data-value cells of table `id`, row by row. */
function tableValues(html: string, id: string): (string | number)[][] {
  const m = new RegExp(`<table class="data" data-table="${id}">([\\s\\S]*?)</table>`).exec(html);
  expect(m, `table ${id}`).not.toBeNull();
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(m![1]!)![1]!;
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((r) =>
    [...r[1]!.matchAll(/<td([^>]*)>([\s\S]*?)<\/td>/g)].map((c) => {
      const v = /data-value="([^"]+)"/.exec(c[1]!);
      return v !== null ? Number(v[1]) : c[2]!.replace(/<[^>]+>/g, '');
    }),
  );
}

describe('plan section: phases and read impact', () => {
  it('a plain plan: neither table, and the JSON has neither field', () => {
    const result = plainPlanResult();
    const json = planJson(result);
    expect(json.runbook).toBeUndefined();
    expect(json.readImpact).toBeUndefined();
    const html = renderReport(planReportInput(result, 'cluster.yaml'));
    expect(html).toContain('data-table="plan-pairs"');
    expect(html).not.toContain('data-table="plan-phases"');
    expect(html).not.toContain('data-table="plan-read-impact"');
  });

  it('a read impact that touches no metric is not drawn', () => {
    const result = { ...plainPlanResult(), readImpact: { metrics: 0, phases: [] } };
    expect(renderReport(planReportInput(result, 'c.yaml'))).not.toContain('data-table="plan-read-impact"');
  });

  it('a phased plan: a row per phase with files, bytes and time; gaps and missed recent points per reader', () => {
    const result = phasedPlanResult();
    const html = renderReport(planReportInput(result, 'cluster.yaml'));
    expect(tableValues(html, 'plan-phases')).toEqual(
      result.runbook.phases.map((p) => [
        p.name,
        p.what,
        p.files,
        p.bytes,
        p.seconds,
        ({ switch: 'configs 3', cleanup: 'freed 4.00 KiB' } as Record<string, string>)[p.name] ?? '',
      ]),
    );
    const readers = Object.keys(result.readImpact.phases[0]!.readers);
    expect(tableValues(html, 'plan-read-impact')).toEqual(
      result.readImpact.phases.map((p) => [p.phase, ...readers.flatMap((k) => [p.readers[k]!.gaps, p.readers[k]!.recent])]),
    );
    // Reader names in words; sample metric names escaped.
    expect(html).toContain('graphite-web, merge off (or &lt; 1.1): gaps');
    expect(html).toContain('<code>web&lt;01&gt;.cpu</code>');
    expect(html).not.toContain('web<01>');
  });

  it('keeps summaryJson as plan --json prints it', () => {
    const result = phasedPlanResult();
    const json = planJson(result);
    expect(json.actions).toEqual({ copy: 2, fill: 0, delete: 1, total: 3 });
    expect(json.runbook!.phases).toEqual(result.runbook.phases);
    expect(json.readImpact).toBe(result.readImpact);
    expect(result.summary).toBeInstanceOf(PlanSummary);
  });
});
