import { GROUP_BY, INHIBIT_EQUAL, RECEIVER, ReceiverName, rootReceiver, routes, RoutingOptions, usedReceivers } from './routing';

export interface AlertmanagerConfigOptions extends RoutingOptions {
  /** Directory where the receivers' Secret is mounted, one file per key. */
  readonly secretDir: string;
  readonly keys: { readonly pagerdutyRoutingKey: string; readonly slackWebhookUrl: string };
}

/**
 * Alertmanager 0.33 reads the Telegram token from `bot_token_file`, but 0.25
 * (Debian's amtool, which checks this config in the tests) knows only
 * `bot_token`. Both accept `bot_token`, so the file carries this placeholder
 * and an init container replaces it with the mounted Secret's value at start.
 * The token is never in dist/, only in the pod's memory-backed volume.
 */
export const TELEGRAM_TOKEN_PLACEHOLDER = '__TELEGRAM_BOT_TOKEN__';

const matchers = (match: Readonly<Record<string, string>>) => Object.entries(match).map(([k, v]) => `${k}="${v}"`);

/** alertmanager.yml: credentials only as file paths (PagerDuty, Slack) or the start-time placeholder (Telegram). */
export function alertmanagerConfig(opts: AlertmanagerConfigOptions): Record<string, unknown> {
  const receiver = (name: ReceiverName): Record<string, unknown> => {
    switch (name) {
      case RECEIVER.pagerduty:
        return {
          name,
          pagerduty_configs: [{ routing_key_file: `${opts.secretDir}/${opts.keys.pagerdutyRoutingKey}`, send_resolved: true }],
        };
      case RECEIVER.slack:
        return {
          name,
          slack_configs: [{ api_url_file: `${opts.secretDir}/${opts.keys.slackWebhookUrl}`, channel: opts.slackChannel, send_resolved: true }],
        };
      case RECEIVER.telegram:
        return { name, telegram_configs: [{ bot_token: TELEGRAM_TOKEN_PLACEHOLDER, chat_id: opts.telegramChatId, send_resolved: true }] };
      // A null receiver: Alertmanager 0.25 has no webhook url_file, and a heartbeat URL is a credential. Watchdog's
      // presence is visible in Alertmanager's UI and API; an external dead man's switch polls it there.
      case RECEIVER.deadman:
        return { name };
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
        ...(Object.keys(r.match).length > 0 ? { matchers: matchers(r.match) } : {}),
        ...(r.continue ? { continue: true } : {}),
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
  };
}
