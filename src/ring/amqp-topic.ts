// carbon's AMQP mode as a placement model (issue 13, part 4): metrics are published to a topic exchange
// (AMQP_EXCHANGE) with the metric name as routing key, and every carbon-cache consumes from its own
// exclusive queue bound with each of its BIND_PATTERNS (carbon/amqp_listener.py). The broker delivers a
// message once to every queue with at least one matching binding, so a metric lands on none, one or
// several caches. Matching follows the AMQP 0-9-1 topic rules as RabbitMQ implements and documents
// them: a key and a pattern are lists of dot-separated words (the empty string has none, `a..b` has an
// empty middle word), `*` is exactly one word, `#` zero or more.
import { freezeDestination, isWellFormed, malformedPlacement, NO_OWNERS } from './ring-support.js';
import { memberId, type Destination, type Placement, type Ring, type RingSpec, type RoutingModel } from './types.js';

/** The words of a routing key or binding pattern. */
function words(s: string): string[] {
  return s === '' ? [] : s.split('.');
}

/** A binding pattern compiled to its words. */
export class TopicPattern {
  private readonly p: readonly string[];

  constructor(readonly text: string) {
    this.p = words(text);
  }

  /** Whether a message with routing key `key` is delivered through this binding. */
  matches(key: string): boolean {
    const p = this.p;
    const k = words(key);
    // row[j]: the first i pattern words match the first j key words
    let row = new Uint8Array(k.length + 1);
    row[0] = 1;
    for (let i = 0; i < p.length; i++) {
      const w = p[i]!;
      const next = new Uint8Array(k.length + 1);
      for (let j = 0; j <= k.length; j++) {
        if (w === '#') next[j] = row[j]! | (j > 0 ? next[j - 1]! : 0);
        else if (j > 0 && row[j - 1]! === 1 && (w === '*' || w === k[j - 1])) next[j] = 1;
      }
      row = next;
    }
    return row[k.length] === 1;
  }
}

/** AMQP_MAX routing key: the AMQP 0-9-1 shortstr limit (a longer name cannot be published as a key). */
const MAX_ROUTING_KEY_BYTES = 255;

/** A pattern that matches every routing key: nothing but `#` words. */
function matchesEveryKey(p: string): boolean {
  return p !== '' && words(p).every((w) => w === '#');
}

interface BoundPattern {
  p: TopicPattern;
  line?: number;
  file: string;
}

/**
 * The caches that receive each metric, from their bindings. Members are the bound caches in order. A cache
 * with AMQP_METRIC_NAME_IN_BODY receives what the publisher's routing key says, whatever the name: only a
 * binding that matches every key makes it certain; otherwise the line says the placement is undecided.
 */
export class AmqpTopicRing implements Ring {
  readonly members: readonly Destination[];
  private readonly bound: { member: Destination; patterns: BoundPattern[]; nameInBody: boolean }[];

  constructor(
    readonly spec: RingSpec,
    private readonly model: Extract<RoutingModel, { kind: 'amqp-topic' }>,
  ) {
    const byId = new Map<string, (typeof this.bound)[number]>();
    this.bound = [];
    for (const b of model.bindings) {
      const id = memberId(b.member);
      let entry = byId.get(id);
      if (entry === undefined) {
        entry = { member: freezeDestination(b.member), patterns: [], nameInBody: false };
        byId.set(id, entry);
        this.bound.push(entry);
      }
      if (b.nameInBody === true) entry.nameInBody = true;
      const file = b.file ?? model.file;
      for (const pt of b.patterns)
        entry.patterns.push({ p: new TopicPattern(pt.text), file, ...(pt.line !== undefined ? { line: pt.line } : {}) });
    }
    this.members = this.bound.map((b) => b.member);
  }

