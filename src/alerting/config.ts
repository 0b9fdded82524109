import { z } from 'zod';
import { alertmanagerConfig } from '../components/alertmanager/config';
import { dnsLabel, durationOrZero, secretKeyRef, withDefault } from '../config/fields';
import { goTemplateSyntaxError } from '../config/go-template';
import { promqlSyntaxError } from '../config/promql';

/** A time of day as both engines parse it: 00:00 to 23:59, or 24:00 as the end of the day. */
const clock = z.string().regex(/^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$/, { error: 'expected a time of day "HH:MM" (00:00 to 24:00), like "09:00"' });
const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
/** A day or an inclusive range of days in week order (Alertmanager refuses a range that runs backwards, like "friday:monday"). */
const weekdayRange = z.string().refine(
  (v) => {
    const [from, to = from, ...rest] = v.toLowerCase().split(':');
    return rest.length === 0 && WEEKDAYS.includes(from) && WEEKDAYS.includes(to) && WEEKDAYS.indexOf(from) <= WEEKDAYS.indexOf(to);
  },
  { error: `expected a weekday or a range in week order (sunday first), like "monday" or "monday:friday"; days: ${WEEKDAYS.join(', ')}` },
);

const teamSeverityRoute = z.strictObject({
  receivers: z
    .array(z.string().min(1))
    .min(1, { error: 'expected at least one receiver (a name from alerting.channels)' })
    .describe('Names of alerting.channels these alerts go to. Required.'),
  muteTimeIntervals: z.array(z.string()).optional().describe('Names of alerting.timeIntervals during which these notifications wait. Default: none.'),
  activeTimeIntervals: z
    .array(z.string())
    .optional()
    .describe('Names of alerting.timeIntervals outside which these notifications wait (like working hours). Default: always.'),
});

const alertOverride = z
  .strictObject({
    enabled: withDefault(z.boolean(), true, 'false removes the alert from this environment.'),
    for: durationOrZero('5m').optional().describe("How long the condition must hold before the alert fires. Default: the alert's own."),
    severity: z
      .enum(['critical', 'warning', 'info'], { error: 'expected "critical", "warning" or "info"' })
      .optional()
      .describe("The alert's severity, which decides its route. Default: the alert's own."),
    thresholds: z
      .record(z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/, { error: 'expected a threshold name like "ratio"' }), z.number())
      .optional()
      .describe("Values of the alert's named thresholds (see its runbook). Default: the alert's own."),
  })
  .describe('Settings of one alert.');

