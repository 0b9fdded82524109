import { ApiObject, Chart, Testing } from 'cdk8s';
import { addDisruptionBudgets } from './disruption-budgets';
import { NetworkPolicies, scrapeFlows, serviceEndpoint } from './network-policies';
import { componentScrapeJob } from '../lib/scrape';

describe('serviceEndpoint', () => {
  test('GIVEN a URL or host:port of a Service THEN its namespace, app and port', () => {
    expect(serviceEndpoint('http://loki.monitoring.svc:3100/otlp')).toStrictEqual({ endpoint: { namespace: 'monitoring', app: 'loki' }, port: 3100 });
    expect(serviceEndpoint('postgres.java-tasks.svc.cluster.local:5432')).toStrictEqual({ endpoint: { namespace: 'java-tasks', app: 'postgres' }, port: 5432 });
  });

  test('fails if the address is not an in-cluster Service address with a port', () => {
    expect(() => serviceEndpoint('https://grafana.example.com')).toThrow(/"https:\/\/grafana.example.com" is not an in-cluster address/);
    expect(() => serviceEndpoint('http://loki.monitoring.svc/otlp')).toThrow(/not an in-cluster address/);
  });
});

describe('scrapeFlows', () => {
  const prometheus = { namespace: 'monitoring', app: 'prometheus' };

  test('GIVEN component scrape jobs THEN one flow per job from Prometheus to the named port; other jobs yield none', () => {
    const job = componentScrapeJob({ job: 'loki', namespace: 'monitoring', appName: 'loki', portName: 'http' });
    expect(scrapeFlows(prometheus, [job, { job_name: 'kubelet', kubernetes_sd_configs: [{ role: 'node' }] }])).toStrictEqual([
      { from: { pods: prometheus }, to: { namespace: 'monitoring', app: 'loki' }, ports: ['http'], why: 'scrape job loki' },
    ]);
  });

  test('fails if a job keeps pods by a regex rather than a plain name', () => {
    const job = componentScrapeJob({ job: 'many', namespace: 'monitoring', appName: 'loki|jaeger', portName: 'http' });
    expect(() => scrapeFlows(prometheus, [job])).toThrow(/scrape job "many": app "loki\|jaeger" and port "http" must be plain names/);
  });
});

test('GIVEN flows to one destination THEN one allow policy with one rule per flow, and default deny in owned namespaces only', () => {
  const chart = new Chart(Testing.app(), 'test');
  new NetworkPolicies(chart, 'np', {
    ownedNamespaces: ['monitoring'],
    flows: [
      { from: { anyNamespace: true }, to: { namespace: 'apps', app: 'postgres' }, ports: [5432], why: 'apps' },
      { from: { pods: { namespace: 'monitoring', app: 'prometheus' } }, to: { namespace: 'apps', app: 'postgres' }, ports: ['pg-metrics'], why: 'scrape' },
    ],
  });
  const objects = Testing.synth(chart);
  expect(objects.map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toStrictEqual(['monitoring/default-deny-ingress', 'apps/allow-postgres']);
  expect(objects[1].spec.ingress).toStrictEqual([
    { from: [{ namespaceSelector: {} }], ports: [{ protocol: 'TCP', port: 5432 }] },
    {
      from: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
          podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/part-of': 'observability-platform' } },
        },
      ],
      ports: [{ protocol: 'TCP', port: 'pg-metrics' }],
    },
  ]);
});

describe('addDisruptionBudgets', () => {
  test('GIVEN a StatefulSet THEN a maxUnavailable: 1 budget on its selector in the same chart', () => {
    const chart = new Chart(Testing.app(), 'test');
    new ApiObject(chart, 'sts', {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: 'apps' },
      spec: { selector: { matchLabels: { app: 'db' } } },
    });
    expect(addDisruptionBudgets(chart)).toBe(1);
    const pdb = Testing.synth(chart).find((o) => o.kind === 'PodDisruptionBudget');
    expect(pdb.spec).toStrictEqual({ maxUnavailable: 1, selector: { matchLabels: { app: 'db' } } });
    expect(pdb.metadata).toEqual(expect.objectContaining({ name: 'db', namespace: 'apps' }));
  });

  test('fails if a workload has no matchLabels selector', () => {
    const chart = new Chart(Testing.app(), 'test');
    new ApiObject(chart, 'dep', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: {} });
    expect(() => addDisruptionBudgets(chart)).toThrow(/Deployment\/web: no spec.selector.matchLabels/);
  });
});
