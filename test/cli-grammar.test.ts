// The one CLI grammar, checked on the built CLI's manifest: a flag name that several commands share
// has one meaning (src/cli/flag-grammar.ts) and one short letter, docs/cli.md's flag table is current,
// every command has --help with examples, and every --json is NDJSON (run on the bundled example).
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLAG_GRAMMAR } from '../src/cli/flag-grammar.js';
import { renderFlagTable, replaceFlagTable } from '../src/cli/flag-table.js';
import { builtManifest, RUN, type TestManifest } from './cli-manifest.js';
import { PROJECT_ROOT } from './helpers/project-root.js';

const run = promisify(execFile);

/**
 * Flags of commands that other work is converting to the grammar, as "command --flag". The test fails
 * for a violation not listed here, and for an entry that no longer violates anything (remove it then).
 */
const PENDING = new Set([
  'whisper:fetch --from', // times are --since/--until
  'whisper:fill --from',
  'whisper:merge --from',
]);
/** Commands whose --json is not NDJSON yet (same rule as PENDING). */
const PENDING_NDJSON = new Set<string>([]);

let manifest: TestManifest;
beforeAll(async () => {
  manifest = await builtManifest();
});

/** Every (command, flag) that breaks the grammar, with the reason. */
function violations(m: TestManifest): Map<string, string> {
  const out = new Map<string, string>();
  const uses = new Map<string, { id: string; description: string; char?: string | undefined; type?: string | undefined }[]>();
  for (const [id, cmd] of Object.entries(m.commands)) {
    for (const [name, f] of Object.entries(cmd.flags)) {
      uses.set(name, [...(uses.get(name) ?? []), { id, description: f.description ?? f.summary ?? '', char: f.char, type: f.type }]);
    }
  }
  const charOwner = new Map<string, string>();
  for (const [name, g] of Object.entries(FLAG_GRAMMAR)) if (g.char !== undefined) charOwner.set(g.char, name);
  for (const [name, list] of uses) {
    const g = FLAG_GRAMMAR[name];
    if (g === undefined && list.length > 1 && new Set(list.map((u) => u.description)).size > 1) {
      for (const u of list)
        out.set(
          `${u.id} --${name}`,
          `--${name} is used by ${list.length} commands with different descriptions: give it one meaning in src/cli/flag-grammar.ts`,
        );
    }
    for (const u of list) {
      const key = `${u.id} --${name}`;
      if (g !== undefined) {
        if (!g.describedBy.test(u.description))
          out.set(key, `description ${JSON.stringify(u.description)} does not say "${g.meaning}" (${g.describedBy})`);
        else if (u.type !== g.kind) out.set(key, `is a ${u.type} flag; the grammar's --${name} is ${g.kind}`);
        else if (u.char !== g.char) out.set(key, `short letter ${u.char ?? 'none'}; the grammar's --${name} has ${g.char ?? 'none'}`);
      }
      if (u.char !== undefined && charOwner.has(u.char) && charOwner.get(u.char) !== name)
        out.set(key, `-${u.char} belongs to --${charOwner.get(u.char)}`);
    }
  }
  // A short letter outside the grammar still means one flag across commands.
  const byChar = new Map<string, Set<string>>();
  for (const [name, list] of uses)
    for (const u of list) if (u.char !== undefined) byChar.set(u.char, (byChar.get(u.char) ?? new Set()).add(name));
  for (const [c, names] of byChar) {
    if (names.size > 1 && !charOwner.has(c)) {
      for (const name of names)
        for (const u of uses.get(name)!) if (u.char === c) out.set(`${u.id} --${name}`, `-${c} is used by ${[...names].join(', ')}`);
    }
  }
  return out;
}

describe('one meaning per flag name', () => {
  it('every shared flag follows src/cli/flag-grammar.ts (or is listed as pending)', () => {
    const v = violations(manifest);
    const unexpected = [...v].filter(([k]) => !PENDING.has(k)).map(([k, why]) => `${k}: ${why}`);
    expect(unexpected).toEqual([]);
    const stale = [...PENDING].filter((k) => !v.has(k));
    expect(stale, 'these follow the grammar now: remove them from PENDING').toEqual([]);
  });

  it('the checker catches a second meaning, a borrowed short letter and a wrong kind', () => {
    const fake: TestManifest = {
      commands: {
        a: {
          flags: { cluster: { name: 'cluster', char: 'c', type: 'option', description: 'Cluster file (ring and storage locations): x.' } },
        },
        b: { flags: { cluster: { name: 'cluster', type: 'option', description: 'Cluster name inside --ring.' } } },
        c: { flags: { force: { name: 'force', char: 'f', type: 'boolean', description: 'Overwrite.' } } },
        d: { flags: { 'dry-run': { name: 'dry-run', type: 'option', description: 'Show what would happen.' } } },
        e: { flags: { zap: { name: 'zap', type: 'boolean', description: 'One.' } } },
        f: { flags: { zap: { name: 'zap', type: 'boolean', description: 'Two.' } } },
      },
    };
    expect([...violations(fake).keys()].sort()).toEqual(['b --cluster', 'c --force', 'd --dry-run', 'e --zap', 'f --zap']);
  });
});