export const alertingConfig = z
  .strictObject({
    runbookBaseUrl: z
      .url({ error: 'expected an absolute URL like "https://git.example.com/org/repo/blob/main/docs/runbooks"' })
      .optional()
      .describe(
        'Where runbooks live; every alert links to <runbookBaseUrl>/<AlertName>.md. ' +
          'Default: <repository.url>/blob/<repository.revision>/docs/runbooks.',
      ),
    paging: withDefault(
      z.boolean(),
      true,
      'Whether alerts of this environment may page a person (PagerDuty, phone). Set false for QA: its alerts ' +
        'go to chat only, never to the pager, so a QA experiment never wakes anyone.',
    ),
    engine: withDefault(
      z.enum(['prometheus', 'grafana'], { error: 'expected "prometheus" or "grafana"' }),
      'prometheus',
      'Who evaluates the alerts and routes notifications: "prometheus" (rule files in Prometheus, routing by an ' +
        'Alertmanager the stack deploys) or "grafana" (Grafana-managed rules, contact points and notification ' +
        'policy, provisioned from files). The rule files are in dist/<environment>/rules/ either way.',
    ),
    rules: z
      .record(
        z.string().regex(/^[A-Z][A-Za-z0-9]*$/, { error: 'expected an alert name in PascalCase, like "ErrorRateCritical"' }),
        alertOverride,
      )
      .default({})
      .describe(
        'Per-alert settings, keyed by alert name: switch an alert off, change its `for`, its severity or one of its named ' +
          'thresholds. An unknown alert or threshold name is an error that lists the valid ones. Default: every alert as shipped.',
      ),
    receivers: z
      .strictObject({
        secretName: withDefault(
          dnsLabel('the name of an existing Secret'),
          'alerting-receivers',
          'Existing Secret (in namespaces.monitoring) with the receivers\' credentials, mounted as files; never created ' +
            'by the stack.',
        ),
        pagerdutyRoutingKeyKey: withDefault(secretKeyRef, 'pagerduty-routing-key', 'Key of the PagerDuty Events v2 routing key (integration key).'),
        slackWebhookUrlKey: withDefault(secretKeyRef, 'slack-webhook-url', 'Key of the Slack incoming-webhook URL.'),
        slackChannel: withDefault(
          z.string().regex(/^#[a-z0-9][a-z0-9._-]*$/, { error: 'expected a Slack channel like "#infra"' }),
          '#infra',
          'Slack channel for warnings, like "#infra".',
        ),
        telegramBotTokenKey: withDefault(secretKeyRef, 'telegram-bot-token', 'Key of the Telegram bot token.'),
        deadmanWebhookUrlKey: withDefault(
          secretKeyRef,
          'deadman-webhook-url',
          "Key of the dead man's switch URL (a heartbeat check) that Watchdog is posted to every minute, by Alertmanager " +
            '(webhook url_file) or Grafana (a webhook contact point).',
        ),
        telegramChatId: z
          .number()
          .int({ error: 'expected a Telegram chat id, a whole number like -1001234567890' })
          .optional()
          .describe('Telegram chat every alert also goes to. Default: none, no Telegram notifications.'),
        email: z
          .strictObject({
            smarthost: z
              .string()
              .regex(/^[a-zA-Z0-9.-]+:[0-9]{1,5}$/, { error: 'expected the SMTP server as host:port, like "smtp.example.com:587"' })
              .describe('SMTP server, host:port. Required.'),
            from: z.email({ error: 'expected a sender address like "alerts@example.com"' }).describe('Sender address. Required.'),
            username: z.string().min(1).optional().describe('SMTP user name. Default: no authentication.'),
            passwordKey: secretKeyRef.optional().describe('Key of the SMTP password in secretName. Default: no password.'),
            requireTls: withDefault(z.boolean(), true, 'Require STARTTLS to the server.'),
          })
          .optional()
          .describe('The SMTP server of email channels (Alertmanager email_configs, Grafana [smtp]). Default: none; required by an email channel.'),
      })
      .prefault({})
      .describe('Where notifications go: critical to PagerDuty, warning to Slack, everything also to Telegram.'),
    channels: z
      .array(
        z.strictObject({
          name: z
            .string()
            .regex(/^[a-z][a-z0-9._-]*$/, { error: 'expected a receiver name of lower-case letters, digits, ".", "_" and "-", like "system.health"' })
            .describe(
              'Name of the receiver (Alertmanager) or contact point (Grafana). Alertmanager regex-quotes it in its payloads ' +
                '(system.health arrives as system\\.health); tell channels apart by their URL, not that field. Required.',
            ),
          alerts: z
            .array(z.string().regex(/^[A-Z][A-Za-z0-9]*$/, { error: 'expected an alert name in PascalCase, like "CDCLagCritical"' }))
            .default([])
            .describe("Alerts this channel receives, beside the routes of their severity. Default: none (a channel only alerting.teams name)."),
          webhook: z
            .strictObject({
              urlKey: secretKeyRef.describe('Key of the webhook URL in alerting.receivers.secretName; a URL can carry a token, so it is read from the file. Required.'),
            })
            .optional()
            .describe("A generic webhook: Alertmanager's (or Grafana's) JSON payload POSTed to the URL. Default: none."),
          email: z
            .strictObject({
              to: z
                .array(z.email({ error: 'expected an email address like "payments-oncall@example.com"' }))
                .min(1, { error: 'expected at least one address' })
                .describe('Addresses the email goes to. Required.'),
            })
            .optional()
            .describe('Email through the SMTP server of alerting.receivers.email. Default: none.'),
          opsgenie: z
            .strictObject({
              apiKeyKey: secretKeyRef.describe('Key of the Opsgenie API key (an API integration key) in alerting.receivers.secretName. Required.'),
              apiUrl: z
                .url({ error: 'expected Opsgenie\'s API URL, like "https://api.eu.opsgenie.com/"' })
                .optional()
                .describe('Opsgenie API URL, for the EU instance "https://api.eu.opsgenie.com/". Default: the engine\'s own (the US instance).'),
            })
            .optional()
            .describe('Opsgenie alerts. Opsgenie pages: with alerting.paging false the channel is never used. Default: none.'),
          msteams: z
            .strictObject({
              webhookUrlKey: secretKeyRef.describe(
                'Key of the Microsoft Teams webhook URL (a Power Automate workflow) in alerting.receivers.secretName. Required.',
              ),
            })
            .optional()
            .describe('A Microsoft Teams channel (Alertmanager\'s msteamsv2, Grafana\'s Teams contact point). Default: none.'),
          pagerdutySource: z
            .string()
            .min(1)
            .optional()
            .describe("PagerDuty shows this channel's alerts with this `source`, like \"platform-kernel\". Default: the engine's own."),
        }),
      )
      .default([])
      .describe(
        "Notification channels: for named alerts, in addition to their severity's routes (for example a system.health webhook " +
          'that gets CDCLagCritical, WALBloatCritical and VaultUnreachable beside PagerDuty), and the receivers alerting.teams ' +
          'name. Each sets at least one of webhook, email, opsgenie, msteams. Default: none.',
      ),
    teams: z
      .array(
        z.strictObject({
          name: dnsLabel('a team name').describe('Team name, as services[].team writes it. Required.'),
          critical: teamSeverityRoute.optional().describe("Where the team's critical alerts go. Default: only the platform's routes."),
          warning: teamSeverityRoute.optional().describe("Where the team's warnings go. Default: only the platform's routes."),
          info: teamSeverityRoute.optional().describe("Where the team's info alerts go. Default: only the platform's routes."),
        }),
      )
      .default([])
      .describe(
        "Teams and their receivers by severity: the alerts of a team's services (services[].team) also go to these channels, " +
          "beside the platform's routes. Where alerting.paging is false, a critical never goes to Opsgenie: it goes to the team's " +
          'other critical receivers or, if none, to its warning receivers. Default: none.',
      ),
    timeIntervals: z
      .array(
        z.strictObject({
          name: z
            .string()
            .regex(/^[a-z][a-z0-9._-]*$/, { error: 'expected a name of lower-case letters, digits, ".", "_" and "-", like "working-hours"' })
            .describe('Name the teams\' muteTimeIntervals and activeTimeIntervals use. Required.'),
          intervals: z
            .array(
              z.strictObject({
                times: z
                  .array(
                    z
                      .strictObject({
                        start: clock.describe('Start, "HH:MM" (UTC). Required.'),
                        end: clock.describe('End, "HH:MM" (UTC), up to "24:00"; after start. Required.'),
                      })
                      .refine((t) => minutes(t.start) < minutes(t.end), { error: 'expected end after start, like {start: "09:00", end: "17:00"}' }),
                  )
                  .min(1)
                  .optional()
                  .describe('Times of the day. Default: the whole day.'),
                weekdays: z
                  .array(weekdayRange)
                  .min(1)
                  .optional()
                  .describe('Days like "monday" or inclusive ranges like "monday:friday". Default: every day.'),
              }),
            )
            .min(1, { error: 'expected at least one interval' })
            .describe('The interval is the union of these; each is the intersection of its times and weekdays. Required.'),
        }),
      )
      .default([])
      .describe(
        "Recurring time intervals (UTC) for the teams' routes, like working hours. Rendered as Alertmanager's time_intervals " +
          "and Grafana's mute timings. Default: none.",
      ),
    alertmanager: alertmanagerConfig,
  })
  .prefault({})
  .describe('Alerting settings shared by every rule.');

// ---- user-defined alert rules -----------------------------------------------------

/**
 * Text Prometheus expands as a Go template: it must parse, or Prometheus refuses the whole rules file.
 * Label names are kept to the classic [a-zA-Z_][a-zA-Z0-9_]* so `{{ $labels.x }}` can read them.
 */
const alertTemplate = z.string().superRefine((text, ctx) => {
  const problem = goTemplateSyntaxError(text);
  if (problem) ctx.addIssue({ code: 'custom', message: `expected a Go template that Prometheus can parse (${problem})` });
});

const extraAlertRule = z.strictObject({
  alert: z
    .string()
    .regex(/^[A-Z][a-zA-Z0-9]*$/, { error: 'expected a PascalCase alert name like "CheckoutErrorsHigh"' })
    .describe('Alert name, PascalCase; its runbook is <alerting.runbookBaseUrl>/<alert>.md. Required.'),
  expr: z
    .string()
    .superRefine((expr, ctx) => {
      const problem = promqlSyntaxError(expr);
      if (problem) ctx.addIssue({ code: 'custom', message: `expected a valid PromQL expression (${problem})` });
    })
    .describe('The PromQL condition; checked with the PromQL grammar at synth time. Required.'),
  for: withDefault(durationOrZero('5m'), '5m', 'How long the condition must hold before the alert fires.'),
  severity: z.enum(['critical', 'warning', 'info']).describe('critical pages, warning and info go to chat. Required.'),
  summary: z
    .string()
    .min(1)
    .refine((v) => !v.includes('{{'), { error: 'expected a fixed sentence without {{ }} templates (they belong in description)' })
    .describe('A fixed sentence, so notifications group well. Required.'),
  description: alertTemplate
    .min(1)
    .describe('What, where and how much; may use {{ $labels.x }} and {{ $value }}, checked as Prometheus parses it. Required.'),
  labels: z
    .record(
      z
        .string()
        .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { error: 'expected a label name like "team" (letters, digits and "_", not starting with a digit)' })
        .refine((k) => !k.startsWith('__'), { error: 'expected a label name that does not start with "__" (reserved for Prometheus)' })
        .refine((k) => !['severity', 'alertname'].includes(k), {
          error: 'expected a label other than "severity" (set by the severity field) and "alertname" (the alert field)',
        }),
      alertTemplate,
    )
    .optional()
    .describe(
      'Extra labels of the alert, such as a team to route on; values may use the same templates as description. Default: none.',
    ),
});

export const extraAlertRulesConfig = z
  .array(extraAlertRule)
  .default([])
  .describe(
    "Your own alert rules, evaluated by the platform's Prometheus in the group `extra-alert-rules` beside the platform's. " +
      'Default: none.',
  );

export type AlertingConfig = z.output<typeof alertingConfig>;
export type ExtraAlertRulesConfig = z.output<typeof extraAlertRulesConfig>;
