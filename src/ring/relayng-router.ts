// carbon-relay-ng's route table as a placement model (issue 13, part 3; configs.md §5), from its table/, route/, matcher/ and
// rewriter/ packages: a line's name is dropped when a blocklist matcher matches it, then rewritten by every
// rewriter in order, then given to EVERY route whose matcher matches the rewritten name. sendAllMatch sends
// to each destination whose own matcher matches the whole line, sendFirstMatch to the first such, and
// consistentHashing to one destination picked by its md5 ring (100 points per destination, keyed like
// carbon's `('host', 'instance'):i`, sorted by position, host, instance; bisect_left). consistentHashing-v2
// is the variant relay-ng added to follow carbon's collision fix: a point landing on a position an
// earlier destination already holds moves up by one (16-bit, wrapping) until it is free.
//
// Aggregators (aggregator/, table.Dispatch): after the rewriters, each aggregator whose pre-match
// (prefix/notPrefix/sub/notSub and the regex's static prefix) and regex match the name feeds the aggregate
// named by Go's regexp Expand of its format (percentiles: six names, .p25 … .p99); with dropRaw the metric
// itself is not routed. An aggregate is routed later by DispatchAggregate: every route whose matcher
// matches the whole output line "NAME VALUE TS" (so a `$`-anchored route regex never matches one), without
// the blocklist, the rewriters or the aggregators.
//
// Matchers (matcher.go): prefix/notPrefix/sub/notSub on bytes; a regex must also start with the static
// prefix relay-ng derives from it (regexToPrefix: after `^`, letters, digits, `_`, `-` and `\.`), so
// `^abc?` requires "abc" — reproduced, because the relay does it. Go's RE2 syntax is run as a JS RegExp:
// the two agree on the patterns routes use (no backreferences or lookarounds exist in RE2).
import { md5Position16 } from './hash/md5.js';
import { freezeDestination, isWellFormed, malformedPlacement } from './ring-support.js';
import {
  memberId,
  type Destination,
  type Placement,
  type RelayngAggregatorModel,
  type RelayngDestModel,
  type RelayngMatcherModel,
  type RelayngRewriterModel,
  type RelayngRouteModel,
  type RelayngTableModel,
  type Ring,
  type RingSpec,
} from './types.js';

/** A Go (RE2) regex as a JS RegExp: RE2's `(?P<name>` group syntax becomes JS's `(?<name>`. */
export function goRegExp(pattern: string): RegExp {
  return new RegExp(pattern.replace(/\(\?P</g, '(?<'));
}

/** matcher.regexToPrefix. */
export function regexToPrefix(regex: string): string {
  let out = '';
  for (let i = 0; i < regex.length; i++) {
    const ch = regex[i]!;
    if (i === 0) {
      if (ch === '^') continue;
      break;
    }
    if (/[A-Za-z0-9_-]/.test(ch)) out += ch;
    else if (ch === '\\' && regex[i + 1] === '.') {
      out += '.';
      i++;
    } else break;
  }
  return out;
}

/** A compiled matcher.Matcher; compile errors are thrown (the relay refuses the config). */
export class RelayngMatcher {
  private readonly re: RegExp | undefined;
  private readonly notRe: RegExp | undefined;
  private readonly rePrefix: string;
  private readonly notRePrefix: string;

  constructor(readonly m: RelayngMatcherModel) {
    this.re = m.regex ? goRegExp(m.regex) : undefined;
    this.notRe = m.notRegex ? goRegExp(m.notRegex) : undefined;
    this.rePrefix = m.regex ? regexToPrefix(m.regex) : '';
    this.notRePrefix = m.notRegex ? regexToPrefix(m.notRegex) : '';
  }

  match(s: string): boolean {
    const m = this.m;
    if (m.prefix && !s.startsWith(m.prefix)) return false;
    if (m.notPrefix && s.startsWith(m.notPrefix)) return false;
    if (m.sub && !s.includes(m.sub)) return false;
    if (m.notSub && s.includes(m.notSub)) return false;
    if (this.re !== undefined && ((this.rePrefix !== '' && !s.startsWith(this.rePrefix)) || !this.re.test(s))) return false;
    if (this.notRe !== undefined && (this.notRePrefix === '' || s.startsWith(this.notRePrefix)) && this.notRe.test(s)) return false;
    return true;
  }

  describe(): string {
    const parts = Object.entries(this.m)
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([k, v]) => `${k}=${String(v)}`);
    return parts.length === 0 ? 'everything' : parts.join(' ');
  }
}

/**
 * Go's regexp.Expand: `$name` or `${name}` (name: the longest run of letters, digits and `_`; all digits is
 * a group number), `$$` a dollar; a missing group or name gives nothing, a malformed `$` stays literal.
 */
export function goExpand(template: string, m: RegExpExecArray): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c !== '$') {
      out += c;
      continue;
    }
    if (template[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    const ref = /^\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/.exec(template.slice(i));
    if (ref === null) {
      out += '$';
      continue;
    }
    const name = ref[1] ?? ref[2]!;
    out += (/^[0-9]+$/.test(name) ? m[Number(name)] : m.groups?.[name]) ?? '';
    i += ref[0].length - 1;
  }
  return out;
}

