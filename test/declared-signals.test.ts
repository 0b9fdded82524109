/**
 * Signals follow declarations: the alerts a config gets are those of the Kubernetes cluster, the stack itself,
 * the components it runs, and what its catalogue services declare (dependencies, signals, Kafka consumers, the
 * opentelemetry-ms HTTP vocabulary, sagas, webhooks). Nothing declared, no alert about it.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { platformKernelAlertTests } from '../src/alerting/platform-rules.alert-tests';
import { declaredSignals, kubernetesRules } from '../src/alerting/platform-rules';
import { loadConfigFile } from '../src/config/loader';
import { StackConfig } from '../src/config/schema';
import { synthesize } from '../src/synth';
import { ruleFiles } from './support/dist-files';
import { promtoolTest } from './support/promtool-alert-tests';
import { configVariant, minimalConfig, shippedConfigOf, shippedEnvironments } from './support/synth-fixture';

/** The alerts of each declaration, by what declares it. */
const PACKS: Record<keyof ReturnType<typeof declaredSignals>, readonly string[]> = {
  http: ['ErrorRateCritical', 'P99LatencyWarning'],
  debezium: ['CDCLagCritical', 'WALBloatCritical'],
  vault: ['VaultUnreachable'],
  kafkaConsumers: ['KafkaConsumerLagHigh'],
  circuitBreaker: ['CircuitBreakerOpen'],
  heartbeat: ['WorkerHeartbeatMissed'],
};
const PACK_ALERTS = Object.values(PACKS).flat();

/** Synthesizes one config file and returns its environment's directory. */
function synthesized(file: string): string {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'declared-signals-'));
  const [summary] = synthesize({ config: file, out });
  return path.join(out, summary.environment);
}

/** Synthesizes one config file and returns its rule groups. */
function groupsOf(file: string): Array<{ name: string; alerts: Array<{ alert: string; expr: string }> }> {
  return ruleFiles(synthesized(file)).flatMap((f) =>
    f.groups.map((g) => ({ name: g.name, alerts: g.rules.filter((r) => r.alert).map((r) => ({ alert: r.alert!, expr: r.expr })) })),
  );
}
const alertNames = (groups: ReturnType<typeof groupsOf>) => new Set(groups.flatMap((g) => g.alerts.map((a) => a.alert)));
const minus = (a: Set<string>, b: Set<string>) => [...a].filter((x) => !b.has(x)).sort();

/** A config with only the required fields. */
const MINIMAL = minimalConfig('minimal').split('\n');

/** The pack alerts a catalogue's declarations imply. */
function declaredPackAlerts(config: StackConfig): string[] {
  const declared = declaredSignals(config.services);
  return Object.entries(PACKS)
    .filter(([pack]) => declared[pack as keyof typeof PACKS].length > 0)
    .flatMap(([, alerts]) => alerts)
    .sort();
}

describe('a minimal config (environment, cluster, repository, Grafana credentials; no services)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minimal-config-'));
  const file = path.join(dir, 'minimal.yaml');
  fs.writeFileSync(file, MINIMAL.join('\n'));
  const groups = groupsOf(file);
  const alerts = alertNames(groups);

  test('gets the Kubernetes alerts and PodNotReady', () => {
    const kubernetes = kubernetesRules().rules.flatMap((r) => ('alert' in r ? [r.alert] : []));
    expect(kubernetes.length).toBeGreaterThan(0);
    expect(minus(new Set([...kubernetes, 'PodNotReady']), alerts)).toEqual([]);
    expect(groups.find((g) => g.name === 'platform-kernel')?.alerts.map((a) => a.alert)).toEqual(['PodNotReady']);
  });

  test('gets the stack self-monitoring alerts', () => {
    expect(groups.find((g) => g.name === 'stack-self-monitoring')?.alerts.length).toBeGreaterThan(0);
  });

  test('gets no SLO, saga or webhook alert (no service declares one) and no declared pack', () => {
    expect(groups.map((g) => g.name).filter((n) => /^(slo|saga|webhooks)/.test(n))).toEqual([]);
    expect(PACK_ALERTS.filter((a) => alerts.has(a))).toEqual([]);
  });

  test('no alert names or reads Vault, a heartbeat, Debezium, a circuit breaker or Kafka', () => {
    const naming = groups
      .flatMap((g) => g.alerts)
      .filter((a) => /vault|heartbeat|debezium|cdc|replication_slot|circuit|kafka/i.test(`${a.alert} ${a.expr}`))
      .map((a) => a.alert);
    expect(naming).toEqual([]);
  });
});

