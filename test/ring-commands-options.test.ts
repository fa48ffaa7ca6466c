// Ring flags and the inline RING form → RingSpec: defaults per implementation, overrides, and clear
// errors (ConfigError/UsageError, exit 2, naming the flag or argument).
import { describe, expect, it } from 'vitest';
import { ConfigError, RingshiftError, UsageError } from '../src/errors.js';
import {
  applyOverrides,
  describeSpec,
  isInlineRing,
  parseInlineRing,
  ringSourceFromArg,
  ringSpecFromFlags,
} from '../src/config/ring-source.js';
import { rejectedBy, thrownBy } from './helpers/thrown.js';

describe('ring flags → RingSpec', () => {
  it('defaults: carbon, carbon_ch, consistent-hashing, RF 1, diverse, sanitize', async () => {
    const spec = await ringSpecFromFlags({ destinations: 'a:2004:x,[::1]:2004:y,c:2003=z' });
    expect(spec).toEqual({
      impl: 'carbon',
      hash: 'carbon_ch',
      router: 'consistent-hashing',
      destinations: [
        { server: 'a', port: 2004, instance: 'x' },
        { server: '::1', port: 2004, instance: 'y' },
        { server: 'c', port: 2003, instance: 'z' },
      ],
      replication: 1,
      diverse: true,
      tagRelayNormalized: false,
      sanitize: true,
    });
  });

  it('fast-hashing without --hash uses mmh3_ch, as carbon does with ROUTER_HASH_TYPE unset', async () => {
    const spec = await ringSpecFromFlags({ destinations: 'a:1', router: 'fast-hashing' });
    expect(spec.hash).toBe('mmh3_ch');
    expect((await ringSpecFromFlags({ destinations: 'a:1', router: 'fast-hashing', hash: 'carbon_ch' })).hash).toBe('carbon_ch');
  });

  it('c-relay and bucky are never diverse, graphite-web always', async () => {
    expect((await ringSpecFromFlags({ destinations: 'a:1', impl: 'carbon-c-relay' })).diverse).toBe(false);
    expect((await ringSpecFromFlags({ destinations: 'a:1', impl: 'bucky' })).diverse).toBe(false);
    expect((await ringSpecFromFlags({ destinations: 'a:1', impl: 'graphite-web' })).diverse).toBe(true);
    expect((await ringSpecFromFlags({ destinations: 'a:1', diverse: false })).diverse).toBe(false);
  });

  it.each([
    [{ destinations: 'a:1', impl: 'graphite-web', diverse: false }, /always picks replicas on distinct hosts/],
    [{ destinations: 'a:1', impl: 'carbon-c-relay', diverse: true }, /no diverse-replicas option/],
    [{ destinations: 'a:1', impl: 'bucky', router: 'fast-hashing' }, /RELAY_METHOD/],
    [{ destinations: 'a:1', impl: 'carbon-c-relay', 'tag-relay-normalized': true }, /carbon-relay setting/],
    [{ destinations: 'a:1', sanitize: false }, /carbon-c-relay only/],
  ])('refuses settings the implementation does not have: %o', async (flags, msg) => {
    const err = await rejectedBy(() => ringSpecFromFlags(flags), RingshiftError);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.exitCode).toBe(2);
    expect(err.describe()).toMatch(msg);
  });

  it('a malformed destination names the flag and the expected syntax', async () => {
    const err = await rejectedBy(() => ringSpecFromFlags({ destinations: 'a:2004,b:x' }), RingshiftError);
    expect(err.exitCode).toBe(2);
    expect(err.describe()).toBe(
      '--destinations: bad port "x" in destination "b:x" (expected host:port[:instance] or [ipv6]:port[:instance])',
    );
  });

  it('--cluster FILE is a ringshift cluster file; the old --cluster NAME next to --ring gets a one-line hint', async () => {
    const err = await rejectedBy(() => ringSpecFromFlags({ ring: 'relay.conf', cluster: 'graphite' }), RingshiftError);
    expect(err).toBeInstanceOf(UsageError);
    expect(err.describe()).toBe(
      '--cluster takes a ringshift cluster file; to choose cluster "graphite" inside --ring relay.conf write --cluster-name graphite' +
        ' (expected --ring FILE [--cluster-name NAME], or --cluster CLUSTER.yaml)',
    );
    const err2 = await rejectedBy(() => ringSpecFromFlags({ cluster: 'c.yaml', 'cluster-name': 'x' }), RingshiftError);
    expect(err2.describe()).toMatch(/^--cluster-name and --ring-format apply to --ring FILE/);
  });

  it('no ring at all is a usage error', async () => {
    const err = await rejectedBy(() => ringSpecFromFlags({}), RingshiftError);
    expect(err).toBeInstanceOf(UsageError);
    expect(err.describe()).toMatch(/no ring given \(expected --ring FILE, --cluster FILE or --destinations/);
  });

  it('overrides on a loaded spec keep the rest of the file', () => {
    const base = applyOverrides(
      undefined,
      { impl: 'carbon-c-relay', destinations: [{ server: 'a', port: 1, instance: null }], sanitize: false },
      'x',
    );
    const spec = applyOverrides({ ...base, origin: { file: 'relay.conf' } }, { replication: 1 }, 'x');
    expect(spec.sanitize).toBe(false);
    expect(spec.impl).toBe('carbon-c-relay');
    expect(spec.origin).toEqual({ file: 'relay.conf' });
  });
});