describe('docs/cli.md', () => {
  it('has the current flag table (node scripts/cli-flag-table.mjs)', () => {
    const text = fs.readFileSync(join(PROJECT_ROOT, 'docs/cli.md'), 'utf8');
    expect(replaceFlagTable(text, renderFlagTable(manifest))).toBe(text);
  });

  it('names every shared meaning of the grammar', () => {
    const text = fs.readFileSync(join(PROJECT_ROOT, 'docs/cli.md'), 'utf8');
    for (const name of [
      'cluster',
      'cluster-name',
      'ring',
      'ring-format',
      'format',
      'json',
      'file',
      'node',
      'fail-on',
      'dry-run',
      'yes',
      'progress',
      'quiet',
    ]) {
      expect(text).toContain(`--${name}`);
    }
  });
});

describe('--help', () => {
  it('every command has examples, and --help shows them (exit 0)', { timeout: 300_000 }, async () => {
    const ids = Object.keys(manifest.commands).filter((id) => manifest.commands[id]!.hidden !== true);
    expect(ids.length).toBeGreaterThan(10);
    const results = await Promise.all(
      ids.map(async (id) => {
        const r = await run(process.execPath, [RUN, ...id.split(':'), '--help'], {
          encoding: 'utf8',
          env: { ...process.env, COLUMNS: '200' },
        });
        return { id, out: r.stdout, err: r.stderr };
      }),
    );
    for (const { id, out, err } of results) {
      expect(manifest.commands[id]!.examples?.length ?? 0, `${id} has no examples`).toBeGreaterThan(0);
      expect(out, id).toContain('USAGE');
      expect(out, id).toContain('EXAMPLES');
      expect(out, id).toContain(`$ ringshift ${id.replaceAll(':', ' ')}`);
      expect(err, id).toBe('');
    }
  });
});