/** aggregator.NewPercentiles: the names a percentiles aggregate is written under. */
const PERCENTILE_SUFFIXES = ['p25', 'p50', 'p75', 'p90', 'p95', 'p99'];

/** Go's regexp Expand template ($1, ${1}, $name, ${name}, $$) as a JS replacement string. */
function goTemplate(t: string): string {
  return t.replace(/\$(\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g, (_m, all: string, braced?: string, bare?: string) => {
    if (all === '$') return '$$';
    const name = braced ?? bare!;
    return /^[0-9]+$/.test(name) ? `$${name}` : `$<${name}>`;
  });
}

/** rewriter.RW.Do. */
export function rewriteName(rw: RelayngRewriterModel, name: string): string {
  const isRe = (s: string) => s.length > 1 && s.startsWith('/') && s.endsWith('/');
  if (isRe(rw.not)) {
    if (new RegExp(rw.not.slice(1, -1)).test(name)) return name;
  } else if (rw.not !== '' && name.includes(rw.not)) return name;
  if (isRe(rw.old)) return name.replace(new RegExp(rw.old.slice(1, -1), 'g'), goTemplate(rw.new));
  if (rw.max < 0) return name.split(rw.old).join(rw.new);
  let out = name;
  let from = 0;
  for (let n = 0; n < rw.max; n++) {
    const i = out.indexOf(rw.old, from);
    if (i < 0) break;
    out = out.slice(0, i) + rw.new + out.slice(i + rw.old.length);
    from = i + rw.new.length;
  }
  return out;
}

interface HashEntry {
  position: number;
  host: string;
  instance: string;
  index: number;
}

/** route.ConsistentHasher: the ring of a consistentHashing (withFix: -v2) route. */
export class RelayngHasher {
  readonly ring: HashEntry[] = [];

  constructor(dests: readonly { addr: string; instance: string }[], withFix: boolean, replicas = 100) {
    dests.forEach((d, index) => {
      const host = d.addr.split(':')[0]!;
      const fresh: HashEntry[] = [];
      for (let i = 0; i < replicas; i++) {
        const key = `('${host}', ${d.instance !== '' ? `'${d.instance}'` : 'None'}):${i}`;
        let position = md5Position16(key);
        if (withFix) {
          // bumped against the points of earlier destinations only (this one's are not in the ring yet)
          while (this.ring.some((e) => e.position === position)) position = (position + 1) & 0xffff;
        }
        fresh.push({ position, host, instance: d.instance, index });
      }
      this.ring.push(...fresh);
      this.ring.sort((a, b) =>
        a.position !== b.position
          ? a.position - b.position
          : a.host !== b.host
            ? a.host < b.host
              ? -1
              : 1
            : a.instance < b.instance
              ? -1
              : a.instance > b.instance
                ? 1
                : 0,
      );
    });
  }

  /** GetDestinationIndex. */
  indexOf(name: string): number {
    const p = md5Position16(name);
    let lo = 0;
    let hi = this.ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ring[mid]!.position >= p) hi = mid;
      else lo = mid + 1;
    }
    return this.ring[lo % this.ring.length]!.index;
  }
}

/** The text dest matchers see: relay-ng matches a destination against the whole line "name value ts". */
const LINE_TAIL = ' 1 1';
/** An aggregate's line as Flush writes it ("%s %f %d"): routes and destinations match the whole of it. */
const AGGREGATE_TAIL = ' 1.000000 60';

interface CompiledAggregator {
  model: RelayngAggregatorModel;
  /** prefix/notPrefix/sub/notSub only: PreMatch. */
  pre: RelayngMatcher;
  regex: RegExp;
  /** regexToPrefix of the regex, part of PreMatch. */
  regexPrefix: string;
}

interface CompiledRoute {
  model: RelayngRouteModel;
  matcher: RelayngMatcher;
  dests: { model: RelayngDestModel; matcher: RelayngMatcher; member: Destination }[];
  hasher?: RelayngHasher;
}

/** carbon-relay-ng's table: members are the carbon destinations of every route, in order. */
export class RelayngRing implements Ring {
  readonly members: readonly Destination[];
  private readonly blocklist: RelayngMatcher[];
  private readonly routes: CompiledRoute[];
  private readonly aggregators: CompiledAggregator[];

