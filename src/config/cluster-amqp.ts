// The `ring.amqp` block of a ringshift cluster file: carbon's AMQP mode, where no relay hashes anything and
// each carbon-cache binds its own queue to the topic exchange with BIND_PATTERNS (carbon.conf of each
// cache host). One carbon.conf only knows its own caches; the cluster file puts every cache's bindings
// side by side so `ring locate`, `ring diff` and audit can say which caches receive a metric.
//
//   ring:
//     amqp:
//       exchange: metrics            # AMQP_EXCHANGE (default graphite)
//       bindings:                    # member → BIND_PATTERNS (a list, or one comma-separated string)
//         cache-a:2004:a: ["servers.#", "stats.*.count"]
//         cache-b:2004:a: "#"
//       hosts:                       # or: each cache host's own carbon.conf (ENABLE_AMQP, BIND_PATTERNS, ...)
//         graphite-3: hosts/graphite-3/carbon.conf
//
// A carbon.conf does not say which host it is on, so `hosts` names it: every carbon-cache instance of the
// file that enables AMQP becomes the member HOST:PICKLE_RECEIVER_PORT:INSTANCE (src/config/carbon-amqp.ts).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isMap, isScalar, isSeq, type Node, type Pair } from 'yaml';
import { topicOverlap } from '../ring/amqp-topic.js';
import { memberId, type AmqpBindingModel, type Destination, type RoutingModel } from '../ring/types.js';
import { amqpCaches } from './carbon-amqp.js';
import { parseCarbonConf } from './carbon-conf.js';
import type { SectionContext } from './cluster-section.js';

const AMQP_KEYS = ['exchange', 'bindings', 'hosts'];

/** carbon's default AMQP_EXCHANGE. */
const DEFAULT_EXCHANGE = 'graphite';

/** Parse `ring.amqp`; `parseMember` reads a member the way ring.destinations are read. */
export function parseAmqpBlock(
  pair: Pair,
  ctx: SectionContext,
  parseMember: (text: string, line: number | undefined) => Destination,
): Extract<RoutingModel, { kind: 'amqp-topic' }> {
  const node = pair.value as Node | null;
  if (!isMap(node)) ctx.fail('ring.amqp must be a mapping', pair, `keys: ${AMQP_KEYS.join(', ')}`);
  let exchange: { name: string; pair: Pair } | undefined;
  let bindings: AmqpBindingModel[] = [];
  let fromHosts: HostCaches | undefined;
  for (const p of (node as { items: Pair[] }).items) {
    const key = isScalar(p.key) ? String(p.key.value) : '';
    if (key === 'exchange') {
      const v = p.value as Node | null;
      if (!isScalar(v) || typeof v.value !== 'string' || v.value === '') ctx.fail('ring.amqp.exchange must be a non-empty string', p);
      exchange = { name: (v as { value: string }).value, pair: p };
    } else if (key === 'bindings') {
      bindings = parseBindings(p, ctx, parseMember);
    } else if (key === 'hosts') {
      fromHosts = parseHosts(p, ctx);
    } else {
      ctx.fail(`unknown key ring.amqp.${key}`, p, `one of: ${AMQP_KEYS.join(', ')}`);
    }
  }
  let name = exchange?.name ?? DEFAULT_EXCHANGE;
  if (fromHosts !== undefined) {
    const first = fromHosts.caches[0];
    if (first === undefined) {
      ctx.fail('no carbon-cache in ring.amqp.hosts enables AMQP', fromHosts.pair, 'ENABLE_AMQP = True in [cache] or [cache:NAME]');
    }
    for (const c of fromHosts.caches) {
      const agreed = exchange?.name ?? first.exchange;
      if (c.exchange === agreed) continue;
      const where = exchange !== undefined ? `ring.amqp.exchange is ${agreed}` : `${memberId(first.binding.member)} uses ${agreed}`;
      ctx.fail(
        `${memberId(c.binding.member)} consumes from AMQP_EXCHANGE ${c.exchange} (${c.binding.file ?? ''}:${c.exchangeLine ?? '?'}) but ${where}: a publisher writes to one exchange`,
        fromHosts.pair,
        'one AMQP_EXCHANGE for every cache of the cluster',
      );
    }
    name = exchange?.name ?? first.exchange;
    const seen = new Set(bindings.map((b) => memberId(b.member)));
    for (const c of fromHosts.caches) {
      const id = memberId(c.binding.member);
      if (seen.has(id)) ctx.fail(`${id} is bound both in ring.amqp.bindings and by its carbon.conf in ring.amqp.hosts`, fromHosts.pair);
      seen.add(id);
      bindings.push(c.binding);
    }
  }
  if (bindings.length === 0) {
    ctx.fail('ring.amqp needs bindings', pair, 'bindings: { "host:port:instance": ["pattern", ...] } or hosts: { HOST: carbon.conf }');
  }
  warnMixedNameInBody(bindings, ctx, pair);
  return { kind: 'amqp-topic', file: ctx.file, exchange: name, bindings };
}

