// The audit's vocabulary: what a file under a storage location is, relative to the ring.
import type { EntryKind } from '../storage/paths.js';

/** The class of one file (or, for missing-replica, of one absent file). */
export type FileClass =
  /** this location holds an owner of the name under the current ring */
  | 'ok'
  /** no owner here; `explanation` says why it is here anyway */
  | 'misplaced'
  /** misplaced without any explanation, while every owner already holds the metric: a surplus copy */
  | 'extra-copy'
  /** an owner location lacks a file that another location holds */
  | 'missing-replica'
  /** the caches' own metrics (CARBON_METRIC_PREFIX, go-carbon's carbon.agents.): written locally */
  | 'self-metric'
  /** a/b/.wsp: carbon-cache wrote it for the raw name `a.b.` */
  | 'trailing-dot'
  /** _tagged/…/<sha256>.wsp: the name cannot be recovered, placement cannot be checked */
  | 'tagged-hashed'
  /** a path carbon-cache cannot have written for any name */
  | 'malformed'
  | 'symlink'
  | 'unreadable';

/** The classes after ok and misplaced, in display order: the audit summary's rows end with these. */
export const CLASSES_AFTER_MISPLACED = [
  'extra-copy',
  'missing-replica',
  'self-metric',
  'trailing-dot',
  'tagged-hashed',
  'malformed',
  'symlink',
  'unreadable',
] as const satisfies readonly FileClass[];

export const FILE_CLASSES: readonly FileClass[] = ['ok', 'misplaced', ...CLASSES_AFTER_MISPLACED];

/** Why a misplaced file is where it is: the first of these that applies. */
export type Explanation = 'old-ring' | 'double-dot' | 'cleansing' | 'unexplained';
export const EXPLANATIONS: readonly Explanation[] = ['old-ring', 'double-dot', 'cleansing', 'unexplained'];

/** One scanned file as the grouping keeps it (compact: location by index). */
export interface GroupEntry {
  /** Index into the audit's location list. */
  loc: number;
  path: string;
  metric: string | null;
  size: number;
  /** ms since the epoch (integer). */
  mtimeMs: number;
  kind: EntryKind;
  note?: string;
}

/** Every file, on every location, that belongs to one target path (see groupKey). */
export interface PathGroup {
  key: string;
  entries: GroupEntry[];
}

/** One classified file, or one missing replica. */
export interface AuditFinding {
  kind: FileClass;
  metric: string | null;
  /** Location id. */
  node: string;
  path: string;
  /** Owner location ids under the current ring (member ids for owners without storage). */
  owners: string[];
  explanation?: Explanation;
  evidence?: Record<string, unknown>;
  /** Bytes of the file (missing-replica: of the largest holder, what a copy would take). */
  size: number;
}
