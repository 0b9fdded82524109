import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Testing } from 'cdk8s';
import { parse, parseAllDocuments } from 'yaml';
import { parseConfig } from '../src/config/loader';
import { Stack } from '../src/stack';
import { ruleFiles } from './support/dist-files';
import { deprecatedFlags } from './support/prometheus-pods';
import { ALERTING_TELEGRAM_CHAT, alertmanagerEnvDirs, synthesizedWithAlerting } from './support/alerting-variants';
import { environments, listFiles, minimalConfig, shippedConfigs, synthesizedShippedConfigs, shippedConfigOf } from './support/synth-fixture';
import { requireTool, run } from './support/tools';
import { sharedSloBranches } from './support/slo-records';

const out = synthesizedShippedConfigs();

const TELEGRAM_CHAT = ALERTING_TELEGRAM_CHAT;
const PROD = synthesizedWithAlerting('prometheus', true);
const QA = synthesizedWithAlerting('grafana', false);

const BASE = `${minimalConfig()}services:
  - name: gateway
    namespace: platform-services
    stack: go
    httpVocabulary: opentelemetry-ms
    dependencies: [vault, debezium]
  - name: order-service
    namespace: go-ecommerce
    stack: go
    saga: true
`;

function stackOf(extra: string) {
  const app = new App({ outdir: Testing.app().outdir });
  const stack = new Stack(app, 'stack', parseConfig(BASE + extra, 'test.yaml'), { sourceIdentity: '0000000', argocd: new App() });
  const objects = app.charts.flatMap((c) => c.toJson()) as any[];
  return { stack, objects };
}

function manifests(envDir: string): any[] {
  return fs
    .readdirSync(envDir)
    .filter((f) => f.endsWith('.k8s.yaml'))
    .flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(envDir, f), 'utf8')).map((d) => d.toJS()))
    .filter(Boolean);
}

/** Writes a config to a temp file and returns `amtool config routes test` for the given labels. */
function routesFor(configYaml: string, labels: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amtool-'));
  const file = path.join(dir, 'alertmanager.yml');
  fs.writeFileSync(file, configYaml);
  const result = run(requireTool('amtool'), ['config', 'routes', 'test', `--config.file=${file}`, ...labels]);
  return result.stdout.trim();
}

const prodAm = () => fs.readFileSync(path.join(PROD, 'alertmanager', 'alertmanager.yml'), 'utf8');
const CHANNEL = `  channels:
    - name: system.health
      webhook: { urlKey: system-health-webhook-url }
      alerts: [VaultUnreachable, CDCLagCritical]
      pagerdutySource: platform-kernel
`;
/** Alertmanager's config with a system.health webhook channel for two alerts. */
const channelAm = (paging: boolean) =>
  stackOf(`alerting:\n  paging: ${paging}\n${CHANNEL}  receivers:\n    telegramChatId: -1001\n`).stack.files.get('alertmanager/alertmanager.yml')!;
/** QA routes with Alertmanager: the shipped QA config with the other engine, so its routing is checked by amtool too. */
const qaAm = () => stackOf('alerting:\n  paging: false\n  receivers:\n    telegramChatId: -1001\n').stack.files.get('alertmanager/alertmanager.yml')!;

const AM_ENVS = alertmanagerEnvDirs();

function amtoolCheck(configYaml: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amtool-'));
  fs.writeFileSync(path.join(dir, 'alertmanager.yml'), configYaml);
  return run(requireTool('amtool'), ['check-config', path.join(dir, 'alertmanager.yml')]);
}


test('every environment and example that runs Alertmanager is checked: engine prometheus, and the ha example', () => {
  const expected = shippedConfigs()
    .filter(({ config }) => config.alerting.engine === 'prometheus' && config.topology.role !== 'agent')
    .map(({ config }) => config.environment);
  expect(AM_ENVS.map(([env]) => env).sort()).toEqual([...expected, 'central'].sort());
});

