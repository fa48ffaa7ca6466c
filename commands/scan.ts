import { Args, Flags } from '@oclif/core';
import { RingshiftError, UsageError } from '../src/errors.js';
import type { ListProgress } from '../src/storage/driver.js';
import { memberId } from '../src/ring/types.js';
import { pathLocation, resolveLocations, selectLocations, type StorageLocation } from '../src/storage/locations.js';
import { scanLocationBatches } from '../src/storage/scan.js';
import type { SshOptions } from '../src/storage/ssh-driver.js';
import { emptyKindCounts, hasPrintableName, writeScanEntries } from '../src/storage/scan-output.js';
import type { EntryKind } from '../src/storage/paths.js';
import { BaseCommand } from '../src/cli/base-command.js';
import { LineSink } from '../src/output/sinks.js';

export default class Scan extends BaseCommand {
  static override summary = 'List the metrics stored under a whisper directory, or under every storage location of a cluster.';
  static override description = `Walks the tree (never leaving it; symlinks are reported, not followed, unless --follow-symlinks, and then only to targets inside the root) and maps every .wsp path to the name carbon-cache stored it under: a/b/c.wsp is a.b.c, a/b/.wsp is the trailing-dot name a.b., _tagged/xxx/yyy/<name with _DOT_>.wsp is the tagged name (checked against its hash directories). Files named by their sha256 (TAG_HASH_FILENAMES) have no recoverable name.

Text output: one name a line, in no particular order, like carbonate's carbon-list. Entries without a usable name (hashed tagged files, symlinks, malformed or unreadable paths) are counted on stderr; --json shows them.

ssh:// storage locations (in a cluster file) are listed over ssh (a remote find, or SFTP), with keys from --identity or the ssh agent; with --cluster, a location that cannot be read is a warning and the exit code is 1.

--json: one object a line: {"metric","path","size","mtime","node","kind","note"?}. path is relative to the root; mtime is in seconds since the epoch; node is the location id (the storage keys sharing the directory, joined by '+') or PATH; kind is metric, trailing-dot, tagged, tagged-hashed, symlink, malformed or unreadable.`;

  static override examples = [
    '<%= config.bin %> scan /var/lib/graphite/whisper | head',
    '<%= config.bin %> scan /var/lib/graphite/whisper | <%= config.bin %> ring locate --ring /etc/carbon/carbon.conf',
    '<%= config.bin %> scan --cluster cluster.yaml --node cache-a:2004:a --json',
    '<%= config.bin %> scan --cluster cluster.yaml --json | grep -v \'"kind":"metric"\'',
  ];

  static override args = {
    path: Args.string({ description: 'A whisper directory (LOCAL_DATA_DIR) to scan.', ignoreStdin: true }),
  };

  static override flags = {
    cluster: Flags.string({ char: 'c', description: 'Cluster file: scan the storage location of every member.' }),
    node: Flags.string({
      char: 'n',
      description: 'With --cluster: only this member or location (server:port[:instance], server:instance, server, or a storage key).',
      dependsOn: ['cluster'],
    }),
    'follow-symlinks': Flags.boolean({ description: 'Follow symlinks whose target is inside the root.', default: false }),
    identity: Flags.string({
      char: 'i',
      description: 'Private key for ssh:// storage (repeatable; default ~/.ssh/id_* and the ssh agent).',
      multiple: true,
    }),
    'accept-new-host-keys': Flags.boolean({
      description: 'Trust ssh hosts not yet in known_hosts and record their keys (a changed key is always refused).',
      default: false,
    }),
    concurrency: Flags.integer({
      description: 'Parallel directory readers (default: min(4, CPUs); 8 on NFS, SMB and FUSE mounts).',
      min: 1,
      max: 64,
    }),
  };

  public async run(): Promise<void> {
    const { args, flags } = await this.parse(Scan);
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
      const resolved = await resolveLocations(await loadClusterFile(flags.cluster));
      if (flags.node !== undefined) {
        locations = selectLocations(resolved, flags.node);
      } else {
        locations = resolved.locations;
        for (const p of resolved.problems) {
          this.warnLine(`${flags.cluster}${p.line === undefined ? '' : `:${p.line}`}: ${p.message}; not scanned`);
          failed ||= p.members.length > 0;
        }
        for (const d of resolved.unmapped) this.warnLine(`${flags.cluster}: member ${memberId(d)} has no storage entry; not scanned`);
        failed ||= resolved.unmapped.length > 0;
      }
    } else {
      locations = [await pathLocation(args.path!)];
    }

    const sink = new LineSink();
    const counts = emptyKindCounts();
    const ssh: SshOptions = {
      acceptNewHostKeys: flags['accept-new-host-keys'],
      ...(flags.identity !== undefined ? { identityFiles: flags.identity } : {}),
    };
    for (const loc of locations) {
      const progress = progressLine(`scan ${loc.id}`);
      const batches = scanLocationBatches(loc, {
        stat: flags.json,
        followSymlinks: flags['follow-symlinks'],
        concurrency: flags.concurrency,
        onProgress: progress?.update,
        ssh,
      });
      try {
        await writeScanEntries(batches, sink, { json: flags.json, counts });
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
        this.warnLine(`not listed (no usable name): ${skipped.map((k) => `${counts[k]} ${k}`).join(', ')}; --json shows them`);
      }
    }
    if (failed) process.exitCode = 1;
  }

  private warnLine(msg: string): void {
    process.stderr.write(`ringshift: scan: ${msg}\n`);
  }
}

/** "label: N files, M dirs" rewritten in place on a terminal, a few times a second; nothing otherwise. */
function progressLine(label: string): { update: (p: ListProgress) => void; done: () => void } | undefined {
  const err = process.stderr;
  if (!err.isTTY) return undefined;
  let last = 0;
  let shown = false;
  return {
    update: (p) => {
      const now = Date.now();
      if (now - last < 200) return;
      last = now;
      shown = true;
      err.write(`\r${label}: ${p.files.toLocaleString('en-US')} files, ${p.dirs.toLocaleString('en-US')} dirs\u001b[K`);
    },
    done: () => {
      if (shown) err.write('\r\u001b[K');
    },
  };
}
