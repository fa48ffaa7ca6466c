#!/usr/bin/python3
"""Rings of any size from carbon's and graphite-web's own code (run with /usr/bin/python3, which has
graphite-carbon and graphite-web installed).

Reads one JSON request on stdin, writes one JSON answer on stdout:
  request: {"impl": "carbon" | "graphite-web", "hash": "carbon_ch" | "fnv1a_ch",
            "destinations": [[server, port, instance | null], ...], "replication": R,
            "diverse": bool (carbon DIVERSE_REPLICAS), "names": [...],
            "addNode": "carbon" | "carbon-set" | "reference"}
  answer:  {"addNode", "carbon": version, "seconds": ring build time,
            "positions": [...], "nodes": [...]   (the ring in order: position, index of the node's
                                                  first destination),
            "owners": [[[server, port, instance], ...] per name]}

Lookups are always carbon's own: carbon.routers.ConsistentHashingRouter.getDestinations (carbon) or
graphite.carbonlink.CarbonLinkPool.select_host with random.choice replaced by "all candidates"
(graphite-web), over ConsistentHashRing.get_nodes. What differs is how add_node is run:

  carbon      carbon's ConsistentHashRing.add_node as shipped. Each "is this position taken" test
              builds the list of all ring positions, so a ring takes O(bumps x entries): 200 members
              ~30 s, 300 members ~2.5 min, 700 members days (bumps run past 65535 from 656 members).
  carbon-set  the same add_node code, unchanged, over a ring list whose membership test is answered
              from a set of taken positions: add_node's list comprehension over the ring yields one
              probe whose == asks the set. Every bump is still taken one +1 at a time by carbon's
              loop, and entries are still placed by bisect.insort. 700 members: minutes.
  reference   add_node's placement with the runs of taken positions kept as union-find sets (each
              knows the first free position after it): same keys, hashes and +1 rule, entries
              sorted once at the end. Agrees with the two above
              wherever they finish (checked by test/ring-big-carbon.test.ts and refresh.py).
"""
import json
import os
import sys
import time
import warnings


def carbon_version():
    try:
        from importlib.metadata import version
        return 'carbon ' + version('carbon')
    except Exception:
        return 'carbon (version unknown)'


class _Probe(object):
    """Stands for the list of ring positions in add_node's `position in [r[0] for r in self.ring]`."""
    __slots__ = ('taken',)

    def __init__(self, taken):
        self.taken = taken

    def __eq__(self, position):
        return position in self.taken

    __hash__ = None


class _SetProbedRing(list):
    """A sorted ring list (carbon's insort keeps it sorted) whose iteration yields one probe entry."""

    def __init__(self):
        list.__init__(self)
        self.taken = set()
        self._probe_entry = (_Probe(self.taken),)

    def __iter__(self):
        return iter((self._probe_entry,))

    def insert(self, index, entry):
        self.taken.add(entry[0])
        list.insert(self, index, entry)

    def entries(self):
        return [list.__getitem__(self, i) for i in range(len(self))]


