import { backendSwitch } from './support/metrics-backend';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { durationSeconds, sizeBytes } from '../src/lib/units';
import { toYaml } from '../src/lib/yaml';
import { synthesize } from '../src/synth';
import { prometheusYaml } from './support/dist-files';
import { FakeKubeApi, startFakeKubeApi } from './support/fake-kube-api';
import { loadManifestDir } from './support/k8s-schema';
import { loopbackPod } from './support/loopback-pod';
import { expectCleanLog, stopAll } from './support/process';
import {
  deprecatedFlags,
  flagValue,
  receiverSecrets,
  ReceiverSink,
  startAlertmanager,
  startPrometheus,
  startReceiverSink,
  StartedServer,
} from './support/prometheus-pods';
import { configVariant, environments, shippedConfigOf, shippedConfigs, shippedEnvironments, synthesizedExamples, synthesizedShippedConfigs } from './support/synth-fixture';
import { requireTool, run } from './support/tools';

/**
 * Every synthesized prometheus.yml is checked by the Prometheus it is written for, at the image's version:
 * `promtool check config` on the whole file, Kubernetes discovery included; then the server itself starts
 * with it and its container's arguments (paths and addresses moved to loopback and temp directories only),
 * discovers through a stand-in API server, evaluates its rules, and logs no error, warning or deprecation.
 */
const out = synthesizedShippedConfigs();
const examples = synthesizedExamples();
const ENV_DIRS = [...environments(out).map((e) => path.join(out, e)), ...environments(examples).map((e) => path.join(examples, e))];
const SHIPPED_PROMETHEUS_ENVS = ENV_DIRS.filter((d) => fs.existsSync(path.join(d, 'prometheus.k8s.yaml')));

/** When no config under test runs Prometheus, the first one with metrics.backend "prometheus", synthesized. */
function prometheusVariant(): string {
  const { file, config } = shippedConfigs()[0];
  const variantOut = fs.mkdtempSync(path.join(os.tmpdir(), 'prometheus-variant-'));
  synthesize({ config: configVariant(file, config.environment, backendSwitch('prometheus')), out: variantOut });
  return path.join(variantOut, config.environment);
}
const PROMETHEUS_ENVS = SHIPPED_PROMETHEUS_ENVS.length > 0 ? SHIPPED_PROMETHEUS_ENVS : [prometheusVariant()];

afterAll(stopAll);

test('every environment whose config runs Prometheus is checked (the examples run VictoriaMetrics)', () => {
  const expected = shippedConfigs()
    .filter(({ config }) => config.metrics.backend === 'prometheus' && config.topology.role !== 'agent')
    .map(({ config }) => config.environment);
  expect(SHIPPED_PROMETHEUS_ENVS.filter((d) => d.startsWith(out)).map((d) => path.basename(d)).sort()).toEqual(expected.sort());
  expect(SHIPPED_PROMETHEUS_ENVS.filter((d) => d.startsWith(examples))).toEqual([]);
  expect(ENV_DIRS.map((d) => path.basename(d)).sort()).toEqual([...shippedEnvironments(), 'central', 'edge-a'].sort());
});

/** The parsed config an environment was synthesized from (only shipped configs run Prometheus). */
function shippedConfig(env: string) {
  return shippedConfigOf(env).config;
}

/** prometheus.yml with the pod's mounts (config, rule ConfigMaps, service account) at temp paths; nothing else changed. */
function checkableConfig(envDir: string): string {
  const pod = loopbackPod(loadManifestDir(envDir) as any[], 'prometheus');
  const file = flagValue(pod.args, 'config.file');
  fs.writeFileSync(file, toYaml(pod.rewritePaths(parse(fs.readFileSync(file, 'utf8')))));
  return file;
}

function promtoolCheckConfig(file: string) {
  return run(requireTool('promtool'), ['check', 'config', file]);
}

/** The API collection each discovery role reads. */
const ROLE_RESOURCES: Record<string, { group: string; resource: string }> = {
  pod: { group: '/api/v1', resource: 'pods' },
  node: { group: '/api/v1', resource: 'nodes' },
  service: { group: '/api/v1', resource: 'services' },
  endpoints: { group: '/api/v1', resource: 'endpoints' },
  endpointslice: { group: '/apis/discovery.k8s.io/v1', resource: 'endpointslices' },
  ingress: { group: '/apis/networking.k8s.io/v1', resource: 'ingresses' },
};

