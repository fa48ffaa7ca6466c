// A real Graphite cluster on loopback for the end-to-end tests: carbon-cache daemons (graphite-carbon
// 1.1.7) with WHISPER_LOCK_WRITES on, fed through a real relay (carbon-c-relay 3.7.3, or carbon's own
// carbon-relay) whose ring a test can switch while writers keep sending. The tests prove a live change
// with it: the writers (carbon-writers.ts) log every point they sent, the readers (graphite-read.ts) read
// the cluster as graphite-web / carbonapi would, and checkReads says which sent points a read misses.
//
//   const h = useCarbonHarness();                       // in a describe: cleanup registered (afterAll)
//   const caches = await h().startCaches(3);            // c1..c3 on 127.0.0.11..13, free ports each
//   const relay = await h().startCRelay({ hash: 'carbon_ch', replication: 2, members: caches });
//   const w = await startLineWriter({ host: relay.host, port: relay.port, metrics: names });
//   const c4 = await h().startCache();                  // 127.0.0.14
//   const sw = await relay.switchRing({ ...relay.ring, members: [...caches, c4] });  // SIGHUP, confirmed
//   h().writeClusterFile('new.yaml', relay.ring);       // ringshift's cluster file for that ring
//   relay.ringSpec()                                    // ringshift's model of the relay's config file
//
// Each cache gets its own host address 127.0.0.N (distinct "servers", as the rings and graphite-web's
// diverse replicas expect; Linux routes all of 127/8 to lo), its own temp dir (conf/, storage/,
// whisper/) and free ports (line, pickle, cache query). Processes run in the foreground (--nodaemon),
// logs in <dir>/<name>.log; a failure to start quotes the log. Everything is stopped and removed
// after the describe (RINGSHIFT_KEEP_HARNESS=1 keeps the dir and says where), and the processes die
// with the vitest worker even when it is killed (managed-process.ts).
//
// Timings measured on the 2-core machine under load (average ~15): a cache listens 3 s after start
// (6–9 s for three in parallel); a point is in its whisper file 0.2–1.3 s after the relay got it (the
// cache's writer loop writes everything, then sleeps 1 s); a c-relay SIGHUP reload completes ("SIGHUP
// handler complete") in 0.1–1.4 s; carbon-relay cannot reload DESTINATIONS, so its switchRing restarts
// it (~3 s; line writers reconnect). Pitfalls (rate limits, cache vs file, switch windows): test/README.md.
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { loadRing } from '../../src/config/load.js';
import { buildRing } from '../../src/ring/build.js';
import type { Destination, HashType, Ring, RingSpec } from '../../src/ring/types.js';
import { cacheQuery } from './carbon-pickle.js';
import type { PointLog } from './carbon-writers.js';
import { canConnect, freePort, ManagedProcess, sleep, waitFor } from './managed-process.js';
import { WhisperError } from '../../src/whisper/errors.js';
import { fetch } from '../../src/whisper/whisper-api.js';

/**
 * whisper fetch of a file carbon-cache may be writing: null while it does not exist or is still being
 * created (its header not written yet: a WhisperError); any other error is thrown.
 */
export function fetchWritten(path: string, from: number, until: number, now: number): ReturnType<typeof fetch> | null {
  if (!fs.existsSync(path)) return null;
  try {
    return fetch(path, from, until, { now });
  } catch (err) {
    if (err instanceof WhisperError) return null;
    throw err;
  }
}

/** Fine and short: 1 s points for an hour, so a 30 s test has 30 slots per metric and files stay small (190 kB). */
export const DEFAULT_RETENTIONS = '1s:1h,10s:6h,1m:7d';

