/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Headless Chromium for the report tests: Debian's /usr/bin/chromium driven by playwright-core (never a
// downloaded browser), a fresh profile per launch, every request the page makes recorded and every one
// but the page itself aborted, console errors and page errors collected. No chromium: the test fails
// and says which package to install.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  open(file: string, width: number): Promise<OpenedPage>;
  close(): Promise<void>;
}

export interface OpenedPage {
  page: Page;
  /** Requests other than the page's own file (each was aborted). */
  blocked: string[];
  /** console.error messages and uncaught page errors. */
  errors: string[];
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} not found: the report tests need Debian's chromium package (apt-get install -y chromium)`);
  const profile = mkdtempSync(join(tmpdir(), 'ringshift-chromium-'));
  const ctx: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  return {
    async open(file, width) {
      const url = pathToFileURL(file).href;
      const page = await ctx.newPage();
      await page.setViewportSize({ width, height: 900 });
      const blocked: string[] = [];
      const errors: string[] = [];
      page.on('request', (r) => {
        if (r.url() !== url) blocked.push(r.url());
      });
      await page.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(url, { waitUntil: 'load' });
      return { page, blocked, errors };
    },
    async close() {
      await ctx.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Every data table of the page: id, header texts, and per cell its text and data-* numbers. */
export interface PageTable {
  id: string;
  head: string[];
  rows: { text: string; value?: number; bytes?: number }[][];
}

export async function readTables(page: Page, scope = 'body'): Promise<Map<string, PageTable>> {
  const list = await page.$$eval(`${scope} table[data-table]`, (tables) =>
    tables.map((t) => ({
      id: t.getAttribute('data-table')!,
      head: [...t.querySelectorAll('thead th')].map((th) => th.textContent ?? ''),
      rows: [...(t as HTMLTableElement).tBodies[0]!.rows].map((tr) =>
        [...tr.cells].map((td) => {
          const cell: { text: string; value?: number; bytes?: number } = { text: (td.textContent ?? '').trim() };
          const v = td.getAttribute('data-value');
          const b = td.getAttribute('data-bytes');
          if (v !== null) cell.value = Number(JSON.parse(v));
          if (b !== null) cell.bytes = Number(JSON.parse(b));
          return cell;
        }),
      ),
    })),
  );
  return new Map(list.map((t) => [t.id, t]));
}

/** Layout at the page's width: nothing wider than the viewport, every chart inside its box and drawn. */
export async function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const vw = window.innerWidth;
    const sw = document.documentElement.scrollWidth;
    if (sw > vw) out.push(`page is ${sw}px wide in a ${vw}px viewport`);
    for (const svg of document.querySelectorAll('svg')) {
      const r = svg.getBoundingClientRect();
      const box = svg.parentElement!.getBoundingClientRect();
      const label = svg.getAttribute('aria-label') ?? svg.getAttribute('class') ?? 'svg';
      if (r.width < 40 || r.height < 40) out.push(`${label}: drawn ${r.width}×${r.height}`);
      if (r.right > vw + 0.5) out.push(`${label}: right edge ${r.right} past the viewport ${vw}`);
      if (r.width > box.width + 0.5) out.push(`${label}: ${r.width}px wide in a ${box.width}px box`);
      // Scales with its box: as wide as the box allows (up to the chart's own max-width).
      const vb = (svg as SVGSVGElement).viewBox.baseVal;
      if (r.width + 1 < Math.min(box.width, vb.width) * 0.5) out.push(`${label}: ${r.width}px in a ${box.width}px box`);
    }
    return out;
  });
}

/**
 * Does a cell's text say its data-value? Percentages to their decimals, bytes (formatBytes, 3 significant
 * digits), counts with separators, ratios, rates, durations, clock times (UTC), "#id".
 */
export function textSaysValue(text: string, v: number): boolean {
  const t = text.replace(/\u2212/g, '-').trim();
  let m: RegExpExecArray | null;
  if ((m = /^(-?[\d.]+) ?%$/.exec(t))) {
    const decimals = (m[1]!.split('.')[1] ?? '').length;
    return Math.abs(Number(m[1]) / 100 - v) <= 0.5 * 10 ** -(decimals + 2) + 1e-12;
  }
  if ((m = /^([\d.]+) (B|KiB|MiB|GiB|TiB|PiB)(\/s)?$/.exec(t))) {
    const scale = 1024 ** ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'].indexOf(m[2]!);
    const x = Number(m[1]) * scale;
    return m[2] === 'B' ? Math.abs(x - Math.round(v)) < 1 : Math.abs(x - v) <= 0.006 * v;
  }
  if (/^-?[\d,]+$/.test(t)) return Number(t.replace(/,/g, '')) === v;
  if (/^-?\d+\.\d+$/.test(t)) return Math.abs(Number(t) - v) <= 0.5 * 10 ** -t.split('.')[1]!.length + 1e-12;
  if ((m = /^#(\d+)$/.exec(t))) return Number(m[1]) === v;
  if (/^\d+[dhms]( \d+[hms])*$/.test(t)) return Math.abs(durationSeconds(t) - Math.ceil(v)) < (t.includes('d') ? 60 : 1);
  if (/^\d\d:\d\d:\d\d$/.test(t)) return new Date(v * 1000).toISOString().slice(11, 19) === t;
  if (t === '–') return v === 0;
  return false;
}

function durationSeconds(t: string): number {
  let s = 0;
  for (const m of t.matchAll(/(\d+)([dhms])/g)) s += Number(m[1]) * { d: 86400, h: 3600, m: 60, s: 1 }[m[2] as 'd' | 'h' | 'm' | 's'];
  return s;
}

/** Charts whose numbers have no table beside them: every svg must sit in a figure with a data table. */
export async function chartsWithoutTable(page: Page): Promise<string[]> {
  return page.$$eval('svg', (svgs) =>
    svgs
      .filter((svg) => svg.closest('figure')?.querySelector('table[data-table]') == null)
      .map((svg) => svg.getAttribute('aria-label') ?? svg.getAttribute('class') ?? 'svg'),
  );
}

/** The colours the charts paint (computed fill and stroke of their shapes), as #rrggbb, each once. */
export async function paintedColours(page: Page): Promise<string[]> {
  const list = await page.$$eval('svg :is(path, circle, rect, line, polyline, polygon)', (shapes) =>
    shapes.flatMap((s) => {
      const cs = getComputedStyle(s);
      return [cs.fill, cs.stroke];
    }),
  );
  const hex = new Set<string>();
  for (const c of list) {
    const m = /^rgba?\((\d+), (\d+), (\d+)(?:, ([\d.]+))?\)$/.exec(c);
    if (m === null || m[4] === '0') continue; // none / transparent
    hex.add('#' + [m[1], m[2], m[3]].map((x) => Number(x).toString(16).padStart(2, '0')).join(''));
  }
  return [...hex].sort();
}
