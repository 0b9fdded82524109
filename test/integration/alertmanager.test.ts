import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { expectCleanLog, stopAll } from '../support/process';
import { postAlerts, receiverSecrets, startAlertmanager, startReceiverSink } from '../support/prometheus-pods';
import { alertmanagerEnvDirs, synthesizedWithAlerting } from '../support/alerting-variants';
import { shippedConfigOf } from '../support/synth-fixture';

/**
 * Alertmanager 0.33 started with each synthesized alertmanager.yml, its container arguments and the Secret's
 * files: Watchdog reaches the dead man's switch, and production's routes deliver to every receiver with the
 * credentials from the files. (test/alerting.test.ts checks the same files with amtool.)
 */
const PROD = synthesizedWithAlerting('prometheus', true);
const prodAm = () => fs.readFileSync(path.join(PROD, 'alertmanager', 'alertmanager.yml'), 'utf8');
const prodConfig = () => shippedConfigOf('prod').config;

afterAll(stopAll);

describe.each(alertmanagerEnvDirs())('Alertmanager of %s', (_env, envDir) => {
  test(
    'Alertmanager starts with it, its container arguments and the Secret\'s files, and Watchdog reaches the dead man\'s switch at once; no error, warning or deprecation in its log',
    async () => {
      const sink = await startReceiverSink();
      try {
        const am = await startAlertmanager(envDir, { secrets: { 'alerting-receivers': receiverSecrets(sink.url, envDir) }, vendorApi: sink.url });
        await postAlerts(am.url, [{ alertname: 'Watchdog', severity: 'info' }]);
        const heartbeat = JSON.parse((await sink.waitFor('/deadman', () => true, 15_000)).body);
        expect({ receiver: heartbeat.receiver, alerts: heartbeat.alerts.map((a: any) => a.labels.alertname) }).toEqual({ receiver: 'deadman', alerts: ['Watchdog'] });
        expectCleanLog('alertmanager', am.proc.log());
      } finally {
        await stopAll();
        await sink.close();
      }
    },
    90_000,
  );
});

describe('Alertmanager (engine prometheus, prod)', () => {
  test(
    'GIVEN the running prod Alertmanager WHEN a critical, a warning, an info and each channel\'s alert arrive THEN each receiver is notified as routed, with the credentials from the Secret\'s files',
    async () => {
      const sink = await startReceiverSink();
      try {
        const secrets = receiverSecrets(sink.url, PROD);
        const am = await startAlertmanager(PROD, { secrets: { 'alerting-receivers': secrets }, vendorApi: sink.url });
        // The notification channels of the config under test, each with the first alert it lists.
        const channels = prodConfig().alerting.channels.map((c) => ({ ...c, alert: c.alerts[0] }));
        const channelAlerts = channels.map((c) => c.alert);
        const names = ['ErrorRateCritical', 'P99LatencyWarning', 'SomethingInfo', ...channelAlerts];
        await postAlerts(am.url, [
          { alertname: 'ErrorRateCritical', severity: 'critical', namespace: 'a' },
          { alertname: 'P99LatencyWarning', severity: 'warning', namespace: 'a' },
          { alertname: 'SomethingInfo', severity: 'info', namespace: 'a' },
          ...channelAlerts.map((alertname) => ({ alertname, severity: 'critical', namespace: 'a' })),
        ]);
        // group_wait is 30 s for everything but Watchdog.
        const pd = JSON.parse((await sink.waitFor('/pagerduty', (r) => r.body.includes('ErrorRateCritical'), 60_000)).body);
        expect({ key: pd.routing_key, summary: pd.payload.summary, source: pd.payload.source }).toEqual({
          key: secrets['pagerduty-routing-key'],
          summary: expect.stringContaining('ErrorRateCritical'),
          // Alertmanager's default: its client name.
          source: 'Alertmanager',
        });
        for (const channel of channels) {
          const hook = JSON.parse((await sink.waitFor(`/${channel.webhook!.urlKey}`, (r) => r.body.includes(channel.alert), 15_000)).body);
          // Alertmanager 0.33 regex-quotes the receiver name in its payloads (template.Data's Receiver): system\.health.
          const quoted = channel.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          expect({ receiver: hook.receiver, alerts: hook.alerts.map((a: any) => a.labels.alertname) }).toEqual({ receiver: quoted, alerts: [channel.alert] });
          const paged = JSON.parse((await sink.waitFor('/pagerduty', (r) => r.body.includes(channel.alert), 15_000)).body);
          expect(paged.payload.source).toBe(channel.pagerdutySource ?? 'Alertmanager');
        }
        const slack = await sink.waitFor('/slack', () => true, 15_000);
        expect(JSON.parse(slack.body).channel).toBe('#infra');
        const chatId = parse(prodAm()).receivers.find((r: any) => r.name === 'telegram').telegram_configs[0].chat_id;
        const tokenPath = `/telegram/bot${secrets['telegram-bot-token']}/sendMessage`;
        for (const alertname of ['ErrorRateCritical', 'P99LatencyWarning', 'SomethingInfo']) {
          const msg = await sink.waitFor(tokenPath, (r) => r.body.includes(alertname), 15_000);
          expect(JSON.parse(msg.body).chat_id).toBe(String(chatId));
        }
        const sent = (p: string) =>
          sink.requests
            .filter((r) => r.path.startsWith(p))
            .map((r) => names.filter((n) => r.body.includes(n)))
            .sort();
        expect({ pagerduty: sent('/pagerduty'), slack: sent('/slack'), deadman: sent('/deadman') }).toEqual({
          pagerduty: [['ErrorRateCritical'], ...channelAlerts.map((a) => [a])].sort(),
          slack: [['P99LatencyWarning']],
          deadman: [],
        });
        expectCleanLog('alertmanager', am.proc.log());
      } finally {
        await stopAll();
        await sink.close();
      }
    },
    120_000,
  );
});
