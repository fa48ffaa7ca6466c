// carbon-c-relay configuration (configs.md §4.1-4.2): lexer, statements, includes, and the relay's own
// consistency checks (router_add_server / router_add_cluster), with the file and line of everything.
// Errors read like the relay's and carry file:line (semantic errors at the statement's ';', as the relay
// reports them).
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import fg from 'fast-glob';
import { ConfigError } from '../errors.js';
import { parseCrelayMember } from '../ring/destination.js';
import { makeRingSpec } from '../ring/spec.js';
import type { Destination, HashType, RingSpec } from '../ring/types.js';
import { DiagnosticSink, type ConfigDiagnostic } from './diagnostics.js';

export type CrelayClusterType = 'forward' | 'any_of' | 'failover' | 'carbon_ch' | 'fnv1a_ch' | 'jump_fnv1a_ch' | 'file' | 'file ip';
export const CRELAY_HASH_TYPES: readonly CrelayClusterType[] = ['carbon_ch', 'fnv1a_ch', 'jump_fnv1a_ch'];

export interface Where {
  file: string;
  line: number;
}

export interface CrelayMember extends Where {
  /** The host[:port] word as written. */
  text: string;
  /** server (brackets removed), port (default 2003), instance (null when absent). */
  destination: Destination;
  proto: 'tcp' | 'udp';
  type: 'linemode' | 'syslog';
  transport?: string;
  security?: { mode: 'ssl' | 'mtls'; files: string[] };
}

export interface CrelayCluster extends Where {
  name: string;
  type: CrelayClusterType;
  /** Line of the terminating ';' (where the relay reports cluster errors). */
  endLine: number;
  replication: number;
  dynamic: boolean;
  useall: boolean;
  /** Network members (every type but file). */
  members: CrelayMember[];
  /** file / file ip clusters. */
  paths: (Where & { path: string })[];
}

export interface CrelayExpr extends Where {
  text: string;
}

export type CrelayRule =
  | (Where & {
      kind: 'match';
      /** null = `*` (matches everything). */
      patterns: CrelayExpr[] | null;
      validate?: CrelayExpr & { action: 'log' | 'drop' };
      routeUsing?: CrelayExpr;
      /** Cluster names; ['blackhole'] for send to blackhole; [] when there is no send to. */
      sendTo: string[];
      blackhole: boolean;
      stop: boolean;
      endLine: number;
    })
  | (Where & { kind: 'rewrite'; pattern: CrelayExpr; replacement: CrelayExpr; endLine: number })
  | (Where & {
      kind: 'aggregate';
      patterns: CrelayExpr[];
      interval: number;
      expire: number;
      timestamp: 'start' | 'middle' | 'end';
      computes: { type: string; percentile?: number; metric: CrelayExpr }[];
      sendTo: string[];
      stop: boolean;
      endLine: number;
    });

export interface CrelayListener extends Where {
  type: 'linemode' | 'syslog';
  transport?: string;
  security?: { mode: 'ssl' | 'mtls'; files: string[] };
  address: string;
  proto: 'tcp' | 'udp' | 'unix';
}

export interface CrelayConfig {
  /** The top-level file. */
  file: string;
  /** Every file read, in order (includes too). */
  files: string[];
  /** In definition order. */
  clusters: CrelayCluster[];
  /** match / rewrite / aggregate in evaluation order. */
  rules: CrelayRule[];
  statistics?: Where & {
    interval?: number;
    resetCounters: boolean;
    prefix?: string;
    sendTo: string[];
    stop: boolean;
    deprecatedForm: boolean;
  };
  listeners: CrelayListener[];
  includes: (Where & { pattern: string; matched: string[] })[];
  diagnostics: ConfigDiagnostic[];
}

export interface CrelayParseOptions {
  /**
   * Read an included file; default: the file system.
   */
  readFile?: (path: string) => string;
  /** Expand a glob (absolute pattern) to sorted absolute paths; default fast-glob. */
  glob?: (pattern: string) => string[];
  /**
   * Directory relative include paths resolve against. Default: the including file's directory. (The relay
   * itself uses its working directory; pass that here to reproduce it exactly.)
   */
  includeBase?: string;
}

// ---------------------------------------------------------------------------------------------------------
// Lexer

interface CTok {
  kind: 'word' | 'string' | 'eq' | 'semi';
  text: string;
  line: number;
  col: number;
  file: string;
}

const IDCHR = /[a-zA-Z0-9[\](){}|\\^?*$&%<>:/,._+-]/;

