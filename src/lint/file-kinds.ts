// Which files a lint run reads, and what each one is. Names decide first (carbon.conf, local_settings.py,
// relay-rules.conf, …); content decides for everything else, by the statements only that format has.
import { readFile, stat } from 'node:fs/promises';
import { basename, isAbsolute, relative, resolve, sep } from 'node:path';
import fg from 'fast-glob';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { UsageError } from '../errors.js';
import { detectFormat, type DetectedFormat } from '../config/detect.js';
import type { FileKind, LintFile } from './lint-model.js';

/** Files larger than this are not configs (whisper files, logs); they are skipped. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

const IGNORED_DIRS = ['**/node_modules/**', '**/.git/**', '**/dist/**', '**/*.wsp'];

export interface Collected {
  files: LintFile[];
  /** Files seen while walking directories that are not configs ringshift reads (for --explain). */
  skipped: { path: string; display: string; reason: string }[];
  /** Explicitly named files that are not recognised. */
  unrecognized: { path: string; display: string; reason: string }[];
}

export function displayPath(abs: string, cwd: string): string {
  const rel = relative(cwd, abs);
  if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)) return rel.split(sep).join('/');
  return abs;
}

/** Walk PATHs (files or directories) and classify every file. A missing PATH is a usage error. */
export async function collectFiles(paths: readonly string[], cwd: string): Promise<Collected> {
  const out: Collected = { files: [], skipped: [], unrecognized: [] };
  const seen = new Set<string>();
  const dirs: string[] = [];
  // Named files first: a file named on the command line is explicit even when a directory holds it too.
  for (const p of paths) {
    const abs = resolve(cwd, p);
    let st;
    try {
      st = await stat(abs);
    } catch {
      throw new UsageError(`no such file or directory: ${p}`);
    }
    if (st.isDirectory()) dirs.push(abs);
    else await addFile(abs, true, cwd, out, seen);
  }
  for (const abs of dirs) {
    const found = await fg('**/*', {
      cwd: abs,
      absolute: true,
      onlyFiles: true,
      dot: false,
      ignore: IGNORED_DIRS,
      followSymbolicLinks: true,
    });
    found.sort();
    for (const f of found) await addFile(resolve(f), false, cwd, out, seen);
  }
  out.files.sort((a, b) => a.path.localeCompare(b.path));
  return out;
}

async function addFile(abs: string, explicit: boolean, cwd: string, out: Collected, seen: Set<string>): Promise<void> {
  if (seen.has(abs)) return;
  seen.add(abs);
  const display = displayPath(abs, cwd);
  const st = await stat(abs);
  if (st.size > MAX_CONFIG_BYTES) {
    (explicit ? out.unrecognized : out.skipped).push({ path: abs, display, reason: `larger than ${MAX_CONFIG_BYTES} bytes` });
    return;
  }
  const buf = await readFile(abs);
  if (buf.includes(0)) {
    (explicit ? out.unrecognized : out.skipped).push({ path: abs, display, reason: 'binary file' });
    return;
  }
  const text = buf.toString('utf8');
  if (/\.ya?ml$/i.test(abs) && /^kind:\s*ConfigMap\s*$/m.test(text)) {
    const inner = configMapFiles(abs, display, text, explicit);
    if (inner.length > 0) {
      out.files.push(...inner);
      return;
    }
  }
  const kind = detectKind(abs, text, explicit);
  if (kind === null) {
    (explicit ? out.unrecognized : out.skipped).push({
      path: abs,
      display,
      reason: 'not a carbon, graphite-web, relay, carbonate, go-carbon, carbonapi, buckyd or ringshift config',
    });
    return;
  }
  out.files.push({ path: abs, display, kind: kind.kind, text, why: kind.why, explicit });
}

/** Extensions of files that are never configs (outputs, docs, data). */
const NOT_CONFIG = /\.(md|rst|out|tst|dbg|log|wsp|json|png|svg|html|gz|tgz|zip)$/i;

