import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { loadConfigFile } from '../src/config/loader';
import { synthesize } from '../src/synth';
import { registerArgoCdCrds } from './support/argocd-crd';
import { loadManifestDir, validateObjects } from './support/k8s-schema';
import { addressFlows, load, scrapeFlows } from './support/network-flows';
import { toYaml } from '../src/lib/yaml';
import { REPO_ROOT } from './support/synth-fixture';

/**
 * The two scaling examples (examples/ha.yaml, examples/agent.yaml), synthesized like a user would, validated
 * strictly. Their VictoriaMetrics parts run on the real binaries in
 * test/integration/victoriametrics.test.ts.
 */
type K8sObject = { kind: string; metadata: { name: string; namespace?: string }; spec?: any; data?: Record<string, string> };

registerArgoCdCrds();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'scaling-'));
const EXAMPLES = { central: 'ha.yaml', 'edge-a': 'agent.yaml' } as const;
for (const file of Object.values(EXAMPLES)) synthesize({ config: path.join(REPO_ROOT, 'examples', file), out: path.join(work, 'out') });
const envDir = (env: keyof typeof EXAMPLES) => path.join(work, 'out', env);
/** The example's own datasources: services of the user's, outside the stack. */
const userAddresses = (env: keyof typeof EXAMPLES) =>
  loadConfigFile(path.join(REPO_ROOT, 'examples', EXAMPLES[env])).grafana.datasources.map((d) => d.url);