describe.each(AM_ENVS)('Alertmanager of %s', (_env, envDir) => {
  const configYaml = () => fs.readFileSync(path.join(envDir, 'alertmanager', 'alertmanager.yml'), 'utf8');

  test('the ConfigMap Alertmanager reads is the reviewed dist/ file, and amtool check-config accepts it', () => {
    const cm = manifests(envDir).find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'alertmanager-config');
    expect(cm.data['alertmanager.yml']).toBe(configYaml());
    const result = amtoolCheck(configYaml());
    expect({ code: result.code, out: result.code === 0 ? '' : result.stdout + result.stderr }).toEqual({ code: 0, out: '' });
    expect(result.stdout).toMatch(/1 inhibit rules/);
    expect((result.stdout + result.stderr).split('\n').filter((l) => /warn|deprecat/i.test(l))).toEqual([]);
  });

  test('no container flag is one that alertmanager --help marks deprecated, and no container but Alertmanager is in the pod', () => {
    const sts = manifests(envDir).find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'alertmanager');
    const spec = sts.spec.template.spec;
    expect([...(spec.initContainers ?? []), ...spec.containers].map((c: any) => c.name)).toEqual(['alertmanager']);
    const deprecated = deprecatedFlags('alertmanager');
    expect(spec.containers[0].args.filter((a: string) => deprecated.some((f) => a === `--${f}` || a.startsWith(`--${f}=`)))).toEqual([]);
  });

});

