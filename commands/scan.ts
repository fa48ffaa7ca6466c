import { lstat } from 'node:fs/promises';
import { Args, Flags } from '@oclif/core';
import { RingshiftError, UsageError } from '../src/errors.js';
import type { ListProgress } from '../src/storage/driver.js';
import { memberId } from '../src/ring/types.js';
import { checkStorageKeys, pathLocation, resolveLocations, selectLocations, type StorageLocation } from '../src/storage/locations.js';
import { filterBatches } from '../src/storage/metric-filter.js';
import { scanLocationBatches } from '../src/storage/scan.js';
import { emptyKindCounts, hasPrintableName, writeScanEntries } from '../src/storage/scan-output.js';
import type { EntryKind } from '../src/storage/paths.js';
import { BaseCommand } from '../src/cli/base-command.js';
import { clusterFileFlag, countFlag, nodeFlag, progressFlags, progressStream, sshFlags, sshOptionsFrom } from '../src/cli/common-flags.js';
import { metricFilterFlags, metricFilterFrom } from '../src/cli/metric-filter-flags.js';
import { LineSink } from '../src/output/sinks.js';
import { plural } from '../src/units.js';

export default class Scan extends BaseCommand {
  static override summary = 'List the metrics stored under a whisper directory, or under every storage location of a cluster.';
  static override description = `Walks the tree (never leaving it; symlinks are reported, not followed, unless --follow-symlinks, and then only to targets inside the root) and maps every .wsp path to the name carbon-cache stored it under: a/b/c.wsp is a.b.c, a/b/.wsp is the trailing-dot name a.b., _tagged/xxx/yyy/<name with _DOT_>.wsp is the tagged name (checked against its hash directories). Files named by their sha256 (TAG_HASH_FILENAMES) have no recoverable name.

Text output: one name a line, in no particular order, like carbonate's carbon-list; with --cluster, each name is followed by a tab and the location id it was found in. Entries without a usable name (hashed tagged files, symlinks, malformed or unreadable paths) are counted on stderr; --json shows them.

--match GLOB, --regex RE and --metrics FILE list only the metrics that pass (see docs/toolbox.md).

A local directory that does not exist yet (a new node) is an empty location: a note on stderr, nothing listed, exit 0 (as audit and plan treat it).

ssh:// storage locations (in a cluster file) are listed over ssh (a remote find, or SFTP), with keys from --identity or the ssh agent and host keys from known_hosts (--known-hosts, --accept-new-host-keys); with --cluster, a location that cannot be read is a warning and the exit code is 1.

--json: one object a line: {"metric","path","size","mtime","node","kind","note"?}. path is relative to the root; mtime is in seconds since the epoch; node is the location id (the storage keys sharing the directory, joined by '+') or PATH; kind is metric, trailing-dot, tagged, tagged-hashed, symlink, malformed or unreadable.`;

  static override examples = [
    '<%= config.bin %> scan /var/lib/graphite/whisper | head',
    '<%= config.bin %> scan /var/lib/graphite/whisper | <%= config.bin %> ring locate --ring /etc/carbon/carbon.conf',
    '<%= config.bin %> scan --cluster cluster.yaml --node cache-a:2004:a --json',
    '<%= config.bin %> scan --cluster cluster.yaml | cut -f2 | sort | uniq -c   # files per location',
    '<%= config.bin %> scan --cluster cluster.yaml --json | grep -v \'"kind":"metric"\'',
  ];

  static override args = {
    path: Args.string({ description: 'A whisper directory (LOCAL_DATA_DIR) to scan.', ignoreStdin: true }),
  };

  static override flags = {
    cluster: clusterFileFlag('scan the storage location of every member.'),
    node: nodeFlag('with --cluster, scan just this location', { dependsOn: ['cluster'] }),
    'follow-symlinks': Flags.boolean({ description: 'Follow symlinks whose target is inside the root.', default: false }),
    concurrency: countFlag('concurrency', 'Parallel directory readers. [default: min(4, CPUs); 8 on NFS, SMB and FUSE mounts]', 1, 64),
    ...metricFilterFlags,
    ...progressFlags,
    ...sshFlags,
  };

