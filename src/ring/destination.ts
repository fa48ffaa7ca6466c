// Destination strings as each implementation parses them (ring-spec.md §1, configs.md §1.4, §4.2, §7).
import { ConfigError, type ErrorContext } from '../errors.js';
import type { Destination } from './types.js';

const CARBON_SYNTAX = 'host:port[:instance] or [ipv6]:port[:instance]';
const CRELAY_SYNTAX = 'host[:port][=instance] or [ipv6][:port][=instance]';

function parsePort(text: string, raw: string, ctx: ErrorContext, syntax: string): number {
  if (!/^[0-9]+$/.test(text)) {
    throw new ConfigError(`bad port ${JSON.stringify(text)} in destination ${JSON.stringify(raw)}`, {
      ...ctx,
      expected: syntax,
    });
  }
  const port = Number(text);
  if (port > 65535) {
    throw new ConfigError(`port ${port} out of range in destination ${JSON.stringify(raw)}`, { ...ctx, expected: '0..65535' });
  }
  return port;
}

/**
 * carbon's parseDestination / graphite-web's parseHost: strip; `[v6]:rest` or `host:rest`;
 * rest = port[:instance] where the instance is everything after the first colon (may contain colons,
 * may be ''). Port must be an integer.
 */
export function parseCarbonDestination(raw: string, ctx: ErrorContext = {}): Destination {
  const text = raw.trim();
  let server: string;
  let rest: string;
  if (text.startsWith('[')) {
    const close = text.lastIndexOf(']:');
    if (close < 0) {
      throw new ConfigError(`unterminated IPv6 address in destination ${JSON.stringify(raw)}`, { ...ctx, expected: CARBON_SYNTAX });
    }
    server = text.slice(1, close);
    rest = text.slice(close + 2);
  } else {
    const colon = text.indexOf(':');
    if (colon < 0) {
      throw new ConfigError(`destination ${JSON.stringify(raw)} has no port`, { ...ctx, expected: CARBON_SYNTAX });
    }
    server = text.slice(0, colon);
    rest = text.slice(colon + 1);
  }
  if (server === '') {
    throw new ConfigError(`destination ${JSON.stringify(raw)} has no host`, { ...ctx, expected: CARBON_SYNTAX });
  }
  const sep = rest.indexOf(':');
  const portText = sep < 0 ? rest : rest.slice(0, sep);
  const instance = sep < 0 ? null : rest.slice(sep + 1);
  // Python's int() accepts surrounding whitespace; keep that leniency.
  const port = parsePort(portText.trim(), raw, ctx, CARBON_SYNTAX);
  return withLine({ server, port, instance }, ctx);
}

/**
 * carbon-c-relay member: host[:port][=instance], default port 2003, host split at the last ':' unless
 * bracketed. A purely numeric instance is re-printed from its integer value (`=007` → `7`).
 */
export function parseCrelayMember(raw: string, ctx: ErrorContext = {}): Destination {
  const text = raw.trim();
  const eq = text.indexOf('=');
  const hostPort = eq < 0 ? text : text.slice(0, eq);
  let instance: string | null = eq < 0 ? null : text.slice(eq + 1);
  if (instance !== null) {
    if (instance === '') {
      throw new ConfigError(`empty instance in member ${JSON.stringify(raw)}`, { ...ctx, expected: CRELAY_SYNTAX });
    }
    if (/^[0-9]+$/.test(instance)) instance = String(Number.parseInt(instance, 10));
  }
  let server: string;
  let port = 2003;
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close < 0) {
      throw new ConfigError(`unterminated IPv6 address in member ${JSON.stringify(raw)}`, { ...ctx, expected: CRELAY_SYNTAX });
    }
    server = hostPort.slice(1, close);
    const after = hostPort.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) {
        throw new ConfigError(`unexpected ${JSON.stringify(after)} after IPv6 address in ${JSON.stringify(raw)}`, {
          ...ctx,
          expected: CRELAY_SYNTAX,
        });
      }
      port = parsePort(after.slice(1), raw, ctx, CRELAY_SYNTAX);
    }
  } else {
    const colon = hostPort.lastIndexOf(':');
    if (colon < 0) {
      server = hostPort;
    } else {
      server = hostPort.slice(0, colon);
      port = parsePort(hostPort.slice(colon + 1), raw, ctx, CRELAY_SYNTAX);
    }
  }
  if (server === '') {
    throw new ConfigError(`member ${JSON.stringify(raw)} has no host`, { ...ctx, expected: CRELAY_SYNTAX });
  }
  return withLine({ server, port, instance }, ctx);
}