/** The programs and the Debian package CI installs for each (.ci/run). */
export const COMPONENTS = {
  carbonCache: { path: '/usr/bin/carbon-cache', pkg: 'graphite-carbon' },
  carbonRelay: { path: '/usr/bin/carbon-relay', pkg: 'graphite-carbon' },
  crelay: { path: '/usr/bin/carbon-c-relay', pkg: 'carbon-c-relay' },
  python: { path: '/usr/bin/python3', pkg: 'python3' },
  whisperPy: { path: '/usr/lib/python3/dist-packages/whisper.py', pkg: 'python3-whisper' },
  graphiteWeb: { path: '/usr/lib/python3/dist-packages/graphite/render/datalib.py', pkg: 'graphite-web' },
} as const;

export type Component = keyof typeof COMPONENTS;

/** Throws (never skips) when a component is missing, naming the package CI must install. */
export function requireComponent(...which: Component[]): void {
  for (const w of which) requireFile(COMPONENTS[w]);
}

/** The check behind requireComponent, for one program or module file. */
export function requireFile(c: { path: string; pkg: string }): void {
  if (!fs.existsSync(c.path)) {
    throw new Error(
      `${c.path} is missing: install the Debian package ${c.pkg} ` +
        `(.ci/run does: apt-get install -y graphite-carbon carbon-c-relay python3-whisper graphite-web)`,
    );
  }
}

const QUIET_PY = { ...process.env, PYTHONWARNINGS: 'ignore', PYTHONDONTWRITEBYTECODE: '1' };

export interface CacheOptions {
  /** Label and directory name (default c1, c2, … in start order). */
  name?: string | undefined;
  /** Loopback address (default 127.0.0.(10 + n)). */
  host?: string | undefined;
  /** Ring instance name (c-relay `=instance`, carbon-relay `host:port:instance`); default none. */
  instance?: string | null | undefined;
  /** storage-schemas.conf retentions for every metric (default DEFAULT_RETENTIONS). */
  retentions?: string | undefined;
  /** storage-aggregation.conf for every metric (default: none, so carbon's average / 0.5). */
  aggregation?: { method: string; xFilesFactor: number } | undefined;
  /** More [cache] settings (they win over the harness's). */
  settings?: Record<string, string | number | boolean> | undefined;
  /** Startup timeout (default 60 s: the machine may be loaded). */
  startTimeoutMs?: number | undefined;
}

/** A running carbon-cache. */
export class CarbonCache {
  process!: ManagedProcess;
  linePort = 0;
  picklePort = 0;
  queryPort = 0;
  readonly confDir: string;
  readonly whisperDir: string;
  readonly logPath: string;

  constructor(
    readonly name: string,
    readonly host: string,
    readonly instance: string | null,
    readonly dir: string,
    private readonly opts: CacheOptions,
  ) {
    this.confDir = join(dir, 'conf');
    this.whisperDir = join(dir, 'whisper');
    this.logPath = join(dir, `${name}.log`);
  }

  get running(): boolean {
    return this.process?.running ?? false;
  }

  /** The whisper file carbon writes for `metric`. */
  pathOf(metric: string): string {
    return join(this.whisperDir, ...metric.split('.')) + '.wsp';
  }

  /** The unflushed points this cache holds for `metric` (CarbonLink's cache-query). */
  query(metric: string, timeoutMs = 5_000): Promise<[number, number][]> {
    return cacheQuery(this.host, this.queryPort, metric, timeoutMs);
  }

  logTail(lines = 40): string {
    return this.process?.logTail(lines) ?? '(not started)';
  }

