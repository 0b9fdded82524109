/**
 * kubernetes-event-exporter at the image's version, started with its synthesized config for every environment
 * against the loopback stand-in for the Kubernetes API, with Loki replaced by a loopback stand-in that records
 * every push. Only the Loki URL (to the stand-in), the metrics address (a free loopback port) and the
 * kubeconfig are the test's. It must serve its metrics endpoint, win leader election through its ConfigMap and
 * Lease, watch events, ship a Warning event (and only it) to Loki as the layout says, make only requests its
 * RBAC allows, and log no error, warning or deprecation.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse, parseAllDocuments } from 'yaml';
import { toYaml } from '../../lib/yaml';
import { FakeKubeApi, startFakeKubeApi } from '../../../test/support/fake-kube-api';
import { LokiPushStandIn, startLokiPushStandIn } from '../../../test/support/loki-push-stand-in';
import { executableByOthers, expectCleanLog, freePort, RunningProcess, runAsOf, startProcess, stopAll, tempDir } from '../../../test/support/process';
import { allSynthesizedEnvironments } from '../../../test/support/synth-fixture';
import { requireTool } from '../../../test/support/tools';
import { EVENT_LAYOUT, EVENTS_JOB, LEADER_ELECTION_ID, METRICS_PREFIX } from './event-exporter';

jest.setTimeout(90_000);
afterAll(stopAll);

async function until<T>(what: string, probe: () => T | undefined, log: () => string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}. The exporter's log:\n${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A request to the fake API as the RBAC verb, API group, resource and name it needs. */
function rbacOf(request: string): { verb: string; group: string; resource: string; name?: string } | undefined {
  const m = /^(\w+) \/(?:api\/v1|apis\/([^/]+)\/[^/?]+)(?:\/namespaces\/[^/?]+)?\/([a-z]+)(?:\/([^/?]+))?(\?.*)?$/.exec(request);
  if (!m) return undefined;
  const [, method, group = '', resource, name, query = ''] = m;
  const verb =
    method === 'GET' ? (/[?&]watch=true/.test(query) ? 'watch' : name ? 'get' : 'list') : ({ POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' } as Record<string, string>)[method];
  return { verb, group, resource, name };
}

describe.each(allSynthesizedEnvironments().map((e) => [e.config, e] as const))('%s: the event exporter started with its synthesized config', (_config, env) => {
  const objects = parseAllDocuments(fs.readFileSync(path.join(env.dir, 'kube-event-exporter.k8s.yaml'), 'utf8')).map((d) => d.toJS());
  const deployment = objects.find((o) => o.kind === 'Deployment');
  const podSpec = deployment.spec.template.spec;
  const container = podSpec.containers[0];
  const config = parse(objects.find((o) => o.kind === 'ConfigMap').data['config.yaml']);
  const loki = config.receivers.find((r: any) => r.loki).loki;
  const rules = [...objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role').flatMap((o) => o.rules)];
  let api: FakeKubeApi;
  let lokiStandIn: LokiPushStandIn;
  let exporter: RunningProcess;
  let logBeforeEvents = '';
  let metricsPort = 0;

  beforeAll(async () => {
    api = await startFakeKubeApi();
    lokiStandIn = await startLokiPushStandIn();
    const dir = tempDir('event-exporter');
    fs.chmodSync(dir, 0o755);
    const conf = path.join(dir, 'config.yaml');
    const lokiPath = new URL(loki.url).pathname;
    fs.writeFileSync(conf, toYaml({ ...config, receivers: config.receivers.map((r: any) => (r.loki ? { ...r, loki: { ...r.loki, url: `${lokiStandIn.url}${lokiPath}` } } : r)) }));
    fs.chmodSync(conf, 0o644);
    const port = (metricsPort = await freePort());
    const args = (container.args as string[]).map((a) =>
      a.startsWith('-conf=') ? `-conf=${conf}` : a.startsWith('-metrics-address=') ? `-metrics-address=127.0.0.1:${port}` : a,
    );
    const account = runAsOf(podSpec, container);
    const binary = requireTool('kubernetes-event-exporter');
    exporter = startProcess(`event exporter (${env.environment})`, account ? executableByOthers(binary) : binary, [...args, `-kubeconfig=${api.kubeconfig}`], account ?? {});
    const probe = container.livenessProbe.httpGet;
    expect(container.ports.find((p: any) => p.name === probe.port).containerPort).toBe(Number(/:(\d+)$/.exec(container.args.find((a: string) => a.startsWith('-metrics-address=')))![1]));
    await exporter.waitForHttp(`http://127.0.0.1:${port}${probe.path}`, 30_000);
    // Leader: the events watch opens only once the lock is held.
    await until('the events watch', () => api.requests.find((r) => /^GET \/api\/v1\/events\?.*watch=true/.test(r)), exporter.log);
    logBeforeEvents = exporter.log();
  });

  afterAll(async () => {
    await exporter?.stop();
    await api?.close();
    await lokiStandIn?.close();
  });

  test('it wins leader election: its ConfigMap and Lease name it the holder', () => {
    expect(logBeforeEvents).toMatch(/leader election got/);
    // Outside a pod there is no service-account namespace file, so the lock lives in "default".
    const lease = api.objects.get(`/apis/coordination.k8s.io/v1/namespaces/default/leases/${LEADER_ELECTION_ID}`) as any;
    const cm = api.objects.get(`/api/v1/namespaces/default/configmaps/${LEADER_ELECTION_ID}`) as any;
    expect(lease?.spec?.holderIdentity).toMatch(/^.+_[0-9a-f-]{36}$/);
    expect(JSON.parse(cm.metadata.annotations['control-plane.alpha.kubernetes.io/leader']).holderIdentity).toBe(lease.spec.holderIdentity);
    expect(lease.spec.leaseDurationSeconds).toBe(15);
  });

  test('every request it made is allowed by its RBAC (events cluster-wide, the lock by name in its namespace)', () => {
    const role = objects.find((o) => o.kind === 'Role');
    expect(role.metadata.namespace).toBe(deployment.metadata.namespace);
    const needed = api.requests.map(rbacOf).filter((r): r is NonNullable<ReturnType<typeof rbacOf>> => r !== undefined);
    expect(needed.length).toBeGreaterThan(3);
    const denied = needed.filter(
      (n) =>
        !rules.some(
          (rule: any) =>
            rule.apiGroups.includes(n.group) && rule.resources.includes(n.resource) && rule.verbs.includes(n.verb) && (!rule.resourceNames || rule.resourceNames.includes(n.name)),
        ),
    );
    expect(denied).toEqual([]);
  });

  test('a Warning event reaches Loki as one line of the layout under {job="kube-event-exporter"}, a Normal one does not', async () => {
    const now = new Date().toISOString();
    const event = (name: string, type: string, reason: string) => ({
      metadata: { name, namespace: 'shop', creationTimestamp: now },
      involvedObject: { kind: 'Pod', namespace: 'shop', name: 'cart-0', apiVersion: 'v1' },
      reason,
      message: `${reason} of cart-0`,
      type,
      count: 2,
      source: { component: 'kubelet', host: 'node-a' },
      firstTimestamp: now,
      lastTimestamp: now,
    });
    api.create('/api/v1/namespaces/shop/events', event('cart-0.normal', 'Normal', 'Pulled'));
    api.create('/api/v1/namespaces/shop/events', event('cart-0.warning', 'Warning', 'BackOff'));
    await until('a push to Loki', () => (lokiStandIn.pushes.length > 0 ? true : undefined), exporter.log, 15_000);
    // Give a wrongly routed Normal event time to arrive too.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(lokiStandIn.pushes).toHaveLength(1);
    const [push] = lokiStandIn.pushes;
    expect(push.path).toBe(new URL(loki.url).pathname);
    expect(push.headers['x-scope-orgid']).toBe(loki.headers?.['X-Scope-OrgID']);
    expect(push.body.streams).toHaveLength(1);
    expect(push.body.streams[0].stream).toEqual({ job: EVENTS_JOB });
    const [[, line]] = push.body.streams[0].values;
    expect(JSON.parse(line)).toEqual({
      namespace: 'shop',
      kind: 'Pod',
      name: 'cart-0',
      reason: 'BackOff',
      type: 'Warning',
      message: 'BackOff of cart-0',
      count: '2',
      component: 'kubelet',
      node: 'node-a',
      lastTimestamp: expect.any(String),
    });
    expect(Object.keys(JSON.parse(line)).sort()).toEqual(Object.keys(EVENT_LAYOUT).sort());
  });

  test('its metrics carry the configured prefix, count both events processed and no send error', async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    // events_sent counts the events processed (routed or not), the Normal one included.
    expect(metrics).toMatch(new RegExp(`^${METRICS_PREFIX}events_sent 2$`, 'm'));
    expect(metrics).toMatch(new RegExp(`^${METRICS_PREFIX}send_event_errors 0$`, 'm'));
    expect(metrics).not.toMatch(/^events_sent/m);
  });

  test('its log holds no error, warning or deprecation', () => {
    expectCleanLog(exporter.name, exporter.log());
  });
});
