import { Alertmanager } from '../components/alertmanager/alertmanager';
import { alertmanagerConfig } from '../components/alertmanager/alertmanager-config';
import type { RoutingOptions } from '../components/alertmanager/routing';
import { DATASOURCE } from '../kit/datasources';
import { BuildContext, SyncWave } from '../kit/module';
import { toYaml } from '../lib/yaml';
import type { AlertingConfig } from './config';
import { grafanaAlerting, grafanaSmtpEnv } from './grafana-provisioning';
import { RenderedRuleGroup } from '../kit/rule-model';

/** Where the rules are evaluated and the alerts routed. */
export interface AlertEvaluation {
  /** What the metrics backend evaluates: every group, or only the recording rules when Grafana evaluates the alerts. */
  readonly metricsBackendRuleGroups: RenderedRuleGroup[];
  /** `host:port` of the Alertmanager to notify; empty when Grafana evaluates the alerts. */
  readonly alertmanagers: string[];
  /** Grafana's alerting provisioning files and the Secret its receivers read; undefined with Alertmanager. */
  readonly grafana?: { files: Record<string, string>; secretName: string; secretDir: string; env: Array<{ name: string; value: string }> };
  /** Files for dist/<env>/: the Alertmanager config, or Grafana's alerting provisioning. */
  readonly files: ReadonlyMap<string, string>;
}

/**
 * Evaluation and routing, per `alerting.engine`:
 * - prometheus: the metrics backend evaluates every group and sends to the Alertmanager deployed here;
 * - grafana: the metrics backend keeps only the recording rules (the alerts query their series), and
 *   Grafana evaluates the alerts, with contact points and the policy from provisioning files.
 * The same routing policy drives both (src/components/alertmanager/routing.ts).
 */
export function alertEvaluation(
  ctx: BuildContext,
  config: RoutingConfig,
  groups: RenderedRuleGroup[],
): AlertEvaluation {
  const a = config.alerting;
  if (a.engine === 'prometheus') {
    const am = alertmanager(ctx, config);
    return {
      metricsBackendRuleGroups: groups,
      alertmanagers: [new URL(am.url).host],
      files: new Map([['alertmanager/alertmanager.yml', am.configYaml]]),
    };
  }
  const r = a.receivers;
  const secretDir = '/etc/grafana/secrets/alerting';
  const files = grafanaAlerting(groups, {
    datasourceUid: DATASOURCE.prometheus.uid,
    folder: 'Platform alerts',
    interval: ctx.evaluationInterval,
    routing: alertRouting(config),
    secretDir,
    keys: {
      pagerdutyRoutingKey: r.pagerdutyRoutingKeyKey,
      slackWebhookUrl: r.slackWebhookUrlKey,
      telegramBotToken: r.telegramBotTokenKey,
      deadmanWebhookUrl: r.deadmanWebhookUrlKey,
    },
  });
  const yamlFiles = {
    'rules.yaml': toYaml(files.rules),
    'contact-points.yaml': toYaml(files.contactPoints),
    'policies.yaml': toYaml(files.policies),
  };
  const recordingOnly = groups
    .map((g) => ({ ...g, rules: g.rules.filter((rule) => 'record' in rule) }))
    .filter((g) => g.rules.length > 0);
  return {
    metricsBackendRuleGroups: recordingOnly,
    alertmanagers: [],
    grafana: { files: yamlFiles, secretName: r.secretName, secretDir, env: grafanaSmtpEnv(alertRouting(config), secretDir) },
    files: new Map(Object.entries(yamlFiles).map(([name, text]) => [`grafana-alerting/${name}`, text])),
  };
}

/**
 * metrics.backend "prometheus-operator": the operator's Prometheus evaluates every group and notifies the
 * Alertmanager it already has, so no Alertmanager is deployed here. A second one would never be notified: which
 * Alertmanagers that Prometheus sends to is set in its own Prometheus object, which belongs to the user's
 * kube-prometheus-stack release. Nor is the routing written as an AlertmanagerConfig object: the operator adds a
 * `namespace="<its namespace>"` matcher to each (alertmanagerConfigMatcherStrategy OnNamespace, the default), so
 * alerts of the nodes, of other namespaces and of the applications would bypass every route. The routing tree is
 * written instead as dist/<env>/alertmanager/alertmanager.yml, the same policy as in Prometheus mode, for
 * kube-prometheus-stack's `alertmanager.config`, with the receivers' Secret listed in
 * `alertmanager.alertmanagerSpec.secrets` (mounted at /etc/alertmanager/secrets/<name>/).
 */
export function operatorAlertRouting(config: RoutingConfig, groups: RenderedRuleGroup[]): AlertEvaluation {
  const r = config.alerting.receivers;
  const yaml = toYaml(
    alertmanagerConfig({
      ...alertRouting(config),
      secretDir: `/etc/alertmanager/secrets/${r.secretName}`,
      keys: {
        pagerdutyRoutingKey: r.pagerdutyRoutingKeyKey,
        slackWebhookUrl: r.slackWebhookUrlKey,
        telegramBotToken: r.telegramBotTokenKey,
        deadmanWebhookUrl: r.deadmanWebhookUrlKey,
      },
    }),
  );
  return { metricsBackendRuleGroups: groups, alertmanagers: [], files: new Map([['alertmanager/alertmanager.yml', yaml]]) };
}

/** The Alertmanager that alerting.engine "prometheus" notifies, with the config's routing and receivers. */
function alertmanager(ctx: BuildContext, config: RoutingConfig): Alertmanager {
  const alerting = config.alerting;
  const ns = ctx.namespaces.monitoring;
  const r = alerting.receivers;
  return new Alertmanager(ctx.chart('alertmanager', ns, SyncWave.BACKENDS), 'alertmanager', {
    namespace: ns,
    ...alertRouting(config),
    secret: {
      name: r.secretName,
      pagerdutyRoutingKeyKey: r.pagerdutyRoutingKeyKey,
      slackWebhookUrlKey: r.slackWebhookUrlKey,
      telegramBotTokenKey: r.telegramBotTokenKey,
      deadmanWebhookUrlKey: r.deadmanWebhookUrlKey,
    },
    retention: alerting.alertmanager.retention,
    storageSize: alerting.alertmanager.storage.size,
    storageClassName: alerting.alertmanager.storage.storageClassName,
    resources: alerting.alertmanager.resources,
  });
}

/** What routing reads from the config: the alerting section, and the catalogue's teams. */
type RoutingConfig = { readonly alerting: AlertingConfig; readonly services: ReadonlyArray<{ readonly name: string; readonly team?: string }> };

/** The routing both engines share (src/components/alertmanager/routing.ts). */
function alertRouting(config: RoutingConfig): RoutingOptions {
  const alerting = config.alerting;
  const r = alerting.receivers;
  return {
    paging: alerting.paging,
    slackChannel: r.slackChannel,
    telegramChatId: r.telegramChatId,
    channels: alerting.channels,
    teams: alerting.teams.map((t) => ({
      name: t.name,
      services: config.services.filter((s) => s.team === t.name).map((s) => s.name),
      severities: { critical: t.critical, warning: t.warning, info: t.info },
    })),
    timeIntervals: alerting.timeIntervals,
    smtp: r.email,
  };
}