  private writeConfig(): void {
    fs.mkdirSync(this.confDir, { recursive: true });
    fs.mkdirSync(this.whisperDir, { recursive: true });
    const storage = join(this.dir, 'storage');
    const settings: Record<string, string | number | boolean> = {
      STORAGE_DIR: storage,
      LOCAL_DATA_DIR: this.whisperDir,
      WHITELISTS_DIR: join(storage, 'lists'),
      LOG_DIR: join(storage, 'log'),
      PID_DIR: storage,
      USER: '',
      ENABLE_LOGROTATION: 'False',
      LINE_RECEIVER_INTERFACE: this.host,
      LINE_RECEIVER_PORT: this.linePort,
      PICKLE_RECEIVER_INTERFACE: this.host,
      PICKLE_RECEIVER_PORT: this.picklePort,
      CACHE_QUERY_INTERFACE: this.host,
      CACHE_QUERY_PORT: this.queryPort,
      WHISPER_LOCK_WRITES: 'True',
      WHISPER_AUTOFLUSH: 'False',
      MAX_CACHE_SIZE: 'inf',
      MAX_UPDATES_PER_SECOND: 'inf',
      MAX_CREATES_PER_MINUTE: 'inf',
      CACHE_WRITE_STRATEGY: 'sorted',
      // No self-metrics (carbon.agents.* files), no tag DB calls to GRAPHITE_URL.
      CARBON_METRIC_INTERVAL: 0,
      ENABLE_TAGS: 'False',
      LOG_UPDATES: 'False',
      LOG_CACHE_HITS: 'False',
      LOG_CACHE_QUEUE_SORTS: 'False',
      ...this.opts.settings,
    };
    const conf = ['[cache]', ...Object.entries(settings).map(([k, v]) => `${k} = ${String(v)}`), ''].join('\n');
    fs.writeFileSync(join(this.confDir, 'carbon.conf'), conf);
    fs.writeFileSync(
      join(this.confDir, 'storage-schemas.conf'),
      `[harness]\npattern = .*\nretentions = ${this.opts.retentions ?? DEFAULT_RETENTIONS}\n`,
    );
    const agg = this.opts.aggregation;
    if (agg !== undefined) {
      fs.writeFileSync(
        join(this.confDir, 'storage-aggregation.conf'),
        `[harness]\npattern = .*\nxFilesFactor = ${agg.xFilesFactor}\naggregationMethod = ${agg.method}\n`,
      );
    }
  }

  /** Start (or restart after stop/kill9) on the same ports and directory; new ports only when they were taken. */
  async start(): Promise<void> {
    requireComponent('carbonCache', 'python', 'whisperPy');
    if (this.running) throw new Error(`carbon-cache ${this.name} is already running`);
    const timeout = this.opts.startTimeoutMs ?? 60_000;
    let lastLog = '';
    for (let attempt = 1; attempt <= 3; attempt++) {
      if (this.linePort === 0 || attempt > 1) {
        const ports = new Set<number>();
        while (ports.size < 3) ports.add(await freePort(this.host));
        [this.linePort, this.picklePort, this.queryPort] = [...ports] as [number, number, number];
      }
      this.writeConfig();
      const logStart = fs.existsSync(this.logPath) ? fs.statSync(this.logPath).size : 0;
      this.process = new ManagedProcess({
        name: `carbon-cache ${this.name}`,
        command: COMPONENTS.carbonCache.path,
        args: [`--config=${join(this.confDir, 'carbon.conf')}`, '--nodaemon', 'start'],
        logPath: this.logPath,
        env: QUIET_PY,
        cwd: this.dir,
      });
      const up = await waitFor(
        async () => {
          if (!this.process.running) return 'exited' as const;
          for (const port of [this.linePort, this.picklePort, this.queryPort])
            if (!(await canConnect(this.host, port, 500))) return undefined;
          return 'up' as const;
        },
        timeout,
        () =>
          `carbon-cache ${this.name} did not listen on ${this.host}:${this.linePort}/${this.picklePort}/${this.queryPort} within ${timeout / 1000} s; log:\n${this.process.logTail()}`,
      ).catch(async (e: Error) => {
        await this.process.stop(2_000);
        throw e;
      });
      if (up === 'up') return;
      lastLog = this.process.logFrom(logStart);
      if (!/Address already in use/.test(lastLog)) break;
    }
    throw new Error(
      `carbon-cache ${this.name} exited during startup (${JSON.stringify(this.process.exitStatus)}); log:\n${lastLog.split('\n').slice(-40).join('\n')}`,
    );
  }

  /** SIGTERM (carbon writes its cache out first), SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.running) await this.process.stop(graceMs);
  }

  /** Crash it: unflushed points are lost, as in production. */
  async kill9(): Promise<void> {
    if (this.running) await this.process.kill9();
  }

