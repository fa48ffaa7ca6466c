// Listing a storage node's tree: one GNU find over one exec channel streaming NUL-separated records
// (names are bytes: a backslash or a newline in a name cannot break the parse), or an SFTP readdir walk
// on hosts without GNU find. Symlinks are followed (when asked) like the local walker does: only to
// files and directories inside the root, with loops detected.
import { isUtf8 } from 'node:buffer';
import { posix } from 'node:path';
import type { ClientChannel, Stats as SftpStats } from 'ssh2';
import { escapeBytes } from './bytes.js';
import type { ListOptions, WalkEntry } from './driver.js';
import type { SftpIo } from './ssh-file-io.js';
import { shq, SshError, type Live, type SshConnection } from './ssh-session.js';

/** What the lister needs from the driver. */
export interface ListingHost {
  readonly conn: SshConnection;
  readonly io: SftpIo;
  readonly root: string;
  abs(rel: string): string;
  /** Run a command to completion on its own channel. */
  exec(command: string): Promise<{ code: number; stdout: Buffer; stderr: string }>;
  /** Open an exec channel (inside the channel budget). */
  openExec(command: string, attach: (ch: ClientChannel) => void): Promise<ClientChannel>;
}

export class SshLister {
  private gnuFind: boolean | undefined;

  constructor(
    private readonly host: ListingHost,
    private readonly method: 'auto' | 'find' | 'sftp',
  ) {}

  private get root(): string {
    return this.host.root;
  }

  private where(): string {
    return this.host.conn.where();
  }

  private abs(rel: string): string {
    return this.host.abs(rel);
  }

  private realpath(s: Live, abs: string): Promise<string> {
    return this.host.io.realpath(s, abs);
  }

  private sftpStat(s: Live, abs: string, lstat: boolean): Promise<SftpStats> {
    return this.host.io.stat(s, abs, lstat);
  }

  private readlinkOrEmpty(s: Live, abs: string): Promise<string> {
    return this.host.io.readlink(s, abs).catch(() => '');
  }

  private async hasGnuFind(): Promise<boolean> {
    if (this.gnuFind === undefined) {
      const method = this.method;
      if (method === 'sftp') this.gnuFind = false;
      else {
        const r = await this.host.exec(`find ${shq(this.root)} -maxdepth 0 -printf 'ok'`);
        this.gnuFind = r.code === 0 && r.stdout.toString() === 'ok';
        if (!this.gnuFind && method === 'find') throw new SshError(`GNU find with -printf is not available on ${this.where()}`, 'ENOTSUP');
      }
    }
    return this.gnuFind;
  }

  async *list(opts: ListOptions): AsyncGenerator<WalkEntry[]> {
    const batchSize = Math.max(1, opts.batchSize ?? 4096);
    const progress = { dirs: 0, files: 0 };
    const batch: WalkEntry[] = [];
    const followLinks: { rel: string; chain: string[] }[] = [];
    const gnu = await this.hasGnuFind();
    // Subtrees to walk: the root, then directories reached through followed symlinks.
    const queue: { abs: string; rel: string; chain: string[] }[] = [{ abs: this.root, rel: '', chain: [] }];
    const s = await this.host.conn.ready();
    while (queue.length > 0) {
      const sub = queue.shift()!;
      const source = gnu ? this.findRecords(sub.abs, sub.rel, opts, progress) : this.sftpRecords(s, sub.abs, sub.rel, opts, progress);
      for await (const e of source) {
        if (e.type === 'symlink' && opts.followSymlinks === true && e.badName !== true) {
          followLinks.push({ rel: e.rel, chain: sub.chain });
          if (followLinks.length >= 256) yield* this.flushLinks(s, followLinks, batch, queue, opts, progress, batchSize);
          continue;
        }
        batch.push(e);
        if (batch.length >= batchSize) {
          opts.onProgress?.({ ...progress });
          yield batch.splice(0);
        }
      }
      yield* this.flushLinks(s, followLinks, batch, queue, opts, progress, batchSize);
    }
    opts.onProgress?.({ ...progress });
    if (batch.length > 0) yield batch.splice(0);
  }

