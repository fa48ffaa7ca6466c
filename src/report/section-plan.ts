// "The plan": what `ringshift plan` would do (or a plan file holds): actions and bytes, per location the
// disk now / at its peak (copies done, nothing deleted yet) / after the deletes against the filesystem
// size and the high-water mark, bytes per source → destination, the estimated time, every skip with its
// reason and fix, and — for a phased plan — each phase with its read impact. Numbers: `plan --json`.
import { barsSvg, type BarRow } from './svg-bars.js';
import { flowSvg } from './svg-flows.js';
import type { ColourKeys } from './palette.js';
import { bytes, count, dataTable, label, seconds, share, type CellSpec } from './data-table.js';
import { bytesText, countText, esc, jsonNumber, pctText, rateText, secondsText } from './html-text.js';
import type { PlanInput } from './report-input.js';
import { figure, keyFigures, section } from './section-frame.js';

export function planSection(p: PlanInput, colours: ColourKeys): string {
  const j = p.json;
  const status =
    j.refused.length > 0
      ? `<span class="bad">refused: ${esc(j.refused.join(', '))} would pass the high-water mark</span>`
      : j.written
        ? `written: <code>${esc(j.plan ?? '')}</code>`
        : 'dry run (nothing written)';
  const figs = [
    { label: 'copies', value: esc(countText(j.actions.copy)) },
    { label: 'fills', value: esc(countText(j.actions.fill)) },
    { label: 'deletes', value: esc(countText(j.actions.delete)) },
    { label: 'bytes to read', value: esc(bytesText(j.bytes)) },
    { label: `time at ${rateText(j.throughput)}`, value: esc(secondsText(j.seconds)) },
    { label: 'skipped files', value: esc(countText(j.skipped.files)) },
  ];
  const parts: string[] = [keyFigures(figs), `<p>${status}</p>`];

  if (j.destinations.length > 0) {
    const rows: BarRow[] = j.destinations.map((d) => {
      const f = d.filesystem;
      const c = colours.colour(d.id);
      return {
        label: d.id,
        key: colours.slot(d.id),
        bars: [
          {
            segments: [
              { value: f.now, colour: c, title: `${d.id}: ${pctText(f.now, 1)} used now` },
              {
                value: Math.max(0, f.peak - f.now),
                colour: c,
                hollow: true,
                title: `${d.id}: +${bytesText(f.growth)} at the peak (${pctText(f.peak, 1)})`,
              },
            ],
            caption: `peak ${pctText(f.peak, 1)}`,
          },
        ],
        markers: [
          { value: j.maxFill, kind: 'limit', title: `high-water mark ${pctText(j.maxFill, 0)}` },
          { value: f.after, kind: 'point', title: `after deletes ${pctText(f.after, 1)}` },
        ],
      };
    });
    const table = dataTable({
      id: 'plan-disk',
      caption: `disk per location (high-water mark ${pctText(j.maxFill, 0)})`,
      head: ['location', 'filesystem', 'now', 'peak', 'after', 'copies in', 'deletes free', 'shared with'],
      rows: j.destinations.map((d) => {
        const f = d.filesystem;
        const over = d.growth > 0 && f.peak > j.maxFill;
        return [
          label(d.id, colours.colour(d.id)),
          bytes(f.capacity),
          share(f.now, 2),
          { ...share(f.peak, 2), ...(over ? { cls: 'bad' } : {}) },
          share(f.after, 2),
          bytes(d.growth),
          bytes(d.freed),
          f.locations.length > 1 ? f.locations.filter((l) => l !== d.id).join(', ') : '',
        ];
      }),
      rowKeys: j.destinations.map((d) => colours.slot(d.id)),
    });
    parts.push(
      figure(
        'Disk per location: now (solid), growth to the peak (outline), after deletes (tick), high-water mark (red)',
        barsSvg({ title: 'filesystem fill per location', rows, max: 1, format: (v) => pctText(v, 0) }),
        table,
        'wide',
      ),
    );
  }
  if (j.pairs.length > 0) {
    parts.push(
      figure(
        'Bytes per source → destination',
        flowSvg({
          title: 'bytes per source → destination location',
          links: j.pairs.map((x) => ({ from: x.from, to: x.to, value: x.bytes })),
          node: (id) => ({ id, label: id, colour: colours.colour(id), key: colours.slot(id) }),
          format: bytesText,
        }),
        dataTable({
          id: 'plan-pairs',
          caption: 'actions and bytes per source → destination',
          head: ['from', 'to', 'copies', 'fills', 'bytes', 'time'],
          rows: j.pairs.map((x) => [
            label(x.from, colours.colour(x.from)),
            label(x.to),
            count(x.copies),
            count(x.fills),
            bytes(x.bytes),
            seconds(x.bytes / j.throughput),
          ]),
        }),
      ),
    );
  }
  if (j.deletes.length > 0)
    parts.push(
      dataTable({
        id: 'plan-deletes',
        caption: 'deletes per location (after every owner holds a verified copy)',
        head: ['location', 'files', 'bytes'],
        rows: j.deletes.map((d) => [label(d.at, colours.colour(d.at)), count(d.files), bytes(d.bytes)]),
        filter: false,
      }),
    );
  if (j.phases !== undefined && j.phases.length > 0) parts.push(phasesPart(j.phases));
  const reasons = Object.entries(j.skipped.byReason).sort((a, b) => b[1].files - a[1].files);
  if (reasons.length > 0) {
    parts.push(
      `<h3>Left alone</h3>` +
        dataTable({
          id: 'plan-skips',
          caption: 'skipped files per reason',
          head: ['reason', 'files'],
          rows: reasons.map(([r, x]) => [r, count(x.files)]),
          filter: false,
        }) +
        reasons
          .map(
            ([r, x]) =>
              `<details><summary>${esc(r)}: ${esc(countText(x.files))} ${x.files === 1 ? 'file' : 'files'}${x.items.length < x.files ? `, the first ${x.items.length}` : ''}</summary><ul class="examples">${x.items
                .map(
                  (k) =>
                    `<li><code>${esc(k.path)}</code> at <b>${esc(k.at)}</b>: ${esc(k.reason)}${k.fix !== undefined ? `<br><span class="fix">fix: ${esc(k.fix)}</span>` : ''}</li>`,
                )
                .join('')}</ul></details>`,
          )
          .join(''),
    );
  }
  if (j.notes.length > 0) parts.push(`<ul class="notes">${j.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`);
  return section('plan', 'The plan', esc(p.source), parts.join(''));
}

