import { minimalConfig } from './synth-fixture';

/** A config with two teams, every receiver kind and time intervals: the team-routing tests' own, not config/'s. */
export const teamsConfig = (opts: { paging: boolean; engine: 'prometheus' | 'grafana' }) => `${minimalConfig()}services:
  - { name: checkout, namespace: shop, stack: go, team: payments }
  - { name: ledger, namespace: shop, stack: go, team: payments }
  - { name: catalog, namespace: shop, stack: go, team: storefront }
  - { name: gateway, namespace: edge, stack: go }
alerting:
  paging: ${opts.paging}
  engine: ${opts.engine}
  receivers:
    telegramChatId: -1001
    email: { smarthost: 'smtp.example.com:587', from: alerts@example.com, username: alerts, passwordKey: smtp-password }
  channels:
    - { name: payments-mail, email: { to: [payments@example.com, payments-lead@example.com] } }
    - { name: payments-opsgenie, opsgenie: { apiKeyKey: payments-opsgenie-api-key, apiUrl: 'https://api.eu.opsgenie.com/' } }
    - { name: storefront-teams, msteams: { webhookUrlKey: storefront-teams-webhook-url } }
    - { name: storefront-hook, webhook: { urlKey: storefront-hook-url } }
  timeIntervals:
    - name: working-hours
      intervals: [{ weekdays: ['monday:friday'], times: [{ start: '09:00', end: '17:00' }] }]
    - name: weekend
      intervals: [{ weekdays: [saturday, sunday] }]
  teams:
    - name: payments
      critical: { receivers: [payments-opsgenie] }
      warning: { receivers: [payments-mail], activeTimeIntervals: [working-hours] }
    - name: storefront
      critical: { receivers: [storefront-teams, storefront-hook] }
      warning: { receivers: [storefront-teams], muteTimeIntervals: [weekend] }
      info: { receivers: [storefront-hook] }
`;