  /** Resolve symlinks (follow mode) like the local walker: files and directories inside the root only. */
  private async *flushLinks(
    s: Live,
    links: { rel: string; chain: string[] }[],
    batch: WalkEntry[],
    queue: { abs: string; rel: string; chain: string[] }[],
    opts: ListOptions,
    progress: { dirs: number; files: number },
    batchSize: number,
  ): AsyncGenerator<WalkEntry[]> {
    const todo = links.splice(0);
    const suffix = opts.suffix ?? '.wsp';
    const inside = (p: string) => p === this.root || p.startsWith(this.root === '/' ? '/' : this.root + '/');
    const results = await Promise.all(
      todo.map(async (l) => {
        const abs = this.abs(l.rel);
        const target = await this.readlinkOrEmpty(s, abs);
        try {
          const real = await this.realpath(s, abs);
          if (!inside(real)) return { l, target, note: 'points outside the root; not followed' };
          const st = await this.sftpStat(s, real, false);
          return { l, target, real, st };
        } catch (err) {
          return { l, target, note: `broken link (${(err as { code?: string }).code ?? 'error'}); not followed` };
        }
      }),
    );
    for (const r of results) {
      const slash = r.l.rel.lastIndexOf('/');
      const dir = slash < 0 ? '' : r.l.rel.slice(0, slash);
      const name = r.l.rel.slice(slash + 1);
      const linkEntry = (note: string): WalkEntry => ({ rel: r.l.rel, dir, name, type: 'symlink', target: r.target, note });
      if ('note' in r && r.note !== undefined) batch.push(linkEntry(r.note));
      else if (r.st!.isDirectory()) {
        const linkDirReal = await this.realpath(s, posix.dirname(this.abs(r.l.rel)));
        const anc = (c: string, p: string) => p === c || p.startsWith(c === '/' ? '/' : c + '/');
        if (anc(r.real!, linkDirReal) || r.l.chain.some((c) => anc(r.real!, c))) batch.push(linkEntry('directory loop; not followed'));
        else queue.push({ abs: r.real!, rel: r.l.rel, chain: [...r.l.chain, r.real!] });
      } else if (r.st!.isFile() && name.endsWith(suffix)) {
        progress.files++;
        const e: WalkEntry = { rel: r.l.rel, dir, name, type: 'file', note: `via symlink to ${r.real!.slice(this.root.length + 1)}` };
        if (opts.stat === true) {
          e.size = r.st!.size;
          e.mtimeMs = r.st!.mtime * 1000;
        }
        batch.push(e);
      }
      if (batch.length >= batchSize) yield batch.splice(0);
    }
  }