describe('Alertmanager (engine prometheus, prod)', () => {
  test('amtool check-config fails on a broken config (the check can fail)', () => {
    expect(amtoolCheck(prodAm().replace('receiver: telegram', 'receiver: nowhere')).code).not.toBe(0);
  });

  test.each([
    [['severity=critical', 'alertname=ErrorRateCritical'], 'pagerduty,telegram'],
    [['severity=warning', 'alertname=P99LatencyWarning'], 'slack-infra,telegram'],
    [['severity=info', 'alertname=Something'], 'telegram'],
    [['severity=info', 'alertname=Watchdog'], 'deadman'],
  ])('GIVEN prod WHEN an alert with %j is routed THEN it goes to %s', (labels, receivers) => {
    expect(routesFor(prodAm(), labels)).toBe(receivers);
  });

  test.each([
    [['severity=critical', 'alertname=CDCLagCritical'], 'system.health,pagerduty,telegram'],
    [['severity=critical', 'alertname=VaultUnreachable'], 'system.health,pagerduty,telegram'],
    // Not listed by the channel: its severity's routes only.
    [['severity=critical', 'alertname=WALBloatCritical'], 'pagerduty,telegram'],
    [['severity=warning', 'alertname=P99LatencyWarning'], 'slack-infra,telegram'],
    [['severity=info', 'alertname=Watchdog'], 'deadman'],
  ])('GIVEN a webhook channel for two alerts WHEN an alert with %j is routed THEN it goes to %s', (labels, receivers) => {
    expect(routesFor(channelAm(true), labels)).toBe(receivers);
  });

  test('GIVEN a webhook channel and paging: false WHEN its alert is routed THEN it goes to the channel and chat, never to PagerDuty', () => {
    expect(routesFor(channelAm(false), ['severity=critical', 'alertname=CDCLagCritical'])).toBe('system.health,slack-infra,telegram');
    expect(channelAm(false)).not.toMatch(/pagerduty/i);
  });

  test("GIVEN a channel's webhook WHEN rendered THEN its URL is a file of the mounted Secret, and PagerDuty's source is the channel's for its alerts only", () => {
    const config = parse(channelAm(true));
    expect(amtoolCheck(channelAm(true)).code).toBe(0);
    const byName = Object.fromEntries(config.receivers.map((r: any) => [r.name, r]));
    expect(byName['system.health']).toEqual({
      name: 'system.health',
      webhook_configs: [{ url_file: '/etc/alertmanager/secrets/system-health-webhook-url', send_resolved: true }],
    });
    expect(byName.pagerduty.pagerduty_configs[0].source).toBe(
      '{{ if match "^(CDCLagCritical|VaultUnreachable)$" .CommonLabels.alertname }}platform-kernel{{ else }}{{ template "pagerduty.default.client" . }}{{ end }}',
    );
  });

  test.each([
    [['severity=critical', 'alertname=ErrorRateCritical'], 'slack-infra,telegram'],
    [['severity=warning', 'alertname=P99LatencyWarning'], 'slack-infra,telegram'],
    [['severity=info', 'alertname=Watchdog'], 'deadman'],
  ])('GIVEN paging: false (QA) WHEN an alert with %j is routed THEN it goes to %s, never to PagerDuty', (labels, receivers) => {
    expect(routesFor(qaAm(), labels)).toBe(receivers);
  });

  test('GIVEN paging: false THEN no PagerDuty receiver exists at all, and amtool accepts the config', () => {
    const config = parse(qaAm());
    expect(config.receivers.map((r: any) => r.name)).not.toContain('pagerduty');
    expect(qaAm()).not.toMatch(/pagerduty/i);
    expect(amtoolCheck(qaAm()).code).toBe(0);
  });

  test('a critical alert inhibits its warning twin (same alert name and identifying labels)', () => {
    expect(parse(prodAm()).inhibit_rules).toEqual([
      {
        source_matchers: ['severity="critical"'],
        target_matchers: ['severity="warning"'],
        equal: ['alertname', 'namespace', 'service', 'pod', 'instance'],
      },
    ]);
  });

  test('every credential is a file path under the mounted Secret, which is mounted read-only into the pod', () => {
    const config = parse(prodAm());
    const byName = Object.fromEntries(config.receivers.map((r: any) => [r.name, r]));
    expect(byName.pagerduty.pagerduty_configs[0].routing_key_file).toBe('/etc/alertmanager/secrets/pagerduty-routing-key');
    expect(byName['slack-infra'].slack_configs[0]).toEqual(
      expect.objectContaining({ api_url_file: '/etc/alertmanager/secrets/slack-webhook-url', channel: '#infra' }),
    );
    expect(byName.telegram.telegram_configs[0].bot_token_file).toBe('/etc/alertmanager/secrets/telegram-bot-token');
    expect(byName.deadman.webhook_configs).toEqual([{ url_file: '/etc/alertmanager/secrets/deadman-webhook-url', send_resolved: false }]);
    const sts = manifests(PROD).find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'alertmanager');
    expect(sts.spec.template.spec.volumes).toEqual(
      expect.arrayContaining([{ name: 'secrets', secret: { secretName: 'alerting-receivers', defaultMode: 0o440 } }]),
    );
    expect(sts.spec.template.spec.containers[0].volumeMounts).toEqual(
      expect.arrayContaining([{ name: 'secrets', mountPath: '/etc/alertmanager/secrets', readOnly: true }]),
    );
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('1Gi');
    expect(sts.spec.template.spec.containers[0].image).toBe('quay.io/prometheus/alertmanager:v0.33.0');
  });

  test('Prometheus sends its alerts to the Alertmanager Service', () => {
    const prom = manifests(PROD).find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'prometheus-config');
    expect(parse(prom.data['prometheus.yml']).alerting).toEqual({
      alertmanagers: [{ api_version: 'v2', static_configs: [{ targets: [`alertmanager.${shippedConfigs()[0].config.namespaces.monitoring}.svc:9093`] }] }],
    });
  });
});

describe('rule files against vmalert (the rules are also valid MetricsQL)', () => {
  test.each(environments(out).filter((e) => fs.existsSync(path.join(out, e, 'rules'))))('vmalert -dryRun accepts every rule file of %s', (env) => {
    const files = ruleFiles(path.join(out, env)).map((f) => f.file);
    const result = run(requireTool('vmalert'), ['-dryRun', ...files.map((f) => `-rule=${f}`)]);
    expect({ code: result.code, out: result.code === 0 ? '' : result.stderr.split('\n').filter((l) => /error|fatal/i.test(l)).join('\n') }).toEqual({
      code: 0,
      out: '',
    });
  });
});