const objectsOf = (env: keyof typeof EXAMPLES) => loadManifestDir(envDir(env)) as K8sObject[];
const find = (objects: K8sObject[], kind: string, name: string): K8sObject => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind}/${name}`);
  return found;
};
const args = (workload: K8sObject): string[] => workload.spec.template.spec.containers[0].args;
const configData = (objects: K8sObject[], name: string, key: string) => parse(find(objects, 'ConfigMap', name).data![key]);

/** Grafana's datasource provisioning file, from whichever ConfigMap carries it. */
function grafanaDatasources(objects: K8sObject[]): { datasources: any[] } {
  const cm = objects.find((o) => o.kind === 'ConfigMap' && o.data?.['datasources.yaml'] !== undefined);
  if (!cm) throw new Error('no ConfigMap with datasources.yaml');
  return parse(cm.data!['datasources.yaml']);
}

describe.each(Object.entries(EXAMPLES))('examples/%s', (env, file) => {
  const objects = objectsOf(env as keyof typeof EXAMPLES);

  test(`${file} synthesizes objects valid against the Kubernetes 1.28 and 1.36 schemas, strictly`, () => {
    expect(objects.length).toBeGreaterThan(20);
    expect(validateObjects(objects)).toEqual([]);
  });

  test('no credential is written out: every secret value is a reference to a Secret', () => {
    const text = fs
      .readdirSync(envDir(env as keyof typeof EXAMPLES))
      .filter((f) => f.endsWith('.k8s.yaml'))
      .map((f) => fs.readFileSync(path.join(envDir(env as keyof typeof EXAMPLES), f), 'utf8'))
      .join('\n');
    // A reference is `${VAR}` (expanded by the component) or Grafana's `$__env{VAR}` / `$__file{path}`.
    expect(text).not.toMatch(/(secret_access_key|access_key_id|password):\s+(?!\$\{|\$__(env|file)\{)[^\s]+/);
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
  });
});

describe('examples/ha.yaml: the central cluster on distributed backends', () => {
  const objects = objectsOf('central');
  const ns = 'monitoring';

  test('runs the VictoriaMetrics cluster with -replicationFactor on vminsert and vmselect, each vmstorage addressed by name', () => {
    const storage = find(objects, 'StatefulSet', 'vmstorage');
    expect(storage.spec.replicas).toBe(3);
    expect(storage.spec.template.spec.containers[0].image).toBe('docker.io/victoriametrics/vmstorage:v1.151.0-cluster');
    expect(args(storage)).toContain('-retentionPeriod=90d');
    const nodes = (port: number) => [0, 1, 2].map((i) => `vmstorage-${i}.vmstorage.${ns}.svc:${port}`).join(',');
    expect(args(find(objects, 'Deployment', 'vminsert'))).toEqual(expect.arrayContaining([`-storageNode=${nodes(8400)}`, '-replicationFactor=2']));
    expect(args(find(objects, 'Deployment', 'vmselect'))).toEqual(
      expect.arrayContaining([`-storageNode=${nodes(8401)}`, '-replicationFactor=2', '-dedup.minScrapeInterval=1ms']),
    );
    expect(find(objects, 'Service', 'vmstorage').spec.clusterIP).toBe('None');
    expect(objects.some((o) => o.metadata.name === 'prometheus')).toBe(false);
  });

  test('vmalert evaluates the rule files against vmselect, writes to vminsert, and sends alerts to the stack Alertmanager', () => {
    const vmalert = find(objects, 'Deployment', 'vmalert');
    expect(args(vmalert)).toEqual(
      expect.arrayContaining([
        `-datasource.url=http://vmselect.${ns}.svc:8481/select/0/prometheus`,
        `-remoteRead.url=http://vmselect.${ns}.svc:8481/select/0/prometheus`,
        `-remoteWrite.url=http://vminsert.${ns}.svc:8480/insert/0/prometheus`,
        `-notifier.url=http://alertmanager.${ns}.svc:9093`,
        '-external.label=cluster=central',
      ]),
    );
    expect(find(objects, 'StatefulSet', 'alertmanager')).toBeDefined();
    const mounted = vmalert.spec.template.spec.volumes[0].projected.sources.map((s: any) => s.configMap.name).sort();
    const ruleFiles = fs.readdirSync(path.join(envDir('central'), 'rules')).map((f) => `vmalert-rules-${f.replace(/\.yaml$/, '')}`);
    expect(mounted).toEqual(ruleFiles.sort());
  });

  test("Grafana's Prometheus datasource and the collector's remote write follow VictoriaMetrics", () => {
    const provisioning = grafanaDatasources(objects);
    const prometheus = provisioning.datasources.find((d: any) => d.uid === 'prometheus');
    expect(prometheus.url).toBe(`http://vmselect.${ns}.svc:8481/select/0/prometheus`);
    const collector = configData(objects, 'otel-collector-config', 'config.yaml');
    expect(collector.exporters.prometheus_remote_write.endpoint).toBe(`http://vminsert.${ns}.svc:8480/insert/0/prometheus/api/v1/write`);
    expect(args(find(objects, 'StatefulSet', 'vmagent'))).toContain(
      `-remoteWrite.url=http://vminsert.${ns}.svc:8480/insert/0/prometheus/api/v1/write`,
    );
  });

  test('Loki HA: monolithic replicas on memberlist, replication_factor 3, S3 keys expanded from a Secret, multi-tenant', () => {
    const loki = find(objects, 'StatefulSet', 'loki');
    expect(loki.spec.replicas).toBe(3);
    expect(args(loki)).toEqual(expect.arrayContaining(['-target=all', '-config.expand-env=true']));
    const env = loki.spec.template.spec.containers[0].env;
    expect(env.map((e: any) => e.valueFrom.secretKeyRef.name)).toEqual(['loki-s3', 'loki-s3']);
    const config = configData(objects, 'loki-config', 'loki.yaml');
    expect(config.common.replication_factor).toBe(3);
    expect(config.common.ring.kvstore.store).toBe('memberlist');
    expect(config.memberlist.join_members).toEqual([`loki-memberlist.${ns}.svc:7946`]);
    expect(config.common.storage.s3).toMatchObject({
      bucketnames: 'central-loki-chunks',
      endpoint: 's3.eu-central-1.amazonaws.com',
      access_key_id: '${LOKI_S3_ACCESS_KEY_ID}',
      secret_access_key: '${LOKI_S3_SECRET_ACCESS_KEY}',
    });
    expect(config.schema_config.configs[0].object_store).toBe('s3');
    expect(config.compactor.delete_request_store).toBe('s3');
    expect(config.auth_enabled).toBe(true);
    const memberlist = find(objects, 'Service', 'loki-memberlist').spec;
    expect(memberlist).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true, ports: [{ port: 7946 }] });
  });

  test("Grafana reads this cluster's and the agents' Loki tenants in one multi-tenant query", () => {
    const provisioning = grafanaDatasources(objects);
    const loki = provisioning.datasources.find((d: any) => d.uid === 'loki');
    expect(loki.jsonData.httpHeaderName1).toBe('X-Scope-OrgID');
    expect(loki.secureJsonData.httpHeaderValue1).toBe('central|edge-a|edge-b');
    // The central cluster's own pushers use its own tenant.
    expect(configData(objects, 'otel-collector-config', 'config.yaml').exporters['otlp_http/loki'].headers).toEqual({ 'X-Scope-OrgID': 'central' });
  });

  test('Jaeger on OpenSearch: stateless replicas, credentials from a Secret, expanded at start', () => {
    const jaeger = find(objects, 'Deployment', 'jaeger');
    expect(jaeger.spec.replicas).toBe(2);
    const config = configData(objects, 'jaeger-config', 'config.yaml');
    expect(config.extensions.jaeger_storage.backends.traces.opensearch).toMatchObject({
      server_urls: ['https://opensearch.example.com:9200'],
      indices: { index_prefix: 'central' },
      auth: { basic: { username: '${env:JAEGER_SEARCH_USERNAME}', password: '${env:JAEGER_SEARCH_PASSWORD}' } },
    });
    const env = jaeger.spec.template.spec.containers[0].env;
    expect(env.map((e: any) => `${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`)).toEqual([
      'jaeger-opensearch/username',
      'jaeger-opensearch/password',
    ]);
  });

  test('three gateways balance traces by trace ID over the headless tail-sampling tier, which keeps errors and slow traces', () => {
    expect(find(objects, 'StatefulSet', 'otel-collector').spec.replicas).toBe(3);
    const gateway = configData(objects, 'otel-collector-config', 'config.yaml');
    expect(gateway.service.pipelines.traces.exporters).toEqual(['load_balancing/sampler']);
    expect(gateway.exporters['load_balancing/sampler']).toMatchObject({
      routing_key: 'traceID',
      resolver: { dns: { hostname: `otel-collector-sampler.${ns}.svc`, port: '4317' } },
    });
    expect(find(objects, 'Service', 'otel-collector-sampler').spec.clusterIP).toBe('None');
    expect(find(objects, 'StatefulSet', 'otel-collector-sampler').spec.replicas).toBe(3);
    const sampler = configData(objects, 'otel-collector-sampler-config', 'config.yaml');
    expect(sampler.service.pipelines.traces.processors).toEqual(['memory_limiter', 'tail_sampling']);
    expect(sampler.processors.tail_sampling.policies.map((p: any) => p.type)).toEqual(['status_code', 'latency', 'probabilistic']);
    // The latency SLO (the slo.latency.thresholdMs default) decides what counts as slow.
    expect(sampler.processors.tail_sampling.policies[1].latency.threshold_ms).toBe(200);
    expect(sampler.exporters['otlp_grpc/jaeger'].endpoint).toBe(`jaeger.${ns}.svc:4317`);
  });
});

