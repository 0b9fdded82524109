/**
 * kube-state-metrics at the image's version, started with the Deployment's synthesized arguments for every
 * environment against the loopback stand-in for the Kubernetes API: only the kubeconfig is added and the ports
 * are free loopback ports. It must report live and ready on its probes' endpoints, list exactly the resources
 * of its --resources flag (which its ClusterRole grants), log no error, warning or deprecation, and serve every
 * kube_ series the rules and dashboards read, with the labels the metric catalogue declares.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { METRICS } from '../../catalog/metrics';
import { FakeKubeApi, startFakeKubeApi } from '../../../test/support/fake-kube-api';
import { seriesReadIn } from '../../../test/support/metric-check';
import { executableByOthers, expectCleanLog, freePort, RunningProcess, runAsOf, startProcess, stopAll } from '../../../test/support/process';
import { allSynthesizedEnvironments } from '../../../test/support/synth-fixture';
import { requireTool } from '../../../test/support/tools';

jest.setTimeout(90_000);
afterAll(stopAll);

const environments = allSynthesizedEnvironments();
const read = new Set(environments.flatMap((e) => [...seriesReadIn(e.dir)]));
const ksmSeries = METRICS.filter((m) => m.source === 'kube-state-metrics' && read.has(m.name));

/** A few objects for the series the rules read: a restarting, not-ready pod, a deployment short of a replica, a node. */
function seed(api: FakeKubeApi): void {
  const at = new Date(Date.now() - 60_000).toISOString();
  api.create('/api/v1/namespaces/shop/pods', {
    metadata: { name: 'cart-0', namespace: 'shop', uid: '1f0e6a8e-0000-4000-8000-000000000001', creationTimestamp: at },
    spec: { nodeName: 'node-a', containers: [{ name: 'cart', image: 'cart:1', resources: { limits: { memory: '256Mi', cpu: '500m' } } }] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: at }],
      containerStatuses: [
        {
          name: 'cart',
          image: 'cart:1',
          imageID: 'cart@sha256:00',
          ready: false,
          restartCount: 3,
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { reason: 'OOMKilled', exitCode: 137, startedAt: at, finishedAt: at } },
        },
      ],
    },
  });
  api.create('/apis/apps/v1/namespaces/shop/deployments', {
    metadata: { name: 'cart', namespace: 'shop', uid: '1f0e6a8e-0000-4000-8000-000000000002', creationTimestamp: at, generation: 1 },
    spec: { replicas: 2, selector: { matchLabels: { app: 'cart' } }, template: { metadata: { labels: { app: 'cart' } }, spec: { containers: [] } } },
    status: { observedGeneration: 1, replicas: 2, readyReplicas: 1, availableReplicas: 1, unavailableReplicas: 1, updatedReplicas: 2 },
  });
  api.create('/api/v1/nodes', {
    metadata: { name: 'node-a', uid: '1f0e6a8e-0000-4000-8000-000000000003', creationTimestamp: at },
    status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: at }] },
  });
}

test('the rules and dashboards read kube-state-metrics series', () => {
  expect(ksmSeries.map((m) => m.name)).toEqual(expect.arrayContaining(['kube_pod_container_status_restarts_total', 'kube_deployment_status_replicas_unavailable']));
});