  /** Wait until the cache holds no unflushed point for any of `metrics` (or `timeoutMs`: throws). */
  async waitFlushed(metrics: readonly string[], timeoutMs = 30_000): Promise<void> {
    await waitFor(
      async () => {
        for (const m of metrics) if ((await this.query(m)).length > 0) return undefined;
        return true;
      },
      timeoutMs,
      () => `carbon-cache ${this.name} still holds unflushed points after ${timeoutMs / 1000} s; log:\n${this.logTail()}`,
      200,
    );
  }
}

/** A relay ring over harness caches. */
export interface RelayRing {
  hash: HashType;
  replication: number;
  members: readonly CarbonCache[];
}

/** What a relay switch did and when (wall clock, ms). */
export interface RelaySwitch {
  ring: RelayRing;
  /** Just before the reload was asked for (SIGHUP sent, or the old relay stopped). */
  requestedAt: number;
  /** When the new ring was confirmed in effect: points sent from here on follow it. */
  effectiveAt: number;
}

/** Common to both relay kinds. */
export interface Relay {
  readonly kind: 'carbon-c-relay' | 'carbon-relay';
  readonly host: string;
  readonly port: number;
  readonly ring: RelayRing;
  readonly switches: readonly RelaySwitch[];
  /** ringshift's model of the ring the relay runs now (built from its config file by ringshift's own reader). */
  ringSpec(): RingSpec;
  ringModel(): Ring;
  /** The caches that own `metric` under the current ring (ringshift's model), primary first. */
  ownersOf(metric: string): CarbonCache[];
  switchRing(ring: RelayRing): Promise<RelaySwitch>;
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

function cachesOf(ring: RelayRing, owners: readonly Destination[], port: (c: CarbonCache) => number): CarbonCache[] {
  return owners.map((d) => {
    const c = ring.members.find((m) => m.host === d.server && port(m) === d.port);
    if (c === undefined) throw new Error(`ring owner ${d.server}:${d.port} is not a harness cache`);
    return c;
  });
}

const CRELAY_CLUSTER = 'harness';

/** carbon-c-relay's config for `ring`, listening on host:port. */
export function crelayConfigText(ring: RelayRing, host: string, port: number): string {
  const members = ring.members.map((c) => `    ${c.host}:${c.linePort}${c.instance === null ? '' : `=${c.instance}`}`);
  return [
    '# written by the ringshift test harness (test/helpers/carbon-cluster.ts)',
    `listen type linemode ${host}:${port} proto tcp;`,
    `cluster ${CRELAY_CLUSTER} ${ring.hash} replication ${ring.replication}`,
    ...members,
    '    ;',
    `match * send to ${CRELAY_CLUSTER} stop;`,
    '',
  ].join('\n');
}

/** A running carbon-c-relay whose config file the harness writes. */
export class CRelay implements Relay {
  readonly kind = 'carbon-c-relay' as const;
  readonly host = '127.0.0.1';
  port = 0;
  process!: ManagedProcess;
  readonly configPath: string;
  readonly logPath: string;
  ring: RelayRing;
  readonly switches: RelaySwitch[] = [];

  constructor(
    readonly dir: string,
    ring: RelayRing,
  ) {
    this.ring = ring;
    this.configPath = join(dir, 'relay.conf');
    this.logPath = join(dir, 'relay.log');
  }

  private writeConfig(ring: RelayRing): void {
    const tmp = `${this.configPath}.tmp`;
    fs.writeFileSync(tmp, crelayConfigText(ring, this.host, this.port));
    fs.renameSync(tmp, this.configPath);
  }