describe('examples/agent.yaml: an agent cluster shipping to the central one', () => {
  const objects = objectsOf('edge-a');

  test('runs only collectors and exporters: no backend, no Grafana, no rules or dashboards', () => {
    const charts = fs.readdirSync(envDir('edge-a')).filter((f) => f.endsWith('.k8s.yaml'));
    expect(charts.sort()).toEqual(
      ['kube-event-exporter', 'kube-state-metrics', 'log-agent', 'namespaces', 'node-exporter', 'otel-collector', 'security', 'vmagent'].map((c) => `${c}.k8s.yaml`),
    );
    expect(fs.existsSync(path.join(envDir('edge-a'), 'rules'))).toBe(false);
    expect(fs.existsSync(path.join(envDir('edge-a'), 'dashboards'))).toBe(false);
  });

  test('vmagent remote-writes every scraped series to the central store with the cluster label', () => {
    expect(args(find(objects, 'StatefulSet', 'vmagent'))).toContain(
      '-remoteWrite.url=https://metrics.central.example.com/insert/0/prometheus/api/v1/write',
    );
    expect(configData(objects, 'vmagent-config', 'scrape.yml').global.external_labels).toEqual({ cluster: 'edge-a', environment: 'edge-a' });
  });

  test('logs go to the central Loki under the tenant edge-a, from the node agent, the event exporter and the collector', () => {
    const alloy = find(objects, 'ConfigMap', 'alloy-config').data!['config.alloy'];
    expect(alloy).toContain('url = "https://logs.central.example.com/loki/api/v1/push"');
    expect(alloy).toContain('tenant_id = "edge-a"');
    const events = configData(objects, 'kube-event-exporter-config', 'config.yaml');
    expect(events.receivers[0].loki).toMatchObject({ url: 'https://logs.central.example.com/loki/api/v1/push', headers: { 'X-Scope-OrgID': 'edge-a' } });
    const collector = configData(objects, 'otel-collector-config', 'config.yaml');
    expect(collector.exporters['otlp_http/loki']).toMatchObject({
      endpoint: 'https://logs.central.example.com/otlp',
      headers: { 'X-Scope-OrgID': 'edge-a' },
    });
  });

  test("the collector ships metrics and traces to the central endpoints, each tagged with the cluster", () => {
    const collector = configData(objects, 'otel-collector-config', 'config.yaml');
    expect(collector.exporters.prometheus_remote_write).toMatchObject({
      endpoint: 'https://metrics.central.example.com/insert/0/prometheus/api/v1/write',
      external_labels: { cluster: 'edge-a' },
    });
    expect(collector.service.pipelines.traces.exporters).toEqual(['otlp_http/central']);
    expect(collector.exporters['otlp_http/central'].endpoint).toBe('https://otlp.central.example.com');
    expect(collector.processors['resource/environment'].attributes).toContainEqual({ key: 'k8s.cluster.name', value: 'edge-a', action: 'upsert' });
  });
});

