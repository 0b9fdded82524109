/**
 * The alert path end to end, on the real binaries at the images' versions: a loopback service exposes the
 * failures of a real incident, Prometheus (the environment's StatefulSet pod: its prometheus.yml, rule files
 * and arguments) discovers it through the Kubernetes API stand-in, scrapes it and evaluates the synthesized
 * rules, and sends to Alertmanager (its StatefulSet pod, the receivers' Secret as files), which notifies
 * loopback stand-ins for PagerDuty, Slack, Telegram and the dead man's switch.
 *
 * What each receiver gets is what `amtool config routes test` says the synthesized tree routes there; then
 * Alertmanager is restarted on its data directory: a silence made before survives, and an alert already paged
 * is not paged again before its repeat interval.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { AddressInfo } from 'net';
import { parse } from 'yaml';
import { startFakeKubeApi, FakeKubeApi } from '../support/fake-kube-api';
import { expectCleanLog, RunningProcess, startProcess, stopAll, tempDir } from '../support/process';
import { receiverSecrets, ReceiverSink, startAlertmanager, startPrometheus, StartedServer, startReceiverSink } from '../support/prometheus-pods';
import { synthesize } from '../../src/synth';
import { configVariant, environments, shippedConfigOf, synthesizedShippedConfigs } from '../support/synth-fixture';
import { requireTool, run } from '../support/tools';

jest.setTimeout(240_000);

const shipped = synthesizedShippedConfigs();
/** The shipped environments whose alerts Alertmanager delivers (the others alert through Grafana). */
const withAlertmanager = environments(shipped).filter((env) => fs.existsSync(path.join(shipped, env, 'alertmanager.k8s.yaml')));

test('at least one shipped environment runs Prometheus with Alertmanager, so the path below is exercised', () => {
  expect(withAlertmanager.length).toBeGreaterThan(0);
});

/**
 * The incident's services, declared in the catalogue as a user would: the Vault and circuit-breaker alerts
 * exist only for services that declare them, and read only theirs.
 */
const INCIDENT_NAMESPACE = 'checkout';
const INCIDENT_SERVICES = [
  { name: 'payments', namespace: INCIDENT_NAMESPACE, stack: 'go', dependencies: ['vault'] },
  // Healthy on both: must stay silent.
  { name: 'orders', namespace: INCIDENT_NAMESPACE, stack: 'go', dependencies: ['vault'], signals: { circuitBreaker: true } },
  ...['checkout', 'inventory', 'shipping'].map((name) => ({ name, namespace: INCIDENT_NAMESPACE, stack: 'go', signals: { circuitBreaker: true } })),
];

/** The environment synthesized with the incident's services added to its catalogue. */
function withIncidentServices(env: string): string {
  const { file, config } = shippedConfigOf(env);
  const variant = configVariant(file, env, [[['services'], [...config.services, ...INCIDENT_SERVICES]]]);
  const out = tempDir('alert-path-synth');
  synthesize({ config: variant, out });
  return path.join(out, env);
}

