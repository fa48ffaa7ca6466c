// The switch phase's config edits: the user's own files, rewritten from the old ring to the new one and
// shown as unified diffs — carbon-relay's DESTINATIONS (and REPLICATION_FACTOR), a carbon-c-relay
// cluster's members, graphite-web's CARBONLINK_HOSTS / CLUSTER_SERVERS / REPLICATION_FACTOR,
// carbonate.conf, and a ringshift cluster file with an inline ring. A file is edited only when it holds
// exactly the old ring (by (host, instance), ports ignored): a per-host webapp that lists its own caches,
// or an unrelated cluster, is left alone (with a note when it names a removed node). A relay program that
// the change introduces (carbon-relay.py → carbon-c-relay) gets a new file with its cluster statement.
//
// The edited set is linted before it is shown: the edits must leave no ring disagreement and add no
// error. The linter is src/lint's, handed in by the command (`ConfigLinter`): plan does not import lint.
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parseCarbonDestination, parseCrelayMember } from '../ring/destination.js';
import { memberId, type Destination, type RingSpec } from '../ring/types.js';
import type { SwitchSpec } from './runbook.js';
import { unifiedDiff } from './unified-diff.js';

/** A config file as the linter found it (`embedded`: inside another file, e.g. a ConfigMap; never rewritten). */
export interface ConfigFile {
  path: string;
  display: string;
  kind: string;
  text: string;
  embedded: boolean;
}

/** Finds config files the way `ringshift lint` does, and lints a directory of them. */
export interface ConfigLinter {
  collect(paths: readonly string[], cwd: string): Promise<ConfigFile[]>;
  lintTree(dir: string): Promise<SwitchSpec['lint']>;
}

export interface ConfigEdit {
  /** Absolute path (a new file: where it would go). */
  path: string;
  /** As shown (relative to the working directory). */
  display: string;
  kind: string;
  before: string;
  after: string;
}

const nodeKey = (d: Pick<Destination, 'server' | 'instance'>): string => `${d.server}\u0000${d.instance ?? ''}`;

function sameNodes(values: readonly Destination[], ring: readonly Destination[]): boolean {
  const a = new Set(values.map(nodeKey));
  const b = new Set(ring.map(nodeKey));
  return a.size === b.size && [...a].every((k) => b.has(k));
}

function tryParse<T>(f: () => T): T | null {
  try {
    return f();
  } catch {
    return null;
  }
}