  locate(metric: string): Placement {
    if (!isWellFormed(metric)) return malformedPlacement(metric);
    const anyByName = this.bound.some((b) => !b.nameInBody);
    if (anyByName && Buffer.byteLength(metric, 'utf8') > MAX_ROUTING_KEY_BYTES) {
      return {
        metric,
        owners: NO_OWNERS,
        error: `the name is longer than ${MAX_ROUTING_KEY_BYTES} bytes: AMQP cannot carry it as a routing key`,
      };
    }
    const owners: Destination[] = [];
    const why: string[] = [];
    const undecided: string[] = [];
    for (const b of this.bound) {
      const hit = b.nameInBody ? b.patterns.find((x) => matchesEveryKey(x.p.text)) : b.patterns.find((x) => x.p.matches(metric));
      if (hit === undefined) {
        if (b.nameInBody) undecided.push(memberId(b.member));
        continue;
      }
      owners.push(b.member);
      const every = b.nameInBody ? ' (every routing key)' : '';
      why.push(`${memberId(b.member)} binds ${hit.p.text}${every}${hit.line !== undefined ? ` (${where(hit.file, hit.line)})` : ''}`);
    }
    const exchange = `exchange ${this.model.exchange}`;
    const p: Placement =
      owners.length === 0
        ? { metric, owners: NO_OWNERS, decidedBy: `${exchange}: no binding matches`, reason: 'no cache receives it' }
        : { metric, owners, decidedBy: `${exchange}: ${why.join(', ')}` };
    if (undecided.length > 0) {
      p.reason =
        `AMQP_METRIC_NAME_IN_BODY: ${undecided.join(', ')} ${undecided.length === 1 ? 'receives' : 'receive'} it only if the ` +
        "publisher's routing key matches their bindings (the key is the publisher's choice, not the name)";
      if (owners.length === 0) p.decidedBy = `${exchange}: no binding matches every routing key`;
    }
    return p;
  }

  ownersOfKey(key: string): readonly Destination[] {
    return this.locate(key).owners;
  }
}

/** `carbon.conf:12`: the base name keeps a locate line short. */
function where(file: string, line: number): string {
  return `${file.slice(file.lastIndexOf('/') + 1)}:${line}`;
}

/**
 * A routing key that both topic patterns match, or undefined when none exists (the bindings are disjoint).
 * Exact: a search over (position in a, position in b) that builds a common key word by word. `#` may end
 * (move on without a word) or take a word and stay; `*` and a literal take exactly one word; two literals
 * agree only when equal. The shortest witness has at most |a|+|b| words. Wildcard-only words become `x`.
 */
export function topicOverlap(a: string, b: string): string | undefined {
  const p = words(a);
  const q = words(b);
  const width = q.length + 1;
  const seen = new Uint8Array((p.length + 1) * width);
  // each state remembers how it was reached: previous state and the word emitted (null: a `#` ended)
  const from = new Map<number, { prev: number; word: string | null }>();
  const queue = [0];
  seen[0] = 1;
  const visit = (s: number, prev: number, word: string | null): void => {
    if (seen[s] === 1) return;
    seen[s] = 1;
    from.set(s, { prev, word });
    queue.push(s);
  };
  const goal = p.length * width + q.length;
  for (let head = 0; head < queue.length; head++) {
    const s = queue[head]!;
    if (s === goal) {
      const key: string[] = [];
      for (let t = s; t !== 0;) {
        const step = from.get(t)!;
        if (step.word !== null) key.push(step.word);
        t = step.prev;
      }
      return key.reverse().join('.');
    }
    const i = Math.floor(s / width);
    const j = s % width;
    const pw = p[i];
    const qw = q[j];
    if (pw === '#') visit((i + 1) * width + j, s, null);
    if (qw === '#') visit(i * width + j + 1, s, null);
    if (pw === undefined || qw === undefined) continue;
    const pWild = pw === '#' || pw === '*';
    const qWild = qw === '#' || qw === '*';
    if (!pWild && !qWild && pw !== qw) continue;
    const word = !pWild ? pw : !qWild ? qw : 'x';
    visit((pw === '#' ? i : i + 1) * width + (qw === '#' ? j : j + 1), s, word);
  }
  return undefined;
}