interface HostCaches {
  pair: Pair;
  caches: ReturnType<typeof amqpCaches>;
}

/** `hosts: { HOST: path/to/carbon.conf }`: the AMQP consumers of each host's carbon.conf (paths relative to the cluster file). */
function parseHosts(pair: Pair, ctx: SectionContext): HostCaches {
  const node = pair.value as Node | null;
  if (!isMap(node))
    ctx.fail('ring.amqp.hosts must map each cache host to its carbon.conf', pair, 'graphite-3: hosts/graphite-3/carbon.conf');
  const caches: HostCaches['caches'] = [];
  for (const p of (node as { items: Pair[] }).items) {
    const host = isScalar(p.key) ? String(p.key.value) : '';
    if (host === '' || /[\s:[\]]/.test(host))
      ctx.fail(`ring.amqp.hosts: ${JSON.stringify(host)} is not a host name`, p, 'a host name or IPv4 address');
    const v = p.value as Node | null;
    if (!isScalar(v) || typeof v.value !== 'string' || v.value === '')
      ctx.fail(`ring.amqp.hosts.${host} must be the path of its carbon.conf`, p);
    const file = resolve(ctx.dir, (v as { value: string }).value);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      ctx.fail(`cannot read ${file} (ring.amqp.hosts.${host}): ${(e as Error).message}`, p, 'a readable carbon.conf');
    }
    const found = amqpCaches(parseCarbonConf(text, file), host);
    if (found.length === 0)
      ctx.fail(
        `${file}: no carbon-cache instance enables AMQP (ring.amqp.hosts.${host})`,
        p,
        'ENABLE_AMQP = True in [cache] or [cache:NAME]',
      );
    caches.push(...found);
  }
  return { pair, caches };
}

/**
 * Caches that disagree on AMQP_METRIC_NAME_IN_BODY cannot share messages: a body of `value timestamp` lines
 * is an "invalid message line" to a cache that expects `name value timestamp`, and the reverse, so the
 * points are dropped by whichever cache reads the other form. Reported for each such pair whose bindings
 * can both match one routing key (disjoint bindings never share a message).
 */
function warnMixedNameInBody(bindings: readonly AmqpBindingModel[], ctx: SectionContext, at: Pair): void {
  for (const a of bindings) {
    if (a.nameInBody !== true) continue;
    for (const b of bindings) {
      if (b.nameInBody === true) continue;
      let key: string | undefined;
      for (const p of a.patterns) {
        for (const q of b.patterns) key ??= topicOverlap(p.text, q.text);
      }
      if (key === undefined) continue;
      ctx.sink.warn(
        'amqp-name-in-body-mixed',
        ctx.line(at) ?? null,
        `AMQP_METRIC_NAME_IN_BODY is True for ${memberId(a.member)} and False for ${memberId(b.member)}, and both bind routing keys such as '${key}': ` +
          'a message both receive is read by one and dropped as "invalid message line" by the other',
      );
    }
  }
}

function parseBindings(
  pair: Pair,
  ctx: SectionContext,
  parseMember: (text: string, line: number | undefined) => Destination,
): AmqpBindingModel[] {
  const node = pair.value as Node | null;
  if (!isMap(node)) ctx.fail('ring.amqp.bindings must map each cache to its BIND_PATTERNS', pair, '"host:port:instance": ["servers.#"]');
  const out: AmqpBindingModel[] = [];
  for (const p of (node as { items: Pair[] }).items) {
    if (!isScalar(p.key) || typeof p.key.value !== 'string') ctx.fail('each binding key must be a member "host:port[:instance]"', p);
    const member = parseMember(String((p.key as { value: string }).value), ctx.line(p));
    const v = p.value as Node | null;
    const patterns: { text: string; line?: number }[] = [];
    const add = (text: string, line: number | undefined) => patterns.push(line === undefined ? { text } : { text, line });
    if (isSeq(v)) {
      for (const item of v.items) {
        if (!isScalar(item) || typeof item.value !== 'string')
          ctx.fail('each binding pattern must be a string', item as Node, '"servers.#"');
        add((item as { value: string }).value.trim(), ctx.line(item as Node));
      }
    } else if (isScalar(v) && typeof v.value === 'string') {
      // carbon.conf's BIND_PATTERNS = a, b: a comma-separated list, each item stripped
      for (const piece of v.value.split(',')) add(piece.trim(), ctx.line(v));
    } else {
      ctx.fail('binding patterns must be a list of strings or one comma-separated string', p, '["servers.#", "stats.*"]');
    }
    out.push({ member, patterns });
  }
  return out;
}
