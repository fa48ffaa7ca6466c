// Test clusters for the audit and plan tests: a cluster file in a temp dir, whisper files made with the
// whisper engine and placed by the (vector-verified) ring, commands run in-process, and a tiny
// reference executor for plan files (copy = byte copy, fill = fillGaps, delete = unlink) so a plan's
// effect can be checked by auditing again.
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { parseClusterFile } from '../src/config/cluster-file.js';
import { plantAt, plantMetric, examplePoints } from '../src/example/seed.js';
import { buildRing } from '../src/ring/build.js';
import type { Ring } from '../src/ring/types.js';
import { checkRelPath } from '../src/storage/driver.js';
import { metricToPath } from '../src/storage/paths.js';
import type { PlanRecord } from '../src/plan/plan-file.js';
import { fillGaps } from '../src/whisper/fill-gaps.js';
import { runCommand as runCaptured, type RunnableCommand } from './helpers/run-command.js';

export const NOW = 1_700_000_000;

export interface RingYaml {
  impl?: string;
  hash?: string;
  replication?: number;
  diverse?: boolean;
  destinations: string[];
}

export function ringYaml(r: RingYaml): string {
  const lines = ['ring:', `  impl: ${r.impl ?? 'carbon'}`, `  hash: ${r.hash ?? 'carbon_ch'}`, `  replication: ${r.replication ?? 1}`];
  if (r.diverse !== undefined) lines.push(`  diverse: ${r.diverse}`);
  lines.push('  destinations:');
  for (const d of r.destinations) lines.push(`    - "${d}"`);
  return lines.join('\n') + '\n';
}

export class TestCluster {
  readonly dir: string;
  constructor(prefix: string) {
    this.dir = fs.mkdtempSync(join(tmpdir(), `ringshift-${prefix}-`));
  }

  /** Write a cluster file (ring + storage key → ./nodes/<dir>) and return its path. */
  writeCluster(file: string, ring: RingYaml, storage: Record<string, string>): string {
    return this.writeClusterAt(file, ring, Object.fromEntries(Object.entries(storage).map(([k, v]) => [k, `./nodes/${v}`])));
  }

  /** Write a cluster file whose storage locations are written as given (paths, ssh:// URLs); return its path. */
  writeClusterAt(file: string, ring: RingYaml, locations: Record<string, string>): string {
    const lines = [ringYaml(ring).trimEnd(), 'storage:'];
    for (const [k, v] of Object.entries(locations)) lines.push(`  "${k}": ${v}`);
    const path = join(this.dir, file);
    fs.writeFileSync(path, lines.join('\n') + '\n');
    return path;
  }

  ring(file: string): Ring {
    const path = join(this.dir, file);
    return buildRing(parseClusterFile(fs.readFileSync(path, 'utf8'), path).ring);
  }

  root(node: string): string {
    const r = join(this.dir, 'nodes', node);
    fs.mkdirSync(r, { recursive: true });
    return r;
  }

  /** Whisper file for (raw) `name` on `node`, points of replica `replica` (different gaps per replica). */
  async plant(node: string, name: string, replica = 0, minutes = 120): Promise<string> {
    return plantMetric(this.root(node), name, { now: NOW, points: examplePoints(name, NOW, replica, minutes) });
  }

  async plantPath(node: string, rel: string, name = rel): Promise<string> {
    return plantAt(join(this.root(node), rel), { now: NOW, points: examplePoints(name, NOW, 0, 60) });
  }

  /** Plant every metric on each of its owners under `ring`, replica r on the r-th owner. */
  async plantOnOwners(ring: Ring, metrics: string[]): Promise<void> {
    for (const m of metrics) {
      const o = owners(ring, m);
      for (let r = 0; r < o.length; r++) await this.plant(o[r]!, m, r);
    }
  }

  /**
   * A ring change half done: every metric on its owners under `oldRing` (600 minutes, replica r on the
   * r-th owner), and every other metric that gains owners under `newRing` also partly (60 minutes) on the first.
   */
  async plantRingChange(oldRing: Ring, newRing: Ring, metrics: string[]): Promise<void> {
    let k = 0;
    for (const m of metrics) {
      const o = owners(oldRing, m);
      for (let r = 0; r < o.length; r++) await this.plant(o[r]!, m, r, 600);
      const gain = owners(newRing, m).filter((n) => !o.includes(n));
      if (gain.length > 0 && k++ % 2 === 0) await this.plant(gain[0]!, m, 2, 60);
    }
  }

  file(node: string, name: string): string {
    return join(this.dir, 'nodes', node, metricToPath(name));
  }

  /** Files under nodes/ whose names hold `.ringshift-` (apply's temp files). */
  temps(): string[] {
    const found: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else if (e.name.includes('.ringshift-')) found.push(join(d, e.name));
      }
    };
    walk(join(this.dir, 'nodes'));
    return found;
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A factory for this test file's clusters: each one is removed after all its tests (afterAll). */
export function clusterFactory(): (prefix: string) => TestCluster {
  const clusters: TestCluster[] = [];
  afterAll(() => clusters.forEach((c) => c.remove()));
  return (prefix) => {
    const c = new TestCluster(prefix);
    clusters.push(c);
    return c;
  };
}

/** Owner servers of `name` (storage keys in these tests are server names). */
export function owners(ring: Ring, name: string): string[] {
  return [...new Set(ring.locate(name).owners.map((d) => d.server))];
}

export interface CmdResult {
  out: string;
  err: string;
  code: number;
}

/** Run an oclif command class in-process, capturing stdout/stderr and the exit code (a thrown error's message goes to err). */
export async function runCommand(cmd: RunnableCommand, argv: string[], cwd?: string): Promise<CmdResult> {
  const { out, err, code } = await runCaptured(cmd, argv, { cwd, thrownMessageToStderr: true });
  return { out, err, code };
}

export function readPlan(path: string): PlanRecord[] {
  return fs
    .readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as PlanRecord);
}

/**
 * Execute a plan the simplest possible way (a reference for tests, not `ringshift apply`): actions in
 * file order, which the planner writes dependencies-first; every path is checked to stay in its root.
 */
export async function executePlan(planPath: string): Promise<void> {
  const recs = readPlan(planPath);
  const header = recs[0]!;
  if (header.type !== 'header') throw new Error('no header');
  const rootOf = new Map(header.locations.map((l) => [l.id, l.url]));
  const abs = (loc: string, rel: string): string => join(rootOf.get(loc)!, checkRelPath(rel));
  for (const r of recs) {
    if (r.type !== 'action') continue;
    if (r.op === 'copy') {
      const dst = abs(r.to, r.toPath ?? r.path);
      fs.mkdirSync(join(dst, '..'), { recursive: true });
      fs.copyFileSync(abs(r.from, r.path), dst, fs.constants.COPYFILE_EXCL);
    } else if (r.op === 'fill') {
      await fillGaps(abs(r.from, r.path), abs(r.to, r.toPath ?? r.path), { now: NOW });
    } else {
      fs.unlinkSync(abs(r.at, r.path));
    }
  }
}
