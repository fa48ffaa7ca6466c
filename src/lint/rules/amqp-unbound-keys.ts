// amqp-unbound-keys (R11): a topic exchange drops a message that no queue's binding matches, so in carbon's
// AMQP mode a metric whose name no cache binds is lost without a trace. Decided exactly without names
// (unboundTopicKeys): only patterns made of `*` and `#` alone can match a name of words no pattern names,
// so some name is unbound iff some word count escapes every such pattern; the finding names one such key.
// Where the bindings should grow is the operator's call (any catch-all overlaps the other caches), so the
// fix is advice.
import { unboundTopicKeys, type UnboundKeys } from '../../ring/amqp-topic.js';
import { memberId } from '../../ring/types.js';
import { defineRule } from '../rule-definition.js';

/** AMQP 0-9-1 shortstr: a name of more bytes is never a routing key (carbon cannot publish it at all). */
const MAX_ROUTING_KEY_BYTES = 255;

export const rule = defineRule({
  meta: {
    id: 'amqp-unbound-keys',
    ref: 'R11',
    severity: 'warning',
    summary: "Some metric names match no cache's AMQP binding (the exchange drops them)",
    fixable: 'advice',
    messages: {
      unbound:
        "no binding of {{members}} matches a metric such as '{{key}}': exchange {{exchange}} drops every name of {{counts}} made only of words no pattern names, so those metrics are lost{{inBody}}",
      inBody:
        " (with AMQP_METRIC_NAME_IN_BODY on {{members}} it is the publisher's routing key, not the metric name, that must match: what is lost is every message published with such a key)",
      fix: "bind the names you publish (a pattern per first word, e.g. 'servers.#'), or '#' on one cache meant to store everything (it then also stores a copy of what the other caches bind)",
    },
  },
  check(ctx) {
    for (const ring of ctx.rings) {
      const routing = ring.spec.routing;
      if (routing?.kind !== 'amqp-topic') continue;
      const found = unboundTopicKeys(routing.bindings.flatMap((b) => b.patterns.map((p) => p.text)));
      ctx.notes.push(`${routing.file}: exchange ${routing.exchange}: ${coverage(found)}`);
      // a name of 129 words or more is longer than any routing key: every count up to 128 is bound
      if (found === undefined || Buffer.byteLength(found.witness, 'utf8') > MAX_ROUTING_KEY_BYTES) continue;
      const inBody = routing.bindings.filter((b) => b.nameInBody === true).map((b) => memberId(b.member));
      // cited at the first pattern of each cache: the bindings as a whole decide it
      const firsts = routing.bindings.flatMap((b) =>
        b.patterns.slice(0, 1).map((p) => ({ file: b.file ?? routing.file, line: p.line ?? null })),
      );
      const at = firsts[0] ?? { file: routing.file, line: null };
      rule.report(ctx, {
        file: at.file,
        line: at.line,
        message: rule.msg('unbound', {
          members: cacheList(routing.bindings.map((b) => memberId(b.member))),
          key: found.witness,
          counts: countsText(found),
          exchange: routing.exchange,
          inBody: inBody.length === 0 ? '' : rule.msg('inBody', { members: inBody.join(', ') }),
        }),
        fix: rule.msg('fix'),
        ...(firsts.length > 1 ? { related: firsts.slice(1) } : {}),
      });
    }
  },
});

/** `1 word`, `1 or 3 words`, `2 or more words`, `1, 3 or 5 or more words`: the word counts some unbound name has. */
function countsText(u: UnboundKeys): string {
  const parts = u.counts.map(String);
  if (u.from !== undefined) parts.push(`${u.from} or more`);
  const list = parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(', ')} or ${parts[parts.length - 1]!}`;
  return `${list} ${list === '1' ? 'word' : 'words'}`;
}

/** For --explain: which names the bindings certainly take, whatever their words. */
function coverage(u: UnboundKeys | undefined): string {
  if (u === undefined) return 'every metric name reaches a cache (patterns of `*` and `#` alone cover every word count)';
  return `names of ${countsText(u)} reach a cache only through a pattern's literal words (e.g. '${u.witness}' reaches none)`;
}

/** The caches, by id; a long list is cut after three. */
function cacheList(ids: readonly string[]): string {
  return ids.length <= 4 ? ids.join(', ') : `${ids.slice(0, 3).join(', ')} and ${ids.length - 3} more caches`;
}
