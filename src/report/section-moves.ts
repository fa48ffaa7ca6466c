// "What moves": the primary flows between members (ring diff) in keyspace share and, with names, in
// metrics; the plan's bytes per source → destination location; each node's share before and after.
// Flows are drawn as a two-column Sankey-like diagram; every number is in the tables (`ring diff --json`,
// `plan --json` pairs).
import { barsSvg } from './svg-bars.js';
import { flowSvg, type FlowNode } from './svg-flows.js';
import type { ColourKeys } from './palette.js';
import { bytes, count, dataTable, label, share, type CellSpec } from './data-table.js';
import { bytesText, countText, esc, pctText } from './html-text.js';
import type { MovesInput, NodeShareJson } from './report-input.js';
import { figure, keyFigures, section } from './section-frame.js';

/** Rows of a flow table beyond this are left to the NDJSON. */
export const MAX_FLOW_ROWS = 400;
const NO_OWNER = '(no owner)';

export function movesSection(m: MovesInput, colours: ColourKeys): string {
  const d = m.diff;
  const node = (id: string): FlowNode => ({
    id,
    label: id,
    colour: id === NO_OWNER ? '#888888' : colours.colour(id),
    key: colours.slot(id),
  });
  const figs = [
    {
      label: 'owner list changes',
      value: esc(pctText(d.keyspace.ownersChanged)),
      title: 'share of the keyspace whose owners (any, in order) change',
    },
    { label: 'primary changes', value: esc(pctText(d.keyspace.primaryChanged)) },
  ];
  if (d.keyspace.ownerSetChanged !== d.keyspace.ownersChanged)
    figs.push({ label: 'owner set changes', value: esc(pctText(d.keyspace.ownerSetChanged)) });
  if (d.metrics)
    figs.push({
      label: 'metrics whose owners change',
      value: esc(`${countText(d.metrics.ownersChanged)} of ${countText(d.metrics.total)}`),
    });
  if (m.bytes) figs.push({ label: 'bytes to copy and fill', value: esc(bytesText(m.bytes.reduce((s, p) => s + p.bytes, 0))) });

  const parts: string[] = [keyFigures(figs)];
  const flowRows = (flows: { from: string | null; to: string | null; amount: number }[], cell: (x: number) => CellSpec): CellSpec[][] =>
    flows
      .slice(0, MAX_FLOW_ROWS)
      .map((f) => [label(f.from ?? NO_OWNER, node(f.from ?? NO_OWNER).colour), label(f.to ?? NO_OWNER), cell(f.amount)]);
  const keyspaceFlows = d.flows.map((f) => ({ from: f.from, to: f.to, amount: f.share }));
  parts.push(
    figure(
      'Primary flows, share of the keyspace',
      flowSvg({
        title: 'primary flows between members, share of the keyspace',
        links: keyspaceFlows.map((f) => ({ from: f.from ?? NO_OWNER, to: f.to ?? NO_OWNER, value: f.amount })),
        node,
        format: (x) => pctText(x, 2),
      }),
      dataTable({
        id: 'flows-keyspace',
        caption: 'primary flows (share of the keyspace)',
        head: ['from', 'to', 'share'],
        rows: flowRows(keyspaceFlows, (x) => share(x)),
        ...more(d.flows.length),
      }),
    ),
  );
  if (d.metrics) {
    const mf = d.metrics.flows.map((f) => ({ from: f.from, to: f.to, amount: f.count }));
    parts.push(
      figure(
        `Primary flows, metrics${m.metricsSource ? ` (${m.metricsSource})` : ''}`,
        flowSvg({
          title: 'primary flows between members, metrics',
          links: mf.map((f) => ({ from: f.from ?? NO_OWNER, to: f.to ?? NO_OWNER, value: f.amount })),
          node,
          format: countText,
        }),
        dataTable({
          id: 'flows-metrics',
          caption: 'primary flows (metrics)',
          head: ['from', 'to', 'metrics'],
          rows: flowRows(mf, count),
          ...more(mf.length),
        }),
      ),
    );
  }
  if (m.bytes) {
    const pairs = m.bytes;
    parts.push(
      figure(
        'Bytes per source → destination location (the plan)',
        flowSvg({
          title: 'bytes to copy and fill per location pair',
          links: pairs.map((p) => ({ from: p.from, to: p.to, value: p.bytes })),
          node,
          format: bytesText,
        }),
        dataTable({
          id: 'flows-bytes',
          caption: 'bytes per source → destination (copies and fills)',
          head: ['from', 'to', 'copies', 'fills', 'bytes'],
          rows: pairs
            .slice(0, MAX_FLOW_ROWS)
            .map((p) => [label(p.from, colours.colour(p.from)), label(p.to), count(p.copies), count(p.fills), bytes(p.bytes)]),
          ...more(pairs.length),
        }),
      ),
    );
  }
  parts.push(
    beforeAfter(
      'members-keyspace',
      'Each node before and after, share of the keyspace',
      d.members,
      colours,
      (x) => share(x),
      (x) => pctText(x, 1),
      true,
    ),
  );
  if (d.metrics)
    parts.push(beforeAfter('members-metrics', 'Each node before and after, metrics', d.metrics.members, colours, count, countText, false));
  const notes: string[] = [esc(`Nodes ${d.match.reason}.`)];
  if (d.onlyFrom.length > 0) notes.push(esc(`Only in the old ring: ${d.onlyFrom.join(', ')}.`));
  if (d.onlyTo.length > 0) notes.push(esc(`Only in the new ring: ${d.onlyTo.join(', ')}.`));
  if (d.caveat !== undefined) notes.push(esc(`Note: ${d.caveat}.`));
  if (d.metrics && d.metrics.dropped.from + d.metrics.dropped.to > 0)
    notes.push(esc(`Dropped by the relay: ${d.metrics.dropped.from} before, ${d.metrics.dropped.to} after.`));
  parts.push(`<p class="note">${notes.join(' ')}</p>`);
  const lead =
    d.method === 'positions'
      ? `Exact: all ${countText(d.positions ?? 0)} positions compared (${esc(d.positionFn ?? '')}).`
      : `Estimated over ${countText(d.sample ?? 0)} sampled keys (standard error ≤ ${esc(pctText(d.standardError ?? 0))}).`;
  return section('moves', 'What moves', lead, parts.join(''));
}

