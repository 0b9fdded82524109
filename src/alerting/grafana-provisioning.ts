import { createHash } from 'crypto';
import {
  GROUP_BY,
  NotificationChannel,
  pagerdutySourceTemplate,
  RECEIVER,
  ReceiverName,
  rootReceiver,
  routes,
  RoutingOptions,
  timeIntervalYaml,
  usedReceivers,
} from '../components/alertmanager/routing';
import { RenderedRuleGroup } from '../kit/rule-model';

/**
 * The rule model rendered for Grafana unified alerting, in Grafana's
 * file-provisioning format (apiVersion 1): rule groups, contact points and the
 * notification policy. (grafana-foundation-sdk's alerting builders produce the
 * HTTP-API shape of one rule; the file format wraps rules in groups with an
 * orgId and folder, which is all this module adds, so it writes that shape
 * directly.)
 *
 * Each rule is two queries: A, the PromQL expression, evaluated instantly on
 * Prometheus; C, a math expression that is 1 for every series A returns. The
 * PromQL already holds the comparison, so "a series exists" is "firing",
 * exactly as in Prometheus, and `{{ $value }}` stays A's value.
 */
export interface GrafanaAlertingOptions {
  readonly datasourceUid: string;
  readonly folder: string;
  /** Evaluation interval of every group, e.g. `1m`. */
  readonly interval: string;
  readonly routing: RoutingOptions;
  /** Where the receivers' Secret is mounted in the Grafana pod. */
  readonly secretDir: string;
  readonly keys: {
    readonly pagerdutyRoutingKey: string;
    readonly slackWebhookUrl: string;
    readonly telegramBotToken: string;
    readonly deadmanWebhookUrl: string;
  };
}