describe.each(environments.map((e) => [e.config, e] as const))('%s: kube-state-metrics started with the Deployment arguments', (_config, env) => {
  const objects = parseAllDocuments(fs.readFileSync(path.join(env.dir, 'kube-state-metrics.k8s.yaml'), 'utf8')).map((d) => d.toJS());
  const podSpec = objects.find((o) => o.kind === 'Deployment').spec.template.spec;
  const container = podSpec.containers.find((c: any) => c.name === 'kube-state-metrics');
  const args: string[] = container.args;
  const resources = args.find((a) => a.startsWith('--resources='))!.slice('--resources='.length).split(',');
  const clusterRole = objects.find((o) => o.kind === 'ClusterRole');
  let api: FakeKubeApi;
  let ksm: RunningProcess;
  const port: Record<string, number> = {};
  let metrics = '';

  beforeAll(async () => {
    api = await startFakeKubeApi();
    seed(api);
    for (const p of container.ports) port[p.name] = await freePort();
    const byNumber = (n: number) => port[container.ports.find((p: any) => p.containerPort === n).name];
    const local = args.map((a) => {
      const m = /^--(port|telemetry-port)=(\d+)$/.exec(a);
      return m ? `--${m[1]}=${byNumber(Number(m[2]))}` : a;
    });
    const account = runAsOf(podSpec, container);
    const binary = requireTool('kube-state-metrics');
    ksm = startProcess(
      `kube-state-metrics (${env.environment})`,
      account ? executableByOthers(binary) : binary,
      [...local, '--host=127.0.0.1', '--telemetry-host=127.0.0.1', `--kubeconfig=${api.kubeconfig}`],
      account ?? {},
    );
    // The probes of the manifest, on the ports they name.
    for (const probe of [container.livenessProbe, container.readinessProbe]) {
      await ksm.waitForHttp(`http://127.0.0.1:${port[probe.httpGet.port]}${probe.httpGet.path}`, 30_000);
    }
    metrics = await (await fetch(`http://127.0.0.1:${port.metrics}/metrics`)).text();
  });

  afterAll(async () => {
    await ksm?.stop();
    await api?.close();
  });

  test('it reports live and ready on the endpoints of its probes', () => {
    expect([container.livenessProbe.httpGet.path, container.readinessProbe.httpGet.path]).toEqual(['/livez', '/readyz']);
  });

  test('it lists and watches exactly the resources of its --resources flag, each granted by its ClusterRole', () => {
    const listed = new Set<string>();
    const watched = new Set<string>();
    for (const r of api.requests) {
      const m = /^GET \/(?:api\/v1|apis\/([^/]+)\/[^/]+)\/([a-z]+)(\?.*)?$/.exec(r);
      if (!m) continue;
      const key = `${m[1] ?? ''}/${m[2]}`;
      if (/[?&]watch=true/.test(m[3] ?? '')) watched.add(key);
      else listed.add(key);
    }
    const granted = (clusterRole.rules as any[]).flatMap((rule) =>
      rule.verbs.includes('list') && rule.verbs.includes('watch') ? rule.apiGroups.flatMap((g: string) => rule.resources.map((res: string) => `${g}/${res}`)) : [],
    );
    expect([...listed].map((k) => k.split('/')[1]).sort()).toEqual([...resources].sort());
    expect([...watched].sort()).toEqual([...listed].sort());
    expect([...listed].sort()).toEqual([...granted].sort());
  });

  test('its log holds no error, warning or deprecation', async () => {
    expect((await fetch(`http://127.0.0.1:${port.metrics}/metrics`)).status).toBe(200);
    expectCleanLog(ksm.name, ksm.log());
  });

  test('it serves every kube_ series the rules and dashboards read, with the labels the catalogue declares', () => {
    const lines = metrics.split('\n').filter((l) => l.startsWith('kube_'));
    const problems = ksmSeries.flatMap((spec) => {
      const series = lines.filter((l) => l.startsWith(`${spec.name}{`));
      if (series.length === 0) return [`${spec.name}: no series`];
      const labels = new Set(series.flatMap((l) => [...l.matchAll(/(\w+)="/g)].map((m) => m[1])));
      return spec.labels.filter((l) => !labels.has(l)).map((l) => `${spec.name}: no label ${l}`);
    });
    expect(problems).toEqual([]);
    expect(lines).toEqual(
      expect.arrayContaining([
        'kube_pod_container_status_restarts_total{namespace="shop",pod="cart-0",uid="1f0e6a8e-0000-4000-8000-000000000001",container="cart"} 3',
        'kube_deployment_status_replicas_unavailable{namespace="shop",deployment="cart"} 1',
      ]),
    );
  });
});