/**
 * A phased plan's phases as given (issue 11 adds them): one row per phase, a column per scalar field,
 * nested objects (the read impact) flattened one level as "field.key".
 */
export function phasesPart(phases: readonly Record<string, unknown>[]): string {
  const cols: string[] = [];
  const flat = phases.map((ph) => {
    const row: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(ph)) {
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        for (const [k2, v2] of Object.entries(v as Record<string, unknown>)) if (isScalar(v2)) row[`${k}.${k2}`] = v2;
      } else if (isScalar(v)) row[k] = v;
    }
    for (const k of Object.keys(row)) if (!cols.includes(k)) cols.push(k);
    return row;
  });
  const rows = flat.map((r) =>
    cols.map((c): CellSpec => {
      const v = r[c];
      if (typeof v === 'number')
        return {
          text: /bytes/i.test(c) ? bytesText(v) : /seconds/i.test(c) ? secondsText(v) : Number.isInteger(v) ? countText(v) : jsonNumber(v),
          value: v,
        };
      return v === undefined ? '' : String(v);
    }),
  );
  return (
    `<h3>Phases</h3>` +
    dataTable({ id: 'plan-phases', caption: 'actions, bytes, time and read impact per phase', head: cols, rows, filter: false })
  );
}

function isScalar(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}
