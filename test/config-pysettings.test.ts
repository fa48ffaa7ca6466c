// local_settings.py without executing Python: the idioms of configs.md §3.2, the real files, and the
// graphite-web ring. Expected values are what Python itself computes for these lines.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pyRepr } from '../src/config/python/pyvalue-repr.js';
import { graphiteWebRing, parsePySettings, webSetting, webStorage, type PySettingsFile } from '../src/config/python/pysettings.js';
import { ConfigError } from '../src/errors.js';
import { upstreamPath } from './helpers/test-vectors.js';

const parse = (text: string, env: Record<string, string> = {}) => parsePySettings(text, { file: 'local_settings.py', env });
const value = (ps: PySettingsFile, name: string) => {
  const v = ps.settings.get(name)!.value;
  return v.t === 'unknown' ? `Unknown: ${v.reason}` : pyRepr(v);
};

describe('literals and expressions', () => {
  it('reads lists, tuples, trailing commas, comments between items, adjacent strings and +', () => {
    const ps = parse(
      [
        'CARBONLINK_HOSTS = ["127.0.0.1:7002:a", \'127.0.0.1:7102:b\',  # first two',
        '    # a comment line inside the list',
        '    "10.0.0.1:" "7202:c",',
        ']',
        'T = ("x",) + ("y",)',
        'L = [1, 2] + [3]',
        'N = 1024 * 1024',
      ].join('\n'),
    );
    expect(value(ps, 'CARBONLINK_HOSTS')).toBe("['127.0.0.1:7002:a', '127.0.0.1:7102:b', '10.0.0.1:7202:c']");
    const hosts = ps.settings.get('CARBONLINK_HOSTS')!.value;
    expect(hosts.t === 'list' ? hosts.lines : undefined).toEqual([1, 1, 3]);
    expect(value(ps, 'T')).toBe("('x', 'y')");
    expect(value(ps, 'L')).toBe('[1, 2, 3]');
    expect(value(ps, 'N')).toBe('1048576');
  });

  it('uses the last assignment, ignores commented ones, and keeps every assignment with its line', () => {
    const ps = parse('#CARBONLINK_HOSTS = ["a:1"]\nREPLICATION_FACTOR = 1\nREPLICATION_FACTOR = 2\n');
    const s = ps.settings.get('REPLICATION_FACTOR')!;
    expect(s.line).toBe(3);
    expect(s.assignments.map((a) => a.line)).toEqual([2, 3]);
    expect(ps.settings.has('CARBONLINK_HOSTS')).toBe(false);
  });

  it('resolves names bound earlier, os.path.join and join imported from os.path', () => {
    const ps = parse(
      "import os\nfrom os.path import join\nSTORAGE_DIR = '/srv/graphite'\nWHISPER_DIR = join(STORAGE_DIR, 'whisper')\nCERES_DIR = os.path.join(STORAGE_DIR, '/abs', 'ceres/')\nSTANDARD_DIRS = [WHISPER_DIR]\n",
    );
    expect(value(ps, 'WHISPER_DIR')).toBe("'/srv/graphite/whisper'");
    expect(value(ps, 'CERES_DIR')).toBe("'/abs/ceres/'");
    expect(value(ps, 'STANDARD_DIRS')).toBe("['/srv/graphite/whisper']");
  });

  it('binds from-imports of os the evaluator models, and only from modules that exist', () => {
    const ps = parse(
      "from os import environ as env, getenv\nfrom os.environ import get\nA = env.get('X_A', 'a')\nB = getenv('X_B', 'b')\nC = get('X_C', 'c')\n",
    );
    expect(value(ps, 'A')).toBe("'a'");
    expect(value(ps, 'B')).toBe("'b'");
    // os.environ is not a module: Python's import fails, so nothing is evaluated through it.
    expect(value(ps, 'C')).toMatch(/^Unknown: os\.environ\.get is imported, not evaluated/);
  });

  it('takes environment values from the given map, else the default, and records the dependency', () => {
    const text = [
      'import os',
      "A = os.environ.get('X_A', 'dflt')",
      "B = os.getenv('X_B')",
      "C = os.environ.get('X_C') or 60",
      "D = int(os.environ.get('X_D', '1'))",
      "E = float(os.environ.get('X_E', '0.5'))",
      "F = os.environ.get('X_F', 'false').lower() in ['1', 'true', 'yes']",
      "G = os.environ['X_G']",
    ].join('\n');
    const none = parse(text);
    expect([value(none, 'A'), value(none, 'B'), value(none, 'C'), value(none, 'D'), value(none, 'E'), value(none, 'F')]).toEqual([
      "'dflt'",
      'None',
      '60',
      '1',
      '0.5',
      'False',
    ]);
    expect(value(none, 'G')).toMatch(/requires \$X_G/);
    expect(none.settings.get('C')!.env).toEqual([{ name: 'X_C', line: 4, from: 'default' }]);
    const set = parse(text, { X_A: 'given', X_C: '', X_D: ' 42 ', X_E: '1e3', X_F: 'YES', X_G: 'g' });
    expect([value(set, 'A'), value(set, 'C'), value(set, 'D'), value(set, 'E'), value(set, 'F'), value(set, 'G')]).toEqual([
      "'given'",
      '60',
      '42',
      '1000.0',
      'True',
      "'g'",
    ]);
    expect(set.settings.get('A')!.env[0]).toMatchObject({ name: 'X_A', from: 'env', value: 'given' });
  });

  it('evaluates the two comprehension idioms', () => {
    const text =
      "import os\nH = [h.strip() for h in os.environ.get('HOSTS', \"127.0.0.1:7002\").split(\",\")]\nS = [x for x in [h.strip() for h in os.environ.get('CS', '').split(',')] if x]\n";
    expect(value(parse(text), 'H')).toBe("['127.0.0.1:7002']");
    expect(value(parse(text), 'S')).toBe('[]');
    const env = parse(text, { HOSTS: 'a:7002:x , b:7102:y', CS: 'w1:80,,w2:80' });
    expect(value(env, 'H')).toBe("['a:7002:x', 'b:7102:y']");
    expect(value(env, 'S')).toBe("['w1:80', 'w2:80']");
  });

  it('evaluates a conditional expression with a backslash continuation', () => {
    const ps = parse(
      "import os\n_R = os.environ.get('R', 'false').lower() in ['1']\nTAGDB = 'redis' if _R else \\\n    os.environ.get('T', 'local')\n",
    );
    expect(value(ps, 'TAGDB')).toBe("'local'");
    expect(ps.settings.get('TAGDB')!.env.map((u) => u.name)).toEqual(['R', 'T']);
  });

  it('never guesses: unknown names, calls and f-strings are Unknown with the reason and the line', () => {
    const ps = parse("A = SOMETHING\nB = compute()\nC = f'{A}'\nD = len([1, 2])\nimport socket\nE = socket.gethostname()\n");
    expect(ps.settings.get('A')!.value).toMatchObject({ t: 'unknown', line: 1, reason: expect.stringMatching(/not defined earlier/) });
    expect(ps.settings.get('B')!.value).toMatchObject({ t: 'unknown', line: 2 });
    expect(ps.settings.get('C')!.value).toMatchObject({ t: 'unknown', reason: expect.stringMatching(/f-string/) });
    expect(value(ps, 'D')).toBe('2');
    expect(ps.settings.get('E')!.value).toMatchObject({ t: 'unknown', line: 6 });
  });

  it("raises what Python raises at import as Unknown, e.g. int('abc')", () => {
    expect(value(parse("X = int('12 # c')\n"), 'X')).toMatch(/ValueError/);
  });
});

