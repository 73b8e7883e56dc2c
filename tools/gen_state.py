#!/usr/bin/env python3
"""Generates a synthetic Marathon state for benchmarks.

Usage:
  gen_state.py --tier typical|large|extreme [-o FILE] [--changed-out FILE]
  gen_state.py --apps N --tasks M [-o FILE] [--changed-out FILE]
  (either form also takes --lean and --seed S)

Writes what Marathon answers to `GET /v2/apps?embed=apps.tasks`: one
`{"apps": [...]}` document, compact, with the fields Marathon 1.5+ sends for
each app and task (marathon-lb reads only a few of them, but the parser has to
walk all of them). The output depends only on --seed, --apps and --tasks.

Tiers:  typical   200 apps /   2,000 tasks
        large   2,000 apps /  50,000 tasks
        extreme 10,000 apps / 100,000 tasks

The label mix: HAPROXY_GROUP external (most), internal, both or none; one to
three service ports; vhosts (some with several hosts) on web apps, some
redirecting to https, some sticky; HTTP, MESOS_HTTP, TCP and COMMAND health
checks; a few HAPROXY_{n}_PORT, _MODE and _BIND_ADDR labels; host, bridge and
IP-per-task networking; tasks mostly TASK_RUNNING. Tasks per app follow a
capped Pareto distribution (a few big apps, many small ones). Agents are IPv4
literals 10.x.y.z, so rendering the state needs no DNS.

--lean keeps only the fields marathon-lb reads (same apps, tasks and labels,
so the same HAProxy config): a measure of what Marathon's verbosity costs.

--changed-out writes a second state equal to the first plus one TASK_RUNNING
task in an app marathon-lb --group external renders: the "small change" of the
diff and incremental benchmarks.
"""
import argparse
import json
import random
import sys
import time
import uuid

TIERS = {
    'typical': (200, 2000),
    'large': (2000, 50000),
    'extreme': (10000, 100000),
}

TEAMS = ['payments', 'search', 'catalog', 'checkout', 'identity', 'ads',
         'analytics', 'mobile', 'platform', 'growth', 'media', 'support',
         'billing', 'inventory', 'shipping', 'messaging', 'maps', 'risk',
         'reviews', 'pricing']
SERVICES = ['api', 'web', 'gateway', 'worker', 'frontend', 'backend', 'auth',
            'cache', 'queue', 'db', 'search', 'indexer', 'render', 'upload',
            'notify', 'report', 'export', 'import', 'sync', 'admin']
ENVS = [('prod', 6), ('staging', 3), ('dev', 1)]
OTHER_LABELS = [('team', None), ('owner', None), ('DCOS_SERVICE_NAME', None),
                ('environment', None), ('cost-center', None),
                ('DCOS_PACKAGE_VERSION', '1.4.2')]
EPOCH = 1714550400  # 2024-05-01T08:00:00Z
BASE_SERVICE_PORT = 10000
BASE_LABEL_PORT = 40000
FIRST_HOST_PORT, LAST_HOST_PORT = 31000, 32000


def weighted(rng, choices):
    """Picks from [(value, weight), ...]."""
    total = sum(w for _, w in choices)
    r = rng.uniform(0, total)
    for value, w in choices:
        r -= w
        if r <= 0:
            return value
    return choices[-1][0]