/** Every collection the config's `kubernetes_sd_configs` must list or watch: per namespace when it names some. */
function discoveredCollections(config: any): string[] {
  const paths = config.scrape_configs.flatMap((job: any) =>
    (job.kubernetes_sd_configs ?? []).flatMap((sd: any) => {
      const { group, resource } = ROLE_RESOURCES[sd.role];
      const namespaces: string[] | undefined = sd.namespaces?.names;
      // Nodes are cluster-scoped; any other role without namespaces watches all of them.
      return sd.role === 'node' || !namespaces ? [`${group}/${resource}`] : namespaces.map((ns) => `${group}/namespaces/${ns}/${resource}`);
    }),
  );
  return [...new Set<string>(paths)].sort();
}

/** The collections of `expected` that the API has seen no GET (list or watch) of within `timeoutMs`. */
async function unrequested(api: FakeKubeApi, expected: string[], timeoutMs = 30_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  const missing = () => expected.filter((p) => !api.requests.some((r) => r.startsWith(`GET ${p}?`)));
  while (Date.now() < deadline && missing().length > 0) await new Promise((r) => setTimeout(r, 200));
  return missing();
}

/** Rule groups as Prometheus reports them, once every group evaluated at least every minute has run. */
async function evaluatedGroups(url: string, timeoutMs = 90_000): Promise<any[]> {
  const deadline = Date.now() + timeoutMs;
  let groups: any[] = [];
  while (Date.now() < deadline) {
    groups = ((await (await fetch(`${url}/api/v1/rules`)).json()) as any).data.groups;
    const pending = groups.filter((g) => g.interval <= 60 && g.lastEvaluation.startsWith('0001-'));
    if (groups.length > 0 && pending.length === 0) return groups;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`rule groups not evaluated within ${timeoutMs} ms: ${groups.filter((g) => g.lastEvaluation.startsWith('0001-')).map((g) => g.name).join(', ')}`);
}