describe('--json is NDJSON', () => {
  let dir: string;
  let wsp: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(join(tmpdir(), 'ringshift-cli-json-'));
    await run(process.execPath, [join(PROJECT_ROOT, 'dist/src/example/seed.js'), dir], {
      env: { ...process.env, RINGSHIFT_NOW: '1790000000' },
    });
    fs.cpSync(join(PROJECT_ROOT, 'fixtures/example/configs'), join(dir, 'configs'), { recursive: true });
    wsp = join(
      'nodes',
      'graphite-1',
      fs.readdirSync(join(dir, 'nodes/graphite-1'), { recursive: true, encoding: 'utf8' }).find((p) => p.endsWith('.wsp'))!,
    );
    fs.copyFileSync(join(dir, wsp), join(dir, 'copy.wsp'));
    for (const f of ['upd.wsp', 'resized.wsp', 'agg.wsp', 'xff.wsp']) fs.copyFileSync(join(dir, wsp), join(dir, f));
    fs.writeFileSync(join(dir, 'renames.txt'), 're:^servers\\.(.*)$ renamed.$1\n');
    spawnSync('tar', ['-cf', join(dir, 'sample.tar'), '-C', join(dir, 'nodes', 'graphite-1'), relative(join('nodes', 'graphite-1'), wsp)]);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** One invocation per command, on the example, none writing outside the scratch copy. */
  function invocations(): [string, string[]][] {
    return [
      ['plan', ['--cluster', 'cluster.yaml', '--old-ring', 'cluster-old.yaml', '--names', 'names.txt', '-o', 'shuffle.plan']],
      ['ring:locate', ['--ring', 'cluster.yaml', '-f', 'metrics.txt']],
      ['ring:show', ['--ring', 'cluster.yaml']],
      ['ring:sieve', ['--ring', 'cluster.yaml', '--node', 'graphite-1', '-f', 'metrics.txt']],
      ['ring:diff', ['--from', 'cluster-old.yaml', '--to', 'cluster.yaml', '-f', 'metrics.txt']],
      ['ring:hash', ['--cluster', 'cluster.yaml', '-f', 'metrics.txt']],
      ['scan', ['--cluster', 'cluster.yaml']],
      ['audit', ['--cluster', 'cluster.yaml', '--old-ring', 'cluster-old.yaml', '--names', 'names.txt', '--all']],
      ['apply', ['shuffle.plan', '--dry-run']],
      ['lint', ['configs', '--cluster', 'cluster.yaml']],
      ['report', ['--cluster', 'cluster.yaml', '--old-ring', 'cluster-old.yaml', '--plan', 'shuffle.plan', '-o', 'report.html']],
      ['whisper:info', [wsp]],
      ['whisper:dump', [wsp]],
      ['whisper:fetch', [wsp]],
      ['whisper:verify', [wsp]],
      ['whisper:create', ['new.wsp', '1m:1d']],
      ['whisper:fill', [wsp, 'copy.wsp', '--dry-run']],
      ['whisper:merge', [wsp, 'copy.wsp', '--dry-run']],
      ['whisper:diff', [wsp, 'copy.wsp']],
      ['whisper:update', ['upd.wsp', '1789999940:1.5']],
      ['whisper:resize', ['resized.wsp', '1m:2d', '--no-backup']],
      ['whisper:set-aggregation', ['agg.wsp', 'max']],
      ['whisper:set-xff', ['xff.wsp', '0.3']],
      ['path', ['servers.web-1.cpu', 'servers.web-1.cpu;dc=eu']],
      ['name', ['servers/web-1/cpu.wsp']],
      ['stale', ['--cluster', 'cluster.yaml', '--older-than', '1d']],
      ['du', ['--cluster', 'cluster.yaml', '--depth', '2']],
      ['delete', ['--cluster', 'cluster.yaml', '--match', '**']], // a dry run: nothing deleted
      ['rename', ['--cluster', 'cluster.yaml', '--map', 'renames.txt']], // a dry run: nothing renamed
      ['backup', ['--cluster', 'cluster.yaml', '--match', '**', '-o', 'backup.tar']],
      ['restore', ['sample.tar', '--cluster', 'cluster.yaml', '--dry-run']],
      ['nodes', ['--cluster', 'cluster.yaml', '--port-timeout', '1s']],
      ['heal', ['graphite-2', '--cluster', 'cluster.yaml', '--since', '-2h', '--dry-run']],
    ];
  }

  it('covers every command', () => {
    expect(
      invocations()
        .map(([id]) => id)
        .sort(),
    ).toEqual(Object.keys(manifest.commands).sort());
  });

  it('every stdout line of every --json run is one JSON object', { timeout: 300_000 }, async () => {
    const stale: string[] = [];
    const json = async (id: string, args: string[]): Promise<string> => {
      try {
        const opts = { cwd: dir, encoding: 'utf8' as const, env: { ...process.env, RINGSHIFT_NOW: '1790000000' }, maxBuffer: 1 << 28 };
        return (await run(process.execPath, [RUN, ...id.split(':'), ...args, '--json'], opts)).stdout;
      } catch (e) {
        const err = e as { stdout: string; stderr: string; code: number };
        expect(err.code, `${id}: ${err.stderr}`).toBe(1); // lint finds the example's stale carbonate.conf
        return err.stdout;
      }
    };
    // plan writes the plan file apply reads; the others run side by side.
    const [first, ...rest] = invocations();
    const outputs = [
      [first![0], await json(...first!)] as const,
      ...(await Promise.all(rest.map(async ([id, args]) => [id, await json(id, args)] as const))),
    ];
    for (const [id, out] of outputs) {
      const lines = out.split('\n');
      expect(lines.pop(), `${id}: output ends with a newline`).toBe('');
      expect(lines.length, `${id} printed nothing`).toBeGreaterThan(0);
      const ndjson = lines.every((l) => {
        try {
          const v: unknown = JSON.parse(l);
          return typeof v === 'object' && v !== null && !Array.isArray(v);
        } catch {
          return false;
        }
      });
      if (PENDING_NDJSON.has(id)) {
        if (ndjson) stale.push(id);
      } else {
        expect(ndjson, `${id} --json: ${lines.slice(0, 3).join(' | ').slice(0, 300)}`).toBe(true);
      }
    }
    expect(stale, 'these print NDJSON now: remove them from PENDING_NDJSON').toEqual([]);
  });
});