describe('a catalogue with two workers whose heartbeats have different gauges and bounds, and declarations in two namespaces', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'two-workers-'));
  const file = path.join(dir, 'workers.yaml');
  fs.writeFileSync(
    file,
    [
      ...MINIMAL,
      'services:',
      '  - { name: billing, namespace: payments, stack: go, dependencies: [vault], signals: { heartbeat: { metric: billing_run_last_seconds, maxAgeSeconds: 300 } } }',
      '  - name: mailer',
      '    namespace: mail',
      '    stack: python',
      '    dependencies: [vault]',
      '    signals: { circuitBreaker: true, heartbeat: { metric: mailer_queue_heartbeat_seconds, maxAgeSeconds: 90 } }',
      '    kafkaConsumers: [{ groupId: mail.outbox, topics: [mail.outbox] }]',
      '',
    ].join('\n'),
  );
  const config = loadConfigFile(file);

  test('gets the packs it declares and the cases written for it pass promtool, each worker at its own bound', () => {
    expect(declaredPackAlerts(config)).toEqual(['CircuitBreakerOpen', 'KafkaConsumerLagHigh', 'VaultUnreachable', 'WorkerHeartbeatMissed']);
    const tests = platformKernelAlertTests.forConfig(config);
    expect(tests.cases.filter((c) => c.checks.some((k) => k.alert === 'WorkerHeartbeatMissed')).length).toBe(4);
    const result = promtoolTest(synthesized(file), tests);
    expect({ code: result.code, output: result.code === 0 ? '' : result.stdout + result.stderr }).toEqual({ code: 0, output: '' });
  });
});

describe.each(shippedEnvironments())('%s', (env) => {
  const { file, config } = shippedConfigOf(env);
  const shipped = groupsOf(file);
  const shippedAlerts = alertNames(shipped);

  test('gets exactly the pack alerts its catalogue declares', () => {
    expect(PACK_ALERTS.filter((a) => shippedAlerts.has(a)).sort()).toEqual(declaredPackAlerts(config));
  });

  test('without Kafka consumers, loses KafkaConsumerLagHigh and nothing else', () => {
    const variant = configVariant(file, env, [[['services'], config.services.map((s) => ({ ...s, kafkaConsumers: [] }))]]);
    const alerts = alertNames(groupsOf(variant));
    expect(config.services.some((s) => s.kafkaConsumers.length > 0)).toBe(true);
    expect({ lost: minus(shippedAlerts, alerts), gained: minus(alerts, shippedAlerts) }).toEqual({ lost: PACKS.kafkaConsumers, gained: [] });
    expect(declaredPackAlerts(loadConfigFile(variant))).not.toContain('KafkaConsumerLagHigh');
  });

  test('without PostgreSQL (no postgres section, no service database, no Debezium), loses the PostgreSQL and CDC alerts and nothing else', () => {
    // A channel naming a CDC alert would now name an alert the environment lacks, which synth refuses.
    const channels = config.alerting.channels
      .map((c) => ({ ...c, alerts: c.alerts.filter((a) => !PACKS.debezium.includes(a)) }))
      .filter((c) => c.alerts.length > 0);
    const variant = configVariant(file, env, [
      [['postgres'], undefined],
      [['alerting', 'channels'], channels],
      [
        ['services'],
        config.services.map(({ database: _database, jmx, ...s }) => ({
          ...s,
          dependencies: s.dependencies.filter((d) => d !== 'debezium'),
          ...(jmx ? { jmx: { ...jmx, debezium: false } } : {}),
        })),
      ],
    ]);
    const alerts = alertNames(groupsOf(variant));
    // What PostgreSQL brought: its own groups' alerts (the component's), and the CDC pack that reads its WAL.
    const postgresAlerts = shipped.filter((g) => g.name.startsWith('postgres')).flatMap((g) => g.alerts.map((a) => a.alert));
    expect(postgresAlerts.length).toBeGreaterThan(0);
    const expected = [...new Set([...postgresAlerts, ...(declaredSignals(config.services).debezium.length > 0 ? PACKS.debezium : [])])].sort();
    expect({ lost: minus(shippedAlerts, alerts), gained: minus(alerts, shippedAlerts) }).toEqual({ lost: expected, gained: [] });
  });
});