function lex(text: string, file: string): CTok[] {
  const toks: CTok[] = [];
  let line = 1;
  let col = 0;
  let i = 0;
  const err = (msg: string, l = line): never => {
    throw new ConfigError(msg, { file, line: l, expected: 'carbon-c-relay configuration syntax' });
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      col = 0;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      col++;
      continue;
    }
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    const start = col;
    if (c === ';' || c === '=') {
      toks.push({ kind: c === ';' ? 'semi' : 'eq', text: c, line, col: start, file });
      i++;
      col++;
      continue;
    }
    if (c === '"') {
      let s = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length || text[j] === '\n') err('unterminated string');
        const ch = text[j]!;
        if (ch === '"') break;
        if (ch === '\\' && j + 1 < text.length && text[j + 1] !== '\n') {
          s += text[j + 1];
          j += 2;
          continue;
        }
        s += ch;
        j++;
      }
      if (s === '') err('empty string');
      toks.push({ kind: 'string', text: s, line, col: start, file });
      col += j + 1 - i;
      i = j + 1;
      continue;
    }
    if (IDCHR.test(c)) {
      let j = i;
      for (;;) {
        while (j < text.length && IDCHR.test(text[j]!)) j++;
        // `\ ` joins a space into the word when more word characters follow.
        if (text[j - 1] === '\\' && text[j] === ' ' && j + 1 < text.length && IDCHR.test(text[j + 1]!)) {
          j++;
          continue;
        }
        break;
      }
      toks.push({ kind: 'word', text: text.slice(i, j), line, col: start, file });
      col += j - i;
      i = j;
      continue;
    }
    err(`syntax error, unexpected character ${JSON.stringify(c)}`);
  }
  return toks;
}

// ---------------------------------------------------------------------------------------------------------
// Parser

interface ServerEntry {
  key: string;
  instance: string | null;
  type: 'linemode' | 'syslog';
  refs: number;
}

class Parser {
  pos = 0;
  constructor(
    readonly toks: CTok[],
    readonly file: string,
  ) {}
  peek(o = 0): CTok | undefined {
    return this.toks[this.pos + o];
  }
  next(): CTok {
    const t = this.toks[this.pos];
    if (t === undefined) this.fail('syntax error, unexpected end of file', this.toks[this.toks.length - 1]?.line ?? 1);
    this.pos++;
    return t!;
  }
  isKw(word: string, o = 0): boolean {
    const t = this.peek(o);
    return t !== undefined && t.kind === 'word' && t.text === word;
  }
  kw(word: string): CTok {
    const t = this.peek();
    if (t === undefined || t.kind !== 'word' || t.text !== word) this.unexpected(t, `'${word}'`);
    return this.next();
  }
  string(what: string): CTok {
    const t = this.peek();
    if (t === undefined || (t.kind !== 'word' && t.kind !== 'string')) this.unexpected(t, what);
    return this.next();
  }
  int(what: string): number {
    const t = this.peek();
    if (t === undefined || t.kind !== 'word' || !/^[0-9]+$/.test(t.text)) this.unexpected(t, what);
    this.next();
    return Number.parseInt(t!.text, 10);
  }
  semi(): CTok {
    const t = this.peek();
    if (t === undefined || t.kind !== 'semi') this.unexpected(t, "';'");
    return this.next();
  }
  unexpected(t: CTok | undefined, expected: string): never {
    if (t === undefined)
      this.fail(`syntax error, unexpected end of file, expecting ${expected}`, this.toks[this.toks.length - 1]?.line ?? 1);
    const what =
      t!.kind === 'semi' ? "';'" : t!.kind === 'eq' ? "'='" : `${t!.kind === 'string' ? 'string' : 'word'} ${JSON.stringify(t!.text)}`;
    this.fail(`syntax error, unexpected ${what}, expecting ${expected}`, t!.line);
  }
  fail(msg: string, line: number): never {
    throw new ConfigError(msg, { file: this.file, line, expected: 'carbon-c-relay configuration syntax (see carbon-c-relay(1))' });
  }
}

const MEMBER_OPTION_WORDS = new Set(['proto', 'type', 'transport']);

/** Parse a carbon-c-relay config file (and what it includes). Throws ConfigError where the relay refuses it. */
export function parseCrelayConfig(text: string, file: string, opts: CrelayParseOptions = {}): CrelayConfig {
  const cfg: CrelayConfig = { file, files: [], clusters: [], rules: [], listeners: [], includes: [], diagnostics: [] };
  const sink = new DiagnosticSink(file);
  cfg.diagnostics = sink.items;
  const servers = new Map<string, ServerEntry>();
  const readFile = opts.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const glob = opts.glob ?? ((p: string) => fg.sync(p.replace(/\\/g, '/'), { dot: true, onlyFiles: true }).sort());
  parseFile(text, file, [], cfg, sink, servers, readFile, glob, opts.includeBase);
  return cfg;
}

