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
import { isMap, isScalar, isSeq, type Node, type Pair } from 'yaml';
import type { AmqpBindingModel, Destination, RoutingModel } from '../ring/types.js';
import type { SectionContext } from './cluster-section.js';

const AMQP_KEYS = ['exchange', 'bindings'];

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
  let exchange = DEFAULT_EXCHANGE;
  let bindings: AmqpBindingModel[] | undefined;
  for (const p of (node as { items: Pair[] }).items) {
    const key = isScalar(p.key) ? String(p.key.value) : '';
    if (key === 'exchange') {
      const v = p.value as Node | null;
      if (!isScalar(v) || typeof v.value !== 'string' || v.value === '') ctx.fail('ring.amqp.exchange must be a non-empty string', p);
      exchange = (v as { value: string }).value;
    } else if (key === 'bindings') {
      bindings = parseBindings(p, ctx, parseMember);
    } else {
      ctx.fail(`unknown key ring.amqp.${key}`, p, `one of: ${AMQP_KEYS.join(', ')}`);
    }
  }
  if (bindings === undefined || bindings.length === 0) {
    ctx.fail('ring.amqp needs bindings', pair, 'bindings: { "host:port:instance": ["pattern", ...] }');
  }
  return { kind: 'amqp-topic', file: ctx.file, exchange, bindings: bindings! };
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
