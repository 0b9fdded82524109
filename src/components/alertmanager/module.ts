import type { AlertingConfig } from '../../config/schema';
import { BuildContext, SyncWave } from '../../kit/module';
import { Alertmanager } from './alertmanager';

/** The Alertmanager that alerting.engine "prometheus" notifies, with the config's routing and receivers. */
export function alertmanager(ctx: BuildContext, alerting: AlertingConfig): Alertmanager {
  const ns = ctx.namespaces.monitoring;
  const r = alerting.receivers;
  return new Alertmanager(ctx.chart('alertmanager', ns, SyncWave.BACKENDS), 'alertmanager', {
    namespace: ns,
    ...alertRouting(alerting),
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

/** The routing both engines share (src/components/alertmanager/routing.ts). */
export function alertRouting(alerting: AlertingConfig) {
  const r = alerting.receivers;
  return { paging: alerting.paging, slackChannel: r.slackChannel, telegramChatId: r.telegramChatId, channels: alerting.channels };
}