describe('inline RING form', () => {
  it('recognises the inline form by a known leading key, anything else is a file', () => {
    expect(isInlineRing('impl=carbon;destinations=a:1')).toBe(true);
    expect(isInlineRing(' destinations = a:1')).toBe(true);
    expect(isInlineRing('rf=2;ring=carbon.conf')).toBe(true);
    expect(isInlineRing('/etc/carbon/carbon.conf')).toBe(false);
    expect(isInlineRing('conf/x=y.conf')).toBe(false);
  });

  it('parses every key; values may contain "=" (c-relay instances)', () => {
    const src = parseInlineRing('impl=carbon-c-relay; hash=fnv1a_ch; replication=2; destinations=a:2003=x,b:2003=y ; sanitize=no', '--to');
    expect(src.file).toBeUndefined();
    expect(src.overrides).toEqual({
      impl: 'carbon-c-relay',
      hash: 'fnv1a_ch',
      replication: 2,
      destinations: [
        { server: 'a', port: 2003, instance: 'x' },
        { server: 'b', port: 2003, instance: 'y' },
      ],
      sanitize: false,
    });
    const fileSrc = parseInlineRing('ring=relay.conf;cluster-name=graphite;ring-format=carbon-c-relay;rf=3', '--from');
    expect(fileSrc.file).toBe('relay.conf');
    expect(fileSrc.load).toEqual({ cluster: 'graphite', format: 'carbon-c-relay' });
    expect(fileSrc.overrides).toEqual({ replication: 3 });
    // format= is the old spelling of ring-format=; cluster= is a ringshift cluster file.
    expect(parseInlineRing('ring=relay.conf;format=carbon-c-relay', '--from').load).toEqual({ format: 'carbon-c-relay' });
    const cluster = parseInlineRing('cluster=cluster.yaml;rf=2', '--to');
    expect(cluster.file).toBe('cluster.yaml');
    expect(cluster.load).toEqual({ format: 'cluster' });
    expect(cluster.overrides).toEqual({ replication: 2 });
  });

  it.each([
    ['impl=carbon;hsh=carbon_ch;destinations=a:1', 'unknown key "hsh"'],
    ['hash=md5;destinations=a:1', 'hash "md5" is not supported (expected carbon_ch, fnv1a_ch, jump_fnv1a_ch, mmh3_ch)'],
    ['replication=0;destinations=a:1', 'replication "0" is not a positive integer'],
    ['diverse=maybe;destinations=a:1', 'diverse "maybe" is not a boolean'],
    ['impl=carbon', 'inline ring has no destinations'],
    ['destinations=a:1;destinations=b:1', 'destinations given twice'],
    ['destinations=a:1;cluster-name=x', 'ring-format= and cluster-name= apply to a ring file'],
    [
      'ring=relay.conf;cluster=graphite',
      'cluster= takes a ringshift cluster file; to choose cluster "graphite" inside ring=relay.conf write cluster-name=graphite',
    ],
    ['cluster=c.yaml;cluster-name=x', 'ring-format= and cluster-name= apply to ring=FILE, not to a ringshift cluster file'],
    ['destinations=a:1;junk', '"junk" is not key=value'],
    ['destinations=a:1,,b:1', 'empty destination in list'],
  ])('%s → error', (text, msg) => {
    const err = thrownBy(() => parseInlineRing(text, '--from'), RingshiftError);
    expect(err.exitCode).toBe(2);
    expect(err.describe().startsWith(`--from: ${msg}`)).toBe(true);
  });

  it('--from-ring-format/--from-cluster-name go to the file, and are refused for a purely inline ring', () => {
    expect(ringSourceFromArg('carbon.conf', '--from', { cluster: 'x' })).toEqual({
      file: 'carbon.conf',
      load: { cluster: 'x' },
      overrides: {},
      label: 'carbon.conf',
    });
    expect(ringSourceFromArg('ring=a.conf;rf=2', '--from', { format: 'carbon' }).load).toEqual({ format: 'carbon' });
    expect(() => ringSourceFromArg('destinations=a:1', '--from', { format: 'carbon' })).toThrow(UsageError);
  });

  it('describeSpec summarises a ring in one line', () => {
    const spec = applyOverrides(undefined, parseInlineRing('replication=2;destinations=a:1:x,b:1:x', '--from').overrides, '--from');
    expect(describeSpec(spec)).toBe('carbon carbon_ch, replication 2, diverse, 2 members');
  });
});