/** Read and parse a config file from disk. */
export function loadCrelayConfig(path: string, opts: CrelayParseOptions = {}): CrelayConfig {
  const abs = resolve(path);
  return parseCrelayConfig((opts.readFile ?? ((p: string) => readFileSync(p, 'utf8')))(abs), abs, opts);
}

function parseFile(
  text: string,
  file: string,
  stack: string[],
  cfg: CrelayConfig,
  sink: DiagnosticSink,
  servers: Map<string, ServerEntry>,
  readFile: (p: string) => string,
  glob: (p: string) => string[],
  includeBase: string | undefined,
): void {
  cfg.files.push(file);
  const p = new Parser(lex(text, file), file);
  const fileSink = new DiagnosticSink(file);
  while (p.peek() !== undefined) {
    const t = p.peek()!;
    if (t.kind !== 'word') p.unexpected(t, 'a statement (cluster, match, rewrite, aggregate, statistics, send, listen, include)');
    switch (t.text) {
      case 'cluster':
        parseCluster(p, cfg, servers, fileSink);
        break;
      case 'match':
        cfg.rules.push(parseMatch(p, cfg));
        break;
      case 'rewrite': {
        p.next();
        const pattern = expr(p.string('a regular expression'));
        p.kw('into');
        const replacement = expr(p.string('a replacement'));
        const end = p.semi();
        checkRegex(pattern, fileSink);
        cfg.rules.push({ kind: 'rewrite', file, line: t.line, pattern, replacement, endLine: end.line });
        break;
      }
      case 'aggregate':
        cfg.rules.push(parseAggregate(p, cfg, fileSink));
        break;
      case 'statistics':
      case 'send':
        parseStatistics(p, cfg, fileSink);
        break;
      case 'listen':
        parseListen(p, cfg);
        break;
      case 'include': {
        p.next();
        const pat = p.string('a file name or glob');
        // The relay reads the included files when it reduces the include, before it needs the ';'.
        const target = isAbsolute(pat.text) ? pat.text : resolve(includeBase ?? dirname(file), pat.text);
        const isGlob = /[*?]/.test(pat.text) || (pat.text.includes('[') && pat.text.includes(']'));
        const matched = isGlob ? glob(target) : [target];
        if (isGlob && matched.length === 0) {
          fileSink.warn('include-no-match', pat.line, `include pattern '${pat.text}' did not match any files`, { pattern: pat.text });
        }
        cfg.includes.push({ file, line: t.line, pattern: pat.text, matched });
        for (const m of matched) {
          if (m === file || stack.includes(m)) p.fail(`include loop: ${m} is already being read`, pat.line);
          let included: string;
          try {
            included = readFile(m);
          } catch (e) {
            return p.fail(`unable to read included file '${pat.text}' (${m}): ${(e as Error).message}`, pat.line);
          }
          parseFile(included, m, [...stack, file], cfg, sink, servers, readFile, glob, includeBase);
        }
        p.semi();
        break;
      }
      default:
        p.unexpected(t, 'a statement (cluster, match, rewrite, aggregate, statistics, send, listen, include)');
    }
  }
  sink.items.push(...fileSink.items);
  // Cross-statement checks once the whole top-level file is read.
  if (stack.length === 0) finalChecks(cfg, sink);
}

function expr(t: CTok): CrelayExpr {
  return { file: t.file, line: t.line, text: t.text };
}

