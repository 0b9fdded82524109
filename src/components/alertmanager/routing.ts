import { SEVERITIES, type Severity } from '../../kit/rule-model';

/**
 * The one routing policy of the platform, shared by both engines
 * (Alertmanager and Grafana's notification policy):
 * - critical goes to PagerDuty, where paging is allowed; else to Slack;
 * - warning goes to Slack (#infra);
 * - every alert also goes to Telegram;
 * - the alerts a notification channel lists also go to it (like
 *   system.health), beside the routes above;
 * - a team's alerts also go to the team's receivers for their severity
 *   (beside the routes above), muted or active in the team's time intervals;
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
  /** Teams whose services' alerts also go to the team's own channels. @default none */
  readonly teams?: readonly TeamRouting[];
  /** Named recurring time intervals the teams' routes are muted or active in. @default none */
  readonly timeIntervals?: readonly TimeInterval[];
  /** The SMTP server of email channels; required when a channel has `email`. */
  readonly smtp?: SmtpSettings;
}

export interface SmtpSettings {
  /** `host:port`. */
  readonly smarthost: string;
  readonly from: string;
  readonly username?: string;
  /** Key of the SMTP password in the receivers' Secret. */
  readonly passwordKey?: string;
  readonly requireTls: boolean;
}

/**
 * A team's routes. Alerts are told apart by their `service` label, matched
 * against the catalogue's services of the team, rather than by a `team` label
 * added with Prometheus' alert_relabel_configs: relabelling only exists in
 * Prometheus, and with alerting.engine "grafana" Grafana evaluates the alerts
 * itself, so a matcher generated from the catalogue is what both engines share.
 */
export interface TeamRouting {
  readonly name: string;
  /** The catalogue's services of this team (their `service` label). */
  readonly services: readonly string[];
  readonly severities: Partial<Record<Severity, TeamSeverityRoute>>;
}

export interface TeamSeverityRoute {
  /** Channel names. */
  readonly receivers: readonly string[];
  /** Time intervals in which these notifications are held back. @default none */
  readonly muteTimeIntervals?: readonly string[];
  /** Time intervals outside which these notifications are held back (working hours). @default always */
  readonly activeTimeIntervals?: readonly string[];
}

/** A recurring time interval in UTC, in both engines' shape (Alertmanager's `time_intervals`, Grafana's `muteTimes`). */
export interface TimeInterval {
  readonly name: string;
  readonly intervals: ReadonlyArray<{
    /** `HH:MM`-`HH:MM` ranges of the day; end may be 24:00. @default the whole day */
    readonly times?: ReadonlyArray<{ readonly start: string; readonly end: string }>;
    /** Days like `monday` or ranges like `monday:friday`. @default every day */
    readonly weekdays?: readonly string[];
  }>;
}

/**
 * A receiver beside the platform's own, for a fixed list of alerts and the
 * teams that name it. Its endpoint is one field per kind, as Alertmanager's
 * receivers have `webhook_configs`, `email_configs`…: another kind is one more
 * optional field and one case in each engine, not a new shape.
 */
