import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Testing } from 'cdk8s';
import { parse } from 'yaml';
import { parseConfig } from '../src/config/loader';
import { Stack } from '../src/stack';
import { teamsConfig as config } from './support/team-routing-config';
import { requireTool, run } from './support/tools';

/**
 * Routing per team, on a config built here (two teams, every receiver kind,
 * time intervals): Alertmanager's answer comes from the real amtool, and
 * Grafana's policy tree, evaluated below as Grafana's Alertmanager walks it,
 * must give the same receivers for the same labels. (test/integration/team-routing-delivery.test.ts has a
 * running Alertmanager deliver them.)
 */
function files(opts: { paging: boolean; engine: 'prometheus' | 'grafana' }): Map<string, string> {
  const app = new App({ outdir: Testing.app().outdir });
  return new Stack(app, 'stack', parseConfig(config(opts), 'teams.yaml'), { sourceIdentity: '0000000', argocd: new App() }).files;
}

function amFile(paging: boolean): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'team-routing-'));
  const file = path.join(dir, 'alertmanager.yml');
  fs.writeFileSync(file, files({ paging, engine: 'prometheus' }).get('alertmanager/alertmanager.yml')!);
  return file;
}
const AM = { paging: amFile(true), qa: amFile(false) };

const amtoolRoutes = (file: string, labels: Record<string, string>) => {
  const result = run(requireTool('amtool'), ['config', 'routes', 'test', `--config.file=${file}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)]);
  expect(result.code).toBe(0);
  return result.stdout.trim().split(',');
};

// ---- Grafana's policy tree, walked as Alertmanager (and Grafana's, which is Alertmanager's code) walks it ----

interface PolicyNode {
  receiver?: string;
  object_matchers?: Array<[string, string, string]>;
  continue?: boolean;
  routes?: PolicyNode[];
}

function matches(node: PolicyNode, labels: Record<string, string>): boolean {
  return (node.object_matchers ?? []).every(([label, op, value]) => {
    const actual = labels[label] ?? '';
    switch (op) {
      case '=':
        return actual === value;
      case '!=':
        return actual !== value;
      case '=~':
        return new RegExp(`^(?:${value})$`).test(actual);
      case '!~':
        return !new RegExp(`^(?:${value})$`).test(actual);
      default:
        throw new Error(`unknown matcher operator ${op}`);
    }
  });
}

/** The receivers of the matching routes, in order: a matching child without `continue` ends the walk; no matching child, the node's own. */
function evaluate(node: PolicyNode, labels: Record<string, string>, inherited: string): string[] {
  const receiver = node.receiver ?? inherited;
  const found: string[] = [];
  for (const child of node.routes ?? []) {
    if (!matches(child, labels)) continue;
    found.push(...evaluate(child, labels, receiver));
    if (!child.continue) break;
  }
  return found.length > 0 ? found : [receiver];
}

function grafanaRoutes(paging: boolean) {
  const f = files({ paging, engine: 'grafana' });
  const policies = parse(f.get('grafana-alerting/policies.yaml')!);
  const contactPoints = parse(f.get('grafana-alerting/contact-points.yaml')!).contactPoints;
  return { policies, contactPoints, route: (labels: Record<string, string>) => evaluate(policies.policies[0], labels, '') };
}
const GRAFANA = { paging: grafanaRoutes(true), qa: grafanaRoutes(false) };

// Every team × severity, a second service of a team, a service without a team, and Watchdog.
const CASES: Array<[Record<string, string>, string, string]> = [
  [{ service: 'checkout', severity: 'critical' }, 'payments-opsgenie,pagerduty,telegram', 'payments-mail,slack-infra,telegram'],
  [{ service: 'checkout', severity: 'warning' }, 'payments-mail,slack-infra,telegram', 'payments-mail,slack-infra,telegram'],
  [{ service: 'checkout', severity: 'info' }, 'telegram', 'telegram'],
  [{ service: 'ledger', severity: 'critical' }, 'payments-opsgenie,pagerduty,telegram', 'payments-mail,slack-infra,telegram'],
  [{ service: 'catalog', severity: 'critical' }, 'storefront-teams,storefront-hook,pagerduty,telegram', 'storefront-teams,storefront-hook,slack-infra,telegram'],
  [{ service: 'catalog', severity: 'warning' }, 'storefront-teams,slack-infra,telegram', 'storefront-teams,slack-infra,telegram'],
  [{ service: 'catalog', severity: 'info' }, 'storefront-hook,telegram', 'storefront-hook,telegram'],
  [{ service: 'gateway', severity: 'critical' }, 'pagerduty,telegram', 'slack-infra,telegram'],
  [{ service: 'gateway', severity: 'warning' }, 'slack-infra,telegram', 'slack-infra,telegram'],
  [{ service: 'gateway', severity: 'info' }, 'telegram', 'telegram'],
  // A service name that merely contains a team's service is not the team's: both engines anchor the regex.
  [{ service: 'checkout-v2', severity: 'critical' }, 'pagerduty,telegram', 'slack-infra,telegram'],
  [{ service: 'checkout', severity: 'info', alertname: 'Watchdog' }, 'deadman', 'deadman'],
];

describe('routing per team: Alertmanager (amtool) and Grafana (its policy tree) agree', () => {
  test.each(CASES)('GIVEN paging WHEN an alert with %j is routed THEN both engines send it to %s', (labels, expected) => {
    expect(amtoolRoutes(AM.paging, labels).join(',')).toBe(expected);
    expect(GRAFANA.paging.route(labels).join(',')).toBe(expected);
  });

  test.each(CASES.map(([labels, , qa]) => [labels, qa] as const))("GIVEN paging: false (QA) WHEN an alert with %j is routed THEN both engines send it to %s, never to a pager", (labels, expected) => {
    expect(amtoolRoutes(AM.qa, labels).join(',')).toBe(expected);
    expect(GRAFANA.qa.route(labels).join(',')).toBe(expected);
  });

  test('GIVEN paging: false THEN neither engine has an Opsgenie or PagerDuty receiver at all', () => {
    expect(fs.readFileSync(AM.qa, 'utf8')).not.toMatch(/opsgenie|pagerduty/i);
    expect(JSON.stringify(GRAFANA.qa.contactPoints)).not.toMatch(/opsgenie|pagerduty/i);
  });

  test('the evaluator can fail: a policy without continue stops at the first matching team route', () => {
    const tree = structuredClone(GRAFANA.paging.policies.policies[0]);
    for (const r of tree.routes) delete r.continue;
    expect(evaluate(tree, { service: 'catalog', severity: 'critical' }, '')).toEqual(['storefront-teams']);
  });
});

describe('receiver kinds and time intervals', () => {
  const am = parse(fs.readFileSync(AM.paging, 'utf8'));
  const receiver = (name: string) => am.receivers.find((r: any) => r.name === name);

  test('amtool check-config accepts both configs (every field checked by Alertmanager 0.33 itself)', () => {
    for (const file of [AM.paging, AM.qa]) {
      const result = run(requireTool('amtool'), ['check-config', file]);
      expect({ file, code: result.code, out: result.stdout + result.stderr }).toEqual({ file, code: 0, out: expect.stringContaining('SUCCESS') });
    }
  });

  test('Alertmanager: email, Opsgenie and Teams read every credential from the mounted Secret\'s files', () => {
    expect(receiver('payments-mail').email_configs).toEqual([
      {
        to: 'payments@example.com, payments-lead@example.com',
        from: 'alerts@example.com',
        smarthost: 'smtp.example.com:587',
        auth_username: 'alerts',
        auth_password_file: '/etc/alertmanager/secrets/smtp-password',
        require_tls: true,
        send_resolved: true,
      },
    ]);
    expect(receiver('payments-opsgenie').opsgenie_configs).toEqual([
      { api_key_file: '/etc/alertmanager/secrets/payments-opsgenie-api-key', api_url: 'https://api.eu.opsgenie.com/', send_resolved: true },
    ]);
    expect(receiver('storefront-teams').msteamsv2_configs).toEqual([
      { webhook_url_file: '/etc/alertmanager/secrets/storefront-teams-webhook-url', send_resolved: true },
    ]);
  });

  test("Grafana: email, Opsgenie and Teams contact points; SMTP in Grafana's environment, the password from the Secret's file", () => {
    const byName = Object.fromEntries(GRAFANA.paging.contactPoints.map((c: any) => [c.name, c.receivers.map((r: any) => ({ type: r.type, settings: r.settings }))]));
    expect(byName['payments-mail']).toEqual([{ type: 'email', settings: { addresses: 'payments@example.com;payments-lead@example.com', singleEmail: false } }]);
    expect(byName['payments-opsgenie']).toEqual([
      { type: 'opsgenie', settings: { apiKey: '$__file{/etc/grafana/secrets/alerting/payments-opsgenie-api-key}', apiUrl: 'https://api.eu.opsgenie.com/' } },
    ]);
    expect(byName['storefront-teams']).toEqual([{ type: 'teams', settings: { url: '$__file{/etc/grafana/secrets/alerting/storefront-teams-webhook-url}' } }]);
    expect(byName['storefront-hook']).toEqual([{ type: 'webhook', settings: { url: '$__file{/etc/grafana/secrets/alerting/storefront-hook-url}', httpMethod: 'POST' } }]);

    const app = new App({ outdir: Testing.app().outdir });
    new Stack(app, 'stack', parseConfig(config({ paging: true, engine: 'grafana' }), 'teams.yaml'), { sourceIdentity: '0000000', argocd: new App() });
    const sts = app.charts.flatMap((c) => c.toJson()).find((o: any) => o.kind === 'StatefulSet' && o.metadata.name === 'grafana') as any;
    const env = sts.spec.template.spec.containers[0].env;
    expect(env).toEqual(
      expect.arrayContaining([
        { name: 'GF_SMTP_ENABLED', value: 'true' },
        { name: 'GF_SMTP_HOST', value: 'smtp.example.com:587' },
        { name: 'GF_SMTP_FROM_ADDRESS', value: 'alerts@example.com' },
        { name: 'GF_SMTP_USER', value: 'alerts' },
        { name: 'GF_SMTP_PASSWORD__FILE', value: '/etc/grafana/secrets/alerting/smtp-password' },
      ]),
    );
  });

  test('the team routes carry their time intervals in both engines, and both define the intervals alike', () => {
    const amRoutes = am.route.routes;
    const grafanaPolicy = GRAFANA.paging.policies.policies[0].routes;
    for (const routesOf of [amRoutes, grafanaPolicy]) {
      const intervals = routesOf
        .filter((r: any) => r.mute_time_intervals || r.active_time_intervals)
        .map((r: any) => ({ receiver: r.receiver, mute: r.mute_time_intervals, active: r.active_time_intervals }));
      expect(intervals).toEqual([
        { receiver: 'payments-mail', mute: undefined, active: ['working-hours'] },
        { receiver: 'storefront-teams', mute: ['weekend'], active: undefined },
      ]);
    }
    const expected = [
      { name: 'working-hours', time_intervals: [{ times: [{ start_time: '09:00', end_time: '17:00' }], weekdays: ['monday:friday'] }] },
      { name: 'weekend', time_intervals: [{ weekdays: ['saturday', 'sunday'] }] },
    ];
    expect(am.time_intervals).toEqual(expected);
    expect(GRAFANA.paging.policies.muteTimes).toEqual(expected.map((t) => ({ orgId: 1, ...t })));
  });

  test('Alertmanager refuses a route naming an undefined interval (the check above can fail)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'team-routing-'));
    const broken = path.join(dir, 'alertmanager.yml');
    fs.writeFileSync(broken, fs.readFileSync(AM.paging, 'utf8').replace('- weekend\n', '- weekends\n'));
    expect(run(requireTool('amtool'), ['check-config', broken]).code).not.toBe(0);
  });
});

describe('bad team config is a field-level error', () => {
  const base = config({ paging: true, engine: 'prometheus' });
  /** The config under test with one edit; an edit that no longer applies fails rather than testing the valid config. */
  const edit = (from: string | RegExp, to: string) => {
    const edited = base.replace(from, to);
    if (edited === base) throw new Error(`the test config has no ${from}`);
    return edited;
  };
  test.each([
    ['an unknown team in the catalogue', edit('team: storefront }', 'team: shopfront }'), /services\[2\]\.team: "shopfront" is not a team of alerting\.teams; known: payments, storefront/],
    ['an unknown receiver in a team', edit('receivers: [storefront-teams], mute', 'receivers: [storefront-team], mute'), /alerting\.teams\[1\]\.warning\.receivers\[0\]: "storefront-team" is not a channel of alerting\.channels; known: payments-mail/],
    ['an unknown time interval', edit('muteTimeIntervals: [weekend]', 'muteTimeIntervals: [weekends]'), /alerting\.teams\[1\]\.warning\.muteTimeIntervals\[0\]: "weekends" is not a time interval of alerting\.timeIntervals; known: working-hours, weekend/],
    ['a time without its leading zero', edit("start: '09:00'", "start: '9:00'"), /alerting\.timeIntervals\[0\]\.intervals\[0\]\.times\[0\]\.start: expected a time of day "HH:MM"/],
    ['an end before the start', edit("end: '17:00'", "end: '08:00'"), /alerting\.timeIntervals\[0\]\.intervals\[0\]\.times\[0\]: expected end after start/],
    ['a weekday range that runs backwards', edit("'monday:friday'", "'friday:monday'"), /alerting\.timeIntervals\[0\]\.intervals\[0\]\.weekdays\[0\]: expected a weekday or a range in week order/],
    ['a channel that nothing routes to', edit('- { name: storefront-hook', '- { name: spare-hook, webhook: { urlKey: spare } }\n    - { name: storefront-hook'), /alerting\.channels\[3\]: "spare-hook" would receive nothing/],
    ['an email channel without an SMTP server', edit(/    email: \{ smarthost.*\n/, ''), /alerting\.channels\[0\]\.email: needs an SMTP server/],
  ])('%s', (_what, yaml, message) => {
    expect(() => parseConfig(yaml, 'teams.yaml')).toThrow(message);
  });
});