function parseCluster(p: Parser, cfg: CrelayConfig, servers: Map<string, ServerEntry>, sink: DiagnosticSink): void {
  const start = p.kw('cluster');
  const name = p.string('a cluster name');
  const typeTok = p.peek();
  const typeWord = typeTok?.kind === 'word' ? typeTok.text : '';
  let type: CrelayClusterType;
  let replication = 1;
  let dynamic = false;
  let useall = false;
  if (['forward', 'any_of', 'failover'].includes(typeWord)) {
    p.next();
    type = typeWord as CrelayClusterType;
    if (p.isKw('useall')) {
      p.next();
      useall = true;
    }
  } else if ((CRELAY_HASH_TYPES as readonly string[]).includes(typeWord)) {
    p.next();
    type = typeWord as CrelayClusterType;
    for (;;) {
      if (p.isKw('replication')) {
        p.next();
        replication = p.int('a replication count');
      } else if (p.isKw('dynamic')) {
        p.next();
        dynamic = true;
      } else break;
    }
  } else if (typeWord === 'file') {
    p.next();
    type = 'file';
    if (p.isKw('ip')) {
      p.next();
      type = 'file ip';
    }
  } else {
    return p.unexpected(typeTok, 'forward, any_of, failover, carbon_ch, fnv1a_ch, jump_fnv1a_ch or file');
  }
  const cluster: CrelayCluster = {
    file: p.file,
    line: start.line,
    name: name.text,
    type,
    endLine: start.line,
    replication,
    dynamic,
    useall,
    members: [],
    paths: [],
  };
  if (type === 'file' || type === 'file ip') {
    while (p.peek() !== undefined && p.peek()!.kind !== 'semi') {
      const t = p.string('a file path');
      cluster.paths.push({ file: p.file, line: t.line, path: t.text });
    }
    if (cluster.paths.length === 0) p.unexpected(p.peek(), 'a file path');
  } else {
    while (p.peek() !== undefined && p.peek()!.kind !== 'semi') cluster.members.push(parseMember(p));
    if (cluster.members.length === 0) p.unexpected(p.peek(), 'a host[:port][=instance]');
  }
  const end = p.semi();
  cluster.endLine = end.line;
  const fail = (msg: string): never => p.fail(msg, end.line);

  if (CRELAY_HASH_TYPES.includes(type) && (replication < 1 || replication > 255)) fail('replication count must be between 1 and 255');
  // router_add_server for each member, in order.
  for (const m of cluster.members) {
    const d = m.destination;
    const label = `${d.server.includes(':') ? `[${d.server}]` : d.server}:${d.port}`;
    const key = `${d.server}\0${d.port}`;
    const prev = servers.get(key);
    if (prev === undefined) {
      servers.set(key, { key, instance: d.instance, type: m.type, refs: 1 });
      continue;
    }
    prev.refs++;
    if (prev.instance === null && d.instance !== null) {
      fail(`cannot set instance '${d.instance}' for server ${label}: server was previously defined without instance`);
    } else if (prev.instance !== null && d.instance === null) {
      fail(`cannot define server ${label} without instance: server was previously defined with instance '${prev.instance}'`);
    } else if (prev.instance !== null && d.instance !== null && prev.instance !== d.instance) {
      fail(`cannot set instance '${d.instance}' for server ${label}: server was previously defined with instance '${prev.instance}'`);
    }
    if (prev.type !== m.type)
      fail(`cannot set type '${m.type}' for server ${label}: server was previously defined with type '${prev.type}'`);
    if (type === 'any_of' || type === 'failover') fail(`cannot share server ${label} with any_of/failover cluster '${cluster.name}'`);
    if (cluster.members.filter((x) => x.destination.server === d.server && x.destination.port === d.port).length > 1) {
      sink.warn('duplicate-member', m.line, `${label} appears more than once in cluster '${cluster.name}'`, {
        cluster: cluster.name,
        member: label,
      });
    }
  }
  if (cfg.clusters.some((c) => c.name === cluster.name) || cluster.name === 'blackhole') fail('cluster with the same name already defined');
  if (CRELAY_HASH_TYPES.includes(type)) {
    if (cluster.members.length < replication) {
      fail(
        `invalid cluster '${cluster.name}': replication count (${replication}) is larger than the number of servers (${cluster.members.length})`,
      );
    }
    if (cluster.members.length > 128)
      fail(`cluster '${cluster.name}' has ${cluster.members.length} servers; a hash cluster holds at most 128`);
  }
  if (dynamic)
    sink.info(
      'dynamic-cluster',
      start.line,
      `cluster '${cluster.name}' is dynamic: while a member is down its metrics go to other members`,
      { cluster: cluster.name },
    );
  if (type === 'any_of')
    sink.info('any-of-cluster', start.line, `cluster '${cluster.name}' is any_of: when a member is down its share goes to the others`, {
      cluster: cluster.name,
    });
  cfg.clusters.push(cluster);
}

function parseMember(p: Parser): CrelayMember {
  const hostTok = p.string('a host[:port][=instance]');
  if (hostTok.kind === 'word' && /^[0-9]+$/.test(hostTok.text)) p.unexpected(hostTok, 'a host[:port][=instance]');
  let instance: string | null = null;
  if (p.peek()?.kind === 'eq') {
    p.next();
    const inst = p.string('an instance');
    // An unquoted number is re-printed from its integer value (=007 → 7), like the relay's INTVAL.
    instance = inst.kind === 'word' && /^[0-9]+$/.test(inst.text) ? String(Number.parseInt(inst.text, 10) | 0) : inst.text;
  }
  const ctx = { file: p.file, line: hostTok.line };
  const hostPort = hostTok.text;
  if (hostPort === '' || hostPort.startsWith(':')) p.fail('host or IP-address required', hostTok.line);
  let d: Destination;
  try {
    d = parseCrelayMember(hostPort, ctx);
  } catch (e) {
    if (e instanceof ConfigError) p.fail(e.message.includes('port') ? `invalid port number in '${hostPort}'` : e.message, hostTok.line);
    throw e;
  }
  d!.instance = instance;
  const m: CrelayMember = { file: p.file, line: hostTok.line, text: hostPort, destination: d!, proto: 'tcp', type: 'linemode' };
  for (;;) {
    const t = p.peek();
    if (t?.kind !== 'word' || !MEMBER_OPTION_WORDS.has(t.text)) break;
    p.next();
    if (t.text === 'proto') {
      const v = p.string('udp or tcp');
      if (v.text !== 'udp' && v.text !== 'tcp') p.unexpected(v, 'udp or tcp');
      m.proto = v.text as 'udp' | 'tcp';
    } else if (t.text === 'type') {
      const v = p.string('linemode or syslog');
      if (v.text !== 'linemode' && v.text !== 'syslog') p.unexpected(v, 'linemode or syslog');
      m.type = v.text as 'linemode' | 'syslog';
    } else {
      const v = p.string('plain, gzip, lz4 or snappy');
      if (!['plain', 'gzip', 'lz4', 'snappy', 'bzip2', 'lzma'].includes(v.text)) p.unexpected(v, 'plain, gzip, lz4 or snappy');
      m.transport = v.text;
      const sec = parseSecurity(p, false);
      if (sec) m.security = sec;
    }
  }
  return m;
}

