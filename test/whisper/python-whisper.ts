// whisper's own scripts (python3-whisper: /usr/bin/whisper-*) as the reference for the whisper commands,
// run with time.time() pinned so every clock-dependent result (fetch windows, update_many's archive
// choice, resize) is reproducible and equal to what RINGSHIFT_NOW gives ringshift. Missing python3-whisper
// is a test FAILURE, not a skip: CI installs it (.ci/run).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const PYTHON = '/usr/bin/python3';

/**
 * Runs a script with time.time() returning `now`. With `py2Builtins`, zip/map/filter return lists as in
 * Python 2, which whisper-resize --aggregate was written for (under Python 3 it raises TypeError on
 * `zip(...)[i:]` and on bisect over a map object).
 */
const WRAPPER = `
import sys, time, runpy, builtins
now = float(sys.argv[1])
time.time = lambda: now
if sys.argv[2] == '1':
    _zip, _map, _filter = builtins.zip, builtins.map, builtins.filter
    builtins.zip = lambda *a: list(_zip(*a))
    builtins.map = lambda *a: list(_map(*a))
    builtins.filter = lambda *a: list(_filter(*a))
sys.argv = sys.argv[3:]
runpy.run_path(sys.argv[0], run_name='__main__')
`;

/** Throw (so the test fails) when python3 with whisper is not installed. */
export function requirePythonWhisper(): void {
  const probe = existsSync(PYTHON) ? spawnSync(PYTHON, ['-c', 'import whisper; print(whisper.__file__)'], { encoding: 'utf8' }) : null;
  if (!probe || probe.status !== 0) {
    throw new Error(
      `these tests compare with whisper's own scripts and need ${PYTHON} with the whisper module ` +
        `(Debian/Ubuntu: apt-get install python3-whisper; CI installs it in .ci/run): ${probe ? probe.stderr.trim() : 'no ' + PYTHON}`,
    );
  }
}

export interface ScriptResult {
  stdout: string;
  stderr: string;
  status: number;
}

export interface ScriptOptions {
  now: number;
  py2Builtins?: boolean;
  env?: Record<string, string>;
  input?: string;
}

/** Run /usr/bin/whisper-<name> with the clock pinned. */
export function whisperScript(name: string, args: readonly string[], opts: ScriptOptions): ScriptResult {
  const script = `/usr/bin/whisper-${name}`;
  if (!existsSync(script)) throw new Error(`${script} is missing: apt-get install python3-whisper (CI installs it in .ci/run)`);
  const r = spawnSync(PYTHON, ['-c', WRAPPER, String(opts.now), opts.py2Builtins ? '1' : '0', script, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...opts.env },
    input: opts.input ?? '',
    maxBuffer: 256 << 20,
  });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? -1 };
}

/** Run a Python snippet with `import whisper` done and time.time() pinned (to build reference files). */
export function whisperPython(code: string, now: number, args: readonly string[] = []): ScriptResult {
  const r = spawnSync(PYTHON, ['-c', `import time\ntime.time = lambda: ${now}\nimport sys, whisper\n${code}`, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}
