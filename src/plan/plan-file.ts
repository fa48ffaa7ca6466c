// The plan file: the unit of work shared by `ringshift plan` (writer) and `ringshift apply` (reader),
// possibly by several apply jobs on different machines (--only-dest). NDJSON, one record a line:
//   line 1            {"type":"header", ...}
//   then, any order   {"type":"action", ...} and {"type":"skip", ...}
//   last line         {"type":"footer", ...}   (counts: a truncated plan is refused)
// Every record is self-contained so the file can be streamed in both directions.
import { createHash } from 'node:crypto';
import type { RingSpec } from '../ring/types.js';

export const PLAN_FORMAT = 'ringshift-plan';
/** A plain plan (copies, fills, deletes): every apply reads it. */
export const PLAN_VERSION = 1;
/**
 * A phased runbook (runbook.ts): the same records, each action tagged with its phase, and a `runbook`
 * record before the footer. An apply that does not know phases refuses it by this version.
 */
export const PHASED_PLAN_VERSION = 2;
export const PLAN_VERSIONS: readonly number[] = [PLAN_VERSION, PHASED_PLAN_VERSION];

export interface PlanLocation {
  /** Location id used by actions (stable within the plan; see storage locations). */
  id: string;
  /** Where it is: an absolute local path or an ssh:// URL. */
  url: string;
  /** memberId()s of the ring members stored there. */
  members: string[];
}

export interface PlanHeader {
  type: 'header';
  format: typeof PLAN_FORMAT;
  version: number;
  /** ISO 8601. */
  created: string;
  /** sha256 over the canonical ring (ringFingerprint); apply refuses a plan whose ring changed. */
  ringFingerprint: string;
  /** The ring the plan was computed for, for humans and for re-checking. */
  ring: RingSpec;
  /** The cluster file, absolute. */
  cluster: string;
  locations: PlanLocation[];
  /** Version 2: the plan is a phased runbook. */
  phased?: boolean;
  options: {
    keepSource: boolean;
    moveSuspected: boolean;
    oldRing?: string;
    names?: string;
    /** A plan written by `ringshift rename`: its map file, absolute. */
    rename?: string;
    [key: string]: unknown;
  };
}

/** State of a file at planning time: apply re-checks it before acting. */
export interface FileStamp {
  size: number;
  /** ms since the epoch. */
  mtimeMs: number;
}

interface ActionBase {
  type: 'action';
  /** Unique within the plan, increasing in the order the planner wrote them. */
  id: number;
  metric: string;
  /** POSIX path relative to every location's root (the same file name on every node). */
  path: string;
  /** (Version 2, phased plans) the runbook phase: copies and fills 'pre-copy', deletes 'cleanup'. */
  phase?: string;
}

/** Copy the file from `from` to `to`, which lacked it at planning time. */
export interface CopyAction extends ActionBase {
  op: 'copy';
  from: string;
  to: string;
  source: FileStamp;
  /**
   * (Optional, added compatibly.) Destination path when it differs from `path`, which is then the
   * source's path: carbon-c-relay cleansing, where a name the relay rewrites moves into its cleansed
   * twin (`a/b@c.wsp` → `a/b_c.wsp`). `from` and `to` may then be the same location. `ringshift
   * rename` plans use it too: the old name's file (`path`) merged into the new name's (`toPath`; `metric`
   * is the new name, as always the name the data ends up under).
   */
  toPath?: string;
}

/** Gap-only fill of `to`'s existing file from `from`'s file. */
export interface FillAction extends ActionBase {
  op: 'fill';
  from: string;
  to: string;
  source: FileStamp;
  dest: FileStamp;
  /** (Optional, added compatibly.) As CopyAction.toPath. */
  toPath?: string;
  /**
   * (Optional, added compatibly.) Ids of the copies in this plan that create `to`'s file: run this fill
   * only once they are verified. `dest` is then the stamp of that copy's source (the file the copy
   * produces), not a file that existed at planning time.
   */
  after?: number[];
}

/**
 * Remove the file from `at` (a non-owner), only once every action in `after` (the copies/fills that
 * bring its data to every owner) is verified in the journals, and the file still has `source`'s stamp.
 */
export interface DeleteAction extends ActionBase {
  op: 'delete';
  at: string;
  source: FileStamp;
  after: number[];
}

export type PlanAction = CopyAction | FillAction | DeleteAction;

/** A file the plan deliberately leaves alone, with why and what to do about it. */
export interface PlanSkip {
  type: 'skip';
  metric: string | null;
  path: string;
  at: string;
  reason: string;
  fix?: string;
}

export interface PlanFooter {
  type: 'footer';
  actions: number;
  skips: number;
  /** Bytes to transfer (copies and fills read their source once). */
  bytes: number;
}

/** (Version 2) the runbook: phases, the switch's config edits, change analysis, read impact (runbook.ts). */
export interface PlanRunbookRecord {
  type: 'runbook';
  [key: string]: unknown;
}

export type PlanRecord = PlanHeader | PlanAction | PlanSkip | PlanFooter | PlanRunbookRecord;

/**
 * Fingerprint of what decides placement: implementation, hash, router, replication, diversity, key
 * normalisation and the members in order. Ports are included (c-relay identity); file origins are not.
 */
export function ringFingerprint(spec: RingSpec): string {
  const canonical = JSON.stringify([
    spec.impl,
    spec.hash,
    spec.router,
    spec.replication,
    spec.diverse,
    spec.tagRelayNormalized,
    spec.sanitize,
    spec.destinations.map((d) => [d.server, d.port, d.instance]),
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}
