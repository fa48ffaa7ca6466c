// buckyd keeps its ring on the command line (configs.md §7): `buckyd [-node NAME] [-hash carbon|fnv1a|
// jump_fnv1a] [-replicas N] ... MEMBER...` with members HOST[:PORT][=INSTANCE]. This reads such command lines
// out of any text (an init script, a unit file, a note), parsing flags the way Go's flag package does.
import { ConfigError } from '../errors.js';
import { parseBuckyMember } from '../ring/destination.js';
import { makeRingSpec } from '../ring/spec.js';
import type { Destination, HashType, RingSpec } from '../ring/types.js';
import { DiagnosticSink, type ConfigDiagnostic } from './diagnostics.js';
import { splitLines } from './ini.js';

interface Word {
  text: string;
  line: number;
}

export interface BuckyCommand {
  file: string;
  line: number;
  /** This node's name in the ring (-node / -n); null when the host name would be used. */
  node: string | null;
  hash: 'carbon' | 'fnv1a' | 'jump_fnv1a';
  replicas: number;
  members: { text: string; line: number; destination: Destination }[];
  flags: Record<string, string>;
}

const STRING_FLAGS = new Set(['tmpdir', 't', 'bind', 'b', 'pprof', 'node', 'n', 'hash', 'replicas', 'auth-jwt-secret-file', 'p', 'prefix']);
const BOOL_FLAGS = new Set(['sparse', 'compressed', 'mtime', 'help', 'h']);
const HASHES: Record<string, HashType> = { carbon: 'carbon_ch', fnv1a: 'fnv1a_ch', jump_fnv1a: 'jump_fnv1a_ch' };

/** Shell-ish word splitting with quotes and backslash-newline continuations; each word keeps its line. */
function commandLines(text: string): Word[][] {
  const lines = splitLines(text);
  const out: Word[][] = [];
  let cur: Word[] | null = null;
  for (let i = 0; i < lines.length; i++) {
    let l = lines[i]!;
    const cont = /\\\s*$/.test(l);
    if (cont) l = l.replace(/\\\s*$/, '');
    if (cur === null && /^\s*#/.test(l)) continue;
    cur ??= [];
    const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(l)) !== null) {
      if (m[3] !== undefined && m[3].startsWith('#')) break;
      cur.push({ text: m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3]!), line: i + 1 });
    }
    if (!cont) {
      if (cur.length > 0) out.push(cur);
      cur = null;
    }
  }
  if (cur !== null && cur.length > 0) out.push(cur);
  return out;
}

/** Index of the buckyd word in a command (after exec/sudo/env and VAR=value prefixes), or -1. */
function buckydIndex(words: Word[]): number {
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!.text;
    if (w.slice(w.lastIndexOf('/') + 1) === 'buckyd') return i;
    if (!['exec', 'sudo', 'nohup', 'env', 'ExecStart='].includes(w) && !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w) && !/^-/.test(w)) return -1;
  }
  return -1;
}

export function hasBuckydCommand(text: string): boolean {
  return commandLines(text).some((ws) => buckydIndex(ws) >= 0);
}

/** Every buckyd command line in the text. Throws ConfigError where buckyd would exit. */
export function parseBuckyArgv(text: string, file: string): { commands: BuckyCommand[]; diagnostics: ConfigDiagnostic[] } {
  const sink = new DiagnosticSink(file);
  const commands: BuckyCommand[] = [];
  for (const words of commandLines(text)) {
    const at = buckydIndex(words);
    if (at < 0) continue;
    commands.push(parseCommand(words.slice(at + 1), words[at]!.line, file, sink));
  }
  return { commands, diagnostics: sink.items };
}