  constructor(
    readonly spec: RingSpec,
    private readonly table: RelayngTableModel,
  ) {
    const byId = new Map<string, Destination>();
    const intern = (d: Destination): Destination => {
      const id = memberId(d);
      let m = byId.get(id);
      if (m === undefined) byId.set(id, (m = freezeDestination(d)));
      return m;
    };
    this.blocklist = table.blocklist.map((m) => new RelayngMatcher(m));
    this.routes = table.routes.map((r) => {
      const c: CompiledRoute = {
        model: r,
        matcher: new RelayngMatcher(r.matcher),
        dests: r.destinations.map((d) => ({ model: d, matcher: new RelayngMatcher(d.matcher), member: intern(d.member) })),
      };
      if (r.type === 'consistentHashing' || r.type === 'consistentHashing-v2') {
        c.hasher = new RelayngHasher(
          r.destinations.map((d) => ({ addr: d.addr, instance: d.instance })),
          r.type === 'consistentHashing-v2',
        );
      }
      return c;
    });
    this.members = [...byId.values()];
    this.aggregators = table.aggregators.map((a) => {
      const { regex = '', ...pre } = a.matcher;
      return { model: a, pre: new RelayngMatcher(pre), regex: goRegExp(regex), regexPrefix: regexToPrefix(regex) };
    });
  }

  private at(line: number | null): string {
    return line === null ? '' : ` (${this.table.file.slice(this.table.file.lastIndexOf('/') + 1)}:${line})`;
  }

  /**
   * Where the routes send a line: `name` is what route matchers see (the name for a metric, the whole
   * line for an aggregate), `key` what a consistentHashing route hashes, `line` what destination matchers see.
   */
  private route(name: string, key: string, line: string, add: (d: Destination) => void): string[] {
    const why: string[] = [];
    for (const r of this.routes) {
      if (!r.matcher.match(name)) continue;
      const label = `route ${r.model.key} (${r.model.type})${this.at(r.model.line)}`;
      if (r.hasher !== undefined) {
        const d = r.dests[r.hasher.indexOf(key)]!;
        add(d.member);
        why.push(`${label} → ${memberId(d.member)}`);
      } else if (r.model.type === 'sendAllMatch' || r.model.type === 'sendFirstMatch') {
        const sent: string[] = [];
        for (const d of r.dests) {
          if (!d.matcher.match(line)) continue;
          add(d.member);
          sent.push(memberId(d.member));
          if (r.model.type === 'sendFirstMatch') break;
        }
        why.push(`${label} → ${sent.length > 0 ? sent.join(', ') : 'no destination matches'}`);
      } else {
        why.push(`${label} (not a carbon destination)`);
      }
    }
    return why;
  }

  /**
   * The aggregates `name` feeds (Aggregator.AddMaybe, then matchWithCache) in table order, up to and
   * including the first one with dropRaw, and that one's label.
   */
  private feeds(name: string): { text: string[]; dropRaw: string | undefined } {
    const text: string[] = [];
    let dropRaw: string | undefined;
    for (const a of this.aggregators) {
      if (!a.pre.match(name) || (a.regexPrefix !== '' && !name.startsWith(a.regexPrefix))) continue;
      a.regex.lastIndex = 0;
      const m = a.regex.exec(name);
      if (m === null) continue;
      const out = goExpand(a.model.format, m);
      const names = a.model.fn === 'percentiles' ? PERCENTILE_SUFFIXES.map((p) => `${out}.${p}`) : [out];
      const label = `aggregation ${a.model.fn}${this.at(a.model.line)}`;
      for (const n of names) {
        const why = this.route(`${n}${AGGREGATE_TAIL}`, n, `${n}${AGGREGATE_TAIL}`, () => undefined);
        const where = why.length === 0 ? 'no route matches (unroutable)' : why.join(', ');
        text.push(`feeds ${label} as ${JSON.stringify(n)} every ${a.model.interval}s → ${where}`);
      }
      // table.Dispatch returns at the first dropRaw aggregator: later aggregators never see the metric
      if (a.model.dropRaw) {
        dropRaw = label;
        break;
      }
    }
    return { text, dropRaw };
  }

  locate(metric: string): Placement {
    if (!isWellFormed(metric)) return malformedPlacement(metric);
    for (const b of this.blocklist) {
      if (b.match(metric)) return { metric, owners: [], decidedBy: `blocklist ${b.describe()}`, reason: 'dropped before routing' };
    }
    let name = metric;
    for (const rw of this.table.rewriters) name = rewriteName(rw, name);
    const owners: Destination[] = [];
    const seen = new Set<Destination>();
    const add = (d: Destination) => {
      if (seen.has(d)) return;
      seen.add(d);
      owners.push(d);
    };
    const fed = this.feeds(name);
    const why =
      fed.dropRaw === undefined
        ? this.route(name, name, name + LINE_TAIL, add)
        : [`${fed.dropRaw} has dropRaw: the metric itself is not routed`];
    const decided = [...why, ...fed.text];
    const p: Placement = { metric, owners, decidedBy: decided.length > 0 ? decided.join('; ') : 'no route matches' };
    if (name !== metric) p.routedAs = name;
    if (owners.length === 0) {
      p.reason =
        fed.dropRaw !== undefined
          ? 'only its aggregates are routed (dropRaw)'
          : why.length > 0
            ? 'no carbon destination receives it'
            : 'unroutable (the relay counts and drops it)';
    }
    return p;
  }

  ownersOfKey(key: string): readonly Destination[] {
    return this.locate(key).owners;
  }
}
