// graphite-web's own read path, run on the harness's files: the ground truth readGraphiteWeb is
// proved against. For each metric and each store (in order) it runs graphite-web 1.1.8's
// WhisperReader(path, metric).fetch(from, until, now) — python-whisper's fetch plus
// merge_with_carbonlink against the CARBONLINK_HOSTS given — and merges the answers with
// render/datalib.py's _merge_results under REMOTE_STORE_MERGE_RESULTS as asked. Needs the Debian
// packages graphite-web and python3-whisper (/usr/bin/python3); one python start (~1–3 s) per call.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { requireComponent } from './carbon-cluster.js';
import type { ReadStore, Series } from './graphite-read.js';
import { SYSTEM_PYTHON } from './managed-process.js';

const ORACLE_PY = String.raw`
import json, os, sys, warnings
warnings.filterwarnings('ignore')
os.environ['DJANGO_SETTINGS_MODULE'] = 'graphite.settings'
import django
django.setup()
from django.conf import settings
req = json.load(sys.stdin)
settings.REMOTE_STORE_MERGE_RESULTS = req['merge']
settings.CARBONLINK_HOSTS = req['carbonlinkHosts']
settings.REPLICATION_FACTOR = req['replication']
settings.CARBONLINK_HASHING_TYPE = req['hash']
settings.CARBONLINK_TIMEOUT = req['timeout']
from graphite.readers.whisper import WhisperReader
from graphite.render.datalib import _merge_results
out = {}
for metric, paths in req['metrics'].items():
    prefetched = []
    for path in paths:
        if not os.path.exists(path):
            continue
        try:
            r = WhisperReader(path, metric).fetch(req['from'], req['until'], now=req['now'])
        except Exception:
            r = None
        if r is not None:
            prefetched.append((metric, r))
    series = _merge_results(metric, req['from'], req['until'], prefetched, {}, {})
    if not series:
        out[metric] = None
    else:
        s = series[0]
        out[metric] = {'start': s.start, 'end': s.end, 'step': s.step, 'values': list(s)}
print(json.dumps(out))
`;

export interface OracleRequest {
  metrics: readonly string[];
  stores: readonly ReadStore[];
  from: number;
  until: number;
  now: number;
  merge: boolean;
  /** CARBONLINK_HOSTS entries ("host:port[:instance]"); empty: no cache merge. */
  carbonlinkHosts?: readonly string[] | undefined;
  replication?: number | undefined;
  hash?: string | undefined;
  timeoutSeconds?: number | undefined;
}

/** graphite-web's merged series per metric (null: no store answered). */
export async function graphiteWebOracle(req: OracleRequest): Promise<Map<string, Series | null>> {
  requireComponent('python', 'graphiteWeb', 'whisperPy');
  const metrics: Record<string, string[]> = {};
  for (const m of req.metrics) metrics[m] = req.stores.map((s) => join(s.whisperDir, ...m.split('.')) + '.wsp');
  const input = JSON.stringify({
    metrics,
    from: req.from,
    until: req.until,
    now: req.now,
    merge: req.merge,
    carbonlinkHosts: req.carbonlinkHosts ?? [],
    replication: req.replication ?? 1,
    hash: req.hash ?? 'carbon_ch',
    timeout: req.timeoutSeconds ?? 5,
  });
  const { code, out, err } = await new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
    const p = spawn(SYSTEM_PYTHON, ['-c', ORACLE_PY], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    });
    const o: Buffer[] = [];
    const e: Buffer[] = [];
    const timer = setTimeout(() => p.kill('SIGKILL'), 120_000);
    p.stdout.on('data', (c: Buffer) => o.push(c));
    p.stderr.on('data', (c: Buffer) => e.push(c));
    p.once('error', reject);
    p.once('close', (c) => {
      clearTimeout(timer);
      resolve({ code: c, out: Buffer.concat(o).toString('utf8'), err: Buffer.concat(e).toString('utf8') });
    });
    p.stdin.end(input);
  });
  if (code !== 0) throw new Error(`graphite-web oracle failed (exit ${code}):\n${err.split('\n').slice(-20).join('\n')}`);
  const parsed = JSON.parse(out.trim().split('\n').pop()!) as Record<string, Series | null>;
  return new Map(Object.entries(parsed));
}