describe('blocks', () => {
  it('runs an if whose condition it can evaluate, and reports assignments in undecidable blocks as conditional', () => {
    const text = [
      'import os',
      'RF = 1',
      "if (os.getenv('CACHE_DURATION') is not None):",
      "    DUR = int(os.environ.get('CACHE_DURATION', 60))",
      'else:',
      "    DUR = int(os.environ.get('DEFAULT_DUR', '60'))",
      'if SOME_FLAG:',
      '    RF = 2',
      'try:',
      '    X = 1',
      'except NameError:',
      '    pass',
    ].join('\n');
    const ps = parse(text);
    expect(value(ps, 'DUR')).toBe('60');
    expect(ps.settings.get('DUR')!.line).toBe(6);
    expect(
      ps.settings
        .get('DUR')!
        .env.map((u) => u.name)
        .sort(),
    ).toEqual(['CACHE_DURATION', 'DEFAULT_DUR']);
    expect(value(parse(text, { CACHE_DURATION: '30' }), 'DUR')).toBe('30');
    const rf = ps.settings.get('RF')!;
    expect(value(ps, 'RF')).toBe('1');
    expect(rf.conditionalOverrides.map((a) => [a.line, a.condition!.decided])).toEqual([[8, false]]);
    expect(ps.settings.get('X')!.value).toMatchObject({ t: 'unknown', reason: expect.stringMatching(/only assigned conditionally/) });
  });

  it('skips def/class bodies and handles list methods at top level', () => {
    const ps = parse(
      "L = ['a']\nL.append('b')\nL.extend(('c',))\nL.insert(0, 'z')\ndef f():\n    L = 5\n    return L\nclass K:\n    A = 1\n",
    );
    expect(value(ps, 'L')).toBe("['z', 'a', 'b', 'c']");
    expect(ps.settings.has('A')).toBe(false);
  });

  it('rejects Python syntax errors (graphite-web would not start) with the line', () => {
    const err = (t: string) => {
      try {
        parse(t);
      } catch (e) {
        if (e instanceof ConfigError) return e;
        throw e;
      }
      throw new Error('no error');
    };
    expect(err('A = [1, 2\nB = 3\n').line).toBe(1);
    expect(err("A = 'unterminated\n").line).toBe(1);
    expect(err('A = 1\n  B = 2\n').line).toBe(2);
    expect(err('if A:\nB = 1\n').message).toMatch(/indented block/);
  });
});