/**
 * `ssl` / `mtls CERT KEY` after a member's transport; `ssl CERT` / `mtls CERT [KEY]` for a listener (whose
 * addresses are always followed by `proto`, which tells a certificate from the next address).
 */
function parseSecurity(p: Parser, forListener: boolean): { mode: 'ssl' | 'mtls'; files: string[] } | undefined {
  if (!p.isKw('ssl') && !p.isKw('mtls')) return undefined;
  const mode = p.next().text as 'ssl' | 'mtls';
  const files: string[] = [];
  const max = mode === 'mtls' ? 2 : forListener ? 1 : 0;
  while (files.length < max) {
    const t = p.peek();
    if (t === undefined || t.kind === 'semi' || t.kind === 'eq') break;
    if (forListener && p.isKw('proto', 1)) break;
    files.push(p.next().text);
  }
  return { mode, files };
}

function parseMatch(p: Parser, cfg: CrelayConfig): CrelayRule {
  const start = p.kw('match');
  let patterns: CrelayExpr[] | null = [];
  const t0 = p.peek();
  if (t0?.kind === 'word' && t0.text === '*') {
    p.next();
    patterns = null;
  } else {
    while (
      p.peek() !== undefined &&
      p.peek()!.kind !== 'semi' &&
      !(p.peek()!.kind === 'word' && ['validate', 'route', 'send', 'stop'].includes(p.peek()!.text))
    ) {
      patterns.push(expr(p.string('a regular expression')));
    }
    if (patterns.length === 0) p.unexpected(p.peek(), "'*' or a regular expression");
  }
  const rule: Extract<CrelayRule, { kind: 'match' }> = {
    kind: 'match',
    file: p.file,
    line: start.line,
    patterns,
    sendTo: [],
    blackhole: false,
    stop: false,
    endLine: start.line,
  };
  if (p.isKw('validate')) {
    p.next();
    const v = expr(p.string('a regular expression'));
    p.kw('else');
    const act = p.string('log or drop');
    if (act.text !== 'log' && act.text !== 'drop') p.unexpected(act, 'log or drop');
    rule.validate = { ...v, action: act.text as 'log' | 'drop' };
  }
  if (p.isKw('route')) {
    p.next();
    p.kw('using');
    rule.routeUsing = expr(p.string('a replacement'));
  }
  parseOptionalSendTo(p, cfg, rule);
  parseOptionalStop(p, rule);
  rule.endLine = p.semi().line;
  if (rule.blackhole) rule.stop = true;
  for (const pat of patterns ?? []) checkRegex(pat, undefined);
  return rule;
}

/** The optional `send to <clusters | blackhole>` clause of match, aggregate and statistics. */
function parseOptionalSendTo(p: Parser, cfg: CrelayConfig, rule: { sendTo: string[]; blackhole?: boolean }): void {
  if (!p.isKw('send')) return;
  p.next();
  p.kw('to');
  parseDestinations(p, cfg, rule);
}

/** The optional trailing `stop` of match, aggregate and statistics. */
function parseOptionalStop(p: Parser, rule: { stop: boolean }): void {
  if (!p.isKw('stop')) return;
  p.next();
  rule.stop = true;
}

function parseDestinations(p: Parser, cfg: CrelayConfig, rule: { sendTo: string[]; blackhole?: boolean }): void {
  if (p.isKw('blackhole')) {
    p.next();
    rule.sendTo = ['blackhole'];
    rule.blackhole = true;
    return;
  }
  while (p.peek() !== undefined && p.peek()!.kind !== 'semi' && !p.isKw('stop')) {
    const t = p.string('a cluster name');
    if (t.kind === 'word' && t.text === 'blackhole') p.unexpected(t, 'a cluster name');
    if (!cfg.clusters.some((c) => c.name === t.text)) p.fail(`unknown cluster '${t.text}'`, t.line);
    rule.sendTo.push(t.text);
  }
  if (rule.sendTo.length === 0) p.unexpected(p.peek(), 'a cluster name or blackhole');
}