describe.each(PROMETHEUS_ENVS.map((d): [string, string] => [path.basename(d), d]))('prometheus.yml of %s', (env, envDir) => {
  const text = prometheusYaml(envDir);

  test('promtool check config accepts the whole file, Kubernetes discovery and the mounted rule files included', () => {
    const result = promtoolCheckConfig(checkableConfig(envDir));
    expect({ code: result.code, output: result.code === 0 ? '' : result.stdout + result.stderr }).toEqual({ code: 0, output: '' });
    expect(result.stdout).toMatch(/SUCCESS: \d+ rule files found/);
    expect((result.stdout + result.stderr).split('\n').filter((l) => /warn|deprecat/i.test(l))).toEqual([]);
  });

  test('no flag of the container is one that prometheus --help marks deprecated; retention is in prometheus.yml', () => {
    const deprecated = deprecatedFlags('prometheus');
    // The parse finds the flags Prometheus 3.13 deprecated, so an empty list cannot pass by accident.
    expect(deprecated).toEqual(expect.arrayContaining(['storage.tsdb.retention.time', 'storage.tsdb.retention.size']));
    const args: string[] = loopbackPod(loadManifestDir(envDir) as any[], 'prometheus').container.args;
    expect(args.filter((a) => deprecated.some((f) => a === `--${f}` || a.startsWith(`--${f}=`)))).toEqual([]);
    const retention = parse(text).storage.tsdb.retention;
    const configured = shippedConfig(env).prometheus;
    expect(retention.time).toBe(configured.retention);
    // Prometheus' GB are powers of two, like the config's Gi.
    expect(Number(/^(\d+)GB$/.exec(retention.size)?.[1]) * 2 ** 30).toBe(sizeBytes(configured.retentionSize));
  });

  test(
    'Prometheus starts with it and its container arguments, discovers through the API, evaluates its rules and logs no error, warning or deprecation',
    async () => {
      const api = await startFakeKubeApi();
      let sink: ReceiverSink | undefined;
      try {
        const alerting = parse(text).alerting !== undefined;
        let alertmanager: string | undefined;
        let am: StartedServer | undefined;
        if (alerting) {
          // Alerts go to the environment's own Alertmanager, whose dead man's switch must hear Watchdog.
          sink = await startReceiverSink();
          am = await startAlertmanager(envDir, { secrets: { 'alerting-receivers': receiverSecrets(sink.url, envDir) }, vendorApi: sink.url });
          alertmanager = new URL(am.url).host;
        }
        const prom = await startPrometheus(envDir, { kubeconfig: api.kubeconfig, alertmanager });
        expect(flagValue(prom.args, 'storage.tsdb.path').startsWith(os.tmpdir())).toBe(true);

        const collections = discoveredCollections(prom.config);
        expect(collections).toEqual(expect.arrayContaining(['/api/v1/nodes', '/api/v1/pods']));
        expect(await unrequested(api, collections)).toEqual([]);

        // The retention Prometheus applies is the one of the file, not its defaults.
        const retention = prom.config.storage.tsdb.retention;
        const applied = /msg="TSDB retention updated" duration=(\S+) size=(\d+)GiB/.exec(prom.proc.log());
        expect(applied && { seconds: durationSeconds(applied[1]), gib: `${applied[2]}GB` }).toEqual({ seconds: durationSeconds(retention.time), gib: retention.size });
        // …and what PrometheusStorageNearRetentionSize divides by.
        const metrics = await (await fetch(`${prom.url}/metrics`)).text();
        const limit = /^prometheus_tsdb_retention_limit_bytes (\S+)$/m.exec(metrics)?.[1];
        expect(Number(limit)).toBe(Number(/^(\d+)GB$/.exec(retention.size)![1]) * 2 ** 30);

        const groups = await evaluatedGroups(prom.url);
        const failing = groups.flatMap((g) => g.rules.filter((r: any) => r.health === 'err').map((r: any) => `${g.name}/${r.name}: ${r.lastError}`));
        expect(failing).toEqual([]);

        if (sink) {
          const heartbeat = await sink.waitFor('/deadman', (r) => JSON.parse(r.body).alerts.some((a: any) => a.labels.alertname === 'Watchdog'), 60_000);
          expect(JSON.parse(heartbeat.body).receiver).toBe('deadman');
        }
        // A few more scrapes and evaluations, then the log as it stands (shutdown itself logs at warn level).
        await new Promise((r) => setTimeout(r, 5_000));
        expectCleanLog('prometheus', prom.proc.log());
        if (am) expectCleanLog('alertmanager', am.proc.log());
      } finally {
        await stopAll();
        await api.close();
        await sink?.close();
      }
    },
    180_000,
  );

  test('scrapes annotated pods, every exporter and backend of the stack, the kubelet (cAdvisor, volume stats) and itself at the configured interval', () => {
    const config = parse(text);
    const configured = shippedConfig(env);
    // metrics.scrapeInterval, or its deprecated spelling prometheus.scrapeInterval when a config still writes that.
    expect(config.global.scrape_interval).toBe(configured.prometheus.scrapeInterval ?? configured.metrics.scrapeInterval);
    expect(config.scrape_configs.map((j: any) => j.job_name).sort()).toEqual(
      [
        ...(configured.gpu.enabled ? ['gpu-exporter'] : []),
        'jaeger',
        'kube-event-exporter',
        'kube-state-metrics',
        'kubelet',
        'kubelet-cadvisor',
        'kubernetes-pods',
        'loki',
        'node-exporter',
        'otel-collector',
        'prometheus',
        configured.logs.agent,
        // A broker the config declares (rabbitmq.brokers).
        ...(configured.rabbitmq ? ['rabbitmq'] : []),
      ].sort(),
    );
    const pods = config.scrape_configs.find((j: any) => j.job_name === 'kubernetes-pods');
    const sources = pods.relabel_configs.flatMap((r: any) => r.source_labels ?? []);
    for (const annotation of ['scrape', 'port', 'path', 'scheme']) {
      expect(sources).toContain(`__meta_kubernetes_pod_annotation_prometheus_io_${annotation}`);
    }
    expect(config.global.external_labels).toEqual({ cluster: configured.cluster, environment: configured.environment });
  });
});

describe('the checks can fail', () => {
  test('promtool rejects a misspelled scrape field', () => {
    const file = checkableConfig(PROMETHEUS_ENVS[0]);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('relabel_configs:', 'relabel_config:'));
    const result = promtoolCheckConfig(file);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/relabel_config/);
  });

  test('promtool rejects a discovery role that does not exist', () => {
    const file = checkableConfig(PROMETHEUS_ENVS[0]);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('role: node', 'role: nodes'));
    const result = promtoolCheckConfig(file);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/role/);
  });
});