describe.each(Object.entries(EXAMPLES))('NetworkPolicies and policy of examples/%s', (env) => {
  const dir = envDir(env as keyof typeof EXAMPLES);
  const { objects, policies, evaluator, pods, services, pod } = load(dir);
  const workloads = objects.filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(o.kind)) as any[];

  test('every pod is selected for ingress, and every policy selects a pod', () => {
    expect(pods.filter((p) => evaluator.selecting(p, 'Ingress').length === 0).map((p) => p.owner)).toEqual([]);
    const stale = policies.filter((p) => !pods.some((q) => q.namespace === p.metadata.namespace && evaluator.selecting(q, 'Ingress').includes(p)));
    expect(stale.map((p) => p.metadata.name)).toEqual([]);
  });

  test("vmagent reaches every target of its scrape jobs among the stack's pods (derived from its scrape config)", () => {
    const scrape = configData(objects as any, 'vmagent-config', 'scrape.yml');
    const flows = scrapeFlows(pod('vmagent'), pods, toYaml(scrape));
    expect(flows.length).toBeGreaterThan(5);
    expect(flows.filter((f) => !evaluator.allowed(f.src, f.dst, f.port)).map((f) => f.why)).toEqual([]);
  });

  test('every in-cluster address a pod is configured with is reachable', () => {
    const flows = addressFlows(pods, services, userAddresses(env as keyof typeof EXAMPLES));
    expect(flows.filter((f) => !evaluator.allowed(f.src, f.dst, f.port)).map((f) => f.why)).toEqual([]);
  });

  test('one PodDisruptionBudget per Deployment and StatefulSet; every Service selects a pod; emptyDirs are bounded', () => {
    const pdbs = objects.filter((o) => o.kind === 'PodDisruptionBudget') as any[];
    for (const w of workloads.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')) {
      const covering = pdbs.filter(
        (p) => p.metadata.namespace === w.metadata.namespace && Object.entries(p.spec.selector.matchLabels).every(([k, v]) => w.spec.template.metadata.labels[k] === v),
      );
      expect({ w: `${w.kind}/${w.metadata.name}`, pdbs: covering.length }).toEqual({ w: `${w.kind}/${w.metadata.name}`, pdbs: 1 });
    }
    for (const s of services as any[]) {
      const selects = workloads.some(
        (w) => w.metadata.namespace === s.metadata.namespace && Object.entries(s.spec.selector).every(([k, v]) => w.spec.template.metadata.labels[k] === v),
      );
      expect({ service: s.metadata.name, selects }).toEqual({ service: s.metadata.name, selects: true });
    }
    for (const w of workloads) {
      for (const v of w.spec.template.spec.volumes ?? []) {
        if (v.emptyDir) expect({ w: w.metadata.name, v: v.name, sizeLimit: !!v.emptyDir.sizeLimit }).toEqual({ w: w.metadata.name, v: v.name, sizeLimit: true });
      }
    }
  });
});