function parseAggregate(p: Parser, cfg: CrelayConfig, sink: DiagnosticSink): CrelayRule {
  const start = p.kw('aggregate');
  const patterns: CrelayExpr[] = [];
  while (p.peek() !== undefined && !p.isKw('every')) {
    if (p.peek()!.kind === 'semi') p.unexpected(p.peek(), "'every'");
    patterns.push(expr(p.string('a regular expression')));
  }
  if (patterns.length === 0) p.unexpected(p.peek(), 'a regular expression');
  p.kw('every');
  const interval = p.int('an interval');
  p.kw('seconds');
  p.kw('expire');
  p.kw('after');
  const expire = p.int('an expiry');
  p.kw('seconds');
  let timestamp: 'start' | 'middle' | 'end' = 'end';
  if (p.isKw('timestamp')) {
    p.next();
    p.kw('at');
    const w = p.string('start, middle or end');
    if (!['start', 'middle', 'end'].includes(w.text)) p.unexpected(w, 'start, middle or end');
    timestamp = w.text as 'start' | 'middle' | 'end';
    p.kw('of');
    p.kw('bucket');
  }
  const computes: { type: string; percentile?: number; metric: CrelayExpr }[] = [];
  const TYPES: Record<string, string> = {
    sum: 'sum',
    summary: 'sum',
    count: 'count',
    cnt: 'count',
    max: 'max',
    maximum: 'max',
    min: 'min',
    minimum: 'min',
    average: 'average',
    avg: 'average',
    median: 'median',
    variance: 'variance',
    stddev: 'stddev',
  };
  while (p.isKw('compute')) {
    p.next();
    const w = p.string('an aggregation function');
    const pct = /^percentile([0-9]*)$/.exec(w.text);
    const type = TYPES[w.text] ?? (pct ? 'percentile' : undefined);
    if (type === undefined) p.unexpected(w, 'sum, count, max, min, average, median, percentile<N>, variance or stddev');
    p.kw('write');
    p.kw('to');
    const c: { type: string; percentile?: number; metric: CrelayExpr } = { type: type!, metric: expr(p.string('a metric name')) };
    if (pct) c.percentile = Number(pct[1] || '0');
    computes.push(c);
  }
  if (computes.length === 0) p.unexpected(p.peek(), "'compute'");
  const rule: Extract<CrelayRule, { kind: 'aggregate' }> = {
    kind: 'aggregate',
    file: p.file,
    line: start.line,
    patterns,
    interval,
    expire,
    timestamp,
    computes,
    sendTo: [],
    stop: false,
    endLine: start.line,
  };
  parseOptionalSendTo(p, cfg, rule);
  parseOptionalStop(p, rule);
  const end = p.semi();
  rule.endLine = end.line;
  if (interval <= 0) p.fail('interval must be > 0', end.line);
  if (expire <= 0) p.fail('expire must be > 0', end.line);
  if (expire < interval) p.fail('expire must be greater than interval', end.line);
  for (const pat of patterns) checkRegex(pat, sink);
  return rule;
}

function parseStatistics(p: Parser, cfg: CrelayConfig, sink: DiagnosticSink): void {
  const start = p.next();
  const deprecatedForm = start.text === 'send';
  const st = { file: p.file, line: start.line, resetCounters: false, sendTo: [] as string[], stop: false, deprecatedForm } as NonNullable<
    CrelayConfig['statistics']
  >;
  if (deprecatedForm) {
    p.kw('statistics');
    p.kw('to');
    parseDestinations(p, cfg, st);
    sink.warn(
      'deprecated-syntax',
      start.line,
      "'send statistics to ...' is deprecated and will be removed in a future version, use 'statistics send to ...' instead",
    );
  } else {
    if (p.isKw('submit')) {
      p.next();
      p.kw('every');
      st.interval = p.int('an interval');
      p.kw('seconds');
    }
    if (p.isKw('reset')) {
      p.next();
      p.kw('counters');
      p.kw('after');
      p.kw('interval');
      st.resetCounters = true;
    }
    if (p.isKw('prefix')) {
      p.next();
      p.kw('with');
      st.prefix = p.string('a prefix').text;
    }
    parseOptionalSendTo(p, cfg, st);
  }
  parseOptionalStop(p, st);
  const end = p.semi();
  if (st.sendTo.length > 0 && cfg.statistics !== undefined && cfg.statistics.sendTo.length > 0) {
    p.fail("duplicate 'statistics send to' not allowed, use multiple destinations instead", end.line);
  }
  cfg.statistics =
    cfg.statistics === undefined ? st : { ...cfg.statistics, ...st, sendTo: st.sendTo.length > 0 ? st.sendTo : cfg.statistics.sendTo };
}