  /** GNU find over exec: NUL-separated records, streamed. */
  private async *findRecords(
    absDir: string,
    relBase: string,
    opts: ListOptions,
    progress: { dirs: number; files: number },
  ): AsyncGenerator<WalkEntry> {
    const suffix = opts.suffix ?? '.wsp';
    const pattern = '*' + suffix.replace(/[\\*?[\]]/g, '\\$&');
    const fileFmt = opts.stat === true ? "'F\\0%P\\0%s\\0%T@\\0'" : "'f\\0%P\\0'";
    const cmd =
      `LC_ALL=C find -P ${shq(absDir)} -mindepth 1 ` +
      `\\( -type d -printf 'd\\0%P\\0' \\) -o \\( -type f -name ${shq(pattern)} -printf ${fileFmt} \\) -o \\( -type l -printf 'l\\0%P\\0%l\\0' \\)`;
    let stderr = '';
    let code = -1;
    let closed!: Promise<void>;
    const ch = await this.host.openExec(cmd, (c) => {
      c.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
      c.on('exit', (x: number | null) => (code = x ?? -1));
      closed = new Promise<void>((resolve) => c.on('close', () => resolve()));
    });
    const fields: Buffer[] = [];
    let carry: Buffer = Buffer.alloc(0);
    const need = (kind: number) => (kind === 0x46 ? 4 : kind === 0x6c ? 3 : 2); // F, l, d/f
    const decode = (b: Buffer): { text: string; bad: boolean } =>
      isUtf8(b) ? { text: b.toString('utf8'), bad: false } : { text: escapeBytes(b), bad: true };
    const join = (p: string) => (relBase === '' ? p : relBase + '/' + p);
    try {
      for await (const chunk of ch as AsyncIterable<Buffer>) {
        let buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
        let start = 0;
        for (let z = buf.indexOf(0, start); z >= 0; z = buf.indexOf(0, start)) {
          fields.push(buf.subarray(start, z));
          start = z + 1;
          const kind = fields[0]![0]!;
          if (fields.length < need(kind)) continue;
          const [, p, a, b] = fields.splice(0);
          if (kind === 0x64) {
            progress.dirs++;
            continue;
          }
          const { text, bad } = decode(p!);
          const rel = join(text);
          const slash = rel.lastIndexOf('/');
          const e: WalkEntry = {
            rel,
            dir: slash < 0 ? '' : rel.slice(0, slash),
            name: rel.slice(slash + 1),
            type: kind === 0x6c ? 'symlink' : 'file',
          };
          if (bad) e.badName = true;
          if (kind === 0x6c) e.target = decode(a!).text;
          else {
            progress.files++;
            if (kind === 0x46) {
              e.size = Number(a!.toString('latin1'));
              e.mtimeMs = Math.floor(Number(b!.toString('latin1'))) * 1000;
            }
          }
          yield e;
        }
        buf = buf.subarray(start);
        carry = Buffer.from(buf);
      }
      await closed;
    } finally {
      ch.close();
    }
    // Unreadable directories (find keeps going and exits 1).
    for (const line of stderr.split('\n')) {
      const m = /^find: '(.*)': (.*)$/.exec(line);
      if (m === null) continue;
      const p = m[1]!;
      if (p === absDir) throw new SshError(`cannot list ${this.where()}:${absDir}: ${m[2]}`, /Permission/.test(m[2]!) ? 'EACCES' : 'EIO');
      if (!p.startsWith(absDir + '/') || /No such file/.test(m[2]!)) continue;
      const rel = join(p.slice(absDir.length + 1));
      const slash = rel.lastIndexOf('/');
      const why = /Permission denied/.test(m[2]!) ? 'EACCES' : m[2]!;
      yield {
        rel,
        dir: slash < 0 ? '' : rel.slice(0, slash),
        name: rel.slice(slash + 1),
        type: 'unreadable',
        note: `cannot read directory: ${why}`,
      };
    }
    if (code !== 0 && code !== 1) throw new SshError(`find on ${this.where()}:${absDir} failed: ${stderr.trim() || `exit ${code}`}`, 'EIO');
  }

  /** SFTP readdir walk (hosts without GNU find): a few directories read at once. */
  private async *sftpRecords(
    s: Live,
    absDir: string,
    relBase: string,
    opts: ListOptions,
    progress: { dirs: number; files: number },
  ): AsyncGenerator<WalkEntry> {
    const suffix = opts.suffix ?? '.wsp';
    const stack: { abs: string; rel: string }[] = [{ abs: absDir, rel: relBase }];
    const readdir = (abs: string) => this.host.io.readdir(s, abs);
    while (stack.length > 0) {
      const group = stack.splice(-8);
      const lists = await Promise.all(
        group.map((d) =>
          readdir(d.abs).then(
            (l) => ({ d, l }),
            (err: unknown) => ({ d, err }),
          ),
        ),
      );
      for (const item of lists) {
        const d = item.d;
        progress.dirs++;
        if ('err' in item) {
          if (d.rel === relBase) throw item.err;
          if ((item.err as { code?: string }).code === 'ENOENT') continue;
          const slash = d.rel.lastIndexOf('/');
          yield {
            rel: d.rel,
            dir: slash < 0 ? '' : d.rel.slice(0, slash),
            name: d.rel.slice(slash + 1),
            type: 'unreadable',
            note: `cannot read directory: ${(item.err as { code?: string }).code}`,
          };
          continue;
        }
        for (const ent of item.l) {
          const name = ent.filename;
          if (name === '.' || name === '..') continue;
          const rel = d.rel === '' ? name : d.rel + '/' + name;
          const abs = d.abs + '/' + name;
          const st = ent.attrs;
          const base: WalkEntry = { rel, dir: d.rel, name, type: 'file' };
          if (name.includes('\ufffd')) {
            yield { ...base, type: 'unreadable', note: 'name is not UTF-8 (listed over SFTP, which cannot show it)' };
          } else if (st.isDirectory()) stack.push({ abs, rel });
          else if (st.isSymbolicLink()) {
            const target = await this.readlinkOrEmpty(s, abs);
            yield { ...base, type: 'symlink', target };
          } else if (st.isFile() && name.endsWith(suffix)) {
            progress.files++;
            if (opts.stat === true) {
              base.size = st.size;
              base.mtimeMs = st.mtime * 1000;
            }
            yield base;
          }
        }
      }
    }
  }
}
