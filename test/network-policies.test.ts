import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { synthesize } from '../src/synth';
import { addressFlows, load, scrapeFlows, StackPod } from './support/network-flows';
import { Pod } from './support/network-policy';
import { metricsBackend } from './support/metrics-backend';
import { configVariant, environments, shippedConfigOf, shippedConfigs, synthesizedShippedConfigs } from './support/synth-fixture';

/**
 * The NetworkPolicies in dist, evaluated: every flow the stack needs is
 * derived here from the synthesized objects themselves (the scrape jobs in
 * prometheus.yml or vmagent's scrape.yml, every in-cluster address in a pod's env, args and mounted
 * ConfigMaps, the Services' ports), independently of the flow table in
 * src/security/flows.ts, and must be admitted; flows nobody needs must not be.
 */

const out = synthesizedShippedConfigs();

describe.each(environments(out))('NetworkPolicies of %s', (env) => {
  const config = shippedConfigOf(env).config;
  const agent = config.logs.agent;
  const backend = metricsBackend(config);
  const { objects, policies, namespaces, evaluator, pods, services, pod } = load(path.join(out, env));
  const ownedBy = (owner: string) => {
    const found = pods.find((p) => p.owner === owner);
    if (!found) throw new Error(`${env} has no pod of ${owner}`);
    return found;
  };
  /** The metrics store's pod and port behind a `kind/name:port` of metricsBackend(). */
  const endpoint = (at: string) => ({ pod: ownedBy(at.slice(0, at.lastIndexOf(':'))), port: Number(at.slice(at.lastIndexOf(':') + 1)) });
  const scraper = ownedBy(backend.scraper.owner);
  const scrapeYaml = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === backend.scraper.configMap && o.metadata.namespace === scraper.namespace)!.data![backend.scraper.key];
  const monitoring = scraper.namespace;
  const agents = pod('node-exporter').namespace;
  const postgres = ownedBy(`StatefulSet/${config.postgres!.name}`);
  /** An application the stack knows nothing about, in a namespace it does not own. */
  const stranger: Pod = { namespace: 'some-team', labels: { app: 'checkout' } };

  test('every pod of the stack is selected for ingress by some policy', () => {
    expect(pods.length).toBeGreaterThanOrEqual(10);
    const unselected = pods.filter((p) => evaluator.selecting(p, 'Ingress').length === 0).map((p) => p.owner);
    expect(unselected).toEqual([]);
  });

  test('default-deny ingress in the namespaces the stack owns, and only there', () => {
    const denyAll = policies.filter((p) => Object.keys(p.spec.podSelector).length === 0 || JSON.stringify(p.spec.podSelector) === '{}');
    expect(denyAll.map((p) => p.metadata.namespace).sort()).toEqual([monitoring, agents].sort());
    for (const p of denyAll) expect(p.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
  });

  test("in the application namespace only the stack's own pods are selected: the applications' traffic is untouched", () => {
    expect(namespaces.has(postgres.namespace)).toBe(true);
    const neighbour: Pod = { namespace: postgres.namespace, labels: { app: 'task-service', 'app.kubernetes.io/name': 'task-service' } };
    expect(evaluator.selecting(neighbour, 'Ingress')).toEqual([]);
    expect(evaluator.allowed(stranger, neighbour, 8080)).toBe(true);
    for (const p of policies.filter((p) => p.metadata.namespace === postgres.namespace)) {
      expect(p.spec.podSelector.matchLabels).toEqual(expect.objectContaining({ 'app.kubernetes.io/part-of': 'observability-platform' }));
    }
  });

  test('every policy selects at least one pod (no stale policy for a renamed component)', () => {
    for (const p of policies) {
      const selected = pods.filter((pod) => pod.namespace === p.metadata.namespace && evaluator.selecting(pod, 'Ingress').includes(p));
      expect({ policy: `${p.metadata.namespace}/${p.metadata.name}`, selects: selected.length > 0 }).toEqual({
        policy: `${p.metadata.namespace}/${p.metadata.name}`,
        selects: true,
      });
    }
  });

  test('the scraper (Prometheus or vmagent) reaches every target of its scrape jobs among the stack pods (derived from its scrape config)', () => {
    const flows = scrapeFlows(scraper, pods, scrapeYaml);
    const jobs = new Set(flows.map((f) => f.why.split(' ')[2]));
    // Proof the derivation found the component jobs and the annotated pods (Grafana, the PostgreSQL exporter).
    expect([...jobs]).toEqual(expect.arrayContaining(['kube-state-metrics', 'node-exporter', 'loki', 'jaeger', 'otel-collector', 'kubernetes-pods']));
    expect([...new Set(flows.filter((f) => f.dst === postgres).map((f) => f.port))]).toEqual([9187]);
    const denied = flows.filter((f) => !evaluator.allowed(f.src, f.dst, f.port)).map((f) => f.why);
    expect(denied).toEqual([]);
  });

  test('every in-cluster address a pod is configured with is reachable (datasources, push URLs, OTLP exporters, the annotation Job)', () => {
    const ownDatasources = config.grafana.datasources.map((d) => d.url);
    const flows = addressFlows(pods, services, ownDatasources);
    const pairs = new Set(flows.map((f) => `${(f.src as StackPod).owner} -> ${f.dst.owner}:${f.port}`));
    // Proof the derivation saw the configs: Grafana's datasources, the agents and the collector's exporters.
    expect([...pairs]).toEqual(
      expect.arrayContaining([
        `StatefulSet/grafana -> ${backend.query}`,
        'StatefulSet/grafana -> StatefulSet/loki:3100',
        'StatefulSet/grafana -> StatefulSet/jaeger:16686',
        `StatefulSet/grafana -> ${postgres.owner}:5432`,
        `DaemonSet/${agent} -> StatefulSet/loki:3100`,
        'Deployment/kube-event-exporter -> StatefulSet/loki:3100',
        `Deployment/otel-collector -> ${backend.write}`,
        'Deployment/otel-collector -> StatefulSet/loki:3100',
        'Deployment/otel-collector -> StatefulSet/jaeger:4317',
        'Job/deploy-annotation -> StatefulSet/grafana:3000',
      ]),
    );
    const denied = flows.filter((f) => !evaluator.allowed(f.src, f.dst, f.port)).map((f) => f.why);
    expect(denied).toEqual([]);
  });

  test("applications in any namespace reach the collector's OTLP ports (from its Service) and their database, nothing else", () => {
    const collectorService = services.find((s) => s.metadata.name === 'otel-collector')!;
    const otlp = collectorService.spec.ports.filter((p: any) => p.name.startsWith('otlp')).map((p: any) => p.port);
    expect(otlp.sort()).toEqual([4317, 4318]);
    for (const port of otlp) expect(evaluator.allowed(stranger, pod('otel-collector'), port)).toBe(true);
    expect(evaluator.allowed(stranger, postgres, 5432)).toBe(true);
    expect(evaluator.allowed({ namespace: postgres.namespace, labels: { app: 'task-service' } }, postgres, 5432)).toBe(true);
    // What an application must never reach directly: the stores, their metrics and the exporters.
    expect(evaluator.allowed(stranger, pod('otel-collector'), 8888)).toBe(false);
    for (const { pod: store, port } of [endpoint(backend.query), endpoint(backend.write)]) expect(evaluator.allowed(stranger, store, port)).toBe(false);
    expect(evaluator.allowed(stranger, pod('loki'), 3100)).toBe(false);
    expect(evaluator.allowed(stranger, pod('jaeger'), 16686)).toBe(false);
    expect(evaluator.allowed(stranger, pod('jaeger'), 4317)).toBe(false);
    expect(evaluator.allowed(stranger, postgres, 9187)).toBe(false);
    expect(evaluator.allowed(stranger, pod('kube-state-metrics'), 8080)).toBe(false);
    expect(evaluator.allowed(stranger, pod('gpu-exporter'), 'metrics')).toBe(false);
    // Nor may a compromised agent read the metrics store.
    for (const { pod: store, port } of [endpoint(backend.query), endpoint(backend.write)]) expect(evaluator.allowed(pod(agent), store, port)).toBe(false);
  });

  test('Grafana is reachable from an ingress controller in any namespace when grafana.ingressNamespaces is not set', () => {
    const ingress: Pod = { namespace: 'ingress-nginx', labels: { 'app.kubernetes.io/name': 'ingress-nginx' } };
    expect(evaluator.allowed(ingress, pod('grafana'), 3000)).toBe(true);
    expect(evaluator.allowed(ingress, pod('grafana'), 9999)).toBe(false);
  });

  test('DNS egress is allowed: no policy restricts egress, so every pod reaches kube-dns on 53/UDP and 53/TCP', () => {
    const dns: Pod = { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' }, ports: [{ name: 'dns', containerPort: 53, protocol: 'UDP' }] };
    for (const p of pods) {
      expect({ pod: p.owner, udp: evaluator.allowed(p, dns, 53, 'UDP'), tcp: evaluator.allowed(p, dns, 53, 'TCP') }).toEqual({
        pod: p.owner,
        udp: true,
        tcp: true,
      });
    }
    expect(policies.filter((p) => p.spec.policyTypes?.includes('Egress'))).toEqual([]);
  });
});

describe('GIVEN grafana.ingressNamespaces WHEN synthesized', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'np-ingress-'));
  const { file, config } = shippedConfigs()[0];
  synthesize({ config: configVariant(file, config.environment, [[['grafana', 'ingressNamespaces'], ['ingress-nginx']]]), out: path.join(dir, 'out') });
  const { evaluator, pod, pods } = load(path.join(dir, 'out', config.environment));
  const scraper = pods.find((p) => p.owner === metricsBackend(config).scraper.owner)!;

  test('THEN Grafana admits that namespace and the stack, and no other namespace', () => {
    expect(evaluator.allowed({ namespace: 'ingress-nginx', labels: { app: 'controller' } }, pod('grafana'), 3000)).toBe(true);
    expect(evaluator.allowed({ namespace: 'some-team', labels: { app: 'checkout' } }, pod('grafana'), 3000)).toBe(false);
    expect(evaluator.allowed(pod('deploy-annotation'), pod('grafana'), 3000)).toBe(true);
    // The scraper (Prometheus or vmagent) reads Grafana's metrics.
    expect(scraper).toBeDefined();
    expect(evaluator.allowed(scraper, pod('grafana'), 3000)).toBe(true);
  });
});