function parseListen(p: Parser, cfg: CrelayConfig): void {
  p.kw('listen');
  const added: CrelayListener[] = [];
  let groups = 0;
  while (p.peek() !== undefined && p.peek()!.kind !== 'semi') {
    if (p.isKw('type')) p.next();
    const mode = p.string('linemode');
    if (mode.text !== 'linemode' && mode.text !== 'syslog') p.unexpected(mode, 'linemode');
    groups++;
    let transport: string | undefined;
    let security: { mode: 'ssl' | 'mtls'; files: string[] } | undefined;
    if (p.isKw('transport')) {
      p.next();
      transport = p.string('plain, gzip, lz4 or snappy').text;
      security = parseSecurity(p, true);
    } else if (p.isKw('ssl') || p.isKw('mtls')) security = parseSecurity(p, true);
    let n = 0;
    while (p.peek() !== undefined && p.peek()!.kind !== 'semi' && !p.isKw('type') && !p.isKw('linemode')) {
      const addr = p.string('an [interface:]port or a socket path');
      p.kw('proto');
      const proto = p.string('tcp, udp or unix');
      if (!['tcp', 'udp', 'unix'].includes(proto.text)) p.unexpected(proto, 'tcp, udp or unix');
      const l: CrelayListener = {
        file: p.file,
        line: addr.line,
        type: mode.text as 'linemode',
        address: addr.text,
        proto: proto.text as 'tcp',
      };
      if (transport !== undefined) l.transport = transport;
      if (security !== undefined) l.security = security;
      added.push(l);
      n++;
    }
    if (n === 0) p.unexpected(p.peek(), 'an [interface:]port or a socket path');
  }
  if (groups === 0) p.unexpected(p.peek(), "'type linemode'");
  const end = p.semi();
  const all = [...cfg.listeners, ...added];
  for (let i = cfg.listeners.length; i < all.length; i++) {
    for (let j = 0; j < i; j++) {
      const dup = listenerOverlap(all[j]!, all[i]!);
      if (dup !== null) p.fail(`duplicate listener ${dup}`, end.line);
    }
  }
  cfg.listeners.push(...added);
}

function listenerSplit(l: CrelayListener): { iface: string | null; port: string } {
  if (l.proto === 'unix') return { iface: l.address, port: '' };
  const m = /^(?:\[([^\]]*)\]|(.*)):([0-9]+)$/.exec(l.address);
  if (m) return { iface: m[1] ?? m[2] ?? '', port: m[3]! };
  return /^[0-9]+$/.test(l.address) ? { iface: null, port: l.address } : { iface: l.address, port: '2003' };
}

/** Two listeners binding the same socket: same proto and port, and the same address or a wildcard of its family. */
function listenerOverlap(a: CrelayListener, b: CrelayListener): string | null {
  if (a.proto !== b.proto) return null;
  const x = listenerSplit(a);
  const y = listenerSplit(b);
  if (a.proto === 'unix') return x.iface === y.iface ? `${y.iface} with ${x.iface}` : null;
  if (x.port !== y.port) return null;
  const fam = (i: string) => (i.includes(':') ? 6 : 4);
  const wild = (i: string | null) => i === null || i === '0.0.0.0' || i === '::' || i === '';
  const ix = x.iface;
  const iy = y.iface;
  const overlap = ix === iy || ix === null || iy === null || (wild(ix) && fam(ix) === fam(iy)) || (wild(iy) && fam(iy) === fam(ix));
  return overlap ? `${iy ?? '*'} with ${ix ?? '*'} for port ${y.port}` : null;
}

function finalChecks(cfg: CrelayConfig, sink: DiagnosticSink): void {
  // A `match * ... stop` makes every later rule unreachable (the relay warns).
  let stopAll: CrelayRule | undefined;
  for (const r of cfg.rules) {
    if (stopAll !== undefined) {
      sink.warn(
        'unreachable-rule',
        r.line,
        `${r.kind} at line ${r.line} will never match due to preceding match * ... stop at line ${stopAll.line}`,
        {
          rule: r.kind,
        },
      );
    }
    if (stopAll === undefined && r.kind === 'match' && r.patterns === null && r.stop) stopAll = r;
  }
}

/** POSIX ERE patterns compile differently in JS; a failure is only a warning. */
function checkRegex(e: CrelayExpr, sink: DiagnosticSink | undefined): void {
  if (sink === undefined) return;
  if (posixRegex(e.text) === null)
    sink.warn('regex-unverified', e.line, `expression ${JSON.stringify(e.text)} could not be checked (POSIX regex syntax)`);
}

