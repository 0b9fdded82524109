import type { Severity } from '../../alerting/rule-model';

/**
 * The one routing policy of the platform, shared by both engines
 * (Alertmanager and Grafana's notification policy):
 * - critical goes to PagerDuty, where paging is allowed; else to Slack;
 * - warning goes to Slack (#infra);
 * - every alert also goes to Telegram (seed 1);
 * - Watchdog goes only to the dead man's switch;
 * - a critical alert inhibits its warning twin.
 */
export interface RoutingOptions {
  /** false (QA): no PagerDuty receiver exists at all, critical alerts go to chat. */
  readonly paging: boolean;
  readonly slackChannel: string;
  /** Omitted: no Telegram receiver. */
  readonly telegramChatId?: number;
}

export const RECEIVER = {
  pagerduty: 'pagerduty',
  slack: 'slack-infra',
  telegram: 'telegram',
  deadman: 'deadman',
} as const;
export type ReceiverName = (typeof RECEIVER)[keyof typeof RECEIVER];

export interface RouteSpec {
  /** Exact-match label conditions. */
  readonly match: Readonly<Record<string, string>>;
  readonly receiver: ReceiverName;
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
    { match: { alertname: 'Watchdog' }, receiver: RECEIVER.deadman, continue: false },
    { match: { severity: 'critical' }, receiver: bySeverity.critical, continue: true },
    { match: { severity: 'warning' }, receiver: bySeverity.warning, continue: true },
    ...(opts.telegramChatId !== undefined ? [{ match: {}, receiver: RECEIVER.telegram, continue: false }] : []),
  ];
}

/** Where an alert no child route takes goes (an info alert without Telegram): chat, never the pager. */
export function rootReceiver(opts: RoutingOptions): ReceiverName {
  return opts.telegramChatId !== undefined ? RECEIVER.telegram : RECEIVER.slack;
}

/** Receivers the routes use, so no unused receiver (e.g. PagerDuty in QA) is configured. */
export function usedReceivers(opts: RoutingOptions): ReceiverName[] {
  return [...new Set([rootReceiver(opts), ...routes(opts).map((r) => r.receiver)])].sort();
}
