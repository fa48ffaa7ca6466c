# The placement oracle for carbon-relay's routers: runs carbon's own code (the Debian graphite-carbon
# package, via /usr/bin/python3) — Settings.readFrom on carbon.conf's [relay] section, the router class
# RELAY_METHOD names, CONF_DIR/RELAY_RULES and CONF_DIR/AGGREGATION_RULES as carbon-relay resolves them
# without --rules — and prints, per name read from stdin, the destinations carbon-relay sends it to.
# Used live by test/router-carbon-rules.test.ts and to compute its committed goldens.
# argv: CARBON_CONF
import json
import os
import sys

from carbon.conf import Settings, defaults
from carbon.routers import DatapointRouter
from carbon.util import parseDestinations

conf = os.path.abspath(sys.argv[1])
settings = Settings()
settings.update(defaults)
settings.readFrom(conf, 'relay')
conf_dir = os.path.dirname(conf)
settings['relay-rules'] = os.path.join(conf_dir, settings['RELAY_RULES'])
settings['aggregation-rules'] = os.path.join(conf_dir, settings['AGGREGATION_RULES'])
router = DatapointRouter.plugins[settings.RELAY_METHOD](settings)
# setupRelayProcessor → CarbonClientManager.startClient: each configured destination added once
started = []
for d in parseDestinations(settings.DESTINATIONS):
    if d in started:
        continue
    started.append(d)
    router.addDestination(d)


def ident(d):
    server, port, instance = d
    host = '[%s]' % server if ':' in server else server
    return '%s:%d' % (host, port) if instance is None else '%s:%d:%s' % (host, port, instance)


for line in sys.stdin:
    name = line.rstrip('\n')
    # CarbonClientManager keeps a set of factories: each destination receives the metric once.
    seen = []
    for d in router.getDestinations(name):
        if d not in seen:
            seen.append(d)
    sys.stdout.write(json.dumps({'metric': name, 'owners': [ident(d) for d in seen]}, ensure_ascii=False) + '\n')
