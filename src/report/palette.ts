// Colours that colour-blind readers can tell apart: Okabe & Ito's eight (2008) without black, then Paul
// Tol's "muted" scheme, for members and locations; fixed, meaningful colours for file classes and
// action states. Beyond 16 members colours repeat; hovering and the tables beside every chart name each
// member, so no reading depends on telling two colours apart.

/** Okabe–Ito (orange, sky blue, bluish green, yellow, blue, vermillion, reddish purple) + Tol muted. */
export const SERIES_COLOURS = [
  '#E69F00',
  '#56B4E9',
  '#009E73',
  '#F0E442',
  '#0072B2',
  '#D55E00',
  '#CC79A7',
  '#332288',
  '#88CCEE',
  '#44AA99',
  '#117733',
  '#999933',
  '#DDCC77',
  '#CC6677',
  '#882255',
  '#AA4499',
] as const;

/** Marks what moved (arcs whose primary owner changed). */
export const MOVED_COLOUR = '#000000';
export const NEUTRAL_COLOUR = '#BBBBBB';

/**
 * Audit rows (src/audit ROWS), in the order the audit prints them. Chosen so that every two of them stay
 * apart (CIELAB ΔE ≥ 12) for protan, deutan and tritan viewers too (test/report-svg.test.ts simulates them).
 */
export const CLASS_COLOURS: Record<string, string> = {
  ok: '#009E73',
  'misplaced:old-ring': '#E69F00',
  'misplaced:double-dot-confirmed': '#D55E00',
  'misplaced:double-dot-suspected': '#CC79A7',
  'misplaced:cleansing': '#56B4E9',
  'misplaced:unexplained': '#882255',
  'extra-copy': '#DDCC77',
  'missing-replica': '#0072B2',
  'self-metric': '#BBBBBB',
  'trailing-dot': '#117733',
  'tagged-hashed': '#332288',
  malformed: '#661100',
  symlink: '#DDDDDD',
  unreadable: '#000000',
};

/** Action states in the progress section. */
export const STATE_COLOURS = { done: '#009E73', failed: '#D55E00', waiting: '#E69F00', left: '#BBBBBB' } as const;

/**
 * One colour slot per member/node/location, shared by every chart of a report: a node keeps its colour
 * in the old and the new ring, in the flows and in the plan. Aliases (member id, node label, location
 * id) map to the slot of the thing they name.
 */
export class ColourKeys {
  private readonly slots = new Map<string, number>();
  private next = 0;

  /** The slot of `name`, registering it (and its aliases) on first sight. */
  slot(name: string, ...aliases: string[]): number {
    let s = this.slots.get(name);
    for (const a of aliases) s ??= this.slots.get(a);
    if (s === undefined) s = this.next++;
    this.slots.set(name, s);
    for (const a of aliases) if (!this.slots.has(a)) this.slots.set(a, s);
    return s;
  }

  /** The slot of a known name, or undefined. */
  find(name: string): number | undefined {
    return this.slots.get(name);
  }

  colour(name: string): string {
    return colourOfSlot(this.slot(name));
  }

  toJson(): Record<string, number> {
    return Object.fromEntries(this.slots);
  }

  static fromJson(map: Record<string, number> | undefined): ColourKeys {
    const k = new ColourKeys();
    for (const [name, s] of Object.entries(map ?? {})) {
      k.slots.set(name, s);
      k.next = Math.max(k.next, s + 1);
    }
    return k;
  }
}

export function colourOfSlot(slot: number): string {
  return SERIES_COLOURS[slot % SERIES_COLOURS.length]!;
}