describe('NetworkPolicies of the central cluster: the flows no address in a config shows', () => {
  const { evaluator, pod, pods, services } = load(envDir('central'));

  test('the address derivation saw the distributed backends (proof it ran on their configs)', () => {
    const pairs = new Set(addressFlows(pods, services, userAddresses('central')).map((f) => `${(f.src as any).owner} -> ${f.dst.owner}:${f.port}`));
    expect([...pairs]).toEqual(
      expect.arrayContaining([
        'StatefulSet/grafana -> Deployment/vmselect:8481',
        'StatefulSet/vmagent -> Deployment/vminsert:8480',
        'Deployment/vmalert -> Deployment/vmselect:8481',
        'Deployment/vmalert -> Deployment/vminsert:8480',
        'Deployment/vminsert -> StatefulSet/vmstorage:8400',
        'Deployment/vmselect -> StatefulSet/vmstorage:8401',
        'StatefulSet/loki -> StatefulSet/loki:7946',
        'StatefulSet/otel-collector -> Deployment/vminsert:8480',
        'StatefulSet/otel-collector-sampler -> Deployment/jaeger:4317',
      ]),
    );
  });
  const ingress = { namespace: 'ingress-nginx', labels: { 'app.kubernetes.io/name': 'ingress-nginx' } };

  test('the gateways reach the samplers, the samplers reach Jaeger, Loki replicas gossip, vminsert and vmselect reach vmstorage', () => {
    expect(evaluator.allowed(pod('otel-collector'), pod('otel-collector-sampler'), 4317)).toBe(true);
    expect(evaluator.allowed(pod('otel-collector-sampler'), pod('jaeger'), 4317)).toBe(true);
    expect(evaluator.allowed(pod('loki'), pod('loki'), 7946)).toBe(true);
    expect(evaluator.allowed(pod('vminsert'), pod('vmstorage'), 8400)).toBe(true);
    expect(evaluator.allowed(pod('vmselect'), pod('vmstorage'), 8401)).toBe(true);
    // ...and nothing else reaches vmstorage's write port.
    expect(evaluator.allowed(pod('vmselect'), pod('vmstorage'), 8400)).toBe(false);
    expect(evaluator.allowed(pod('otel-collector'), pod('jaeger'), 4317)).toBe(false);
  });

  test("the agents' traffic is admitted through an ingress controller: remote write, Loki push, OTLP/HTTP; not the stores' other ports", () => {
    expect(evaluator.allowed(ingress, pod('vminsert'), 8480)).toBe(true);
    expect(evaluator.allowed(ingress, pod('loki'), 3100)).toBe(true);
    expect(evaluator.allowed(ingress, pod('otel-collector'), 4318)).toBe(true);
    expect(evaluator.allowed(ingress, pod('vmselect'), 8481)).toBe(false);
    expect(evaluator.allowed(ingress, pod('vmstorage'), 8400)).toBe(false);
    expect(evaluator.allowed(ingress, pod('loki'), 7946)).toBe(false);
  });
});
