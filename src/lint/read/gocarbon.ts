// go-carbon and carbonapi, read only as far as the consistency rules need them (the config parsers do not
// cover these formats): go-carbon's data directory, listeners and self-metrics prefix; carbonapi's backends.
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { splitLines } from '../../config/ini.js';
import type { LintContext } from '../context.js';
import { rule as configUnparseable } from '../rules/config-unparseable.js';
import type { CarbonApi, GoCarbon, LintFile, PortSetting } from '../model.js';
import { serverHost } from './webapp.js';

type Table = Record<string, unknown>;

/** Line of `key =` inside `[section]` of a TOML text (null when absent). */
export function tomlKeyLine(text: string, section: string | null, key: string): number | null {
  const lines = splitLines(text);
  let cur: string | null = null;
  const keyRe = new RegExp(`^\\s*["']?${key.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}["']?\\s*=`);
  for (let i = 0; i < lines.length; i++) {
    const h = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$/.exec(lines[i]!);
    if (h) {
      cur = h[1]!;
      continue;
    }
    if (cur === section && keyRe.test(lines[i]!)) return i + 1;
  }
  return null;
}

function table(v: unknown): Table | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Table) : undefined;
}

function listenPort(file: string, text: string, t: Table | undefined, section: string): PortSetting | undefined {
  if (t === undefined || t['enabled'] === false) return undefined;
  const listen = t['listen'];
  if (typeof listen !== 'string') return undefined;
  const m = /:([0-9]+)$/.exec(listen);
  return { value: m ? Number(m[1]) : null, where: { file, line: tomlKeyLine(text, section, 'listen') }, text: listen };
}

export function readGoCarbon(ctx: LintContext, f: LintFile): void {
  let doc: Table;
  try {
    doc = parseToml(f.text) as Table;
  } catch (e) {
    const err = e as Error & { line?: number };
    configUnparseable.report(ctx, {
      file: f.path,
      line: typeof err.line === 'number' ? err.line : null,
      message: configUnparseable.msg('goCarbon', { reason: err.message.split('\n')[0] ?? '' }),
      fix: configUnparseable.msg('fixToml'),
    });
    return;
  }
  const g: GoCarbon = { file: f.path };
  const whisper = table(doc['whisper']);
  if (whisper !== undefined && typeof whisper['data-dir'] === 'string') {
    g.dataDir = { path: whisper['data-dir'], where: { file: f.path, line: tomlKeyLine(f.text, 'whisper', 'data-dir') } };
  }
  const tcp = listenPort(f.path, f.text, table(doc['tcp']), 'tcp');
  if (tcp) g.tcp = tcp;
  const pickle = listenPort(f.path, f.text, table(doc['pickle']), 'pickle');
  if (pickle) g.pickle = pickle;
  const cl = listenPort(f.path, f.text, table(doc['carbonlink']), 'carbonlink');
  if (cl) g.carbonlink = cl;
  const cs = listenPort(f.path, f.text, table(doc['carbonserver']), 'carbonserver');
  if (cs) g.carbonserver = cs;
  const common = table(doc['common']);
  if (common !== undefined && typeof common['graph-prefix'] === 'string') {
    g.graphPrefix = { value: common['graph-prefix'], where: { file: f.path, line: tomlKeyLine(f.text, 'common', 'graph-prefix') } };
  }
  const tags = table(doc['tags']);
  if (tags !== undefined && typeof tags['enabled'] === 'boolean') {
    g.tagsEnabled = { value: tags['enabled'], where: { file: f.path, line: tomlKeyLine(f.text, 'tags', 'enabled') } };
  }
  ctx.goCarbons.push(g);
}

/** carbonapi: upstreams.backends and upstreams.backendsv2.backends[].servers, YAML or TOML. */
export function readCarbonApi(ctx: LintContext, f: LintFile): void {
  let doc: Table | undefined;
  try {
    doc = table(/\.toml$/i.test(f.path) || /^\s*\[upstreams\]/m.test(f.text) ? parseToml(f.text) : parseYaml(f.text));
  } catch (e) {
    const err = e as Error & { line?: number; linePos?: { line: number }[] };
    configUnparseable.report(ctx, {
      file: f.path,
      line: err.linePos?.[0]?.line ?? (typeof err.line === 'number' ? err.line : null),
      message: configUnparseable.msg('carbonapi', { reason: err.message.split('\n')[0] ?? '' }),
      fix: configUnparseable.msg('fixSyntax'),
    });
    return;
  }
  const up = table(doc?.['upstreams']);
  const urls: string[] = [];
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  if (up !== undefined) {
    urls.push(...strings(up['backends']));
    const v2 = table(up['backendsv2']);
    const list = v2?.['backends'];
    if (Array.isArray(list)) for (const b of list) urls.push(...strings(table(b)?.['servers']));
  }
  const lines = splitLines(f.text);
  const api: CarbonApi = {
    file: f.path,
    backends: urls.flatMap((text) => {
      const host = serverHost(text);
      if (host === undefined) return [];
      const i = lines.findIndex((l) => l.includes(text) && !/^\s*#/.test(l));
      return [{ text, host, line: i < 0 ? null : i + 1 }];
    }),
  };
  ctx.carbonapis.push(api);
}