export interface GrafanaRule {
  uid: string;
  title: string;
  condition: string;
  data: Array<{
    refId: string;
    relativeTimeRange?: { from: number; to: number };
    datasourceUid: string;
    model: Record<string, unknown>;
  }>;
  noDataState: 'OK' | 'NoData' | 'Alerting';
  execErrState: 'Error' | 'Alerting' | 'OK';
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface GrafanaAlertingFiles {
  readonly rules: { apiVersion: 1; groups: Array<{ orgId: number; name: string; folder: string; interval: string; rules: GrafanaRule[] }> };
  readonly contactPoints: { apiVersion: 1; contactPoints: Array<{ orgId: number; name: string; receivers: Array<{ uid: string; type: string; settings: Record<string, unknown>; disableResolveMessage: boolean }> }> };
  /** The policy tree, and the time intervals its routes name (`muteTimes`, also used as active intervals). */
  readonly policies: { apiVersion: 1; muteTimes?: Array<Record<string, unknown>>; policies: Array<Record<string, unknown>> };
}

const EXPRESSION_DATASOURCE = '__expr__';
const ORG = 1;

/** A stable uid (Grafana allows 40 characters of [a-zA-Z0-9_-]), from what identifies the rule. */
function ruleUid(group: string, alert: string, labels: Record<string, string>): string {
  const hash = createHash('sha256').update(JSON.stringify([group, alert, labels])).digest('hex').slice(0, 10);
  return `${alert.slice(0, 29)}-${hash}`;
}

export function grafanaAlerting(groups: readonly RenderedRuleGroup[], opts: GrafanaAlertingOptions): GrafanaAlertingFiles {
  const ruleGroups = groups
    .map((g) => {
      const alerts = g.rules.flatMap((r) => ('alert' in r ? [r] : []));
      // Titles must be unique in a folder; the SLO group has one rule per service under one alert name.
      const counts = new Map<string, number>();
      for (const a of alerts) counts.set(a.alert, (counts.get(a.alert) ?? 0) + 1);
      return {
        orgId: ORG,
        name: g.name,
        folder: opts.folder,
        interval: opts.interval,
        rules: alerts.map((a): GrafanaRule => {
          const title = (counts.get(a.alert) ?? 0) > 1 ? `${a.alert} ${a.labels.service ?? JSON.stringify(a.labels)}` : a.alert;
          return {
            uid: ruleUid(g.name, a.alert, a.labels),
            title,
            condition: 'C',
            data: [
              {
                refId: 'A',
                relativeTimeRange: { from: 600, to: 0 },
                datasourceUid: opts.datasourceUid,
                model: { refId: 'A', expr: a.expr, instant: true, range: false, datasource: { type: 'prometheus', uid: opts.datasourceUid } },
              },
              {
                refId: 'C',
                datasourceUid: EXPRESSION_DATASOURCE,
                model: { refId: 'C', type: 'math', expression: 'is_number($A)', datasource: { type: EXPRESSION_DATASOURCE, uid: EXPRESSION_DATASOURCE } },
              },
            ],
            // An empty result is healthy, as in Prometheus: the PromQL returns only what breaks the threshold.
            noDataState: 'OK',
            execErrState: 'Error',
            for: a.for ?? '0s',
            // Grafana sets `alertname` from the title itself; for the alerts that routing matches by name
            // (Watchdog) the title is the plain alert name.
            labels: { ...a.labels },
            annotations: { ...a.annotations },
          };
        }),
      };
    })
    .filter((g) => g.rules.length > 0);

  const file = (key: string) => `$__file{${opts.secretDir}/${key}}`;
  // Grafana's PagerDuty contact point names itself "Grafana" as the client; the same name is the default source here.
  const source = pagerdutySourceTemplate(opts.routing, 'Grafana');
  const settings: Record<ReceiverName, { type: string; settings: Record<string, unknown> }> = {
    [RECEIVER.pagerduty]: {
      type: 'pagerduty',
      settings: { integrationKey: file(opts.keys.pagerdutyRoutingKey), severity: 'critical', ...(source ? { source } : {}) },
    },
    [RECEIVER.slack]: { type: 'slack', settings: { url: file(opts.keys.slackWebhookUrl), recipient: opts.routing.slackChannel } },
    [RECEIVER.telegram]: {
      type: 'telegram',
      settings: { bottoken: file(opts.keys.telegramBotToken), chatid: String(opts.routing.telegramChatId ?? '') },
    },
    [RECEIVER.deadman]: { type: 'webhook', settings: { url: file(opts.keys.deadmanWebhookUrl), httpMethod: 'POST' } },
  };
  const builtIn = (name: string) => {
    if (!(name in settings)) throw new Error(`no contact point named "${name}"`);
    return settings[name as ReceiverName];
  };
  /** One integration per kind of endpoint the channel sets (see NotificationChannel). */
  const integrations = (c: NotificationChannel) => [
    ...(c.webhook ? [{ type: 'webhook', settings: { url: file(c.webhook.urlKey), httpMethod: 'POST' } }] : []),
    // The SMTP server is Grafana's own ([smtp] in grafana.ini, set by grafanaSmtpEnv); the contact point names the addresses.
    ...(c.email ? [{ type: 'email', settings: { addresses: c.email.to.join(';'), singleEmail: false } }] : []),
    ...(c.opsgenie
      ? [{ type: 'opsgenie', settings: { apiKey: file(c.opsgenie.apiKeyKey), ...(c.opsgenie.apiUrl ? { apiUrl: c.opsgenie.apiUrl } : {}) } }]
      : []),
    ...(c.msteams ? [{ type: 'teams', settings: { url: file(c.msteams.webhookUrlKey) } }] : []),
  ];
  const channels = new Map((opts.routing.channels ?? []).map((c) => [c.name, integrations(c)]));
  // A uid allows [a-zA-Z0-9_-] only; channel names may have dots (system.health).
  const uid = (name: string, i: number) => `cp-${name.replace(/[^a-zA-Z0-9_-]/g, '-')}${i > 0 ? `-${i}` : ''}`;
  const contactPoints = usedReceivers(opts.routing).map((name) => ({
    orgId: ORG,
    name,
    // The dead man's switch gets no "resolved" message: it would be one more heartbeat when Watchdog stops.
    receivers: (channels.get(name) ?? [builtIn(name)]).map((integration, i) => ({
      uid: uid(name, i),
      ...integration,
      disableResolveMessage: name === RECEIVER.deadman,
    })),
  }));

  const policies = [
    {
      orgId: ORG,
      receiver: rootReceiver(opts.routing),
      group_by: GROUP_BY,
      group_wait: '30s',
      group_interval: '5m',
      repeat_interval: '4h',
      routes: routes(opts.routing).map((r) => ({
        receiver: r.receiver,
        ...(r.matchers.length > 0 ? { object_matchers: r.matchers.map((m) => [...m]) } : {}),
        ...(r.continue ? { continue: true } : {}),
        ...(r.muteTimeIntervals ? { mute_time_intervals: r.muteTimeIntervals } : {}),
        ...(r.activeTimeIntervals ? { active_time_intervals: r.activeTimeIntervals } : {}),
        ...(r.receiver === RECEIVER.deadman ? { group_wait: '0s', group_interval: '1m', repeat_interval: '1m' } : {}),
      })),
    },
  ];

  return {
    rules: { apiVersion: 1, groups: ruleGroups },
    contactPoints: { apiVersion: 1, contactPoints },
    policies: {
      apiVersion: 1,
      ...(opts.routing.timeIntervals?.length ? { muteTimes: opts.routing.timeIntervals.map((t) => ({ orgId: ORG, ...timeIntervalYaml(t) })) } : {}),
      policies,
    },
  };
}

/**
 * Grafana sends email through its own SMTP server ([smtp] of grafana.ini), so
 * the email channels' server is set in Grafana's environment; the password is
 * read from the mounted Secret's file (the image's `__FILE` convention), never
 * written here.
 */
export function grafanaSmtpEnv(routing: RoutingOptions, secretDir: string): Array<{ name: string; value: string }> {
  const s = routing.smtp;
  if (!s || !(routing.channels ?? []).some((c) => c.email)) return [];
  return [
    { name: 'GF_SMTP_ENABLED', value: 'true' },
    { name: 'GF_SMTP_HOST', value: s.smarthost },
    { name: 'GF_SMTP_FROM_ADDRESS', value: s.from },
    ...(s.username ? [{ name: 'GF_SMTP_USER', value: s.username }] : []),
    ...(s.passwordKey ? [{ name: 'GF_SMTP_PASSWORD__FILE', value: `${secretDir}/${s.passwordKey}` }] : []),
    { name: 'GF_SMTP_STARTTLS_POLICY', value: s.requireTls ? 'MandatoryStartTLS' : 'OpportunisticStartTLS' },
  ];
}