def timestamp(millis):
    """EPOCH + millis in Marathon's ISO-8601 format with milliseconds."""
    t = time.gmtime(EPOCH + millis // 1000)
    return time.strftime('%Y-%m-%dT%H:%M:%S', t) + '.%03dZ' % (millis % 1000)


def ipv4(prefix, i):
    """prefix.x.y.z for i >= 0, z in 1..250."""
    return '%d.%d.%d.%d' % (prefix, (i // 62500) % 250, (i // 250) % 250,
                            i % 250 + 1)


def split_tasks(rng, n_apps, n_tasks):
    """Tasks per app: a capped Pareto share each, summing to n_tasks. About
    3% of apps are suspended (no tasks) while there are tasks to spare."""
    active = [rng.random() >= 0.03 for _ in range(n_apps)]
    if n_tasks < n_apps:
        active = [i < n_tasks for i in range(n_apps)]
    weights = [min(rng.paretovariate(1.3), 200.0) if a else 0.0 for a in active]
    counts = [1 if a else 0 for a in active]
    spare = n_tasks - sum(counts)
    total = sum(weights)
    shares = [w / total * spare for w in weights]
    counts = [c + int(s) for c, s in zip(counts, shares)]
    left = n_tasks - sum(counts)
    by_remainder = sorted(range(n_apps),
                          key=lambda i: (int(shares[i]) - shares[i], i))
    for i in by_remainder[:left]:
        counts[i] += 1
    return counts


class Cluster:
    """Agents and the host ports in use on each."""

    def __init__(self, rng, n_agents):
        self.hosts = [ipv4(10, i) for i in range(n_agents)]
        self.framework = str(uuid.UUID(int=rng.getrandbits(128)))
        self.used_ports = [set() for _ in range(n_agents)]

    def slave_id(self, agent):
        return '%s-S%d' % (self.framework, agent)

    def free_port(self, agent, rng, record=True):
        """A host port not in use on `agent`; `record` marks it used."""
        used = self.used_ports[agent]
        port = rng.randrange(FIRST_HOST_PORT, LAST_HOST_PORT)
        while port in used:
            port = port + 1 if port + 1 < LAST_HOST_PORT else max(used) + 1
        if record:
            used.add(port)
        return port


class AppFactory:
    """Builds app objects one at a time, in the order Marathon lists them."""

    def __init__(self, rng, cluster):
        self.rng = rng
        self.cluster = cluster
        self.next_service_port = BASE_SERVICE_PORT
        self.next_label_port = BASE_LABEL_PORT
        self.next_container_ip = 0

    def make(self, index, n_tasks):
        rng = self.rng
        team = rng.choice(TEAMS)
        env = weighted(rng, ENVS)
        service = rng.choice(SERVICES)
        app_id = '/%s/%s/%s-%05d' % (team, env, service, index)
        kind = weighted(rng, [('web', 55), ('api', 15), ('tcp', 30)])
        n_ports = weighted(rng, [(1, 70), (2, 22), (3, 8)])
        networking = weighted(rng, [('host', 75), ('bridge', 20),
                                    ('container', 5)])
        service_ports = list(range(self.next_service_port,
                                   self.next_service_port + n_ports))
        self.next_service_port += n_ports
        host_name = '%s-%05d.%s.%s.example.com' % (service, index, env, team)
        app = {
            'id': app_id,
            'cmd': None if networking != 'host' else './bin/%s --port $PORT0' % service,
            'args': None,
            'user': None,
            'env': {'JAVA_OPTS': '-Xmx512m', 'ENVIRONMENT': env},
            'instances': n_tasks,
            'cpus': rng.choice([0.1, 0.25, 0.5, 1.0, 2.0]),
            'mem': rng.choice([128, 256, 512, 1024, 2048]),
            'disk': 0,
            'gpus': 0,
            'executor': '',
            'constraints': [['hostname', 'UNIQUE']] if rng.random() < 0.2 else [],
            'uris': [],
            'fetch': [],
            'storeUrls': [],
            'backoffSeconds': 1,
            'backoffFactor': 1.15,
            'maxLaunchDelaySeconds': 3600,
            'labels': self.labels(rng, kind, n_ports, team, env, service,
                                  host_name),
        }
        app.update(self.networking(rng, networking, service, service_ports))
        checks = self.health_checks(rng, kind, n_ports)
        app.update({
            'healthChecks': checks,
            'readinessChecks': [],
            'dependencies': [],
            'upgradeStrategy': {'minimumHealthCapacity': 1,
                                'maximumOverCapacity': 1},
            'version': timestamp(rng.randrange(0, 86400000)),
            'versionInfo': {
                'lastScalingAt': timestamp(rng.randrange(0, 86400000)),
                'lastConfigChangeAt': timestamp(rng.randrange(0, 86400000)),
            },
            'killSelection': 'YOUNGEST_FIRST',
            'unreachableStrategy': {'inactiveAfterSeconds': 0,
                                    'expungeAfterSeconds': 0},
            'requirePorts': False,
            'deployments': [],
        })
        tasks = [self.task(rng, app, networking, n_ports, bool(checks))
                 for _ in range(n_tasks)]
        running = sum(t['state'] == 'TASK_RUNNING' for t in tasks)
        app.update({
            'tasksStaged': sum(t['state'] == 'TASK_STAGING' for t in tasks),
            'tasksRunning': running,
            'tasksHealthy': running if checks else 0,
            'tasksUnhealthy': 0,
            'tasks': tasks,
        })
        return app, networking

    def labels(self, rng, kind, n_ports, team, env, service, host_name):
        labels = {}
        group = weighted(rng, [('external', 72), ('external,internal', 8),
                               ('internal', 12), (None, 8)])
        if group:
            labels['HAPROXY_GROUP'] = group
        if kind == 'web':
            vhosts = [host_name]
            if rng.random() < 0.2:
                vhosts.append('www.' + host_name)
                if rng.random() < 0.5:
                    vhosts.append(host_name.replace('.example.com', '.example.net'))
            labels['HAPROXY_0_VHOST'] = ','.join(vhosts)
            if rng.random() < 0.25:
                labels['HAPROXY_0_REDIRECT_TO_HTTPS'] = 'true'
            if rng.random() < 0.12:
                labels['HAPROXY_0_STICKY'] = 'true'
            if n_ports > 1 and rng.random() < 0.4:
                labels['HAPROXY_1_VHOST'] = 'admin-' + host_name
        for n in range(n_ports):
            if rng.random() < 0.02:
                labels['HAPROXY_%d_PORT' % n] = str(self.next_label_port)
                self.next_label_port += 1
            if rng.random() < 0.03:
                labels['HAPROXY_%d_BIND_ADDR' % n] = rng.choice(
                    ['0.0.0.0', '10.0.0.2', '127.0.0.1'])
            if kind != 'web' and rng.random() < 0.08:
                labels['HAPROXY_%d_MODE' % n] = rng.choice(['http', 'tcp', 'HTTP'])
        for key, value in rng.sample(OTHER_LABELS, rng.randrange(0, 4)):
            labels[key] = value or {'team': team, 'owner': team + '@example.com',
                                    'DCOS_SERVICE_NAME': service,
                                    'environment': env,
                                    'cost-center': 'cc-%03d' % rng.randrange(1000)}[key]
        return labels

    def networking(self, rng, networking, service, service_ports):
        names = ['http', 'admin', 'metrics']
        if networking == 'host':
            return {
                'container': None,
                'networks': [{'mode': 'host'}],
                'portDefinitions': [
                    {'port': p, 'protocol': 'tcp', 'name': names[i], 'labels': {}}
                    for i, p in enumerate(service_ports)],
            }
        mappings = [{'containerPort': 8080 + i, 'servicePort': p,
                     'protocol': 'tcp', 'name': names[i], 'labels': {}}
                    for i, p in enumerate(service_ports)]
        if networking == 'bridge':
            for m in mappings:
                m['hostPort'] = 0
        container = {
            'type': 'DOCKER' if networking == 'bridge' else 'MESOS',
            'volumes': [],
            'docker': {'image': 'registry.example.com/%s:%d' % (
                service, rng.randrange(1, 300)), 'forcePullImage': False,
                'privileged': False, 'parameters': []},
            'portMappings': mappings,
        }
        mode = ({'mode': 'container/bridge'} if networking == 'bridge'
                else {'mode': 'container', 'name': 'dcos'})
        return {'container': container, 'networks': [mode],
                'portDefinitions': []}

    def health_checks(self, rng, kind, n_ports):
        def check(protocol, port_index):
            out = {'gracePeriodSeconds': rng.choice([30, 60, 300]),
                   'intervalSeconds': rng.choice([5, 10, 30, 60]),
                   'maxConsecutiveFailures': rng.choice([2, 3, 5]),
                   'timeoutSeconds': rng.choice([2, 5, 20]),
                   'delaySeconds': 15,
                   'protocol': protocol}
            if protocol == 'COMMAND':
                out['command'] = {'value': 'curl -fs localhost:$PORT0/health'}
            else:
                out['portIndex'] = port_index
            if protocol in ('HTTP', 'MESOS_HTTP'):
                out['path'] = rng.choice(['/health', '/ping', '/_status'])
                out['ignoreHttp1xx'] = False
            return out

        if kind == 'tcp':
            protocol = weighted(rng, [('TCP', 50), ('COMMAND', 20), (None, 30)])
        else:
            protocol = weighted(rng, [('HTTP', 80), ('MESOS_HTTP', 5),
                                      ('TCP', 5), (None, 10)])
        checks = [check(protocol, 0)] if protocol else []
        if n_ports > 1 and rng.random() < 0.3:
            checks.append(check('TCP', 1))
        return checks

    def task(self, rng, app, networking, n_ports, has_checks):
        agent = rng.randrange(len(self.cluster.hosts))
        host = self.cluster.hosts[agent]
        state = weighted(rng, [('TASK_RUNNING', 950), ('TASK_STAGING', 20),
                               ('TASK_STARTING', 10), ('TASK_KILLING', 10),
                               ('TASK_UNREACHABLE', 5), ('TASK_LOST', 5)])
        return self.make_task(rng, app, networking, n_ports, has_checks,
                              agent, host, state)

    def make_task(self, rng, app, networking, n_ports, has_checks, agent, host,
                  state, record=True):
        """One task; `record` False leaves its host ports free for others."""
        task_uuid = str(uuid.UUID(int=rng.getrandbits(128)))
        task_id = '%s.%s' % (app['id'][1:].replace('/', '_'), task_uuid)
        if networking == 'container':
            ports = []
            ip = ipv4(9, self.next_container_ip)
            self.next_container_ip += 1
        else:
            ports = [self.cluster.free_port(agent, rng, record)
                     for _ in range(n_ports)]
            ip = host if networking == 'host' else ipv4(172, rng.randrange(60000))
        staged = rng.randrange(0, 86400000)
        task = {
            'ipAddresses': [{'ipAddress': ip, 'protocol': 'IPv4'}],
            'stagedAt': timestamp(staged),
            'state': state,
            'ports': ports,
            'startedAt': (None if state in ('TASK_STAGING', 'TASK_STARTING')
                          else timestamp(staged + 4000)),
            'version': app['version'],
            'id': task_id,
            'appId': app['id'],
            'slaveId': self.cluster.slave_id(agent),
            'host': host,
            'servicePorts': [m['servicePort'] for m in
                             (app['container'] or {}).get('portMappings', [])] or
                            [d['port'] for d in app['portDefinitions']],
            'localVolumes': [],
        }
        if has_checks and state == 'TASK_RUNNING':
            task['healthCheckResults'] = [{
                'alive': rng.random() >= 0.02,
                'consecutiveFailures': 0,
                'firstSuccess': timestamp(staged + 9000),
                'lastFailure': None,
                'lastSuccess': timestamp(staged + 3600000),
                'lastFailureCause': None,
                'instanceId': task_id.replace('.', '.marathon-', 1),
            }]
        return task


def pick(obj, keys):
    return {k: obj[k] for k in keys if obj.get(k) is not None}


def lean(app):
    """The app with only the fields ParseApps reads."""
    out = pick(app, ['id', 'labels', 'networks'])
    if app['container']:
        out['container'] = {'portMappings': [
            pick(m, ['containerPort', 'servicePort'])
            for m in app['container']['portMappings']]}
    out['portDefinitions'] = [pick(d, ['port']) for d in app['portDefinitions']]
    out['healthChecks'] = [
        pick(c, ['protocol', 'portIndex', 'port', 'path', 'timeoutSeconds',
                 'intervalSeconds', 'gracePeriodSeconds',
                 'maxConsecutiveFailures', 'ignoreHttp1xx'])
        for c in app['healthChecks']]
    out['tasks'] = []
    for task in app['tasks']:
        t = pick(task, ['id', 'host', 'ports', 'state'])
        t['ipAddresses'] = [pick(a, ['ipAddress']) for a in task['ipAddresses']]
        if 'healthCheckResults' in task:
            t['healthCheckResults'] = [pick(r, ['alive'])
                                       for r in task['healthCheckResults']]
        out['tasks'].append(t)
    return out


def renders_externally(app, networking):
    """True when marathon-lb --group external renders the app's tasks on
    agent host ports."""
    groups = app['labels'].get('HAPROXY_GROUP', '').split(',')
    return 'external' in groups and networking == 'host' and app['tasks']


def generate(n_apps, n_tasks, seed, out, changed_out, lean_output=False):
    rng = random.Random('%s/%d/%d' % (seed, n_apps, n_tasks))
    cluster = Cluster(rng, max(3, n_tasks // 40))
    factory = AppFactory(rng, cluster)
    counts = split_tasks(rng, n_apps, n_tasks)
    extra_rng = random.Random('%s/%d/%d/extra' % (seed, n_apps, n_tasks))
    changed_app = None
    outputs = [f for f in (out, changed_out) if f]
    for f in outputs:
        f.write('{"apps":[')
    for i in range(n_apps):
        app, networking = factory.make(i, counts[i])
        shape = lean if lean_output else (lambda a: a)
        text = json.dumps(shape(app), separators=(',', ':'))
        prefix = ',' if i else ''
        out.write(prefix + text)
        if not changed_out:
            continue
        if changed_app is None and i >= n_apps // 2 and renders_externally(
                app, networking):
            changed_app = app['id']
            agent = extra_rng.randrange(len(cluster.hosts))
            app['tasks'].append(factory.make_task(
                extra_rng, app, networking, len(app['portDefinitions']),
                bool(app['healthChecks']), agent, cluster.hosts[agent],
                'TASK_RUNNING', record=False))
            app['instances'] += 1
            app['tasksRunning'] += 1
            text = json.dumps(shape(app), separators=(',', ':'))
        changed_out.write(prefix + text)
    for f in outputs:
        f.write(']}\n')
    if changed_out and changed_app is None:
        sys.exit('gen_state: no app to add a task to; use more apps')
    return changed_app


def main():
    parser = argparse.ArgumentParser(
        description='Synthetic Marathon /v2/apps?embed=apps.tasks state.')
    parser.add_argument('--tier', choices=sorted(TIERS))
    parser.add_argument('--apps', type=int)
    parser.add_argument('--tasks', type=int)
    parser.add_argument('--seed', default='mlb-bench-1')
    parser.add_argument('-o', '--out', help='output file (default stdout)')
    parser.add_argument('--lean', action='store_true',
                        help='only the fields marathon-lb reads')
    parser.add_argument('--changed-out',
                        help='also write the state with one task added')
    args = parser.parse_args()
    if args.tier:
        n_apps, n_tasks = TIERS[args.tier]
    elif args.apps and args.tasks is not None:
        n_apps, n_tasks = args.apps, args.tasks
    else:
        parser.error('give --tier, or --apps and --tasks')
    if n_apps < 2 or n_tasks < 1:
        parser.error('need at least 2 apps and 1 task')
    out = open(args.out, 'w') if args.out else sys.stdout
    changed = open(args.changed_out, 'w') if args.changed_out else None
    try:
        changed_app = generate(n_apps, n_tasks, args.seed, out, changed,
                               args.lean)
    finally:
        if args.out:
            out.close()
        if changed:
            changed.close()
    if changed_app:
        print('gen_state: one task added to %s in %s' % (changed_app,
                                                         args.changed_out),
              file=sys.stderr)


if __name__ == '__main__':
    main()