  async start(timeoutMs = 30_000): Promise<void> {
    requireComponent('crelay');
    fs.mkdirSync(this.dir, { recursive: true });
    let lastLog = '';
    for (let attempt = 1; attempt <= 3; attempt++) {
      this.port = await freePort(this.host);
      this.writeConfig(this.ring);
      const logStart = fs.existsSync(this.logPath) ? fs.statSync(this.logPath).size : 0;
      // -s: submission mode (no carbon.relays.* statistics into the cluster); -H: a fixed name in its log.
      this.process = new ManagedProcess({
        name: 'carbon-c-relay',
        command: COMPONENTS.crelay.path,
        args: ['-f', this.configPath, '-s', '-H', 'ringshift-harness'],
        logPath: this.logPath,
      });
      const up = await waitFor(
        async () =>
          !this.process.running ? ('exited' as const) : (await canConnect(this.host, this.port, 500)) ? ('up' as const) : undefined,
        timeoutMs,
        () => `carbon-c-relay did not listen on ${this.host}:${this.port} within ${timeoutMs / 1000} s; log:\n${this.process.logTail()}`,
      ).catch(async (e: Error) => {
        await this.process.stop(2_000);
        throw e;
      });
      if (up === 'up') return;
      lastLog = this.process.logFrom(logStart);
      if (!/Address already in use/.test(lastLog)) break;
    }
    throw new Error(`carbon-c-relay exited during startup; log:\n${lastLog.split('\n').slice(-40).join('\n')}`);
  }

  ringSpec(): RingSpec {
    return loadRing(this.configPath, { format: 'carbon-c-relay', cluster: CRELAY_CLUSTER }).spec;
  }

  ringModel(): Ring {
    return buildRing(this.ringSpec());
  }

  ownersOf(metric: string): CarbonCache[] {
    return cachesOf(this.ring, this.ringModel().locate(metric).owners, (c) => c.linePort);
  }

  /**
   * Rewrite the config (temp file + rename) and SIGHUP the relay; resolves when its log says
   * "SIGHUP handler complete" (carbon-c-relay 3.7.3 reloads routes and workers in place), throws with
   * the log when it says the reload was aborted (the old config stays in effect) or after `timeoutMs`.
   */
  async switchRing(ring: RelayRing, timeoutMs = 30_000): Promise<RelaySwitch> {
    if (!this.process.running) throw new Error(`carbon-c-relay is not running; log:\n${this.process.logTail()}`);
    const offset = this.process.logSize();
    this.writeConfig(ring);
    const requestedAt = Date.now();
    this.process.signal('SIGHUP');
    await waitFor(
      () => {
        const text = this.process.logFrom(offset);
        if (/aborting reload|failed to read configuration/.test(text)) throw new Error(`carbon-c-relay refused the new config:\n${text}`);
        if (!this.process.running) throw new Error(`carbon-c-relay exited during the reload:\n${text}`);
        return text.includes('SIGHUP handler complete') ? true : undefined;
      },
      timeoutMs,
      () => `carbon-c-relay did not finish reloading within ${timeoutMs / 1000} s; log:\n${this.process.logFrom(offset)}`,
      25,
    );
    const sw: RelaySwitch = { ring, requestedAt, effectiveAt: Date.now() };
    this.ring = ring;
    this.switches.push(sw);
    return sw;
  }

  logTail(lines = 40): string {
    return this.process?.logTail(lines) ?? '(not started)';
  }

  async stop(): Promise<void> {
    if (this.process?.running) await this.process.stop(5_000);
  }
}

/** carbon's own relay (carbon-relay, RELAY_METHOD consistent-hashing, pickle to the caches' PICKLE ports). */
export class CarbonRelay implements Relay {
  readonly kind = 'carbon-relay' as const;
  readonly host = '127.0.0.1';
  port = 0;
  picklePort = 0;
  process: ManagedProcess | undefined;
  readonly confDir: string;
  readonly logPath: string;
  ring: RelayRing;
  readonly switches: RelaySwitch[] = [];

  constructor(
    readonly dir: string,
    ring: RelayRing,
    private readonly retentions: string,
  ) {
    this.ring = ring;
    this.confDir = join(dir, 'conf');
    this.logPath = join(dir, 'relay.log');
  }

