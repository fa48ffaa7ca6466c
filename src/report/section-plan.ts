// "The plan": what `ringshift plan` would do (or a plan file holds): actions and bytes, per location the
// disk now / at its peak (copies done, nothing deleted yet) / after the deletes against the filesystem
// size and the high-water mark, bytes per source → destination, the estimated time, every skip with its
// reason and fix, and — for a phased plan — each phase, and what the graphs' readers see per phase. Numbers: `plan --json`.
import { barsSvg, type BarRow } from './svg-bars.js';
import { flowSvg } from './svg-flows.js';
import type { ColourKeys } from './palette.js';
import { bytes, count, dataTable, label, seconds, share, type CellSpec } from './data-table.js';
import { bytesText, countText, esc, pctText, rateText, secondsText } from './html-text.js';
import type { PlanInput, PlanPhaseJson, ReadImpactJson } from './report-input.js';
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
  if (j.runbook !== undefined && j.runbook.phases.length > 0) parts.push(phasesPart(j.runbook.phases));
  if (j.readImpact !== undefined && j.readImpact.metrics > 0) parts.push(readImpactPart(j.readImpact));
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

/** Reader keys of `plan --json` readImpact, in words. */
const READER_WORDS: Record<string, string> = {
  'graphite-web-merge': 'graphite-web ≥ 1.1, merge on',
  'graphite-web-no-merge': 'graphite-web, merge off (or < 1.1)',
  broadcast: 'carbonapi / go-carbon',
};

/** A phased plan: each phase with what it does, the files and bytes it reads and its estimated time. */
export function phasesPart(phases: readonly PlanPhaseJson[]): string {
  return (
    `<h3>Phases</h3>` +
    dataTable({
      id: 'plan-phases',
      caption: 'files, bytes read and estimated time per phase',
      head: ['phase', 'what', 'files', 'bytes', 'time', 'also'],
      rows: phases.map((ph) => [
        label(ph.name),
        ph.what ?? '',
        count(ph.files),
        bytes(ph.bytes),
        seconds(ph.seconds),
        Object.entries(ph.detail ?? {})
          .map(([k, v]) => `${k} ${/freed|bytes/.test(k) ? bytesText(v) : countText(v)}`)
          .join(', '),
      ]),
      filter: false,
    })
  );
}

/**
 * The read impact: per phase, for each reader, how many of the metrics the plan touches show a gap in
 * their graphs or miss their newest points, with a few of them named.
 */
export function readImpactPart(r: ReadImpactJson): string {
  const readers: string[] = [];
  for (const ph of r.phases) for (const k of Object.keys(ph.readers)) if (!readers.includes(k)) readers.push(k);
  const head = ['phase', ...readers.flatMap((k) => [`${READER_WORDS[k] ?? k}: gaps`, 'recent missed'])];
  const rows = r.phases.map((ph): CellSpec[] => [
    label(ph.phase),
    ...readers.flatMap((k): CellSpec[] => {
      const x = ph.readers[k];
      return x === undefined ? ['', ''] : [count(x.gaps), count(x.recent)];
    }),
  ]);
  const samples = r.phases.flatMap((ph) =>
    Object.entries(ph.readers).flatMap(([k, x]) =>
      [
        ['gaps', x.gapSample],
        ['recent points missed', x.recentSample],
      ]
        .filter((e): e is [string, string[]] => e[1] !== undefined && e[1].length > 0)
        .map(
          ([what, list]) =>
            `<li>${esc(ph.phase)}, ${esc(READER_WORDS[k] ?? k)}, ${what}: ${list.map((m) => `<code>${esc(m)}</code>`).join(', ')}</li>`,
        ),
    ),
  );
  return (
    `<h3>Read impact</h3><p>Of the ${esc(countText(r.metrics))} metrics the plan touches, the graphs that show a gap (part of the history on no location the reader combines) or miss their newest points, at the end of each phase.</p>` +
    dataTable({
      id: 'plan-read-impact',
      caption: 'metrics with a gap or missed recent points, per phase and reader',
      head,
      rows,
      filter: false,
    }) +
    (samples.length > 0 ? `<details><summary>examples</summary><ul class="examples">${samples.join('')}</ul></details>` : '')
  );
}
