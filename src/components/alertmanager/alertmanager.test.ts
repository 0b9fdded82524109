import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import { Alertmanager } from './alertmanager';
import { TELEGRAM_TOKEN_PLACEHOLDER } from './alertmanager-config';

const SECRET = {
  name: 'alerting-receivers',
  pagerdutyRoutingKeyKey: 'pagerduty-routing-key',
  slackWebhookUrlKey: 'slack-webhook-url',
  telegramBotTokenKey: 'telegram-bot-token',
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

test('GIVEN the StatefulSet THEN silences and the notification log live on a PVC, and the config points at the rendered copy', () => {
  const { sts } = synth();
  expect(sts.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
  const c = sts.spec.template.spec.containers[0];
  expect(c.volumeMounts).toEqual(expect.arrayContaining([{ name: 'data', mountPath: '/alertmanager' }]));
  expect(c.args).toEqual(expect.arrayContaining(['--storage.path=/alertmanager', '--config.file=/etc/alertmanager/rendered/alertmanager.yml']));
  expect(sts.spec.template.spec.automountServiceAccountToken).toBe(false);
});

test('GIVEN Telegram WHEN the pod starts THEN an init container fills the token from the mounted Secret into a memory volume', () => {
  const { sts, am } = synth();
  const init = sts.spec.template.spec.initContainers[0];
  expect(init.args[0]).toContain('/etc/alertmanager/secrets/telegram-bot-token');
  expect(init.args[0]).toContain(TELEGRAM_TOKEN_PLACEHOLDER);
  expect(sts.spec.template.spec.volumes).toEqual(expect.arrayContaining([{ name: 'rendered', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } }]));
  expect(parse(am.configYaml).receivers.find((r: any) => r.name === 'telegram').telegram_configs[0].bot_token).toBe(TELEGRAM_TOKEN_PLACEHOLDER);
});

test('GIVEN no Telegram chat WHEN synthesized THEN there is no init container, no Telegram receiver, and chat goes to Slack', () => {
  const { sts, am } = synth({ telegramChatId: undefined });
  expect(sts.spec.template.spec.initContainers).toBeUndefined();
  const config = parse(am.configYaml);
  expect(config.receivers.map((r: any) => r.name)).toEqual(['deadman', 'pagerduty', 'slack-infra']);
  expect(config.route.receiver).toBe('slack-infra');
  expect(sts.spec.template.spec.containers[0].args).toContain('--config.file=/etc/alertmanager/config/alertmanager.yml');
});

test('GIVEN paging: false WHEN synthesized THEN critical alerts go to Slack and no PagerDuty receiver exists', () => {
  const config = parse(synth({ paging: false }).am.configYaml);
  expect(config.receivers.map((r: any) => r.name)).toEqual(['deadman', 'slack-infra', 'telegram']);
  expect(config.route.routes[1]).toEqual({ receiver: 'slack-infra', matchers: ['severity="critical"'], continue: true });
});