def ring_classes(hashing):
    class SetProbedConsistentHashRing(hashing.ConsistentHashRing):
        def __init__(self, nodes, replica_count=100, hash_type='carbon_ch'):
            hashing.ConsistentHashRing.__init__(self, [], replica_count, hash_type)
            self.ring = _SetProbedRing()
            for node in nodes:
                self.add_node(node)

        def finish(self):
            pass

        def entries(self):
            return self.ring.entries()

    class ReferenceConsistentHashRing(hashing.ConsistentHashRing):
        def __init__(self, nodes, replica_count=100, hash_type='carbon_ch'):
            # Taken positions form runs of consecutive positions; each run is a union-find set whose
            # root knows the first free position after the run.
            self._parent = {}
            self._size = {}
            self._end = {}
            self._added = []
            hashing.ConsistentHashRing.__init__(self, nodes, replica_count, hash_type)

        def _root(self, p):
            parent = self._parent
            root = p
            while parent[root] != root:
                root = parent[root]
            while parent[p] != root:
                parent[p], p = root, parent[p]
            return root

        def _join(self, a, b):
            ra, rb = self._root(a), self._root(b)
            if self._size[ra] < self._size[rb]:
                ra, rb = rb, ra
            self._parent[rb] = ra
            self._size[ra] += self._size[rb]
            self._end[ra] = max(self._end[ra], self._end[rb])

        def _first_free(self, position):
            """add_node's `while position in positions: position += 1`."""
            if position not in self._parent:
                return position
            return self._end[self._root(position)]

        def _take(self, p):
            self._parent[p] = p
            self._size[p] = 1
            self._end[p] = p + 1
            if p + 1 in self._parent:
                self._join(p, p + 1)
            if p - 1 in self._parent:
                self._join(p - 1, p)

        def add_node(self, key):
            self.nodes.add(key)
            self.nodes_len = len(self.nodes)
            for i in range(self.replica_count):
                if self.hash_type == 'fnv1a_ch':
                    replica_key = "%d-%s" % (i, key[1])
                else:
                    replica_key = "%s:%d" % (key, i)
                position = self._first_free(self.compute_ring_position(replica_key))
                self._take(position)
                self._added.append((position, key))

        def finish(self):
            self.ring = sorted(self._added)
            self.ring_len = len(self.ring)

        def entries(self):
            return self.ring

    class PlainConsistentHashRing(hashing.ConsistentHashRing):
        def finish(self):
            pass

        def entries(self):
            return self.ring

    return {'carbon': PlainConsistentHashRing, 'carbon-set': SetProbedConsistentHashRing,
            'reference': ReferenceConsistentHashRing}


def run_carbon(req):
    from carbon import hashing, routers
    routers.ConsistentHashRing = ring_classes(hashing)[req['addNode']]

    class Settings(object):
        REPLICATION_FACTOR = req['replication']
        DIVERSE_REPLICAS = req['diverse']
        ROUTER_HASH_TYPE = req['hash']

    t0 = time.time()
    router = routers.ConsistentHashingRouter(Settings)
    for (server, port, instance) in req['destinations']:
        router.addDestination((server, port, instance))
    router.ring.finish()
    seconds = time.time() - t0
    owners = [[list(d) for d in router.getDestinations(name)] for name in req['names']]
    return router.ring, seconds, owners


def run_graphite_web(req):
    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'graphite.settings')
    warnings.simplefilter('ignore')
    from django.conf import settings
    settings.LOG_DIR = os.environ.get('TMPDIR', '/tmp')
    import graphite.carbonlink as carbonlink
    from graphite.render import hashing
    carbonlink.ConsistentHashRing = ring_classes(hashing)[req['addNode']]

    class AllCandidates(object):
        @staticmethod
        def choice(seq):
            return list(seq)

    carbonlink.random = AllCandidates
    settings.REPLICATION_FACTOR = req['replication']
    settings.CARBONLINK_HASHING_TYPE = req['hash']
    settings.CARBONLINK_HASHING_KEYFUNC = None
    hosts = [(server, port, instance) for (server, port, instance) in req['destinations']]
    t0 = time.time()
    pool = carbonlink.CarbonLinkPool(hosts, 1)
    pool.hash_ring.finish()
    seconds = time.time() - t0
    owners = [[[s, pool.ports[(s, i)], i] for (s, i) in pool.select_host(name)] for name in req['names']]
    return pool.hash_ring, seconds, owners


def main():
    req = json.load(sys.stdin)
    ring, seconds, owners = (run_carbon if req['impl'] == 'carbon' else run_graphite_web)(req)
    index = {}
    for n, (server, port, instance) in enumerate(req['destinations']):
        index.setdefault((server, instance), n)
    entries = ring.entries()
    json.dump({
        'addNode': req['addNode'],
        'carbon': carbon_version(),
        'seconds': round(seconds, 3),
        'positions': [p for (p, _) in entries],
        'nodes': [index[key] for (_, key) in entries],
        'owners': owners,
    }, sys.stdout, separators=(',', ':'))
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