/** INI `KEY = a, b,\n    c` lists: rewrite KEY in every section `inSection` accepts whose value holds exactly the old ring. */
function editIni(text: string, inSection: (name: string) => boolean, oldRing: RingSpec, newRing: RingSpec): string {
  const lines = text.split('\n');
  let section = '';
  const out: string[] = [];
  let replaced = false;
  let rfLine = -1;
  let rfSection = '';
  let destSection = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const sec = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (sec !== null) section = sec[1]!.trim();
    const m = /^(\s*)(DESTINATIONS)(\s*[=:]\s*)(.*)$/i.exec(line);
    if (m !== null && inSection(section)) {
      const parts = [m[4]!];
      let j = i + 1;
      while (j < lines.length && /^\s+\S/.test(lines[j]!) && !/^\s*[#;]/.test(lines[j]!)) parts.push(lines[j++]!.trim());
      const values = parts
        .join(',')
        .split(/[\s,]+/)
        .filter((v) => v !== '')
        .map((v) => tryParse(() => parseCarbonDestination(v)));
      if (values.every((v) => v !== null) && sameNodes(values as Destination[], oldRing.destinations)) {
        const members = newRing.destinations.map((d) => memberId({ ...d, instance: d.instance }));
        if (parts.length > 1) {
          const indent = /^(\s+)/.exec(lines[i + 1]!)?.[1] ?? '    ';
          out.push(`${m[1]}${m[2]}${m[3]}${members[0]},`);
          members.slice(1).forEach((mm, k) => out.push(`${indent}${mm}${k === members.length - 2 ? '' : ','}`));
        } else out.push(`${m[1]}${m[2]}${m[3]}${members.join(', ')}`);
        replaced = true;
        destSection = section;
        i = j - 1;
        continue;
      }
    }
    if (/^\s*REPLICATION_FACTOR\s*[=:]/i.test(line) && inSection(section)) {
      rfLine = out.length;
      rfSection = section;
    }
    out.push(line);
  }
  if (replaced && rfLine >= 0 && rfSection === destSection && oldRing.replication !== newRing.replication)
    out[rfLine] = out[rfLine]!.replace(/([=:]\s*)\d+/, `$1${newRing.replication}`);
  return out.join('\n');
}

/** A carbon-c-relay cluster statement for a ring. */
export function crelayCluster(name: string, ring: RingSpec): string {
  const members = ring.destinations.map(
    (d) => `        ${d.server.includes(':') ? `[${d.server}]` : d.server}:${d.port}${d.instance === null ? '' : `=${d.instance}`}`,
  );
  return [`cluster ${name}`, `    ${ring.hash}${ring.replication > 1 ? ` replication ${ring.replication}` : ''}`, ...members, '    ;'].join(
    '\n',
  );
}

/** carbon-c-relay: rewrite a hash cluster whose members are exactly the old ring's. */
function editCrelay(text: string, oldRing: RingSpec, newRing: RingSpec): string {
  const re = /\bcluster\s+("[^"]*"|\S+)\s+(carbon_ch|fnv1a_ch|jump_fnv1a_ch)\b([^;]*);/g;
  return text.replace(re, (whole, name: string, _hash: string, body: string) => {
    const tokens = body.split(/\s+/).filter((t) => t !== '');
    const members: Destination[] = [];
    for (let k = 0; k < tokens.length; k++) {
      if (tokens[k] === 'replication' || tokens[k] === 'proto' || tokens[k] === 'transport') {
        k++;
        continue;
      }
      const d = tryParse(() => parseCrelayMember(tokens[k]!));
      if (d !== null) members.push(d);
    }
    if (members.length === 0 || !sameNodes(members, oldRing.destinations)) return whole;
    return crelayCluster(name, newRing);
  });
}

/** A Python list assignment `NAME = [ "a", "b" ]` (one line or several): its span and its strings. */
function pyList(
  text: string,
  name: string,
): { start: number; end: number; items: string[]; quote: string; multiline: boolean; indent: string } | null {
  const m = new RegExp(`^${name}\\s*=\\s*\\[`, 'm').exec(text);
  if (m === null) return null;
  const close = text.indexOf(']', m.index + m[0].length);
  if (close < 0) return null;
  const inner = text.slice(m.index + m[0].length, close);
  const items = [...inner.matchAll(/(["'])(.*?)\1/g)].map((x) => x[2]!);
  const quote = /(["'])/.exec(inner)?.[1] ?? '"';
  const indent = /\n([ \t]+)\S/.exec(inner)?.[1] ?? '    ';
  return { start: m.index, end: close + 1, items, quote, multiline: inner.includes('\n'), indent };
}

function writePyList(name: string, items: readonly string[], l: { quote: string; multiline: boolean; indent: string }): string {
  const q = (s: string) => `${l.quote}${s}${l.quote}`;
  if (!l.multiline) return `${name} = [${items.map(q).join(', ')}]`;
  return `${name} = [\n${items.map((s) => `${l.indent}${q(s)},`).join('\n')}\n]`;
}

function mostCommon(values: readonly number[], fallback: number): number {
  const count = new Map<number, number>();
  for (const v of values) count.set(v, (count.get(v) ?? 0) + 1);
  let best = fallback;
  let n = 0;
  for (const [v, c] of count) if (c > n) [best, n] = [v, c];
  return best;
}

/** graphite-web local_settings.py. */
function editWebapp(text: string, oldRing: RingSpec, newRing: RingSpec, notes: string[], display: string): string {
  let out = text;
  const link = pyList(out, 'CARBONLINK_HOSTS');
  let linkReplaced = false;
  if (link !== null) {
    const hosts = link.items.map((s) => tryParse(() => parseCarbonDestination(s)));
    if (hosts.every((h) => h !== null) && hosts.length > 0) {
      const hs = hosts as Destination[];
      if (sameNodes(hs, oldRing.destinations)) {
        const portOf = new Map(hs.map((h) => [h.server, h.port]));
        const common = mostCommon(
          hs.map((h) => h.port),
          7002,
        );
        const items = newRing.destinations.map((d) =>
          memberId({ server: d.server, port: portOf.get(d.server) ?? common, instance: d.instance }),
        );
        out = out.slice(0, link.start) + writePyList('CARBONLINK_HOSTS', items, link) + out.slice(link.end);
        linkReplaced = true;
      } else {
        const removed = oldRing.destinations.filter((o) => !newRing.destinations.some((n) => nodeKey(n) === nodeKey(o)));
        const listed = removed.filter((r) => hs.some((h) => nodeKey(h) === nodeKey(r)));
        if (listed.length > 0)
          notes.push(
            `${display}: CARBONLINK_HOSTS lists ${listed.map((d) => d.server).join(', ')}, which leave the ring: remove them (this webapp serves only some caches; edit it by hand)`,
          );
      }
    }
  }
  const cs = pyList(out, 'CLUSTER_SERVERS');
  if (cs !== null && cs.items.length > 0) {
    const parsed = cs.items.map((s) => {
      const m = /^(?:[a-z]+:\/\/)?(\[[^\]]+\]|[^:/]+)(?::([0-9]+))?/.exec(s);
      return m === null ? null : { host: m[1]!.replace(/^\[|\]$/g, ''), port: m[2] === undefined ? null : Number(m[2]) };
    });
    const oldHosts = new Set(oldRing.destinations.map((d) => d.server));
    const newHosts = [...new Set(newRing.destinations.map((d) => d.server))];
    const listed = new Set(parsed.filter((p) => p !== null).map((p) => p!.host));
    if (parsed.every((p) => p !== null) && listed.size === oldHosts.size && [...listed].every((h) => oldHosts.has(h))) {
      const port = mostCommon(
        parsed.filter((p) => p!.port !== null).map((p) => p!.port!),
        -1,
      );
      const items = newHosts.map((h) => {
        const was = parsed.find((p) => p!.host === h);
        const hp = h.includes(':') ? `[${h}]` : h;
        return was !== undefined ? cs.items[parsed.indexOf(was)]! : port < 0 ? hp : `${hp}:${port}`;
      });
      out = out.slice(0, cs.start) + writePyList('CLUSTER_SERVERS', items, cs) + out.slice(cs.end);
    }
  }
  if (linkReplaced && oldRing.replication !== newRing.replication)
    out = out.replace(/^(REPLICATION_FACTOR\s*=\s*)\d+/m, `$1${newRing.replication}`);
  return out;
}

/** A ringshift cluster file with an inline ring. */
function editClusterFile(text: string, oldRing: RingSpec, newRing: RingSpec): string {
  const lines = text.split('\n');
  const di = lines.findIndex((l) => /^\s+destinations:\s*$/.test(l));
  if (di < 0) return text;
  let j = di + 1;
  const items: string[] = [];
  let indent = '    ';
  while (j < lines.length && /^\s*-\s*/.test(lines[j]!)) {
    indent = /^(\s*)-/.exec(lines[j]!)![1]!;
    items.push(
      lines[j]!.replace(/^\s*-\s*/, '')
        .replace(/^["']|["']\s*$/g, '')
        .trim(),
    );
    j++;
  }
  const parse = (s: string) => tryParse(() => (oldRing.impl === 'carbon-c-relay' ? parseCrelayMember(s) : parseCarbonDestination(s)));
  const values = items.map(parse);
  if (values.length === 0 || values.some((v) => v === null) || !sameNodes(values as Destination[], oldRing.destinations)) return text;
  const render = (d: Destination) =>
    newRing.impl === 'carbon-c-relay' ? `${d.server}:${d.port}${d.instance === null ? '' : `=${d.instance}`}` : memberId(d);
  const out = [...lines.slice(0, di + 1), ...newRing.destinations.map((d) => `${indent}- ${render(d)}`), ...lines.slice(j)];
  let t = out.join('\n');
  if (oldRing.replication !== newRing.replication) t = t.replace(/^(\s+replication:\s*)\d+/m, `$1${newRing.replication}`);
  if (oldRing.hash !== newRing.hash) t = t.replace(/^(\s+hash:\s*)\S+/m, `$1${newRing.hash}`);
  if (oldRing.impl !== newRing.impl) t = t.replace(/^(\s+impl:\s*)\S+/m, `$1${newRing.impl}`);
  return t;
}

export interface SwitchConfigs {
  spec: SwitchSpec;
  edits: ConfigEdit[];
}

/**
 * Rewrite the configs under `paths` from `oldRing` to `newRing`; lint the result. `cwd` resolves and
 * displays paths.
 */
export async function switchConfigs(
  linter: ConfigLinter,
  paths: readonly string[],
  oldRing: RingSpec,
  newRing: RingSpec,
  cwd: string,
): Promise<SwitchConfigs> {
  const files = await linter.collect(paths, cwd);
  const manual: { file: string; why: string }[] = [];
  const notes: string[] = [];
  const edits: ConfigEdit[] = [];
  let relayFound = false;
  for (const f of files) {
    let after = f.text;
    switch (f.kind) {
      case 'carbon-conf':
        if (newRing.impl === 'carbon') after = editIni(f.text, (s) => /^relay(:|$)/.test(s), oldRing, newRing);
        else if (oldRing.impl === 'carbon' && /^\s*\[relay/m.test(f.text))
          manual.push({ file: f.display, why: `carbon-relay is replaced by ${newRing.impl}: stop it once the new relay runs` });
        if (after !== f.text) relayFound = true;
        break;
      case 'carbonate':
        after = editIni(f.text, () => true, oldRing, newRing);
        break;
      case 'crelay':
        after = editCrelay(f.text, oldRing, newRing);
        if (after !== f.text) relayFound = true;
        break;
      case 'local-settings':
        after = editWebapp(f.text, oldRing, newRing, notes, f.display);
        break;
      case 'cluster-file':
        after = editClusterFile(f.text, oldRing, newRing);
        break;
      default:
        break;
    }
    if (after === f.text) continue;
    // A config inside another file (a ConfigMap): its text is not the file's, so no diff of the file.
    if (f.embedded) manual.push({ file: f.display, why: `embedded ${f.kind} config: change it to the new ring by hand` });
    else edits.push({ path: f.path, display: f.display, kind: f.kind, before: f.text, after });
  }
  // A relay program the change introduces: its config as a new file.
  if (!relayFound && newRing.impl === 'carbon-c-relay' && oldRing.impl !== 'carbon-c-relay') {
    const root = paths.length > 0 ? resolve(cwd, paths[0]!) : cwd;
    const dir = fs.existsSync(root) && fs.statSync(root).isDirectory() ? root : dirname(root);
    const path = join(dir, 'carbon-c-relay.conf');
    edits.push({
      path,
      display: relative(cwd, path) || path,
      kind: 'crelay',
      before: '',
      after: crelayCluster('graphite', newRing) + '\n',
    });
  }
  for (const n of notes) manual.push({ file: n.split(':')[0]!, why: n.slice(n.indexOf(':') + 2) });
  const lint = edits.length === 0 ? { errors: 0, warnings: 0, messages: [] } : await lintEdited(linter, files, edits);
  const configs = edits.map((e) => ({
    file: e.display,
    kind: e.kind,
    diff: unifiedDiff(e.before === '' ? '/dev/null' : `a/${e.display}`, `b/${e.display}`, e.before, e.after),
  }));
  return { spec: { configs, manual, lint }, edits };
}

/** Lint the config set with the edits applied (in a temp copy that keeps the relative layout). */
async function lintEdited(linter: ConfigLinter, files: readonly ConfigFile[], edits: readonly ConfigEdit[]): Promise<SwitchSpec['lint']> {
  const all = new Map<string, string>();
  for (const f of files) if (!f.embedded) all.set(f.path, f.text);
  for (const e of edits) all.set(e.path, e.after);
  const paths = [...all.keys()];
  const common = paths.reduce((acc, p) => {
    let a = acc;
    while (!(p === a || p.startsWith(a.endsWith(sep) ? a : a + sep))) a = dirname(a);
    return a;
  }, dirname(paths[0]!));
  const tmp = fs.mkdtempSync(join(tmpdir(), 'ringshift-switch-lint-'));
  try {
    for (const [p, text] of all) {
      const to = join(tmp, relative(common, p));
      fs.mkdirSync(dirname(to), { recursive: true });
      fs.writeFileSync(to, text);
    }
    return await linter.lintTree(tmp);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Write the edited files under DIR, keeping their paths relative to the working directory. */
export function writeConfigs(edits: readonly ConfigEdit[], dir: string, cwd: string): string[] {
  const out: string[] = [];
  for (const e of edits) {
    const rel = relative(cwd, e.path);
    const to = resolve(dir, rel.startsWith('..') ? e.path.replace(/^\/+/, '') : rel);
    fs.mkdirSync(dirname(to), { recursive: true });
    const tmp = `${to}.ringshift-tmp`;
    fs.writeFileSync(tmp, e.after);
    fs.renameSync(tmp, to);
    out.push(to);
  }
  return out;
}
