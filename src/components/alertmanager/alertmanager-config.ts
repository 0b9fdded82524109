import {
  GROUP_BY,
  INHIBIT_EQUAL,
  Matcher,
  NotificationChannel,
  pagerdutySourceTemplate,
  RECEIVER,
  rootReceiver,
  routes,
  RoutingOptions,
  timeIntervalYaml,
  usedReceivers,
} from './routing';

export interface AlertmanagerConfigOptions extends RoutingOptions {
  /** Directory where the receivers' Secret is mounted, one file per key. */
  readonly secretDir: string;
  /** The Secret's keys: each credential is read by Alertmanager from the file of that name, never written here. */
  readonly keys: {
    readonly pagerdutyRoutingKey: string;
    readonly slackWebhookUrl: string;
    readonly telegramBotToken: string;
    readonly deadmanWebhookUrl: string;
  };
}

const matchers = (list: readonly Matcher[]) => list.map(([label, op, value]) => `${label}${op}"${value}"`);

/** alertmanager.yml: every credential is a path into the mounted Secret, read by Alertmanager itself. */
export function alertmanagerConfig(opts: AlertmanagerConfigOptions): Record<string, unknown> {
  const file = (key: string) => `${opts.secretDir}/${key}`;
  // Alertmanager's own default source is its client name.
  const source = pagerdutySourceTemplate(opts, '{{ template "pagerduty.default.client" . }}');
  const channels = new Map((opts.channels ?? []).map((c) => [c.name, c]));
  /** One entry per kind of endpoint the channel sets (see NotificationChannel). */
  const channelReceiver = (c: NotificationChannel): Record<string, unknown> => ({
    name: c.name,
    ...(c.webhook ? { webhook_configs: [{ url_file: file(c.webhook.urlKey), send_resolved: true }] } : {}),
    ...(c.email ? { email_configs: [{ to: c.email.to.join(', '), ...smtp(), send_resolved: true }] } : {}),
    ...(c.opsgenie
      ? { opsgenie_configs: [{ api_key_file: file(c.opsgenie.apiKeyKey), ...(c.opsgenie.apiUrl ? { api_url: c.opsgenie.apiUrl } : {}), send_resolved: true }] }
      : {}),
    ...(c.msteams ? { msteamsv2_configs: [{ webhook_url_file: file(c.msteams.webhookUrlKey), send_resolved: true }] } : {}),
  });
  const smtp = () => {
    if (!opts.smtp) throw new Error('an email channel needs the SMTP settings');
    const s = opts.smtp;
    return {
      from: s.from,
      smarthost: s.smarthost,
      ...(s.username ? { auth_username: s.username } : {}),
      ...(s.passwordKey ? { auth_password_file: file(s.passwordKey) } : {}),
      require_tls: s.requireTls,
    };
  };
  const receiver = (name: string): Record<string, unknown> => {
    const channel = channels.get(name);
    if (channel) return channelReceiver(channel);
    switch (name) {
      case RECEIVER.pagerduty:
        return {
          name,
          pagerduty_configs: [{ routing_key_file: file(opts.keys.pagerdutyRoutingKey), ...(source ? { source } : {}), send_resolved: true }],
        };
      case RECEIVER.slack:
        return {
          name,
          slack_configs: [{ api_url_file: file(opts.keys.slackWebhookUrl), channel: opts.slackChannel, send_resolved: true }],
        };
      case RECEIVER.telegram:
        return { name, telegram_configs: [{ bot_token_file: file(opts.keys.telegramBotToken), chat_id: opts.telegramChatId, send_resolved: true }] };
      // The heartbeat URL is a credential too. No resolved notifications: when Watchdog stops, a "resolved" POST
      // would be one more heartbeat, the opposite of what the switch must see.
      case RECEIVER.deadman:
        return { name, webhook_configs: [{ url_file: file(opts.keys.deadmanWebhookUrl), send_resolved: false }] };
      default:
        throw new Error(`no receiver named "${name}"`);
    }
  };
  return {
    route: {
      receiver: rootReceiver(opts),
      group_by: GROUP_BY,
      group_wait: '30s',
      group_interval: '5m',
      repeat_interval: '4h',
      routes: routes(opts).map((r) => ({
        receiver: r.receiver,
        ...(r.matchers.length > 0 ? { matchers: matchers(r.matchers) } : {}),
        ...(r.continue ? { continue: true } : {}),
        ...(r.muteTimeIntervals ? { mute_time_intervals: r.muteTimeIntervals } : {}),
        ...(r.activeTimeIntervals ? { active_time_intervals: r.activeTimeIntervals } : {}),
        // The dead man's switch wants a steady heartbeat, not a 4-hourly reminder.
        ...(r.receiver === RECEIVER.deadman ? { group_wait: '0s', group_interval: '1m', repeat_interval: '1m' } : {}),
      })),
    },
    inhibit_rules: [
      {
        source_matchers: ['severity="critical"'],
        target_matchers: ['severity="warning"'],
        equal: INHIBIT_EQUAL,
      },
    ],
    receivers: usedReceivers(opts).map(receiver),
    ...(opts.timeIntervals?.length ? { time_intervals: opts.timeIntervals.map(timeIntervalYaml) } : {}),
  };
}

