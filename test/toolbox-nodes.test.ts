// `ringshift nodes` (bucky servers) on a 3-location cluster: n1 local, n2 over ssh (the in-process
// ssh2 server), n3 an ssh:// host where nothing listens. Members are 127.0.0.1 instances whose
// carbon-cache ports are a listening socket (a), a closed port (b) and the dead host's (c).
import * as fs from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeStatus } from '../src/toolbox/node-status.js';
import { clusterFactory } from './audit-cluster.js';
import { runCommand } from './helpers/run-command.js';
import { sshServerForFile } from './helpers/sshd.js';

const { default: Nodes } = await import('../commands/nodes.js');

const newCluster = clusterFactory();
const ssh = sshServerForFile();

/** A port that was free a moment ago (bound, then closed). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

let listening: Server;
let openPort: number;
beforeAll(async () => {
  listening = createServer((sock) => sock.destroy());
  await new Promise<void>((r) => listening.listen(0, '127.0.0.1', r));
  openPort = (listening.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((r) => listening.close(() => r())));

describe('nodes', () => {
  it('reachability, space, inodes, files, clock offset and the carbon-cache port of every location', async () => {
    const c = newCluster('nodes');
    const closed = await freePort();
    const dead = await freePort();
    for (const m of ['a.one', 'a.two', 'b.three']) await c.plant('n1', m);
    for (const m of ['a.four', 'b.five']) await c.plant('n2', m);
    const members = [`127.0.0.1:${openPort}:a`, `127.0.0.1:${closed}:b`, `127.0.0.1:${closed}:c`];
    const file = c.writeClusterAt(
      'cluster.yaml',
      { destinations: members, replication: 2 },
      {
        '127.0.0.1:a': c.root('n1'),
        '127.0.0.1:b': ssh.server.url(c.root('n2')),
        '127.0.0.1:c': `ssh://${ssh.server.user}@127.0.0.1:${dead}${c.root('n3')}`,
      },
    );
    const sshArgs = ['--identity', ssh.server.identityFile, '--known-hosts', ssh.server.knownHostsFile];
    const r = await runCommand(Nodes, ['--cluster', file, '--json', '--port-timeout', '2s', ...sshArgs]);
    expect(r.code, r.err).toBe(1); // n3 cannot be reached
    const rows = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as NodeStatus);
    expect(rows.map((x) => x.node)).toEqual(['127.0.0.1:a', '127.0.0.1:b', '127.0.0.1:c']);
    const [n1, n2, n3] = rows as [NodeStatus, NodeStatus, NodeStatus];
    const fsStat = fs.statfsSync(c.root('n1'));
    for (const n of [n1, n2]) {
      expect(n.reachable).toBe(true);
      expect(n.bytes!.total).toBe(fsStat.blocks * fsStat.bsize);
      expect(Math.abs(n.bytes!.available - fsStat.bavail * fsStat.bsize)).toBeLessThan(64 << 20);
      expect(n.inodes!.total).toBe(fsStat.files);
      expect(Math.abs(n.clockOffsetMs!)).toBeLessThan(2000);
    }
    expect(n1.files).toBe(3);
    expect(n2.files).toBe(2);
    expect(n1.carbon).toEqual([{ member: `127.0.0.1:${openPort}:a`, host: '127.0.0.1', port: openPort, open: true }]);
    expect(n2.carbon).toMatchObject([{ port: closed, open: false, error: 'ECONNREFUSED' }]);
    expect(n3.reachable).toBe(false);
    expect(n3.error).toMatch(/ECONNREFUSED|connect|refused/i);

    // The metric filter narrows the count; the text table has a row per location.
    const t = await runCommand(Nodes, ['--cluster', file, '--match', 'a.*', '--node', '127.0.0.1:a', ...sshArgs]);
    expect(t.code, t.err).toBe(0);
    const lines = t.out.trim().split('\n');
    expect(lines[0]).toMatch(/^node\s+reachable\s+size\s+free\s+used\s+inodes used\s+files\s+clock\s+carbon-cache$/);
    expect(lines[1]).toMatch(new RegExp(`^127\\.0\\.0\\.1:a\\s+yes\\s.*\\s2\\s+0 s\\s+${openPort} open$`));
  });
});