describe('Grafana unified alerting (engine grafana, qa)', () => {
  const file = (name: string) => parse(fs.readFileSync(path.join(QA, 'grafana-alerting', name), 'utf8'));
  const objects = manifests(QA);
  const datasources = parse(objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'grafana-provisioning').data['datasources.yaml'])
    .datasources as any[];

  test('there is no Alertmanager, and Prometheus keeps only the recording rules (the alerts are Grafana-managed)', () => {
    expect(objects.find((o) => o.metadata?.name === 'alertmanager')).toBeUndefined();
    const ruleMaps = objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('prometheus-rules-'));
    const rules = ruleMaps.flatMap((cm) => Object.values(cm.data).flatMap((y: any) => parse(y).groups.flatMap((g: any) => g.rules)));
    expect(rules.length).toBeGreaterThan(0);
    expect(rules.filter((r: any) => r.alert)).toEqual([]);
    expect(ruleFiles(QA).flatMap((f) => f.groups.flatMap((g) => g.rules.filter((r) => r.alert))).length).toBeGreaterThan(20);
  });

  test('every alert of the rule files is a Grafana rule with the same expression, for, labels and annotations', () => {
    const alerts = ruleFiles(QA).flatMap((f) => f.groups.flatMap((g) => g.rules.filter((r) => r.alert).map((r): Record<string, any> => ({ group: g.name, ...r }))));
    const rules = file('rules.yaml').groups.flatMap((g: any) => g.rules.map((r: any) => ({ group: g.name, ...r })));
    expect(rules.length).toBe(alerts.length);
    for (const a of alerts) {
      const match = rules.find(
        (r: any) => r.group === a.group && r.title.split(' ')[0] === a.alert && JSON.stringify(r.labels) === JSON.stringify(a.labels),
      );
      expect({ alert: a.alert, found: !!match }).toEqual({ alert: a.alert, found: true });
      expect(match.data[0].model.expr).toBe(a.expr);
      expect(match.for).toBe(a.for ?? '0s');
      expect(match.annotations).toEqual(a.annotations);
    }
  });

  test('every rule: unique uid of at most 40 characters, its condition refId exists, every datasource uid exists', () => {
    const uids = new Set(datasources.map((d) => d.uid));
    const rules = file('rules.yaml').groups.flatMap((g: any) => g.rules);
    const ruleUids = rules.map((r: any) => r.uid);
    expect(new Set(ruleUids).size).toBe(ruleUids.length);
    for (const r of rules) {
      expect(r.uid).toMatch(/^[A-Za-z0-9_-]{1,40}$/);
      expect(r.data.map((d: any) => d.refId)).toContain(r.condition);
      for (const d of r.data) expect({ rule: r.title, ok: d.datasourceUid === '__expr__' || uids.has(d.datasourceUid) }).toEqual({ rule: r.title, ok: true });
      // Grafana expands $VAR in labels (not in annotations): a $ there would be eaten.
      expect(JSON.stringify(r.labels)).not.toContain('$');
    }
    const titles = file('rules.yaml').groups.flatMap((g: any) => g.rules.map((r: any) => `${g.folder}/${r.title}`));
    expect(new Set(titles).size).toBe(titles.length);
    // Routing matches Watchdog by name: Grafana's alertname is the title.
    expect(rules.filter((r: any) => r.title === 'Watchdog')).toHaveLength(1);
  });

  test('file-provisioning shape: apiVersion 1, groups with orgId, name, folder and interval', () => {
    const rules = file('rules.yaml');
    expect(rules.apiVersion).toBe(1);
    for (const g of rules.groups) expect(Object.keys(g).sort()).toEqual(['folder', 'interval', 'name', 'orgId', 'rules']);
  });

  test('the policy routes like Alertmanager, QA has no PagerDuty contact point, and every receiver it names exists', () => {
    const channels = shippedConfigOf('qa').config.alerting.channels;
    const cps = file('contact-points.yaml').contactPoints;
    const names = cps.map((c: any) => c.name);
    expect(names.sort()).toEqual(['deadman', 'slack-infra', 'telegram', ...channels.map((c) => c.name)].sort());
    const policy = file('policies.yaml').policies[0];
    expect(policy.receiver).toBe('telegram');
    expect(policy.routes).toEqual([
      expect.objectContaining({ receiver: 'deadman', object_matchers: [['alertname', '=', 'Watchdog']] }),
      ...channels.map((c) => ({ receiver: c.name, object_matchers: [['alertname', '=~', [...c.alerts].sort().join('|')]], continue: true })),
      expect.objectContaining({ receiver: 'slack-infra', object_matchers: [['severity', '=', 'critical']], continue: true }),
      expect.objectContaining({ receiver: 'slack-infra', object_matchers: [['severity', '=', 'warning']], continue: true }),
      { receiver: 'telegram' },
    ]);
    for (const r of policy.routes) expect(names).toContain(r.receiver);
  });

  test("GIVEN a webhook channel WHEN engine grafana THEN it is a webhook contact point on the Secret's file, and PagerDuty's source is the channel's for its alerts", () => {
    const { stack } = stackOf(`alerting:\n  engine: grafana\n${CHANNEL}`);
    const cps = parse(stack.files.get('grafana-alerting/contact-points.yaml')!).contactPoints;
    expect(cps.find((c: any) => c.name === 'system.health')).toEqual({
      orgId: 1,
      name: 'system.health',
      receivers: [
        {
          uid: 'cp-system-health',
          type: 'webhook',
          settings: { url: '$__file{/etc/grafana/secrets/alerting/system-health-webhook-url}', httpMethod: 'POST' },
          disableResolveMessage: false,
        },
      ],
    });
    expect(cps.find((c: any) => c.name === 'pagerduty').receivers[0].settings.source).toBe(
      '{{ if match "^(CDCLagCritical|VaultUnreachable)$" .CommonLabels.alertname }}platform-kernel{{ else }}Grafana{{ end }}',
    );
    const policy = parse(stack.files.get('grafana-alerting/policies.yaml')!).policies[0];
    expect(policy.routes[1]).toEqual({ receiver: 'system.health', object_matchers: [['alertname', '=~', 'CDCLagCritical|VaultUnreachable']], continue: true });
  });

  test.each([
    [`  channels:\n    - { name: system.health, webhook: { urlKey: k }, alerts: [CdcLagCritical] }\n`, /alerting\.channels\[0\]\.alerts\[0\]: "CdcLagCritical" is not an alert of the stack; known alerts: .*CDCLagCritical/],
    [`  channels:\n    - { name: pagerduty, webhook: { urlKey: k }, alerts: [CDCLagCritical] }\n`, /alerting\.channels\[0\]\.name: "pagerduty" is already a receiver of the platform/],
    [`  channels:\n    - { name: a, alerts: [CDCLagCritical] }\n`, /alerting\.channels\[0\]: has no endpoint; set webhook/],
  ])('fails if a channel is wrong: %s', (yaml, message) => {
    expect(() => parseConfig(`${BASE}alerting:\n${yaml}`, 'test.yaml')).toThrow(message);
  });

  test('contact point credentials come only from $__file{} of the mounted Secret', () => {
    const cps = file('contact-points.yaml').contactPoints;
    const telegram = cps.find((c: any) => c.name === 'telegram').receivers[0];
    expect(telegram.settings).toEqual({ bottoken: '$__file{/etc/grafana/secrets/alerting/telegram-bot-token}', chatid: String(TELEGRAM_CHAT) });
    expect(cps.find((c: any) => c.name === 'slack-infra').receivers[0].settings.url).toBe('$__file{/etc/grafana/secrets/alerting/slack-webhook-url}');
    const deadman = cps.find((c: any) => c.name === 'deadman').receivers[0];
    // Like Alertmanager's: the heartbeat URL from the Secret, and no "resolved" post that would count as a heartbeat.
    expect(deadman).toEqual(
      expect.objectContaining({ type: 'webhook', settings: { url: '$__file{/etc/grafana/secrets/alerting/deadman-webhook-url}', httpMethod: 'POST' }, disableResolveMessage: true }),
    );
    expect(cps.filter((c: any) => c.receivers[0].disableResolveMessage).map((c: any) => c.name)).toEqual(['deadman']);
    const sts = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'grafana');
    const mounts = sts.spec.template.spec.containers[0].volumeMounts;
    expect(mounts).toEqual(
      expect.arrayContaining([
        { name: 'alerting', mountPath: '/etc/grafana/provisioning/alerting', readOnly: true },
        { name: 'alerting-secrets', mountPath: '/etc/grafana/secrets/alerting', readOnly: true },
      ]),
    );
  });

  test('GIVEN paging WHEN engine grafana THEN critical goes to the PagerDuty contact point', () => {
    const { stack } = stackOf('alerting:\n  engine: grafana\n');
    const policy = parse(stack.files.get('grafana-alerting/policies.yaml')!).policies[0];
    expect(policy.routes[1]).toEqual(expect.objectContaining({ receiver: 'pagerduty', object_matchers: [['severity', '=', 'critical']] }));
    // Without a Telegram chat, chat is Slack.
    expect(policy.receiver).toBe('slack-infra');
  });
});

