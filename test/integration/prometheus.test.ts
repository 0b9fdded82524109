import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { durationSeconds } from '../../src/lib/units';
import { prometheusYaml } from '../support/dist-files';
import { FakeKubeApi, startFakeKubeApi } from '../support/fake-kube-api';
import { expectCleanLog, stopAll } from '../support/process';
import { flagValue, receiverSecrets, ReceiverSink, startAlertmanager, startPrometheus, startReceiverSink, StartedServer } from '../support/prometheus-pods';
import { prometheusEnvDirs } from '../support/prometheus-envs';

/**
 * Prometheus started with each synthesized prometheus.yml and its container's arguments (paths and addresses
 * moved to loopback and temp directories only): it discovers through a stand-in API server, applies the file's
 * retention, evaluates every rule group without error, sends Watchdog to the environment's Alertmanager, and
 * logs no error, warning or deprecation. (test/prometheus-config.test.ts checks the same files with promtool.)
 */
const PROMETHEUS_ENVS = prometheusEnvDirs().checked;

afterAll(stopAll);

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

describe.each(PROMETHEUS_ENVS.map((d): [string, string] => [path.basename(d), d]))('Prometheus with the prometheus.yml of %s', (_env, envDir) => {
  const text = prometheusYaml(envDir);

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
});
