// Cluster storage entries → locations: key matching (server:instance before server), members sharing a
// directory are one location, members without storage, unused and broken entries, --node selection.
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterFile } from '../src/config/cluster-file.js';
import { ConfigError, UsageError } from '../src/errors.js';
import { parseCarbonDestination } from '../src/ring/destination.js';
import { makeRingSpec } from '../src/ring/spec.js';
import { memberId } from '../src/ring/types.js';
import { locationOf, openDriver, resolveLocations, sameLocation, selectLocations, storageKeysFor } from '../src/storage/locations.js';
import type { ResolvedStorage } from '../src/storage/locations.js';

let base: string;

beforeAll(() => {
  base = fs.mkdtempSync(join(tmpdir(), 'ringshift-loc-'));
  for (const d of ['host1', 'host2', 'v6']) fs.mkdirSync(join(base, d));
  fs.symlinkSync(join(base, 'host1'), join(base, 'host1-link'));
  fs.writeFileSync(join(base, 'a-file'), '');
});

afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

function cluster(destinations: string[], storage: [string, string][]): ClusterFile {
  return {
    path: join(base, 'cluster.yaml'),
    ring: makeRingSpec({ destinations: destinations.map((d) => parseCarbonDestination(d)) }),
    storage: storage.map(([key, location], i) => ({ key, location, line: 10 + i })),
  };
}

describe('storageKeysFor', () => {
  it('tries server:instance before server, with bracketed IPv6 forms', () => {
    expect(storageKeysFor(parseCarbonDestination('host1:2004:a'))).toEqual(['host1:a', 'host1']);
    expect(storageKeysFor(parseCarbonDestination('host1:2004'))).toEqual(['host1']);
    expect(storageKeysFor(parseCarbonDestination('[::1]:2004:x'))).toEqual(['::1:x', '[::1]:x', '::1', '[::1]']);
  });
});

describe('resolveLocations', () => {
  let r: ResolvedStorage;
  beforeAll(async () => {
    r = await resolveLocations(
      cluster(
        ['host1:2004:a', 'host1:2104:b', 'host1:2204:c', 'host2:2004:a', 'host3:2004:a', '[::1]:2004:x', 'nas:2004', 'host1:2004:a'],
        [
          ['host1:a', join(base, 'host1')],
          ['host1', join(base, 'host1-link')], // same directory through a symlink
          ['host1:c', join(base, 'host1') + '/'],
          ['host2', join(base, 'host2')],
          ['[::1]:x', join(base, 'v6')],
          ['nas', 'ssh://Graphite@NAS.example.com:22/srv/whisper/'],
          ['ghost', join(base, 'host2')], // no member
          ['host2', join(base, 'v6')], // duplicate key
          ['host9:z', join(base, 'missing')], // missing dir, no member
        ],
      ),
    );
  });

  it('puts members that write one directory into one location', () => {
    const h1 = r.locations.find((l) => l.root === fs.realpathSync(join(base, 'host1')))!;
    expect(h1.id).toBe('host1:a+host1+host1:c');
    expect(h1.scheme).toBe('file');
    expect(h1.url).toBe(pathToFileURL(fs.realpathSync(join(base, 'host1'))).href);
    expect(h1.members.map(memberId)).toEqual(['host1:2004:a', 'host1:2104:b', 'host1:2204:c']);
  });

  it('tells when a move is a no-op', () => {
    const d = (s: string) => parseCarbonDestination(s);
    expect(sameLocation(r, d('host1:2004:a'), d('host1:2204:c'))).toBe(true);
    expect(sameLocation(r, d('host1:2004:a'), d('host2:2004:a'))).toBe(false);
    expect(sameLocation(r, d('host3:2004:a'), d('host3:2004:a'))).toBe(false); // no location at all
  });

  it('matches server:instance first, then server', () => {
    expect(locationOf(r, parseCarbonDestination('host2:2004:a'))?.id).toBe('host2+ghost');
    expect(locationOf(r, parseCarbonDestination('[::1]:2004:x'))?.root).toBe(fs.realpathSync(join(base, 'v6')));
  });

  it('keeps ssh locations as normalised URLs', () => {
    const nas = r.locations.find((l) => l.scheme === 'ssh')!;
    expect(nas.url).toBe('ssh://Graphite@nas.example.com/srv/whisper');
    expect(nas.root).toBe('/srv/whisper');
    expect(nas.members.map(memberId)).toEqual(['nas:2004']);
  });

  it('reports members without storage, unused keys and broken entries', () => {
    expect(r.unmapped.map(memberId)).toEqual(['host3:2004:a']);
    expect(r.unusedKeys.map((k) => k.key)).toEqual(['ghost', 'host9:z']);
    const msgs = r.problems.map((p) => `${p.line}: ${p.message}`);
    expect(msgs).toEqual([
      expect.stringMatching(/^17: duplicate storage key "host2" \(first at line 13\)/),
      expect.stringMatching(/^18: .*missing: ENOENT/),
    ]);
  });

  it('lists every ring member once', () => {
    const all = [...r.locations.flatMap((l) => l.members), ...r.unmapped].map(memberId);
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(7);
  });

  it('selects locations for --node', () => {
    expect(selectLocations(r, 'host1:2104:b').map((l) => l.id)).toEqual(['host1:a+host1+host1:c']);
    expect(selectLocations(r, 'host1:c').map((l) => l.id)).toEqual(['host1:a+host1+host1:c']);
    expect(selectLocations(r, 'host2').map((l) => l.id)).toEqual(['host2+ghost']);
    expect(selectLocations(r, 'ghost').map((l) => l.id)).toEqual(['host2+ghost']);
    expect(() => selectLocations(r, 'host3:2004:a')).toThrow(UsageError);
    expect(() => selectLocations(r, 'host9:z')).toThrow(ConfigError);
    try {
      selectLocations(r, 'nope');
      expect.unreachable();
    } catch (e) {
      expect((e as UsageError).describe()).toBe(
        'no storage location for "nope" (expected one of: host1:a+host1+host1:c, host2+ghost, [::1]:x, nas)',
      );
    }
  });

  it('opens a local driver for local locations', async () => {
    const h2 = r.locations.find((l) => l.id === 'host2+ghost')!;
    expect((await openDriver(h2)).root).toBe(fs.realpathSync(join(base, 'host2')));
  });
});

describe('bad storage values', () => {
  it('are problems, not crashes', async () => {
    const r = await resolveLocations(
      cluster(
        ['a:2004', 'b:2004', 'c:2004', 'd:2004'],
        [
          ['a', 'relative/path'],
          ['b', join(base, 'a-file')],
          ['c', 'http://example.com/x'],
          ['d', 'ssh:///no-host'],
        ],
      ),
    );
    expect(r.locations).toEqual([]);
    expect(r.problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/not absolute/),
      expect.stringMatching(/not a directory/),
      expect.stringMatching(/unsupported storage URL scheme http:/),
      expect.stringMatching(/no host/),
    ]);
    expect(r.problems.every((p) => p.members.length === 1)).toBe(true);
    expect(r.unmapped).toEqual([]);
  });
});