describe('per-alert settings from the config', () => {
  const rule = (stack: Stack, name: string) => stack.ruleGroups.flatMap((g) => g.rules).find((r: any) => r.alert === name) as any;

  test('GIVEN a threshold and a `for` override WHEN synthesized THEN the expression and description use them', () => {
    const { stack } = stackOf('alerting:\n  rules:\n    ErrorRateCritical:\n      for: 3m\n      thresholds:\n        ratio: 0.05\n');
    const r = rule(stack, 'ErrorRateCritical');
    expect(r.expr).toMatch(/> 0\.05$/);
    expect(r.for).toBe('3m');
    expect(r.annotations.description).toContain('(limit 0.05)');
  });

  test('GIVEN enabled: false on a component alert WHEN synthesized THEN it is gone, and its group keeps the others', () => {
    const { stack } = stackOf('alerting:\n  rules:\n    TargetDown:\n      enabled: false\n    GpuTemperatureHigh:\n      severity: critical\n');
    expect(rule(stack, 'TargetDown')).toBeUndefined();
    expect(rule(stack, 'Watchdog')).toBeDefined();
  });

  test('fails if an override names an alert that does not exist, listing the valid ones', () => {
    expect(() => parseConfig(`${BASE}alerting:\n  rules:\n    ErrorRateCritcal:\n      enabled: false\n`, 'test.yaml')).toThrow(
      /test\.yaml: alerting\.rules\.ErrorRateCritcal: no alert "ErrorRateCritcal" exists; valid alerts: .*ErrorRateCritical.*Watchdog.* \(line \d+\)/,
    );
  });

  test('fails if an override names a threshold the alert does not have, listing its thresholds', () => {
    expect(() => parseConfig(`${BASE}    kafkaConsumers: [{ groupId: orders, topics: [ecommerce.orders] }]\nalerting:\n  rules:\n    KafkaConsumerLagHigh:\n      thresholds:\n        lag: 5\n`, 'test.yaml')).toThrow(
      /alerting\.rules\.KafkaConsumerLagHigh\.thresholds\.lag: alert "KafkaConsumerLagHigh" has no threshold "lag"; its thresholds: messages/,
    );
  });

  test('fails if the engine is neither prometheus nor grafana', () => {
    expect(() => parseConfig(`${BASE}alerting:\n  engine: vmalert\n`, 'test.yaml')).toThrow(/alerting\.engine: expected one of "prometheus", "grafana", got "vmalert" \(line \d+\)/);
  });

  test('GIVEN a catalogue service with its own targets WHEN synthesized THEN its SLO recordings use them, in its vocabulary', () => {
    const { stack } = stackOf('slo:\n  errorRatio: 0.002\n');
    const slo = stack.ruleGroups.find((g) => g.name === 'slo')!.rules as any[];
    const mine = (service: string, kind: string, record: string) =>
      slo.find((r) => r.labels?.service === service && r.labels?.slo === kind && r.record === record);
    expect(mine('gateway', 'availability', 'namespace_service_slo:slo_objective:ratio').expr).toBe('vector(0.998)');
    // The rates are recorded for all services of the same shape in one branch of the SLO's rule.
    const [gatewayErrors, ...more] = sharedSloBranches(slo, 'namespace_service_slo:slo_errors:rate5m', { name: 'gateway', namespace: 'platform-services' }, 'availability');
    expect(more).toEqual([]);
    expect(gatewayErrors).toMatch(/rate\(http_server_requests_total\{namespace=~"[^"]+", app=~"[^"]+", status_code=~"5.."\}\[5m\]\)/);
    // 200 ms in a seconds histogram lies between the 0.1 and 0.25 buckets: interpolated as histogram_quantile does.
    const [slow] = sharedSloBranches(slo, 'namespace_service_slo:slo_errors:rate5m', { name: 'order-service', namespace: 'go-ecommerce' }, 'latency');
    expect(slow).toMatch(/^(.|\n)*sum by \(namespace, app\) \(rate\(http_request_duration_seconds_count\{[^}]+\}\[5m\]\)\) - \(/);
    expect(slow).toContain('le=~"0.1"}[5m])) * 0.333333 + ');
    expect(slow).toContain('le=~"0.25"}[5m])) * 0.666667');
    expect(slo.filter((r) => r.alert).map((r) => r.alert)).toEqual(['SloErrorBudgetBurnFast']);
  });
});

