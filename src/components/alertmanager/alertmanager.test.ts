import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import { Alertmanager } from './alertmanager';

const SECRET = {
  name: 'alerting-receivers',
  pagerdutyRoutingKeyKey: 'pagerduty-routing-key',
  slackWebhookUrlKey: 'slack-webhook-url',
  telegramBotTokenKey: 'telegram-bot-token',
  deadmanWebhookUrlKey: 'deadman-webhook-url',
};

function synth(opts: { paging?: boolean; telegramChatId?: number } = {}) {
  const chart = Testing.chart();
  const am = new Alertmanager(chart, 'am', {
    namespace: 'monitoring',
    paging: opts.paging ?? true,
    slackChannel: '#infra',
    telegramChatId: 'telegramChatId' in opts ? opts.telegramChatId : -1001,
    secret: SECRET,
  });
  const objects = Testing.synth(chart) as any[];
  return { am, objects, sts: objects.find((o) => o.kind === 'StatefulSet') };
}

test('snapshot: Alertmanager with paging and Telegram', () => {
  expect(synth().objects).toMatchSnapshot();
});

test('GIVEN the StatefulSet THEN silences and the notification log live on a PVC, and Alertmanager reads the ConfigMap as it is', () => {
  const { sts } = synth();
  expect(sts.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
  const c = sts.spec.template.spec.containers[0];
  expect(c.volumeMounts).toEqual(expect.arrayContaining([{ name: 'data', mountPath: '/alertmanager' }]));
  expect(c.args).toEqual(expect.arrayContaining(['--storage.path=/alertmanager', '--config.file=/etc/alertmanager/config/alertmanager.yml']));
  expect(sts.spec.template.spec.automountServiceAccountToken).toBe(false);
});

test('GIVEN Telegram and the dead man\'s switch WHEN synthesized THEN Alertmanager reads their credentials from the mounted Secret, and no other container touches its config', () => {
  const { sts, am } = synth();
  const spec = sts.spec.template.spec;
  expect(spec.initContainers).toBeUndefined();
  expect(spec.containers.map((c: any) => c.name)).toEqual(['alertmanager']);
  expect(spec.volumes.map((v: any) => v.name).sort()).toEqual(['config', 'secrets']);
  const receivers = Object.fromEntries(parse(am.configYaml).receivers.map((r: any) => [r.name, r]));
  expect(receivers.telegram.telegram_configs).toEqual([
    { bot_token_file: '/etc/alertmanager/secrets/telegram-bot-token', chat_id: -1001, send_resolved: true },
  ]);
  expect(receivers.deadman.webhook_configs).toEqual([{ url_file: '/etc/alertmanager/secrets/deadman-webhook-url', send_resolved: false }]);
  expect(am.configYaml).not.toMatch(/bot_token:|url: /);
});

test('GIVEN no Telegram chat WHEN synthesized THEN there is no Telegram receiver, and chat goes to Slack', () => {
  const { am } = synth({ telegramChatId: undefined });
  const config = parse(am.configYaml);
  expect(config.receivers.map((r: any) => r.name)).toEqual(['deadman', 'pagerduty', 'slack-infra']);
  expect(config.route.receiver).toBe('slack-infra');
});

test('GIVEN paging: false WHEN synthesized THEN critical alerts go to Slack and no PagerDuty receiver exists', () => {
  const config = parse(synth({ paging: false }).am.configYaml);
  expect(config.receivers.map((r: any) => r.name)).toEqual(['deadman', 'slack-infra', 'telegram']);
  expect(config.route.routes[1]).toEqual({ receiver: 'slack-infra', matchers: ['severity="critical"'], continue: true });
});
