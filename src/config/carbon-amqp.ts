// carbon's AMQP settings as carbon-cache reads them (carbon/amqp_listener.py): each carbon-cache instance
// whose effective settings say ENABLE_AMQP = True declares the topic exchange AMQP_EXCHANGE, binds its own
// exclusive queue with every BIND_PATTERNS item (default ['#']) and stores what arrives under the message's
// routing key — or, with AMQP_METRIC_NAME_IN_BODY = True, under the name written in each body line. The
// listener reads AMQP_HOST, AMQP_PORT, AMQP_USER, AMQP_PASSWORD, AMQP_VHOST and AMQP_EXCHANGE, which have
// no defaults in carbon's conf.py: a missing one is a KeyError when the listener starts, so that cache
// consumes nothing. A carbon.conf never names the host it runs on, so the caller supplies the host (a
// cluster file's ring.amqp.hosts); the instances are 'a' (what the init scripts start with [cache] alone)
// and every [cache:NAME] section, each one member HOST:PICKLE_RECEIVER_PORT:INSTANCE — the id a relay's
// DESTINATIONS gives the same cache, so audit's locations line up.
import { ConfigError } from '../errors.js';
import type { AmqpBindingModel } from '../ring/types.js';
import { carbonValueText, effectiveSettings, type CarbonConf, type CarbonSetting, type EnvOptions } from './carbon-conf.js';

/** The settings amqp_listener.build reads with settings.X (KeyError when absent). */
const REQUIRED_KEYS = ['AMQP_HOST', 'AMQP_PORT', 'AMQP_USER', 'AMQP_PASSWORD', 'AMQP_VHOST', 'AMQP_EXCHANGE'] as const;

/** One carbon-cache instance that consumes from the AMQP exchange. */
export interface AmqpCache {
  binding: AmqpBindingModel;
  exchange: string;
  /** Where AMQP_EXCHANGE was set. */
  exchangeLine: number | undefined;
  /** [cache] or [cache] + [cache:b]: the sections its settings came from. */
  sections: string[];
}

/** The carbon-cache instances a carbon.conf starts: 'a' (the default) and one per [cache:NAME] section. */
export function cacheInstances(conf: CarbonConf): string[] {
  const out = ['a'];
  for (const s of conf.sections) {
    if (!s.startsWith('cache:')) continue;
    const name = s.slice('cache:'.length);
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

/**
 * The AMQP consumers among the carbon-caches of `conf`, running on `host` (empty when none enables AMQP).
 * Throws ConfigError, with the line, for a cache that enables AMQP without a setting the listener needs
 * (carbon fails with KeyError as it starts the listener).
 */
export function amqpCaches(conf: CarbonConf, host: string, opts: EnvOptions = {}): AmqpCache[] {
  if (!conf.sections.includes('cache')) return [];
  const out: AmqpCache[] = [];
  for (const instance of cacheInstances(conf)) {
    const eff = effectiveSettings(conf, 'cache', instance, opts);
    const get = (k: string): CarbonSetting | undefined => eff.settings.get(k);
    const enable = get('ENABLE_AMQP');
    if (enable?.value.type !== 'bool' || !enable.value.value) continue;
    const sections = `[${eff.sectionsRead.join('] + [')}]`;
    const missing = REQUIRED_KEYS.filter((k) => get(k) === undefined);
    if (missing.length > 0) {
      throw new ConfigError(
        `${sections} ENABLE_AMQP = True but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set: ` +
          `carbon-cache instance ${instance} raises KeyError('${missing[0]!}') when it starts the AMQP listener`,
        { file: conf.file, line: enable.line, expected: `${REQUIRED_KEYS.join(', ')} (carbon has no defaults for them)` },
      );
    }
    const port = get('PICKLE_RECEIVER_PORT')!;
    const portNumber = port.value.type === 'int' ? port.value.value : Number.NaN;
    if (!Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535) {
      throw new ConfigError(`${sections} PICKLE_RECEIVER_PORT = ${carbonValueText(port.value)} is not a port`, {
        file: conf.file,
        line: port.line,
        expected: 'an integer 1-65535',
      });
    }
    const patterns = get('BIND_PATTERNS')!;
    if (patterns.value.type !== 'list') throw new Error('BIND_PATTERNS is always a list');
    const exchange = get('AMQP_EXCHANGE')!;
    const nameInBody = get('AMQP_METRIC_NAME_IN_BODY');
    const binding: AmqpBindingModel = {
      // no line on the member: it would be read as a line of the file that lists the hosts
      member: { server: host, port: portNumber, instance },
      // the default ['#'] has no line; a configured list keeps each item's line
      patterns: patterns.value.items.map((i) => (i.line > 0 ? { text: i.text, line: i.line } : { text: i.text })),
      file: conf.file,
    };
    if (nameInBody?.value.type === 'bool' && nameInBody.value.value) binding.nameInBody = true;
    out.push({ binding, exchange: carbonValueText(exchange.value), exchangeLine: exchange.line, sections: eff.sectionsRead });
  }
  return out;
}