/**
 * Values that look like credentials: tokens, keys, webhook URLs with secrets, passwords.
 * Each pattern names what it catches; the test shows the file and the match.
 */
const CREDENTIAL_PATTERNS: Array<[string, RegExp]> = [
  ['Telegram bot token', /\b\d{8,10}:[A-Za-z0-9_-]{35}\b/],
  ['Slack webhook URL', /hooks\.slack\.com\/(services|workflows)\/[A-Za-z0-9/]+/],
  ['Slack token', /\bxox[abposr]-[A-Za-z0-9-]{10,}/],
  ['PagerDuty integration key', /\b(routing_key|service_key|integrationKey|integration_key)["']?\s*[:=]\s*["']?[a-f0-9]{32}\b/],
  ['private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['AWS access key', /\bAKIA[0-9A-Z]{16}\b/],
  ['GitHub token', /\bgh[pousr]_[A-Za-z0-9]{36}\b/],
  ['Grafana service account token', /\bglsa_[A-Za-z0-9_]{32,}/],
  ['JWT', /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/],
  ['URL with a password', /[a-z]+:\/\/[^\s/:@"']+:[^\s/@"'$]+@/],
  [
    'inline secret value',
    /\b(password|passwd|secret|token|api_key|apikey|bot_token|bottoken|routing_key|api_url|webhook_url|url)["']?[:=]\s*["']?(?!\$__(file|env)\{)(?!__[A-Z_]+__)(?!\/)(?![^\s"']*\.svc\b)(?!https?:\/\/(github\.com|kubernetes\.default\.svc))[A-Za-z0-9+/_=.:-]{16,}/i,
  ],
];

function credentialFindings(text: string): string[] {
  return CREDENTIAL_PATTERNS.flatMap(([what, re]) => {
    const m = re.exec(text);
    return m ? [`${what}: ${m[0]}`] : [];
  });
}

describe('no credentials in the synthesized output', () => {
  test('every file under dist/<env>/ is free of credential-looking values', () => {
    const findings = listFiles(out).flatMap((f) => credentialFindings(fs.readFileSync(path.join(out, f), 'utf8')).map((x) => `${f}: ${x}`));
    expect(findings).toEqual([]);
    expect(listFiles(out).length).toBeGreaterThan(50);
  });

  test.each([
    ['bot_token: 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0'],
    ['api_url: https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX'],
    ['routing_key: 0123456789abcdef0123456789abcdef'],
    ['password: hunter2hunter2hunter2'],
    ['url: postgres://user:s3cret@db:5432/x'],
    ['bottoken: "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"'],
  ])('fails if a file holds a credential: %s', (line) => {
    expect(credentialFindings(`a: 1\n${line}\n`)).not.toEqual([]);
  });
});