  get configPath(): string {
    return join(this.confDir, 'carbon.conf');
  }

  private writeConfig(ring: RelayRing): void {
    fs.mkdirSync(this.confDir, { recursive: true });
    const storage = join(this.dir, 'storage');
    const dests = ring.members.map((c) => `${c.host}:${c.picklePort}${c.instance === null ? '' : `:${c.instance}`}`).join(', ');
    const settings: Record<string, string | number> = {
      STORAGE_DIR: storage,
      LOCAL_DATA_DIR: join(storage, 'whisper'),
      LOG_DIR: join(storage, 'log'),
      PID_DIR: storage,
      USER: '',
      ENABLE_LOGROTATION: 'False',
      LINE_RECEIVER_INTERFACE: this.host,
      LINE_RECEIVER_PORT: this.port,
      PICKLE_RECEIVER_INTERFACE: this.host,
      PICKLE_RECEIVER_PORT: this.picklePort,
      RELAY_METHOD: 'consistent-hashing',
      ROUTER_HASH_TYPE: ring.hash,
      REPLICATION_FACTOR: ring.replication,
      DIVERSE_REPLICAS: 'True',
      DESTINATIONS: dests,
      DESTINATION_PROTOCOL: 'pickle',
      MAX_QUEUE_SIZE: 100000,
      CARBON_METRIC_INTERVAL: 0,
      ENABLE_TAGS: 'False',
    };
    const conf = ['[relay]', ...Object.entries(settings).map(([k, v]) => `${k} = ${String(v)}`), ''].join('\n');
    fs.writeFileSync(join(this.confDir, 'carbon.conf.tmp'), conf);
    fs.renameSync(join(this.confDir, 'carbon.conf.tmp'), this.configPath);
    // carbon-relay refuses to start without a storage-schemas.conf beside carbon.conf.
    fs.writeFileSync(join(this.confDir, 'storage-schemas.conf'), `[harness]\npattern = .*\nretentions = ${this.retentions}\n`);
  }

  async start(timeoutMs = 60_000): Promise<void> {
    requireComponent('carbonRelay', 'python');
    let lastLog = '';
    for (let attempt = 1; attempt <= 3; attempt++) {
      if (this.port === 0 || attempt > 1) {
        this.port = await freePort(this.host);
        do this.picklePort = await freePort(this.host);
        while (this.picklePort === this.port);
      }
      this.writeConfig(this.ring);
      const logStart = fs.existsSync(this.logPath) ? fs.statSync(this.logPath).size : 0;
      const p = new ManagedProcess({
        name: 'carbon-relay',
        command: COMPONENTS.carbonRelay.path,
        args: [`--config=${this.configPath}`, '--nodaemon', 'start'],
        logPath: this.logPath,
        env: QUIET_PY,
        cwd: this.dir,
      });
      this.process = p;
      const up = await waitFor(
        async () => (!p.running ? ('exited' as const) : (await canConnect(this.host, this.port, 500)) ? ('up' as const) : undefined),
        timeoutMs,
        () => `carbon-relay did not listen on ${this.host}:${this.port} within ${timeoutMs / 1000} s; log:\n${p.logTail()}`,
      ).catch(async (e: Error) => {
        await p.stop(2_000);
        throw e;
      });
      if (up === 'up') return;
      lastLog = p.logFrom(logStart);
      if (!/Address already in use/.test(lastLog)) break;
    }
    throw new Error(`carbon-relay exited during startup; log:\n${lastLog.split('\n').slice(-40).join('\n')}`);
  }

  ringSpec(): RingSpec {
    return loadRing(this.configPath, { format: 'carbon' }).spec;
  }

  ringModel(): Ring {
    return buildRing(this.ringSpec());
  }

  ownersOf(metric: string): CarbonCache[] {
    return cachesOf(this.ring, this.ringModel().locate(metric).owners, (c) => c.picklePort);
  }