function parseCommand(args: Word[], line: number, file: string, sink: DiagnosticSink): BuckyCommand {
  const flags: Record<string, string> = {};
  let i = 0;
  const fail = (msg: string, at: number, expected: string): never => {
    throw new ConfigError(msg, { file, line: at, expected });
  };
  for (; i < args.length; i++) {
    const a = args[i]!.text;
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    const body = a.startsWith('--') ? a.slice(2) : a.slice(1);
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    if (BOOL_FLAGS.has(name)) {
      flags[name] = eq < 0 ? 'true' : body.slice(eq + 1);
      continue;
    }
    if (!STRING_FLAGS.has(name))
      fail(
        `flag provided but not defined: -${name}`,
        args[i]!.line,
        'buckyd flags: -node, -hash, -replicas, -b, -tmpdir, -sparse, -compressed, ...',
      );
    if (eq >= 0) flags[name] = body.slice(eq + 1);
    else {
      if (i + 1 >= args.length) fail(`flag needs an argument: -${name}`, args[i]!.line, `-${name} VALUE`);
      flags[name] = args[++i]!.text;
    }
  }
  const hash = flags['hash'] ?? 'carbon';
  if (!(hash in HASHES)) fail(`Invalide hash type ${JSON.stringify(hash)}`, line, 'carbon, fnv1a or jump_fnv1a');
  const replicasText = flags['replicas'] ?? '1';
  if (!/^[+-]?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.test(replicasText))
    fail(`invalid value ${JSON.stringify(replicasText)} for flag -replicas`, line, 'an integer');
  const replicas = Number.parseInt(replicasText, /^[+-]?0[xX]/.test(replicasText) ? 16 : /^[+-]?0[0-7]+$/.test(replicasText) ? 8 : 10);
  const memberWords = args.slice(i);
  if (memberWords.length === 0)
    fail('You must have at least 1 node in your hash ring', line, 'HOST[:PORT][=INSTANCE] members after the flags');
  const members = memberWords.map((w) => ({ text: w.text, line: w.line, destination: parseBuckyMember(w.text, { file, line: w.line }) }));
  const node = flags['node'] ?? flags['n'] ?? null;
  if (node === null) {
    sink.warn('bucky-no-node', line, "buckyd has no -node: it uses the host name, which must equal this host's HOST string in the ring");
  } else if (!members.some((m) => m.destination.server === node)) {
    sink.warn(
      'bucky-node-not-member',
      line,
      `-node ${node} is not the host of any ring member (${[...new Set(members.map((m) => m.destination.server))].join(', ')})`,
      { node },
    );
  }
  if (replicas > 1) sink.warn('bucky-replicas', line, `-replicas ${replicas}: buckytools supports only one copy per metric`);
  return { file, line, node, hash: hash as BuckyCommand['hash'], replicas, members, flags };
}

export interface BuckyRing {
  spec: RingSpec;
  command: BuckyCommand;
  diagnostics: ConfigDiagnostic[];
}

/**
 * The ring of one buckyd command: `select` is a -node value or a 1-based command index; without it the
 * only command, or the first when all commands carry the same ring.
 */
export function buckyRing(parsed: { commands: BuckyCommand[]; diagnostics: ConfigDiagnostic[] }, file: string, select?: string): BuckyRing {
  const cmds = parsed.commands;
  if (cmds.length === 0)
    throw new ConfigError('no buckyd command line found', { file, expected: 'a line `buckyd [-hash …] [-replicas N] MEMBER…`' });
  const describe = (c: BuckyCommand, i: number) => `#${i + 1} (line ${c.line}${c.node ? `, -node ${c.node}` : ''})`;
  let cmd: BuckyCommand | undefined;
  if (select !== undefined) {
    cmd = cmds.find((c) => c.node === select) ?? (/^[0-9]+$/.test(select) ? cmds[Number(select) - 1] : undefined);
    if (cmd === undefined)
      throw new ConfigError(`no buckyd command ${JSON.stringify(select)}`, {
        file,
        expected: `a -node value or index: ${cmds.map(describe).join(', ')}`,
      });
  } else if (cmds.length === 1) cmd = cmds[0]!;
  else {
    const key = (c: BuckyCommand) => JSON.stringify([c.hash, c.replicas, c.members.map((m) => m.text)]);
    if (cmds.every((c) => key(c) === key(cmds[0]!))) cmd = cmds[0]!;
    else
      throw new ConfigError(`${cmds.length} buckyd command lines with different rings; choose one with --cluster-name`, {
        file,
        expected: cmds.map(describe).join(', '),
      });
  }
  const spec = makeRingSpec({
    impl: 'bucky',
    hash: HASHES[cmd.hash]!,
    router: 'consistent-hashing',
    destinations: cmd.members.map((m) => m.destination),
    replication: cmd.replicas,
    diverse: false,
    tagRelayNormalized: false,
    sanitize: false,
    origin: { file, line: cmd.line, format: 'bucky', ...(cmd.node !== null ? { cluster: cmd.node } : {}) },
  });
  return { spec, command: cmd, diagnostics: parsed.diagnostics.filter((d) => d.line === cmd!.line) };
}