/** A POSIX extended regex as a JS RegExp (bracket classes translated), or null when it does not compile. */
export function posixRegex(pattern: string): RegExp | null {
  const classes: Record<string, string> = {
    alpha: 'A-Za-z',
    digit: '0-9',
    alnum: 'A-Za-z0-9',
    upper: 'A-Z',
    lower: 'a-z',
    space: ' \\t\\n\\r\\f\\v',
    blank: ' \\t',
    punct: '!-\\/:-@\\[-`{-~',
    xdigit: '0-9A-Fa-f',
  };
  const translated = pattern.replace(/\[:([a-z]+):\]/g, (m, name: string) => classes[name] ?? m);
  try {
    return new RegExp(translated);
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Ring selection

export function crelayHashType(type: CrelayClusterType): HashType | undefined {
  return (CRELAY_HASH_TYPES as readonly string[]).includes(type) ? (type as HashType) : undefined;
}

/**
 * Pick the hashing cluster: by name when given, else the only carbon_ch/fnv1a_ch/jump_fnv1a_ch cluster.
 * Throws ConfigError listing the candidates otherwise.
 */
export function selectCrelayCluster(cfg: CrelayConfig, name?: string): CrelayCluster {
  const hashing = cfg.clusters.filter((c) => crelayHashType(c.type) !== undefined);
  const list = (cs: CrelayCluster[]) => cs.map((c) => `${c.name} (${c.type}, ${c.file}:${c.line})`).join(', ');
  if (name !== undefined) {
    const c = cfg.clusters.find((x) => x.name === name);
    if (c === undefined) {
      throw new ConfigError(`no cluster named '${name}'`, { file: cfg.file, expected: `one of: ${list(cfg.clusters) || '(no clusters)'}` });
    }
    if (crelayHashType(c.type) === undefined) {
      throw new ConfigError(`cluster '${name}' is ${c.type}, not a hash ring`, {
        file: c.file,
        line: c.line,
        expected: `a carbon_ch, fnv1a_ch or jump_fnv1a_ch cluster: ${list(hashing) || '(none in this file)'}`,
      });
    }
    return c;
  }
  if (hashing.length === 1) return hashing[0]!;
  if (hashing.length === 0) {
    throw new ConfigError('no carbon_ch, fnv1a_ch or jump_fnv1a_ch cluster in this configuration', {
      file: cfg.file,
      expected: `a hashing cluster (clusters here: ${list(cfg.clusters) || 'none'})`,
    });
  }
  throw new ConfigError(`${hashing.length} hashing clusters; choose one with --cluster-name`, {
    file: cfg.file,
    expected: `one of: ${list(hashing)}`,
  });
}

export interface CrelayRing {
  spec: RingSpec;
  cluster: CrelayCluster;
  diagnostics: ConfigDiagnostic[];
}

/** The ring of a hashing cluster (selected as selectCrelayCluster does), with notes on how keys are formed. */
export function crelayRing(cfg: CrelayConfig, name?: string): CrelayRing {
  const cluster = selectCrelayCluster(cfg, name);
  const sink = new DiagnosticSink(cluster.file);
  sink.items.push(...cfg.diagnostics.filter((d) => (d.data as { cluster?: string } | undefined)?.cluster === cluster.name));
  let rewrites = 0;
  for (const r of cfg.rules) {
    if (r.kind === 'rewrite') rewrites++;
    if (r.kind !== 'match' || !r.sendTo.includes(cluster.name)) continue;
    if (r.routeUsing !== undefined) {
      sink.add(
        'info',
        'route-using',
        r.line,
        `match at ${r.file}:${r.line} hashes metrics for '${cluster.name}' by 'route using ${r.routeUsing.text}', not by their name`,
        {
          cluster: cluster.name,
        },
      );
    }
    if (rewrites > 0) {
      sink.add(
        'info',
        'rewritten-names',
        r.line,
        `${rewrites} rewrite rule(s) before the match at ${r.file}:${r.line} change names before '${cluster.name}' hashes them`,
        {
          cluster: cluster.name,
        },
      );
    }
  }
  const spec = makeRingSpec({
    impl: 'carbon-c-relay',
    hash: crelayHashType(cluster.type)!,
    router: 'consistent-hashing',
    destinations: cluster.members.map((m) => ({ ...m.destination })),
    replication: cluster.replication,
    diverse: false,
    tagRelayNormalized: false,
    sanitize: true,
    origin: { file: cluster.file, line: cluster.line, cluster: cluster.name, format: 'carbon-c-relay' },
  });
  return { spec, cluster, diagnostics: sink.items };
}