export interface NotificationChannel {
  readonly name: string;
  /** Alert names this channel receives; empty for a channel only teams use. */
  readonly alerts: readonly string[];
  /** A generic webhook (Alertmanager's JSON payload); its URL is a key of the receivers' Secret. */
  readonly webhook?: { readonly urlKey: string };
  /** Email to these addresses, through RoutingOptions.smtp. */
  readonly email?: { readonly to: readonly string[] };
  /** Opsgenie alerts with the API key read from this key of the receivers' Secret. It pages: never used where paging is off. */
  readonly opsgenie?: { readonly apiKeyKey: string; readonly apiUrl?: string };
  /** A Microsoft Teams (Power Automate workflow) webhook; its URL is a key of the receivers' Secret. */
  readonly msteams?: { readonly webhookUrlKey: string };
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
  readonly muteTimeIntervals?: readonly string[];
  readonly activeTimeIntervals?: readonly string[];
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
  // Where paging is off, a pager channel (Opsgenie) is never a route's receiver, as PagerDuty is not.
  const pages = new Set((opts.channels ?? []).filter((c) => c.opsgenie).map((c) => c.name));
  const allowed = (names: readonly string[]) => (opts.paging ? [...names] : names.filter((n) => !pages.has(n)));
  return [
    // The dead man's switch only: Watchdog fires always, it must never reach a person.
    { matchers: [['alertname', '=', 'Watchdog']], receiver: RECEIVER.deadman, continue: false },
    // Before the severity routes, and continuing: a channel gets its alerts beside PagerDuty, Slack and Telegram.
    ...(opts.channels ?? [])
      .filter((c) => c.alerts.length > 0 && allowed([c.name]).length > 0)
      .map((c): RouteSpec => ({ matchers: [alertnameIn(c.alerts)], receiver: c.name, continue: true })),
    // Also before the severity routes and continuing: the team hears of its alerts, the platform's receivers still do.
    ...(opts.teams ?? []).flatMap((team) => (team.services.length === 0 ? [] : teamRoutes(team, allowed))),
    { matchers: [['severity', '=', 'critical']], receiver: bySeverity.critical, continue: true },
    { matchers: [['severity', '=', 'warning']], receiver: bySeverity.warning, continue: true },
    ...(opts.telegramChatId !== undefined ? [{ matchers: [], receiver: RECEIVER.telegram, continue: false }] : []),
  ];
}

/**
 * One route per receiver of each severity of the team. Where paging is off, a
 * critical goes to the team's receivers that do not page, or, if all of them
 * page, to the team's warning receivers (its chat): a QA experiment never
 * wakes the team, and still reaches it.
 */
function teamRoutes(team: TeamRouting, allowed: (names: readonly string[]) => string[]): RouteSpec[] {
  const service: Matcher = ['service', '=~', [...team.services].sort().join('|')];
  return SEVERITIES.flatMap((severity) => {
    const route = team.severities[severity];
    if (!route) return [];
    let receivers = allowed(route.receivers);
    if (receivers.length === 0 && severity === 'critical') receivers = allowed(team.severities.warning?.receivers ?? []);
    return receivers.map(
      (receiver): RouteSpec => ({
        matchers: [service, ['severity', '=', severity]],
        receiver,
        continue: true,
        ...(route.muteTimeIntervals?.length ? { muteTimeIntervals: route.muteTimeIntervals } : {}),
        ...(route.activeTimeIntervals?.length ? { activeTimeIntervals: route.activeTimeIntervals } : {}),
      }),
    );
  });
}

/** Alert names are PascalCase words, so the alternation needs no escaping. */
const alertnameIn = (alerts: readonly string[]): Matcher => ['alertname', '=~', [...alerts].sort().join('|')];

/**
 * PagerDuty's `source` per alert, as one template for both engines (their
 * template languages share Alertmanager's functions, `match` among them): the
 * channels' own where they set one, else `otherwise`.
 */
export function pagerdutySourceTemplate(opts: RoutingOptions, otherwise: string): string | undefined {
  const sources = (opts.channels ?? []).filter((c) => c.pagerdutySource !== undefined && c.alerts.length > 0);
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

/** A time interval as both engines write it: Alertmanager's `time_intervals` entry and Grafana's `muteTimes` entry have one shape. */
export function timeIntervalYaml(t: TimeInterval): { name: string; time_intervals: Array<Record<string, unknown>> } {
  return {
    name: t.name,
    time_intervals: t.intervals.map((i) => ({
      ...(i.times ? { times: i.times.map((r) => ({ start_time: r.start, end_time: r.end })) } : {}),
      ...(i.weekdays ? { weekdays: [...i.weekdays] } : {}),
    })),
  };
}
