// A few runs of the built CLI (./bin/run.js; the integration tier builds it first): names streamed on stdin arrive
// complete and in order, and a bad ring is one stderr line with exit code 2.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildRing } from '../src/ring/build.js';
import { parseDestinationList, parseInlineDestination } from '../src/ring/destination.js';
import { makeRingSpec } from '../src/ring/spec.js';
import { PROJECT_ROOT } from './helpers/project-root.js';

const RUN = join(PROJECT_ROOT, 'bin/run.js');

function cli(args: string[], input?: string): { out: string; err: string; code: number } {
  const r = spawnSync(process.execPath, [RUN, ...args], { input, encoding: 'utf8', maxBuffer: 1 << 28 });
  const err = r.stderr.split('\n').filter((l) => l.startsWith('ringshift: ') || /^\s+at /.test(l));
  return { out: r.stdout, err: err.join('\n'), code: r.status ?? -1 };
}

describe('built CLI', () => {
  it('streams 30,000 names from stdin (no -f) and from -f -, all of them, in order', () => {
    const dests = 'cache-a:2004:a,cache-b:2004:a,cache-c:2004:a';
    const ring = buildRing(makeRingSpec({ destinations: parseDestinationList(dests, parseInlineDestination) }));
    const names = Array.from({ length: 30000 }, (_, i) => `stdin.test.${i}.value`);
    for (const extra of [[], ['-f', '-']]) {
      const r = cli(['ring', 'locate', '--destinations', dests, '--json', ...extra], names.join('\n') + '\n');
      expect(r.code).toBe(0);
      const lines = r.out
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as { metric: string; owners: { server: string }[] });
      expect(lines.map((l) => l.metric)).toEqual(names);
      expect(lines.map((l) => l.owners[0]!.server)).toEqual(names.map((n) => ring.locate(n).owners[0]!.server));
    }
  });

  it('a bad destination: one line on stderr, exit 2', () => {
    const r = cli(['ring', 'show', '--destinations', 'cache-a:2004,cache-b']);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      'ringshift: error: --destinations: destination "cache-b" has no port (expected host:port[:instance] or [ipv6]:port[:instance])',
    );
    expect(r.out).toBe('');
  });

  it('ring sieve in a pipeline stops quietly when the reader goes away (head)', () => {
    const r = spawnSync(
      'bash',
      ['-c', `yes a.b.c | head -200000 | node ${RUN} ring sieve --destinations x:1,y:1 --node x --invert | head -3`],
      {
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(0);
    expect(r.stderr.split('\n').filter((l) => /error|at /.test(l) && !l.includes('Warning'))).toEqual([]);
  });
});