  public async run(): Promise<void> {
    const { args, flags } = await this.parse(Scan);
    const filter = await metricFilterFrom(flags);
    if ((args.path === undefined) === (flags.cluster === undefined)) {
      throw new UsageError('give a directory to scan, or --cluster FILE (not both)', {
        expected: 'scan PATH | scan --cluster FILE [--node MEMBER]',
      });
    }
    let locations: StorageLocation[];
    let failed = false;
    if (flags.cluster !== undefined) {
      // Loaded on demand: a plain directory scan does not need the config parsers.
      const { loadClusterFile } = await import('../src/config/cluster-file.js');
      const cluster = await loadClusterFile(flags.cluster);
      checkStorageKeys(cluster, flags.cluster);
      const resolved = await resolveLocations(cluster);
      if (flags.node !== undefined) {
        const missing = resolved.problems.find((p) => p.key === flags.node && isMissingLocalDir(p));
        if (missing !== undefined) {
          this.warnLine(`${missing.key}: ${missing.location} does not exist yet; treated as an empty location`);
          return;
        }
        locations = selectLocations(resolved, flags.node);
      } else {
        locations = resolved.locations;
        for (const p of resolved.problems) {
          if (isMissingLocalDir(p)) {
            this.warnLine(`${p.key}: ${p.location} does not exist yet; treated as an empty location`);
            continue;
          }
          this.warnLine(`${flags.cluster}${p.line === undefined ? '' : `:${p.line}`}: ${p.message}; not scanned`);
          failed ||= p.members.length > 0;
        }
        for (const d of resolved.unmapped) this.warnLine(`${flags.cluster}: member ${memberId(d)} has no storage entry; not scanned`);
        failed ||= resolved.unmapped.length > 0;
      }
    } else {
      if (await missingLocalDir(args.path!)) {
        this.warnLine(`${args.path}: does not exist yet; treated as an empty location`);
        return;
      }
      locations = [await pathLocation(args.path!)];
    }

    const sink = new LineSink();
    const counts = emptyKindCounts();
    const ssh = sshOptionsFrom(flags);
    const progressTo = progressStream(flags);
    for (const loc of locations) {
      const progress = progressTo === undefined ? undefined : progressLine(`scan ${loc.id}`, progressTo);
      const all = scanLocationBatches(loc, {
        stat: flags.json,
        followSymlinks: flags['follow-symlinks'],
        concurrency: flags.concurrency,
        onProgress: progress?.update,
        ssh,
      });
      const batches = filter === null ? all : filterBatches(all, filter);
      try {
        await writeScanEntries(batches, sink, { json: flags.json, counts, withNode: flags.cluster !== undefined });
      } catch (err) {
        // One location of many that cannot be read (host down, directory gone) must not hide the others.
        if (locations.length === 1) throw err;
        await sink.flush();
        progress?.done();
        const msg = err instanceof RingshiftError ? err.describe() : err instanceof Error ? err.message : String(err);
        this.warnLine(`${loc.id}: ${msg}; not scanned (or only in part)`);
        failed = true;
        continue;
      }
      progress?.done();
    }

    if (!flags.json) {
      const skipped = (Object.keys(counts) as EntryKind[]).filter((k) => !hasPrintableName(k) && counts[k] > 0);
      if (skipped.length > 0) {
        this.warnLine(`not listed (no usable name): ${skipped.map((k) => plural(counts[k], KIND_NOUNS[k])).join(', ')}; --json shows them`);
      }
    }
    if (failed) process.exitCode = 1;
  }

  private warnLine(msg: string): void {
    process.stderr.write(`ringshift: scan: ${msg}\n`);
  }
}

/** What plain output calls the entries it leaves out. */
const KIND_NOUNS: Record<EntryKind, string> = {
  metric: 'metric',
  'trailing-dot': 'trailing-dot file',
  tagged: 'tagged file',
  'tagged-hashed': 'tagged-hashed file',
  symlink: 'symlink',
  malformed: 'malformed path',
  unreadable: 'unreadable entry',
};

/** A configured local directory that is simply not there yet (a new node), as opposed to a broken entry. */
function isMissingLocalDir(p: { message: string; location: string }): boolean {
  return /ENOENT/.test(p.message) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(p.location);
}

async function missingLocalDir(path: string): Promise<boolean> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return false;
  try {
    await lstat(path);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/** "label: N files, M dirs" rewritten in place a few times a second (see progressFlags). */
function progressLine(label: string, err: NodeJS.WriteStream): { update: (p: ListProgress) => void; done: () => void } {
  let last = 0;
  let shown = false;
  return {
    update: (p) => {
      const now = Date.now();
      if (now - last < 200) return;
      last = now;
      shown = true;
      err.write(`\r${label}: ${plural(p.files, 'file')}, ${plural(p.dirs, 'dir')}\u001b[K`);
    },
    done: () => {
      if (shown) err.write('\r\u001b[K');
    },
  };
}
