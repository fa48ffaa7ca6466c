// `ringshift path` / `ringshift name`: carbon-path both ways. Names map where carbon-cache stores them
// (checked against carbon's own TaggedSeries.parse + encode when /usr/bin/python3 has carbon), and
// every path maps back to the stored name, for hostile names and tagged series with the characters
// carbon encodes ('.' as _DOT_ in tagged file names, tag order, '~').
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runCommand } from './helpers/run-command.js';

const { default: PathCmd } = await import('../commands/path.js');
const { default: NameCmd } = await import('../commands/name.js');

const NAMES = [
  'servers.web01.cpu.user',
  'a..b.c', // a doubled dot: the filesystem collapses it
  '.leading.dot',
  '~tilde.name',
  'trailing.dot.',
  'with space.and\\backslash',
  'dollar.$(rm -rf).`x`',
  'caf\u00e9.\u6e2c\u8a66.\u{1f600}',
  'quote\'s."double"',
  'stats.example.counts;tag1=value1',
  'cpu.load;host=web01;dc=ams', // tags out of carbon's order
  'x.y;a=b.c;d=e_DOT_f', // a dot in a tag value, and a literal _DOT_
  'm;a=1;a=2', // a repeated tag: carbon keeps the last
  'sp ace;k=v w',
];

async function paths(args: string[]): Promise<string[]> {
  const r = await runCommand(PathCmd, args);
  expect(r.code).toBe(0);
  return r.out.split('\n').slice(0, -1);
}

describe('path', () => {
  it('maps every name where carbon-cache stores it (carbon itself, when installed)', async (ctx) => {
    for (const hashed of [true, false]) {
      const got = await paths([...(hashed ? [] : ['--no-hash-tagged']), ...NAMES]);
      expect(got).toHaveLength(NAMES.length);
      const py = spawnSync(
        '/usr/bin/python3',
        [
          '-c',
          `
import json, re, sys
from carbon.util import TaggedSeries
names, hashed = json.load(sys.stdin)
out = []
for n in names:
    try:
        n = TaggedSeries.parse(n).path
    except Exception:
        pass
    p = TaggedSeries.encode(n, '/', hash_only=hashed) + '.wsp'
    out.append(re.sub('/+', '/', p).lstrip('/'))
print(json.dumps(out))
`,
        ],
        { input: JSON.stringify([NAMES, hashed]), encoding: 'utf8', cwd: '/' },
      );
      if (py.status !== 0) return ctx.skip(); // carbon not installed for /usr/bin/python3
      expect(got).toEqual(JSON.parse(py.stdout));
    }
  });

  it('prints paths under --root, and JSON with the stored name', async () => {
    expect(await paths(['--root', '/var/lib/graphite/whisper/', 'a.b'])).toEqual(['/var/lib/graphite/whisper/a/b.wsp']);
    const r = await runCommand(PathCmd, ['--json', 'cpu;b=2;a=1']);
    const rec = JSON.parse(r.out.trim());
    expect(rec).toMatchObject({ metric: 'cpu;b=2;a=1', stored: 'cpu;a=1;b=2', tagged: true });
    expect(rec.path).toMatch(/^_tagged\/[0-9a-f]{3}\/[0-9a-f]{3}\/[0-9a-f]{64}\.wsp$/);
  });

  it('a NUL byte is refused for that name only', async () => {
    const r = await runCommand(PathCmd, ['a.b', 'bad\0name', 'c.d']);
    expect(r.out).toBe('a/b.wsp\nc/d.wsp\n');
    expect(r.err).toMatch(/NUL byte/);
    expect(r.code).toBe(1);
  });
});

describe('name', () => {
  it('round-trips every name through its unhashed path (to the stored name)', async () => {
    const ps = await paths(['--no-hash-tagged', ...NAMES]);
    const r = await runCommand(NameCmd, ['--json', ...ps]);
    const recs = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { metric: string | null; kind: string });
    const stored = (await runCommand(PathCmd, ['--json', ...NAMES])).out
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { stored: string }).stored);
    // The filesystem collapses what carbon would have written as a doubled or leading '/'.
    const collapsed = stored.map((s) => (s.includes(';') ? s : s.replace(/\.{2,}/g, '.').replace(/^\./, '')));
    expect(recs.map((x) => x.metric)).toEqual(collapsed);
    expect(recs.find((x) => x.metric === 'trailing.dot.')?.kind).toBe('trailing-dot');
    expect(recs.filter((x) => x.kind === 'tagged')).toHaveLength(5);
    expect(r.code).toBe(0);
  });

  it('strips --root, says why a path has no name, exits 1', async () => {
    const r = await runCommand(NameCmd, [
      '--root',
      '/srv/whisper',
      '/srv/whisper/a/b.wsp',
      'a/b.c/d.wsp',
      '_tagged/872/252/872252dcead671982862f82a3b440f02aa8f525dd6d0f2921de0dc2b3e874ad0.wsp',
      'not-whisper.txt',
    ]);
    expect(r.out).toBe('a.b\n');
    expect(r.err).toMatch(/a\/b\.c\/d\.wsp: malformed: '\.' inside the path segment/);
    expect(r.err).toMatch(/tagged-hashed/);
    expect(r.err).toMatch(/not-whisper\.txt: malformed: not a \.wsp file/);
    expect(r.code).toBe(1);
  });

  it('an absolute path under no root is a usage error', async () => {
    const r = await runCommand(NameCmd, ['/elsewhere/a.wsp'], { thrownMessageToStderr: true });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/not under a storage root/);
  });
});