describe('upstream files', () => {
  it('docker-graphite-statsd: CARBONLINK_HOSTS = ["127.0.0.1:7002"], flagged env-dependent', () => {
    const path = upstreamPath('docker-graphite-statsd/local_settings.py');
    const ps = parsePySettings(readFileSync(path, 'utf8'), { file: path });
    const hosts = ps.settings.get('CARBONLINK_HOSTS')!;
    expect(pyRepr(hosts.value)).toBe("['127.0.0.1:7002']");
    expect(hosts.line).toBe(352);
    expect(hosts.env).toEqual([{ name: 'GRAPHITE_CARBONLINK_HOSTS', line: 352, from: 'default', value: '127.0.0.1:7002' }]);
    expect(value(ps, 'CLUSTER_SERVERS')).toBe('[]');
    expect(value(ps, 'REPLICATION_FACTOR')).toBe('1');
    expect(value(ps, 'CARBONLINK_HASHING_TYPE')).toBe("'carbon_ch'");
    expect(value(ps, 'DEFAULT_CACHE_DURATION')).toBe('60');
    expect(ps.settings.has('MEMCACHE_HOSTS')).toBe(false); // only under `if os.getenv("MEMCACHE_HOST") is not None`
    expect(ps.starImports).toEqual([{ module: 'graphite.app_settings', line: 430, conditional: false }]);

    const r = graphiteWebRing(ps);
    expect(r.spec).toMatchObject({ impl: 'graphite-web', hash: 'carbon_ch', replication: 1, diverse: true });
    expect(r.spec.destinations).toEqual([{ server: '127.0.0.1', port: 7002, instance: null, line: 352 }]);
    expect(r.diagnostics.filter((d) => d.code === 'env-dependent').map((d) => (d.data as { env: string }).env)).toEqual([
      'GRAPHITE_CARBONLINK_HOSTS',
      'GRAPHITE_CARBONLINK_HASHING_TYPE',
      'GRAPHITE_REPLICATION_FACTOR',
    ]);

    const env = {
      GRAPHITE_CARBONLINK_HOSTS: '10.0.0.1:7002:a,10.0.0.2:7002:a',
      GRAPHITE_REPLICATION_FACTOR: '2',
      MEMCACHE_HOST: 'm1:11211,m2',
    };
    const ps2 = parsePySettings(readFileSync(path, 'utf8'), { file: path, env });
    expect(graphiteWebRing(ps2).spec).toMatchObject({
      replication: 2,
      destinations: [{ server: '10.0.0.1', instance: 'a' }, { server: '10.0.0.2' }],
    });
    expect(value(ps2, 'MEMCACHE_HOSTS')).toBe("['m1:11211', 'm2']");
  });

  it("local_settings.py.example: only two active settings; the ring is graphite-web's default", () => {
    const path = upstreamPath('graphite-web/local_settings.py.example');
    const ps = parsePySettings(readFileSync(path, 'utf8'), { file: path });
    expect([...ps.settings.keys()]).toEqual(['DEFAULT_XFILES_FACTOR', 'FUNCTION_PLUGINS']);
    expect(webSetting(ps, 'CARBONLINK_HOSTS')).toMatchObject({ source: 'default', line: null });
    expect(graphiteWebRing(ps).spec.destinations).toEqual([{ server: '127.0.0.1', port: 7002, instance: null }]);
  });

  it('settings.py: literal defaults come out, install-path settings are Unknown (depend on __file__)', () => {
    const path = upstreamPath('graphite-web/settings.py.defaults');
    const ps = parsePySettings(readFileSync(path, 'utf8'), { file: path, moduleName: 'graphite.settings' });
    expect(value(ps, 'CARBONLINK_HOSTS')).toBe("['127.0.0.1:7002']");
    expect(value(ps, 'CARBONLINK_HASHING_TYPE')).toBe("'carbon_ch'");
    expect(value(ps, 'REPLICATION_FACTOR')).toBe('1');
    expect(value(ps, 'FIND_TIMEOUT')).toBe('3.0');
    expect(value(ps, 'REMOTE_BUFFER_SIZE')).toBe('1048576');
    expect(ps.settings.get('GRAPHITE_ROOT')!.value).toMatchObject({ t: 'unknown', reason: expect.stringMatching(/__file__/) });
    expect(ps.settings.get('WHISPER_DIR')!.value.t).toBe('unknown');
    expect(ps.diagnostics.map((d) => d.code)).toContain('cannot-evaluate'); // globals().update(...)
  });

  it('tests/settings.py: a negative fixture — nothing cluster-related, skipped safely', () => {
    const path = upstreamPath('graphite-web/tests-settings.py');
    const ps = parsePySettings(readFileSync(path, 'utf8'), { file: path });
    expect(ps.settings.has('CARBONLINK_HOSTS')).toBe(false);
    expect(ps.settings.has('DATABASES')).toBe(false); // both branches depend on unset TEST_* variables
    expect(value(ps, 'TAGDB_REDIS_PORT')).toBe('6379');
    expect(ps.settings.get('WHISPER_DIR')!.value.t).toBe('unknown');
    // `from graphite.settings import *` makes graphite's defaults visible
    expect(graphiteWebRing(ps).spec.replication).toBe(1);
  });
});