/** A loopback service exposing Prometheus text; `set` changes a series between scrapes. */
async function startFailingService(): Promise<{ port: number; set(series: string, value: number): void; close(): Promise<void> }> {
  const series = new Map<string, number>();
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    res.end([...series].map(([s, v]) => `${s} ${v}\n`).join(''));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    set: (s, v) => series.set(s, v),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The receivers the synthesized routing tree picks for these labels, by amtool. */
function routedTo(alertmanagerYml: string, labels: Record<string, string>): string[] {
  const file = path.join(tempDir('amtool-routes'), 'alertmanager.yml');
  fs.writeFileSync(file, alertmanagerYml);
  const r = run(requireTool('amtool'), ['config', 'routes', 'test', `--config.file=${file}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)]);
  if (r.code !== 0) throw new Error(`amtool config routes test: ${r.stderr}`);
  return r.stdout.trim().split(',').sort();
}

/**
 * Where the sink receives what a receiver sends: the vendors' stand-in paths (`/pagerduty`, `/telegram/bot…`,
 * `/slack`), and for a webhook the path of the URL its Secret file holds.
 */
function sinkPaths(receiver: any, secrets: Record<string, string>): string[] {
  const vendor: Record<string, string> = { pagerduty_configs: '/pagerduty', telegram_configs: '/telegram/', slack_configs: '/slack' };
  return Object.entries(receiver)
    .filter(([k]) => k !== 'name')
    .flatMap(([k, configs]) => (k === 'webhook_configs' ? (configs as any[]).map((c) => new URL(secrets[path.basename(c.url_file)]).pathname) : [vendor[k]]));
}

/** Alert names a sink request carries, among `names`. */
const namesIn = (body: string, names: readonly string[]): string[] => names.filter((n) => body.includes(n));

describe.each(withAlertmanager)('%s: a service failure travels Prometheus → Alertmanager → receivers', (env) => {
  const envDir = withIncidentServices(env);
  const namespace = INCIDENT_NAMESPACE;
  const pod = 'payments-7d9f-abcde';
  // The incident: the payments service cannot reach Vault (critical), and checkout's breaker to payments is open
  // (warning). Orders is healthy on both and must stay silent.
  const FIRING = ['VaultUnreachable', 'CircuitBreakerOpen'];
  let api: FakeKubeApi;
  let service: Awaited<ReturnType<typeof startFailingService>>;
  let sink: ReceiverSink;
  let prometheus: StartedServer;
  let alertmanager: StartedServer;
  let amConfig: string;
  let secrets: Record<string, string>;

  beforeAll(async () => {
    service = await startFailingService();
    service.set('vault_health_check_failed{service="payments"}', 1);
    service.set('vault_health_check_failed{service="orders"}', 0);
    service.set('circuit_breaker_state{service="checkout",target="payments"}', 2);
    service.set('circuit_breaker_state{service="orders",target="payments"}', 0);
    api = await startFakeKubeApi({
      lists: {
        pods: [
          {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: {
              name: pod,
              namespace,
              labels: { app: 'payments' },
              annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(service.port), 'prometheus.io/path': '/metrics' },
            },
            spec: { nodeName: 'node-a', containers: [{ name: 'payments', image: 'payments:1', ports: [{ containerPort: service.port }] }] },
            status: { phase: 'Running', podIP: '127.0.0.1', conditions: [{ type: 'Ready', status: 'True' }] },
          },
        ],
      },
    });
    sink = await startReceiverSink();
    secrets = receiverSecrets(sink.url, envDir);
    alertmanager = await startAlertmanager(envDir, { secrets: { 'alerting-receivers': secrets }, vendorApi: sink.url });
    amConfig = fs.readFileSync(alertmanager.args.find((a) => a.startsWith('--config.file='))!.slice('--config.file='.length), 'utf8');
    prometheus = await startPrometheus(envDir, { kubeconfig: api.kubeconfig, alertmanager: new URL(alertmanager.url).host });
  });

  afterAll(async () => {
    await stopAll();
    await sink?.close();
    await service?.close();
    await api?.close();
  });

  /** Prometheus' alerts of the incident's namespace: name, state and the labels that route them. */
  async function alertsOfNamespace(): Promise<Array<{ alertname: string; state: string; service: string; severity: string }>> {
    const body = (await (await fetch(`${prometheus.url}/api/v1/alerts`)).json()) as any;
    return body.data.alerts
      .filter((a: any) => a.labels.namespace === namespace)
      .map((a: any) => ({ alertname: a.labels.alertname, state: a.state, service: a.labels.service, severity: a.labels.severity }))
      .sort((a: any, b: any) => a.alertname.localeCompare(b.alertname));
  }

  test('Prometheus discovers the annotated pod, scrapes it, and fires exactly the incident\'s alerts for the failing services', async () => {
    const deadline = Date.now() + 120_000;
    let alerts = await alertsOfNamespace();
    while (Date.now() < deadline && alerts.filter((a) => a.state === 'firing').length < FIRING.length) {
      await new Promise((r) => setTimeout(r, 1_000));
      alerts = await alertsOfNamespace();
    }
    expect(alerts).toEqual([
      { alertname: 'CircuitBreakerOpen', state: 'firing', service: 'checkout', severity: 'warning' },
      { alertname: 'VaultUnreachable', state: 'firing', service: 'payments', severity: 'critical' },
    ]);
  });

  test('each receiver is notified exactly as the synthesized routing tree routes the alert, with the credentials read from the Secret\'s files', async () => {
    const amYml = parse(amConfig);
    const receiversByName = new Map<string, any>(amYml.receivers.map((r: any) => [r.name, r]));
    const sinkPathsOf = (receiver: string) => sinkPaths(receiversByName.get(receiver), secrets);
    const expected: Record<string, string[]> = {};
    for (const [alertname, labels] of [
      ['VaultUnreachable', { severity: 'critical', service: 'payments' }],
      ['CircuitBreakerOpen', { severity: 'warning', service: 'checkout' }],
    ] as const) {
      for (const receiver of routedTo(amConfig, { alertname, namespace, ...labels })) {
        for (const p of sinkPathsOf(receiver)) (expected[p] ??= []).push(alertname);
      }
    }
    // Every routed receiver has had its notification (group_wait, then Prometheus' send).
    for (const [p, names] of Object.entries(expected)) for (const n of names) await sink.waitFor(p, (r) => r.body.includes(n), 90_000);
    // The dead man's switch gets Watchdog, which Prometheus evaluates always.
    const heartbeat = JSON.parse((await sink.waitFor('/deadman', (r) => r.body.includes('Watchdog'), 90_000)).body);
    expect(heartbeat.alerts.map((a: any) => a.labels.alertname)).toEqual(['Watchdog']);
    await new Promise((r) => setTimeout(r, 2_000));
    const received: Record<string, string[]> = {};
    for (const p of Object.keys(expected)) received[p] = sink.requests.filter((r) => r.path.startsWith(p)).flatMap((r) => namesIn(r.body, FIRING)).sort();
    expect(received).toEqual(Object.fromEntries(Object.entries(expected).map(([p, n]) => [p, [...n].sort()])));
    // Nothing about the healthy service reached anyone.
    expect(sink.requests.filter((r) => /"orders"|service="orders"|service: orders/.test(r.body))).toEqual([]);
    // PagerDuty, when routed, got the routing key from its Secret file; Telegram the bot token in its URL.
    for (const r of sink.requests.filter((x) => x.path.startsWith('/pagerduty'))) expect(JSON.parse(r.body).routing_key).toBe(secrets['pagerduty-routing-key']);
    for (const r of sink.requests.filter((x) => x.path.startsWith('/telegram/'))) expect(r.path).toBe(`/telegram/bot${secrets['telegram-bot-token']}/sendMessage`);
  });

  test('a critical alert inhibits its warning twin: the warning\'s receivers hear nothing of it, the critical\'s are notified', async () => {
    const startsAt = new Date().toISOString();
    const twin = (severity: string) => ({ labels: { alertname: 'DiskAlmostFull', severity, namespace, service: 'ledger', pod: 'ledger-0', instance: 'ledger-0:9100' }, annotations: { summary: `ledger disk (${severity})` }, startsAt });
    const res = await fetch(`${alertmanager.url}/api/v2/alerts`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify([twin('critical'), twin('warning')]) });
    expect(res.status).toBe(200);
    const amYml = parse(amConfig);
    const pathsOf = (labels: Record<string, string>) =>
      routedTo(amConfig, labels).flatMap((receiver) => sinkPaths(amYml.receivers.find((r: any) => r.name === receiver), secrets));
    const base = { alertname: 'DiskAlmostFull', namespace, service: 'ledger' };
    const criticalPaths = pathsOf({ ...base, severity: 'critical' });
    const warningOnly = pathsOf({ ...base, severity: 'warning' }).filter((p) => !criticalPaths.includes(p));
    expect(warningOnly.length).toBeGreaterThan(0);
    for (const p of criticalPaths) await sink.waitFor(p, (r) => r.body.includes('ledger disk (critical)'), 90_000);
    await new Promise((r) => setTimeout(r, 5_000));
    expect(sink.requests.filter((r) => r.body.includes('ledger disk (warning)')).map((r) => r.path)).toEqual([]);
  });

  test('restarted on its data directory, Alertmanager keeps a silence and pages nothing again before the repeat interval, while a new unsilenced alert still arrives', async () => {
    // A silence for the breaker of another service, before that breaker opens.
    const now = new Date();
    const silence = await fetch(`${alertmanager.url}/api/v2/silences`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        matchers: [
          { name: 'alertname', value: 'CircuitBreakerOpen', isRegex: false, isEqual: true },
          { name: 'service', value: 'inventory', isRegex: false, isEqual: true },
        ],
        startsAt: now.toISOString(),
        endsAt: new Date(now.getTime() + 3_600_000).toISOString(),
        createdBy: 'alert-path test',
        comment: 'inventory breaker under maintenance',
      }),
    });
    expect(silence.status).toBe(200);
    const { silenceID } = (await silence.json()) as any;
    const before = sink.requests.length;

    await alertmanager.proc.stop();
    const restarted: RunningProcess = startProcess(`${alertmanager.proc.name} restarted`, requireTool('alertmanager'), alertmanager.args);
    await restarted.waitForHttp(`${alertmanager.url}/-/ready`, 60_000);
    const silences = ((await (await fetch(`${alertmanager.url}/api/v2/silences`)).json()) as any[]).map((x) => ({ id: x.id, state: x.status.state }));
    expect(silences).toEqual([{ id: silenceID, state: 'active' }]);

    // Two breakers open: inventory's (silenced) and shipping's (not).
    service.set('circuit_breaker_state{service="inventory",target="payments"}', 2);
    service.set('circuit_breaker_state{service="shipping",target="payments"}', 2);
    const shippingRoutes = routedTo(amConfig, { alertname: 'CircuitBreakerOpen', severity: 'warning', namespace, service: 'shipping' });
    const firstPath = sinkPaths(parse(amConfig).receivers.find((r: any) => r.name === shippingRoutes[0]), secrets)[0];
    await sink.waitFor(firstPath, (r) => sink.requests.indexOf(r) >= before && r.body.includes('shipping'), 120_000);
    // Prometheus re-sends the still-firing VaultUnreachable to the restarted Alertmanager (its resend delay is a
    // minute); once it is there, give its group the route's group_wait, and a little more, to notify if it would.
    const deadline = Date.now() + 120_000;
    const vaultAlerts = async () => ((await (await fetch(`${alertmanager.url}/api/v2/alerts?filter=alertname%3D%22VaultUnreachable%22`)).json()) as any[]).length;
    while ((await vaultAlerts()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1_000));
    expect(await vaultAlerts()).toBe(1);
    const groupWait = parse(amConfig).route.group_wait as string;
    await new Promise((r) => setTimeout(r, (Number(/^(\d+)s$/.exec(groupWait)![1]) + 5) * 1_000));
    const after = sink.requests.slice(before);
    // The inventory alert's labels, not its name inside the rule's expression (each alert's source link).
    expect(after.filter((r) => /service\W{1,6}inventory/.test(r.body))).toEqual([]);
    // Other alerts of the empty test cluster (absent() of components it does not run) may page meanwhile: only
    // the incident's page counts.
    expect(after.filter((r) => r.body.includes('VaultUnreachable')).map((r) => r.path)).toEqual([]);
    expectCleanLog(restarted.name, restarted.log());
    await restarted.stop();
  });

  test('Prometheus and Alertmanager logged no error, warning or deprecation', () => {
    expectCleanLog(prometheus.proc.name, prometheus.proc.log());
    expectCleanLog(alertmanager.proc.name, alertmanager.proc.log());
  });
});
