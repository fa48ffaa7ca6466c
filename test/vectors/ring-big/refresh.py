#!/usr/bin/python3
"""Regenerate the big-ring golden files (test/vectors/ring-big/*.ndjson.gz) from carbon's and
graphite-web's own code (graphite-carbon, graphite-web; run with /usr/bin/python3):

    /usr/bin/python3 test/vectors/ring-big/refresh.py [--carbon-set-upto 1000] [--only ID]

Rings of up to --carbon-set-upto members are built by carbon's own add_node (carbon-ring-oracle.py,
mode carbon-set: minutes to an hour); larger ones by the reference placement, which is checked here to
agree with carbon's add_node on every ring built both ways. Lookups are always carbon's own code.

A golden file is gzip'd NDJSON: a header line (the ring settings and destinations, which add_node built
it, the number of ring entries, the SHA-256 of the ring as "position node\\n" lines in ring order with
node = index of the node's first destination, and the ring's last 50 entries), then one line per
metric name: {"metric", "owners": [[server, port, instance], ...]} as carbon's router (or
graphite-web's CarbonLinkPool, all candidates) returns them.
"""
import argparse
import gzip
import hashlib
import importlib.util
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location('carbon_ring_oracle', os.path.join(HERE, 'carbon-ring-oracle.py'))
oracle = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(oracle)

# id, impl, hash, members, replication, diverse
CASES = [
    ('carbon-carbon_ch-700-rf2', 'carbon', 'carbon_ch', 700, 2, True),
    ('carbon-carbon_ch-1000-rf2', 'carbon', 'carbon_ch', 1000, 2, True),
    ('carbon-carbon_ch-2000-rf3-nondiverse', 'carbon', 'carbon_ch', 2000, 3, False),
    ('carbon-carbon_ch-5000-rf2', 'carbon', 'carbon_ch', 5000, 2, True),
    ('carbon-fnv1a_ch-2000-rf1', 'carbon', 'fnv1a_ch', 2000, 1, True),
    ('graphite-web-carbon_ch-700-rf2', 'graphite-web', 'carbon_ch', 700, 2, True),
    ('graphite-web-carbon_ch-5000-rf2', 'graphite-web', 'carbon_ch', 5000, 2, True),
]
NAMES = 1000


def destinations(n, port):
    """Hosts of eight caches (instances a..h), every fifth host a single cache without instance, every
    tenth an IPv6 literal — as a big installation with many caches per host lists them."""
    out = []
    h = 0
    while len(out) < n:
        if h % 10 == 9:
            out.append(['fd00:10::%x' % h, port, None])
        elif h % 10 == 4:
            out.append(['cache-%04d.dc2.example.net' % h, port, None])
        else:
            for inst in 'abcdefgh':
                if len(out) < n:
                    out.append(['cache-%04d.dc1.example.net' % h, port, inst])
        h += 1
    return out


def metric_names(n, seed):
    rnd = random.Random(seed)
    tops = ['servers', 'collectd', 'stats.timers', 'stats_counts', 'carbon.agents', 'prod.k8s']
    leaves = ['cpu.user', 'cpu.system', 'memory.used', 'disk.sda.reads', 'net.eth0.rx_bytes',
              'requests.p99', 'queue.depth', 'jvm.gc.count']
    names = []
    for i in range(n):
        name = '%s.%s.host%d.%s' % (rnd.choice(tops), rnd.choice(['dc1', 'dc2', 'ams']), rnd.randrange(5000),
                                   rnd.choice(leaves))
        r = rnd.randrange(50)
        if r == 0:
            name += '.caf\u00e9'
        elif r == 1:
            name += ';env=prod'
        names.append(name)
    return names


def ring_digest(positions, nodes):
    h = hashlib.sha256()
    h.update(''.join('%d %d\n' % (p, n) for p, n in zip(positions, nodes)).encode('ascii'))
    return h.hexdigest()


def run(req, add_node):
    import io
    request = dict(req, addNode=add_node)
    saved = sys.stdin, sys.stdout
    sys.stdin, sys.stdout = io.StringIO(json.dumps(request)), io.StringIO()
    try:
        oracle.main()
        return json.loads(sys.stdout.getvalue())
    finally:
        sys.stdin, sys.stdout = saved


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--carbon-set-upto', type=int, default=1000)
    ap.add_argument('--only')
    args = ap.parse_args()
    for (cid, impl, hash_type, n, rf, diverse) in CASES:
        if args.only and args.only != cid:
            continue
        req = {'impl': impl, 'hash': hash_type, 'destinations': destinations(n, 2004 if impl == 'carbon' else 7002),
               'replication': rf, 'diverse': diverse, 'names': metric_names(NAMES, cid)}
        ref = run(req, 'reference')
        out = ref
        if n <= args.carbon_set_upto:
            sys.stderr.write('%s: carbon add_node (carbon-set) ...\n' % cid)
            out = run(req, 'carbon-set')
            for k in ('positions', 'nodes', 'owners'):
                if out[k] != ref[k]:
                    sys.exit('%s: the reference placement disagrees with carbon add_node on %s' % (cid, k))
            sys.stderr.write('%s: reference agrees with carbon add_node (%.0f s vs %.1f s)\n'
                             % (cid, out['seconds'], ref['seconds']))
        header = {
            'id': cid, 'impl': impl, 'hash': hash_type, 'replication': rf, 'diverse': diverse,
            'destinations': req['destinations'], 'addNode': out['addNode'], 'carbon': out['carbon'],
            'entries': len(out['positions']), 'ringSha256': ring_digest(out['positions'], out['nodes']),
            'lastEntries': [[p, k] for p, k in zip(out['positions'][-50:], out['nodes'][-50:])],
        }
        path = os.path.join(HERE, cid + '.ndjson.gz')
        with gzip.GzipFile(path + '.tmp', 'wb', mtime=0) as f:
            f.write((json.dumps(header, separators=(',', ':')) + '\n').encode('utf-8'))
            for name, owners in zip(req['names'], out['owners']):
                f.write((json.dumps({'metric': name, 'owners': owners}, separators=(',', ':'), ensure_ascii=False)
                         + '\n').encode('utf-8'))
        with open(path + '.tmp', 'r+b') as f:  # OS byte 3 (unix), as every committed vector has it
            f.seek(9)
            f.write(b'\x03')
        os.replace(path + '.tmp', path)
        sys.stderr.write('%s: %d entries, last position %d, written %s\n'
                         % (cid, header['entries'], out['positions'][-1], os.path.relpath(path)))


if __name__ == '__main__':
    main()