describe('graphite-web ring', () => {
  it('names file:line and the reason when CARBONLINK_HOSTS cannot be evaluated', () => {
    const ps = parse('import socket\nCARBONLINK_HOSTS = [socket.gethostname() + ":7002"]\n');
    expect(() => graphiteWebRing(ps)).toThrow(
      expect.objectContaining({ line: 2, message: expect.stringMatching(/CARBONLINK_HOSTS cannot be evaluated/) }),
    );
  });

  it('refuses REPLICATION_FACTOR above the distinct servers, warns on a keyfunc and on unknown hash types', () => {
    expect(() => graphiteWebRing(parse('CARBONLINK_HOSTS = ["a:7002:x", "a:7102:y"]\nREPLICATION_FACTOR = 2\n'))).toThrow(
      /cannot exceed servers=1/,
    );
    const r = graphiteWebRing(
      parse('CARBONLINK_HOSTS = ["a:7002:x", "b:7002:x"]\nCARBONLINK_HASHING_TYPE = "fnv1a"\nCARBONLINK_HASHING_KEYFUNC = "/k.py:f"\n'),
    );
    expect(r.spec.hash).toBe('carbon_ch');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['unknown-hash-type', 'custom-keyfunc']);
    expect(r.spec.destinations.map((d) => d.line)).toEqual([1, 1]);
  });

  it('derives WHISPER_DIR from STORAGE_DIR / $GRAPHITE_STORAGE_DIR like settings.py', () => {
    expect(pyRepr(webStorage(parse("STORAGE_DIR = '/srv/g'\n")).whisperDir.value)).toBe("'/srv/g/whisper/'");
    expect(pyRepr(webStorage(parse('A = 1\n'), { env: { GRAPHITE_STORAGE_DIR: '/d' } }).standardDirs.value)).toBe("['/d/whisper/']");
    expect(webStorage(parse('A = 1\n')).whisperDir.value.t).toBe('unknown');
  });
});

describe('repr of a str', () => {
  it("escapes what Python's str.isprintable() refuses, as CPython 3 prints it", () => {
    // /usr/bin/python3 -c "print(repr('a\xa0b\u2028cé\x85😀\U000E0001\''))"
    const v = parse("R = 'a\\xa0b\\u2028c\\xe9\\x85\\U0001F600\\U000E0001\\''\n").settings.get('R')!.value;
    expect(pyRepr(v)).toBe(`"a\\xa0b\\u2028cé\\x85😀\\U000e0001'"`);
  });
});

describe('expression evaluator against CPython', () => {
  // fixtures/config/python/exprs.json: 400 random expressions of the subset with the repr() CPython 3.11
  // computed for them, or ERR where it raised (regenerate with gen-exprs.py next to it).
  const { cases, expected } = JSON.parse(readFileSync(new URL('../fixtures/config/python/exprs.json', import.meta.url), 'utf8')) as {
    cases: string[];
    expected: string[];
  };

  it('never disagrees with Python: equal values, and Unknown wherever Python raises', () => {
    let unknowns = 0;
    cases.forEach((src, i) => {
      const v = parse(src).settings.get('R')!.value;
      if (expected[i] === 'ERR') expect(v.t, src).toBe('unknown');
      else if (v.t === 'unknown') unknowns++;
      else expect(pyRepr(v), src).toBe(expected[i]);
    });
    expect(cases).toHaveLength(400);
    // what the evaluator declines (identity of non-singletons, list ordering) stays rare
    expect(unknowns).toBeLessThan(12);
  });
});
