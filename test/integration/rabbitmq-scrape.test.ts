/**
 * RabbitMQ scraping, proven on the real plugin's output: the synthesized Prometheus (the real binary, the
 * environment's whole prometheus.yml and rules) discovers a broker pod through the API, scrapes
 * /metrics/detailed as recorded from RabbitMQ 3.10.8 (test/fixtures/rabbitmq/README.md), keeps only the
 * environment's vhost, and the saga alerts evaluate on what it stored.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RABBITMQ_FAMILIES, RABBITMQ_METRICS, RABBITMQ_PROMETHEUS_PORT } from '../../src/components/rabbitmq/scrape';
import { synthesize } from '../../src/synth';
import { ruleFiles } from '../support/dist-files';
import { startFakeKubeApi } from '../support/fake-kube-api';
import { backendSwitch } from '../support/metrics-backend';
import { stopAll } from '../support/process';
import { startPrometheus } from '../support/prometheus-pods';
import { RECORDED, startBroker } from '../support/rabbitmq-recording';
import { configVariant, environments, shippedConfigOf, synthesizedShippedConfigs } from '../support/synth-fixture';

async function query(url: string, expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return ((await res.json()) as any).data.result;
}

const out = synthesizedShippedConfigs();
const withBrokers = environments(out)
  .map((env) => ({ env, ...shippedConfigOf(env) }))
  .filter(({ config }) => config.rabbitmq !== undefined);

/**
 * The environment as synthesized, or, when its config runs VictoriaMetrics (vmagent scrapes the same jobs), the
 * same config with metrics.backend "prometheus": the check below starts the real Prometheus.
 */
function prometheusEnvDir(env: string, file: string, backend: string): string {
  if (backend === 'prometheus') return path.join(out, env);
  const variantOut = fs.mkdtempSync(path.join(os.tmpdir(), 'rabbitmq-prometheus-'));
  synthesize({ config: configVariant(file, env, backendSwitch('prometheus')), out: variantOut });
  return path.join(variantOut, env);
}
/** The environments whose vhost the recording covers: the broker answers only what was recorded. */
const checked = withBrokers
  .filter(({ config }) => config.rabbitmq!.vhost in RECORDED)
  .map(({ env, file, config }) => ({ env, config, dir: prometheusEnvDir(env, file, config.metrics.backend) }));

test('the configs under test watch a broker, each environment in its own vhost, and the recording covers at least one', () => {
  const vhosts = withBrokers.map(({ config }) => config.rabbitmq!.vhost);
  expect(vhosts.length).toBeGreaterThan(0);
  expect(new Set(vhosts).size).toBe(vhosts.length);
  // Another vhost needs its own recording (test/fixtures/rabbitmq/README.md) before the real scrape below covers it.
  expect(checked.length).toBeGreaterThan(0);
});

describe.each(checked)('$env: the real Prometheus scrapes the recorded broker', ({ config, dir }) => {
  afterAll(stopAll);
  const rabbitmq = config.rabbitmq!;
  const broker = rabbitmq.brokers[0];

  test(
    'discovers the broker pod, asks for the families of its vhost, stores only that vhost, and the saga alerts\' expressions find the unconsumed queue only',
    async () => {
      const stub = await startBroker();
      const pod = {
        metadata: { name: `${broker.name}-0`, namespace: broker.namespace, uid: 'u1', labels: { app: broker.name } },
        spec: { nodeName: 'node-1', containers: [{ name: 'rabbitmq', ports: [{ name: 'prometheus', containerPort: RABBITMQ_PROMETHEUS_PORT, protocol: 'TCP' }] }] },
        status: { phase: 'Running', podIP: stub.ip, conditions: [{ type: 'Ready', status: 'True' }] },
      };
      const api = await startFakeKubeApi({ lists: { pods: [pod] } });
      try {
        const prom = await startPrometheus(dir, { kubeconfig: api.kubeconfig, alertmanager: '127.0.0.1:1' });
        const deadline = Date.now() + 90_000;
        let depth: Awaited<ReturnType<typeof query>> = [];
        while (Date.now() < deadline && depth.length === 0) {
          await new Promise((r) => setTimeout(r, 1000));
          depth = await query(prom.url, `${RABBITMQ_METRICS.depth}{job="rabbitmq"}`);
        }
        expect(depth.length).toBeGreaterThan(0);

        const asked = stub.requests[0];
        expect({ path: asked.pathname, family: asked.searchParams.getAll('family'), vhost: asked.searchParams.getAll('vhost') }).toEqual({
          path: '/metrics/detailed',
          family: [...RABBITMQ_FAMILIES],
          vhost: [rabbitmq.vhost],
        });

        // Everything stored from the broker, by name and by vhost label.
        const stored = await query(prom.url, '{job="rabbitmq", __name__=~"rabbitmq_.+"}');
        expect([...new Set(stored.map((s) => s.metric.__name__))].sort()).toEqual(Object.values(RABBITMQ_METRICS).sort());
        expect([...new Set(stored.map((s) => s.metric.vhost ?? s.metric.queue_vhost))]).toEqual([rabbitmq.vhost]);
        expect(depth[0].metric).toEqual(expect.objectContaining({ namespace: broker.namespace, pod: pod.metadata.name, app: broker.name }));
        const byQueue = Object.fromEntries(depth.map((s) => [s.metric.queue, Number(s.value[1])]));
        // As recorded: 14 in saga.orders (9 ready, 5 unacked), 6 dead letters, 7 clear.cart commands nobody consumes.
        expect(byQueue).toEqual({ 'saga.orders': 14, 'saga.orders.dlq': 6, 'cart.commands': 7 });

        // The saga alerts' expressions, as the environment's rule file has them (whichever engine evaluates them),
        // on what was stored: only the queue without a consumer breaks one.
        const rules = ruleFiles(dir).flatMap((f) => f.groups).find((g) => g.name === 'rabbitmq')!.rules;
        const breaking: Record<string, string[]> = {};
        for (const rule of rules) {
          breaking[rule.alert!] = (await query(prom.url, rule.expr)).map((s) => `${s.metric.vhost} ${s.metric.queue}`);
        }
        expect(breaking).toEqual({
          RabbitMQDeadLetterQueueGrowing: [],
          RabbitMQQueueWithoutConsumers: [`${rabbitmq.vhost} cart.commands`],
          RabbitMQConsumerUtilisationLow: [],
        });
      } finally {
        await stopAll();
        await api.close();
        await stub.close();
      }
    },
    180_000,
  );
});

