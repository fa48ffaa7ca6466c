// "The rings": a wheel per ring (each member's arcs of the keyspace in its colour; primary outside,
// replicas inside), old and new side by side with the moved arcs marked, and each ring's shares and
// imbalance (`ring show --json`) in the table beside it.
import type { ColourKeys } from './palette.js';
import { MOVED_COLOUR } from './palette.js';
import { dataTable, label, ratio, share, type CellSpec } from './data-table.js';
import { esc, pctText } from './html-text.js';
import type { RingPanel, RingsInput } from './report-input.js';
import { figure, keyFigures, section } from './section-frame.js';
import { wheelSvg } from './svg-wheel.js';

export function ringsSection(r: RingsInput, colours: ColourKeys): string {
  const panels: string[] = [];
  if (r.before) panels.push(panel(r.before, 'before', colours, r.moved));
  panels.push(panel(r.after, r.before ? 'after' : 'ring', colours, r.moved));
  const figs: { label: string; value: string }[] = [];
  if (r.moved) figs.push({ label: 'primary owner changes', value: esc(pctText(r.moved.share)) });
  if (r.before) figs.push({ label: 'imbalance before (max/mean)', value: esc(r.before.show.imbalance.maxOverMean.toFixed(3)) });
  figs.push({
    label: r.before ? 'imbalance after (max/mean)' : 'imbalance (max/mean)',
    value: esc(r.after.show.imbalance.maxOverMean.toFixed(3)),
  });
  const lead =
    'Each member owns arcs of the keyspace (all routing-key hashes). The outer band of a wheel is the primary owner, the inner bands the replicas' +
    (r.moved ? '; the thin black band outside marks positions whose primary owner changes.' : '.');
  return section('rings', 'The rings', esc(lead), keyFigures(figs) + `<div class="panels">${panels.join('')}</div>`);
}

function panel(p: RingPanel, which: string, colours: ColourKeys, moved: RingsInput['moved']): string {
  const s = p.show;
  const rf = s.ring.replication > 1;
  const members = p.ids.map((id, i) => {
    const m = s.members[i]!;
    const slot = colours.slot(id);
    const detail = `primary ${pctText(m.share)}${m.anyShare !== undefined ? `, any replica ${pctText(m.anyShare)}` : ''}`;
    return { label: id, colour: colours.colour(id), key: slot, detail };
  });
  const exactText =
    s.method === 'positions'
      ? `exact: all ${s.positions} positions (${s.positionFn})`
      : s.method === 'jump'
        ? 'exact: jump hash gives each member 1/n'
        : `estimated over ${s.sample} sampled keys (standard error ≤ ${pctText(s.standardError ?? 0)})`;
  const wheel = wheelSvg({
    size: p.wheel.size,
    bands: p.wheel.bands,
    members,
    ...(moved && p.wheel.positional ? { moved, movedColour: MOVED_COLOUR } : {}),
    title: `${p.title}: ${p.description}`,
    centre: [p.title, `${s.members.length} members`, rf ? `replication ${s.ring.replication}` : 'no replication'],
  });
  const head = ['member', rf ? 'primary' : 'share'];
  if (rf) head.push('any replica');
  const rows: CellSpec[][] = s.members.map((m, i) => {
    const id = p.ids[i]!;
    const row: CellSpec[] = [label(id, colours.colour(id)), share(m.share)];
    if (rf) row.push(share(m.anyShare ?? 0));
    return row;
  });
  const im = s.imbalance;
  const a = s.anyImbalance;
  const imRows: CellSpec[][] = [
    ['min', share(im.min), ...(a ? [share(a.min)] : [])],
    ['max', share(im.max), ...(a ? [share(a.max)] : [])],
    ['mean', share(im.mean), ...(a ? [share(a.mean)] : [])],
    ['max/mean', ratio(im.maxOverMean), ...(a ? [ratio(a.maxOverMean)] : [])],
  ];
  const tables =
    dataTable({
      id: `ring-${which}`,
      caption: `${p.title}: shares of the keyspace`,
      head,
      rows,
      rowKeys: p.ids.map((id) => colours.slot(id)),
    }) +
    dataTable({
      id: `ring-${which}-imbalance`,
      caption: `${p.title}: imbalance`,
      head: ['imbalance', rf ? 'primary' : 'share', ...(a ? ['any replica'] : [])],
      rows: imRows,
    }) +
    `<p class="note">${esc(p.description)}; ${esc(exactText)}${p.wheel.positional ? '' : '; positions cannot be enumerated for this hash, so the arcs are drawn contiguous, sized by share'}.</p>`;
  return figure(`${p.title}`, wheel, tables, 'panel');
}