function more(n: number): { note?: string } {
  return n > MAX_FLOW_ROWS ? { note: `… ${n - MAX_FLOW_ROWS} more flows (--json lists all)` } : {};
}

function beforeAfter(
  id: string,
  caption: string,
  nodes: readonly NodeShareJson[],
  colours: ColourKeys,
  cell: (x: number) => CellSpec,
  fmt: (x: number) => string,
  isShare: boolean,
): string {
  const slotOf = (n: NodeShareJson): number => colours.slot(n.to[0] ?? n.from[0] ?? n.node, n.node);
  const chart = barsSvg({
    title: caption,
    format: fmt,
    rows: nodes.map((n) => {
      const c = colours.colour(n.to[0] ?? n.from[0] ?? n.node);
      return {
        label: n.node,
        key: slotOf(n),
        bars: [
          {
            segments: [{ value: n.primaryBefore, colour: c, hollow: true, title: `${n.node} primary before: ${fmt(n.primaryBefore)}` }],
            caption: 'before',
          },
          { segments: [{ value: n.primaryAfter, colour: c, title: `${n.node} primary after: ${fmt(n.primaryAfter)}` }], caption: 'after' },
        ],
      };
    }),
  });
  const head = isShare
    ? ['node', 'primary before', 'after', 'any before', 'any after']
    : ['node', 'names before', 'after', 'any before', 'any after'];
  const table = dataTable({
    id,
    caption,
    head,
    rows: nodes.map((n) => [
      label(n.node, colours.colour(n.to[0] ?? n.from[0] ?? n.node)),
      cell(n.primaryBefore),
      cell(n.primaryAfter),
      cell(n.anyBefore),
      cell(n.anyAfter),
    ]),
    rowKeys: nodes.map(slotOf),
  });
  return figure(caption, chart, table);
}