const FROM_DETECTED: Partial<Record<DetectedFormat, FileKind>> = {
  carbon: 'carbon-conf',
  'graphite-web': 'local-settings',
  'carbon-c-relay': 'crelay',
  carbonate: 'carbonate',
  cluster: 'cluster-file',
  bucky: 'buckyd',
  'relay-rules': 'relay-rules',
  'aggregation-rules': 'aggregation-rules',
  'carbon-relay-ng': 'relayng',
  'go-carbon': 'go-carbon',
};

/** The kind of a config file, or null when it is none ringshift reads. */
export function detectKind(path: string, text: string, explicit = true): { kind: FileKind; why: string } | null {
  const name = basename(path).toLowerCase();
  const byName = (k: FileKind) => ({ kind: k, why: `file name ${basename(path)}` });
  const byContent = (k: FileKind, what: string) => ({ kind: k, why: `content: ${what}` });

  if (/^relay-rules\.conf/.test(name)) return byName('relay-rules');
  if (/^aggregation-rules\.conf/.test(name)) return byName('aggregation-rules');
  if (/^rewrite-rules\.conf/.test(name)) return byName('rewrite-rules');
  if (/^storage-schemas\.conf/.test(name)) return byName('storage-schemas');
  if (/^storage-aggregation\.conf/.test(name)) return byName('storage-aggregation');
  if (/^carbonate\.conf/.test(name)) return byName('carbonate');
  if (/^go-carbon.*\.conf/.test(name)) return byName('go-carbon');
  if (/^carbonapi.*\.(ya?ml|toml)$/.test(name)) return byName('carbonapi');
  if (/^carbon-relay-ng.*\.(ini|toml|conf)$/.test(name)) return byName('relayng');
  if (/^local_settings\.py/.test(name)) return byName('local-settings');
  if (/^carbon(\.[a-z0-9_-]+)?\.conf(\.example)?$/.test(name) && CARBON_SECTION.test(text)) return byName('carbon-conf');
  if (!explicit && NOT_CONFIG.test(name)) return null;

  // Content, for what the shared detector does not know: carbonapi.
  if (/\.ya?ml$/.test(name) && /^upstreams\s*:/m.test(text)) return byContent('carbonapi', 'top-level upstreams:');
  if (/^\s*\[upstreams\]\s*$/m.test(text)) return byContent('carbonapi', '[upstreams]');
  const d = detectFormat(text);
  const kind = FROM_DETECTED[d.format];
  if (kind === undefined) return null;
  // A Python settings module must at least look like one (the detector accepts any NAME = value lines).
  if (kind === 'local-settings' && !/\.py([.-]|$)/.test(name) && !/settings/.test(name)) return null;
  return byContent(kind, d.reason);
}

const CARBON_SECTION = /^\s*\[(cache|relay|aggregator|aggregator-cache)(:[^\]]*)?\]\s*$/m;

/** The configs a Kubernetes ConfigMap carries in `data:`, each linted as a file of its own. */
function configMapFiles(abs: string, display: string, text: string, explicit: boolean): LintFile[] {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  if (doc.errors.length > 0) return [];
  const data = doc.get('data', true);
  if (!isMap(data)) return [];
  const out: LintFile[] = [];
  for (const pair of data.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
    const v = pair.value;
    if (key === undefined || !isScalar(v) || typeof v.value !== 'string' || v.range === undefined || v.range === null) continue;
    const kind = detectKind(key, v.value, true);
    if (kind === null) continue;
    // Block scalars (| or >) start on the line after the indicator.
    const block = v.type === 'BLOCK_LITERAL' || v.type === 'BLOCK_FOLDED';
    const lineOffset = lc.linePos(v.range[0]).line - (block ? 0 : 1);
    out.push({
      path: `${abs}#${key}`,
      display: `${display}#${key}`,
      kind: kind.kind,
      text: v.value,
      why: `ConfigMap data ${key}: ${kind.why}`,
      explicit,
      embedded: { outer: abs, lineOffset },
    });
  }
  return out;
}
