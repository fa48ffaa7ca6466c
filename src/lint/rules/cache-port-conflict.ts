// cache-port-conflict (R9): the effective ports and pidfile of each carbon process on one host are unique;
// the second process to bind a port fails to start. The fix sets the port in the later instance's own
// section: the port the relay (or CARBONLINK_HOSTS) already uses for that instance when there is one, else
// the conflicting port plus 100 (carbon's convention: 2003, 2103, …) until free.
import type { LintContext } from '../context.js';
import type { CarbonProcess, Where } from '../model.js';
import { defineRule } from '../rule-definition.js';
import { iniSetOrInsert } from '../setting-edits.js';
import { mappedServer, type Topology } from '../topology-model.js';

type PortKey = 'LINE_RECEIVER_PORT' | 'PICKLE_RECEIVER_PORT' | 'UDP_RECEIVER_PORT' | 'CACHE_QUERY_PORT';

export const rule = defineRule({
  meta: {
    id: 'cache-port-conflict',
    ref: 'R9',
    severity: 'error',
    summary: 'Two carbon instances on one host bind the same port or share a pidfile',
    fixable: 'edit',
    messages: {
      port: 'carbon-{{program}} {{instance}} and carbon-{{otherProgram}} {{other}}{{on}} both bind {{proto}} port {{port}} ({{what}} and {{otherWhat}}){{inherited}}; the second one fails to start',
      inherited: ": [{{section}}] does not set {{what}}, so it inherits [{{program}}]'s",
      fixPort: 'set {{what}} in [{{section}}] to a free port',
      pidfile: 'carbon-{{program}} {{instance}} and carbon-{{otherProgram}} {{other}} write the same pidfile {{path}}',
      fixPidfile: 'set PID_DIR in [{{section}}]',
    },
  },
  check(ctx, topo) {
    const all = [...topo.caches, ...ctx.processes];
    const groups = new Map<string, CarbonProcess[]>();
    for (const p of all) {
      const k = p.host !== undefined ? `host\0${p.host}` : `file\0${p.file}`;
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k)!.push(p);
    }
    for (const ps of groups.values()) {
      const bound = new Map<string, { p: CarbonProcess; what: PortKey; where: Where }>();
      const pids = new Map<string, CarbonProcess>();
      const used = new Set(
        ps.flatMap((p) => [p.line.value, p.pickle.value, p.udp.value, p.cacheQuery.value]).filter((x): x is number => x !== null),
      );
      for (const p of ps) {
        const ports: [PortKey, number | null, Where][] = [
          ['LINE_RECEIVER_PORT', p.line.value, p.line.where],
          ['PICKLE_RECEIVER_PORT', p.pickle.value, p.pickle.where],
        ];
        if (p.udp.enabled) ports.push(['UDP_RECEIVER_PORT', p.udp.value, p.udp.where]);
        if (p.program === 'cache') ports.push(['CACHE_QUERY_PORT', p.cacheQuery.value, p.cacheQuery.where]);
        const section = p.sections[p.sections.length - 1] ?? p.program;
        for (const [what, port, where] of ports) {
          if (port === null || port === 0) continue;
          const proto = what === 'UDP_RECEIVER_PORT' ? 'udp' : 'tcp';
          const key = `${proto}/${port}`;
          const prev = bound.get(key);
          if (prev === undefined) {
            bound.set(key, { p, what, where });
            continue;
          }
          if (prev.p === p) continue;
          const free = freePort(ctx, topo, p, what, port, used);
          used.add(free);
          rule.report(ctx, {
            file: where.file,
            line: where.line,
            message: rule.msg('port', {
              program: p.program,
              instance: p.instance,
              otherProgram: prev.p.program,
              other: prev.p.instance,
              on: p.host ? ` on ${p.host}` : '',
              proto,
              port,
              what,
              otherWhat: prev.what,
              inherited:
                p.program === prev.p.program && !p.instanceOverrides.has(what)
                  ? rule.msg('inherited', { section: `${p.program}:${p.instance}`, what, program: p.program })
                  : '',
            }),
            fix: rule.msg('fixPort', { what, section }),
            edits: section === p.program ? [] : [iniSetOrInsert(ctx, p.file, section, what, String(free))],
            related: [prev.where],
          });
        }
        if (p.pidfile !== undefined) {
          const prev = pids.get(p.pidfile.path);
          if (prev !== undefined && prev !== p) {
            rule.report(ctx, {
              file: p.pidfile.where.file,
              line: p.pidfile.where.line,
              message: rule.msg('pidfile', {
                program: p.program,
                instance: p.instance,
                otherProgram: prev.program,
                other: prev.instance,
                path: p.pidfile.path,
              }),
              fix: rule.msg('fixPidfile', { section }),
              related: [prev.pidfile!.where],
            });
          } else pids.set(p.pidfile.path, p);
        }
      }
    }
  },
});

/** The port others already use to reach this instance, else `port` + 100·k, the first not bound on the host. */
function freePort(ctx: LintContext, topo: Topology, p: CarbonProcess, what: PortKey, port: number, used: Set<number>): number {
  if (p.host !== undefined && p.program === 'cache') {
    const wanted: number[] = [];
    if (what === 'CACHE_QUERY_PORT') {
      for (const w of ctx.webapps)
        for (const y of w.ring?.spec.destinations ?? [])
          if (mappedServer(y.server, w.host) === p.host && y.instance === p.instance) wanted.push(y.port);
    } else {
      const protocol = what === 'LINE_RECEIVER_PORT' ? 'line' : 'pickle';
      for (const r of [...topo.tier1, ...[...topo.tier2.values()].flat()]) {
        if ((r.protocol ?? (r.holder === 'carbon-c-relay' ? 'line' : 'pickle')) !== protocol) continue;
        for (const x of r.spec.destinations)
          if (mappedServer(x.server, r.host) === p.host && x.instance === p.instance) wanted.push(x.port);
      }
    }
    const hit = wanted.find((x) => !used.has(x));
    if (hit !== undefined) return hit;
  }
  let candidate = port + 100;
  while (used.has(candidate)) candidate += 100;
  return candidate;
}
