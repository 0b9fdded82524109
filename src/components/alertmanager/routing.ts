import type { Severity } from '../../kit/rule-model';

/**
 * The one routing policy of the platform, shared by both engines
 * (Alertmanager and Grafana's notification policy):
 * - critical goes to PagerDuty, where paging is allowed; else to Slack;
 * - warning goes to Slack (#infra);
 * - every alert also goes to Telegram;
 * - the alerts a notification channel lists also go to it (like
 *   system.health), beside the routes above;
 * - Watchdog goes only to the dead man's switch;
 * - a critical alert inhibits its warning twin.
 */
export interface RoutingOptions {
  /** false (QA): no PagerDuty receiver exists at all, critical alerts go to chat. */
  readonly paging: boolean;
  readonly slackChannel: string;
  /** Omitted: no Telegram receiver. */
  readonly telegramChatId?: number;
  /** Receivers that get named alerts in addition to their severity's routes. @default none */
  readonly channels?: readonly NotificationChannel[];
}

/**
 * A receiver beside the platform's own, for a fixed list of alerts. Its
 * endpoint is one field per kind, as Alertmanager's receivers have
 * `webhook_configs`, `email_configs`…: another kind (email, Opsgenie, Teams)
 * is one more optional field and one case in each engine, not a new shape.
 */
export interface NotificationChannel {
  readonly name: string;
  /** Alert names this channel receives. */
  readonly alerts: readonly string[];
  /** A generic webhook (Alertmanager's JSON payload); its URL is a key of the receivers' Secret. */
  readonly webhook?: { readonly urlKey: string };
  /** PagerDuty shows the channel's alerts with this `source` (like `platform-kernel`). @default the engine's own */
  readonly pagerdutySource?: string;
}

export const RECEIVER = {
  pagerduty: 'pagerduty',
  slack: 'slack-infra',
  telegram: 'telegram',
  deadman: 'deadman',
} as const;
export type ReceiverName = (typeof RECEIVER)[keyof typeof RECEIVER];

/** A label matcher as both engines write it: `[label, operator, value]`; regexes are anchored by both. */
export type Matcher = readonly [label: string, op: '=' | '=~', value: string];

export interface RouteSpec {
  readonly matchers: readonly Matcher[];
  /** One of RECEIVER, or a notification channel's name. */
  readonly receiver: string;
  /** Keep looking at the next routes after this one matched. */
  readonly continue: boolean;
}

/** Labels that make two alerts "the same alert" for inhibition: a critical suppresses its warning twin. */
export const INHIBIT_EQUAL = ['alertname', 'namespace', 'service', 'pod', 'instance'];
/** Labels notifications are grouped by. */
export const GROUP_BY = ['alertname', 'namespace', 'service'];

/** The ordered child routes of the root, the same for both engines. */
export function routes(opts: RoutingOptions): RouteSpec[] {
  const bySeverity: Record<Exclude<Severity, 'info'>, ReceiverName> = {
    critical: opts.paging ? RECEIVER.pagerduty : RECEIVER.slack,
    warning: RECEIVER.slack,
  };
  return [
    // The dead man's switch only: Watchdog fires always, it must never reach a person.
    { matchers: [['alertname', '=', 'Watchdog']], receiver: RECEIVER.deadman, continue: false },
    // Before the severity routes, and continuing: a channel gets its alerts beside PagerDuty, Slack and Telegram.
    ...(opts.channels ?? []).map((c): RouteSpec => ({ matchers: [alertnameIn(c.alerts)], receiver: c.name, continue: true })),
    { matchers: [['severity', '=', 'critical']], receiver: bySeverity.critical, continue: true },
    { matchers: [['severity', '=', 'warning']], receiver: bySeverity.warning, continue: true },
    ...(opts.telegramChatId !== undefined ? [{ matchers: [], receiver: RECEIVER.telegram, continue: false }] : []),
  ];
}

/** Alert names are PascalCase words, so the alternation needs no escaping. */
const alertnameIn = (alerts: readonly string[]): Matcher => ['alertname', '=~', [...alerts].sort().join('|')];

/**
 * PagerDuty's `source` per alert, as one template for both engines (their
 * template languages share Alertmanager's functions, `match` among them): the
 * channels' own where they set one, else `otherwise`.
 */
export function pagerdutySourceTemplate(opts: RoutingOptions, otherwise: string): string | undefined {
  const sources = (opts.channels ?? []).filter((c) => c.pagerdutySource !== undefined);
  if (sources.length === 0) return undefined;
  const branches = sources.map((c) => `if match "^(${[...c.alerts].sort().join('|')})$" .CommonLabels.alertname }}${c.pagerdutySource}{{`);
  return `{{ ${branches.join(' else ')} else }}${otherwise}{{ end }}`;
}

/** Where an alert no child route takes goes (an info alert without Telegram): chat, never the pager. */
export function rootReceiver(opts: RoutingOptions): ReceiverName {
  return opts.telegramChatId !== undefined ? RECEIVER.telegram : RECEIVER.slack;
}

/** Receivers the routes use, so no unused receiver (e.g. PagerDuty in QA) is configured. */
export function usedReceivers(opts: RoutingOptions): string[] {
  return [...new Set([rootReceiver(opts), ...routes(opts).map((r) => r.receiver)])].sort();
}