  /**
   * carbon-relay reads DESTINATIONS once: stop it (SIGTERM: it sends what it queued), write the new
   * config, start it on the same ports. Line writers see the connection drop and reconnect.
   */
  async switchRing(ring: RelayRing): Promise<RelaySwitch> {
    const requestedAt = Date.now();
    await this.stop();
    this.ring = ring;
    await this.start();
    const sw: RelaySwitch = { ring, requestedAt, effectiveAt: Date.now() };
    this.switches.push(sw);
    return sw;
  }

  logTail(lines = 40): string {
    return this.process?.logTail(lines) ?? '(not started)';
  }

  async stop(): Promise<void> {
    if (this.process?.running) await this.process.stop(15_000);
  }
}

export interface ClusterFileOptions {
  /** Ring entry syntax of the file: 'carbon-c-relay' (members host:linePort) or 'carbon' (host:picklePort:instance). */
  impl?: 'carbon-c-relay' | 'carbon' | undefined;
  /** Storage entries for these caches (default: every harness cache, running or not). */
  storage?: readonly CarbonCache[] | undefined;
}

/** A set of caches, relays and their temp dir; close() stops everything. */
export class CarbonHarness {
  readonly dir: string;
  readonly caches: CarbonCache[] = [];
  readonly relays: Relay[] = [];
  private closed = false;

  constructor(prefix = 'ringshift-carbon-') {
    this.dir = fs.mkdtempSync(join(tmpdir(), prefix));
  }

  /** Start one more carbon-cache (c<N> on 127.0.0.(10+N) unless told otherwise). */
  async startCache(opts: CacheOptions = {}): Promise<CarbonCache> {
    const n = this.caches.length + 1;
    const name = opts.name ?? `c${n}`;
    const host = opts.host ?? `127.0.0.${10 + n}`;
    const cache = new CarbonCache(name, host, opts.instance ?? null, join(this.dir, name), opts);
    this.caches.push(cache);
    await cache.start();
    return cache;
  }

  /** Start `n` caches at once (in parallel). */
  async startCaches(n: number, opts: Omit<CacheOptions, 'name' | 'host'> = {}): Promise<CarbonCache[]> {
    const first = this.caches.length + 1;
    const made = Array.from({ length: n }, (_, i) => {
      const name = `c${first + i}`;
      const c = new CarbonCache(name, `127.0.0.${10 + first + i}`, opts.instance ?? null, join(this.dir, name), opts);
      this.caches.push(c);
      return c;
    });
    await Promise.all(made.map((c) => c.start()));
    return made;
  }

  async startCRelay(ring: RelayRing): Promise<CRelay> {
    const r = new CRelay(join(this.dir, `crelay${this.relays.length + 1}`), ring);
    this.relays.push(r);
    await r.start();
    return r;
  }

  async startCarbonRelay(ring: RelayRing, retentions = DEFAULT_RETENTIONS): Promise<CarbonRelay> {
    const r = new CarbonRelay(join(this.dir, `relay${this.relays.length + 1}`), ring, retentions);
    this.relays.push(r);
    await r.start();
    return r;
  }

  /**
   * ringshift's cluster file (YAML) for `ring`: the ring inline, and a storage entry per cache
   * (key: its host, value: its whisper dir). Returns the path written.
   */
  writeClusterFile(path: string, ring: RelayRing, opts: ClusterFileOptions = {}): string {
    fs.writeFileSync(path, clusterFileText(ring, opts.storage ?? this.caches, opts.impl ?? 'carbon-c-relay'));
    return path;
  }

  /** carbon-c-relay's config for `ring` (e.g. the old ring for `plan --old-ring`), listening nowhere in use. */
  writeCRelayConfig(path: string, ring: RelayRing): string {
    fs.writeFileSync(path, crelayConfigText(ring, '127.0.0.1', 2003));
    return path;
  }