/**
 * buckytools NewNodeParser: HOST[:PORT][=INSTANCE]; the port is parsed with Go's base auto-detection
 * (0x.., 0o.., leading 0 = octal); IPv6 literals are rejected; a missing instance is "None".
 */
export function parseBuckyMember(raw: string, ctx: ErrorContext = {}): Destination {
  const text = raw.trim();
  if (text.startsWith('[')) {
    throw new ConfigError(`buckytools cannot parse IPv6 member ${JSON.stringify(raw)} ("Error parsing port")`, {
      ...ctx,
      expected: 'HOST[:PORT][=INSTANCE] without IPv6',
    });
  }
  const eq = text.indexOf('=');
  const hostPort = eq < 0 ? text : text.slice(0, eq);
  const inst = eq < 0 ? '' : text.slice(eq + 1);
  const colon = hostPort.indexOf(':');
  const server = colon < 0 ? hostPort : hostPort.slice(0, colon);
  let port = 2003;
  if (colon >= 0) {
    const p = parseGoInt(hostPort.slice(colon + 1));
    if (p === undefined || p > 65535) {
      throw new ConfigError(`bad port in member ${JSON.stringify(raw)} ("Error parsing port")`, {
        ...ctx,
        expected: 'HOST[:PORT][=INSTANCE]',
      });
    }
    port = p;
  }
  if (server === '') throw new ConfigError(`member ${JSON.stringify(raw)} has no host`, { ...ctx, expected: 'HOST[:PORT][=INSTANCE]' });
  return withLine({ server, port, instance: inst === '' ? null : inst }, ctx);
}

function parseGoInt(s: string): number | undefined {
  let m: RegExpMatchArray | null;
  if ((m = /^0[xX]([0-9a-fA-F_]+)$/.exec(s))) return Number.parseInt(m[1]!.replaceAll('_', ''), 16);
  if ((m = /^0[oO]?([0-7_]+)$/.exec(s))) return Number.parseInt(m[1]!.replaceAll('_', ''), 8);
  if ((m = /^0[bB]([01_]+)$/.exec(s))) return Number.parseInt(m[1]!.replaceAll('_', ''), 2);
  if (/^[1-9][0-9_]*$/.test(s) || s === '0') return Number.parseInt(s.replaceAll('_', ''), 10);
  return undefined;
}

/**
 * The inline `--destinations` form: carbon syntax, plus c-relay's `host:port=instance` (recognised by
 * the `=`). Both give the same Destination.
 */
export function parseInlineDestination(raw: string, ctx: ErrorContext = {}): Destination {
  return raw.includes('=') ? parseCrelayMember(raw, ctx) : parseCarbonDestination(raw, ctx);
}

/** Split a comma-separated list; empty items are errors, as in carbon. */
export function parseDestinationList(
  text: string,
  parse: (raw: string, ctx: ErrorContext) => Destination,
  ctx: ErrorContext = {},
): Destination[] {
  const items = text.split(',');
  return items.map((item) => {
    if (item.trim() === '') {
      throw new ConfigError('empty destination in list (a stray or trailing comma?)', { ...ctx, expected: CARBON_SYNTAX });
    }
    return parse(item, ctx);
  });
}

function withLine(d: Destination, ctx: ErrorContext): Destination {
  if (ctx.line !== undefined) d.line = ctx.line;
  return d;
}