  /**
   * After a writer stopped: wait until the relay has delivered the last point of every metric in `log`
   * (it is in some cache's file or cache — in each of `ownersOf(metric)` when given: with replication
   * the relay sends to each owner on its own queue, so one owner having it says nothing of the other;
   * up to `timeoutMs`, not an error when it never arrives: the checker reports it), then until no cache
   * holds an unflushed point of them (throws on timeout). Returns the metrics whose last point never
   * arrived. waitFlushed alone is not enough: right after the writer stops, the points may still be
   * queued in the relay, and the caches look flushed.
   */
  async settle(
    log: PointLog,
    timeoutMs = 30_000,
    ownersOf?: (metric: string) => readonly CarbonCache[],
  ): Promise<{ undelivered: string[] }> {
    const metrics = log.metrics();
    const has = async (c: CarbonCache, m: string, ts: number, now: number): Promise<boolean> => {
      const r = fetchWritten(c.pathOf(m), ts - 1, ts, now);
      if (r !== null && r.values[0] !== null && r.values[0] !== undefined) return true;
      return (await c.query(m).catch(() => [])).some(([t]) => t === ts);
    };
    const arrived = async (m: string): Promise<boolean> => {
      const last = log.points(m).at(-1);
      if (last === undefined) return true;
      const now = Math.floor(Date.now() / 1000);
      if (ownersOf !== undefined) {
        for (const c of ownersOf(m)) if (c.running && !(await has(c, m, last.ts, now))) return false;
        return true;
      }
      for (const c of this.caches) if (c.running && (await has(c, m, last.ts, now))) return true;
      return false;
    };
    const deadline = Date.now() + timeoutMs;
    let pending = metrics;
    while (pending.length > 0 && Date.now() < deadline) {
      const next: string[] = [];
      for (const m of pending) if (!(await arrived(m))) next.push(m);
      pending = next;
      if (pending.length > 0) await sleep(200);
    }
    await Promise.all(this.caches.filter((c) => c.running).map((c) => c.waitFlushed(metrics, timeoutMs)));
    return { undelivered: pending };
  }

  /** The caches holding a whisper file for `metric`. */
  holdersOf(metric: string): CarbonCache[] {
    return this.caches.filter((c) => fs.existsSync(c.pathOf(metric)));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const errors: string[] = [];
    await Promise.all(this.relays.map((r) => r.stop().catch((e: Error) => errors.push(e.message))));
    await Promise.all(this.caches.map((c) => c.stop().catch((e: Error) => errors.push(e.message))));
    if (process.env.RINGSHIFT_KEEP_HARNESS === '1') process.stderr.write(`carbon harness kept in ${this.dir}\n`);
    else fs.rmSync(this.dir, { recursive: true, force: true });
    if (errors.length > 0) throw new Error(`carbon harness cleanup: ${errors.join('; ')}`);
  }
}

/** The cluster-file text (see CarbonHarness.writeClusterFile). */
export function clusterFileText(ring: RelayRing, storage: readonly CarbonCache[], impl: 'carbon-c-relay' | 'carbon'): string {
  const dest = (c: CarbonCache) =>
    impl === 'carbon-c-relay'
      ? `${c.host}:${c.linePort}${c.instance === null ? '' : `=${c.instance}`}`
      : `${c.host}:${c.picklePort}${c.instance === null ? '' : `:${c.instance}`}`;
  const lines = [
    '# written by the ringshift test harness',
    'ring:',
    `  impl: ${impl}`,
    `  hash: ${ring.hash}`,
    `  replication: ${ring.replication}`,
    `  destinations: [${ring.members.map((c) => JSON.stringify(dest(c))).join(', ')}]`,
    'storage:',
    ...storage.map((c) => `  ${JSON.stringify(c.host)}: ${JSON.stringify(c.whisperDir)}`),
    '',
  ];
  return lines.join('\n');
}

/**
 * A harness for the current describe block: created on first use, closed in afterAll (processes
 * stopped, temp dir removed) whether the tests passed or not.
 */
export function useCarbonHarness(): () => CarbonHarness {
  let h: CarbonHarness | undefined;
  afterAll(async () => {
    await h?.close();
  }, 60_000);
  return () => (h ??= new CarbonHarness());
}
