import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { synthesize } from '../../src/synth';
import { expectCleanLog, stopAll } from '../support/process';
import { postAlerts, receiverSecrets, startAlertmanager, startReceiverSink } from '../support/prometheus-pods';
import { teamsConfig as config } from '../support/team-routing-config';

/**
 * The team routes of test/team-routing.test.ts on a running Alertmanager 0.33: each receiver kind is
 * delivered to with the credentials from the Secret's files, and a mute interval holds a warning back.
 */
describe('the running Alertmanager 0.33 with the team routes', () => {
  afterAll(stopAll);

  /**
   * The config above without its email channel (no SMTP stand-in here), and with the storefront's warnings
   * muted all week, so the mute is in force whenever the test runs.
   */
  function synthesizedLive(): string {
    let yaml = config({ paging: true, engine: 'prometheus' });
    for (const [from, to] of [
      [/    - \{ name: payments-mail.*\n/, ''],
      [/      warning: \{ receivers: \[payments-mail\].*\n/, ''],
      ['weekdays: [saturday, sunday]', "weekdays: ['sunday:saturday']"],
    ] as Array<[string | RegExp, string]>) {
      const edited = yaml.replace(from, to);
      if (edited === yaml) throw new Error(`the test config has no ${from}`);
      yaml = edited;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'team-routing-live-'));
    fs.writeFileSync(path.join(dir, 'teams.yaml'), yaml);
    synthesize({ config: path.join(dir, 'teams.yaml'), out: path.join(dir, 'out') });
    return path.join(dir, 'out', 'test');
  }

  /** alertmanager_notifications_suppressed_total{reason="mute_time_interval"} once it is counted; the flush that counts it is the one that did not send. */
  async function suppressedByMute(url: string): Promise<number> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const text = await (await fetch(`${url}/metrics`)).text();
      const value = Number(/^alertmanager_notifications_suppressed_total\{reason="mute_time_interval"\} (\S+)$/m.exec(text)?.[1] ?? 0);
      if (value > 0 || Date.now() > deadline) return value;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  test(
    "GIVEN team alerts WHEN Alertmanager routes them THEN Teams, the webhook and Opsgenie receive the team's alerts, and a muted warning reaches the platform's chat only",
    async () => {
      const envDir = synthesizedLive();
      const sink = await startReceiverSink();
      try {
        const secrets = receiverSecrets(sink.url, envDir);
        const am = await startAlertmanager(envDir, { secrets: { 'alerting-receivers': secrets }, vendorApi: sink.url });
        await postAlerts(am.url, [
          { alertname: 'CatalogDown', severity: 'critical', service: 'catalog', namespace: 'shop' },
          { alertname: 'CatalogSlow', severity: 'warning', service: 'catalog', namespace: 'shop' },
          { alertname: 'CheckoutDown', severity: 'critical', service: 'checkout', namespace: 'shop' },
        ]);
        // Microsoft Teams (an Adaptive Card POSTed to the workflow URL from the Secret) and the webhook get the critical.
        const teams = await sink.waitFor('/storefront-teams-webhook-url', (r) => r.body.includes('CatalogDown'), 60_000);
        expect(JSON.parse(teams.body).type).toBe('message');
        const hook = JSON.parse((await sink.waitFor('/storefront-hook-url', (r) => r.body.includes('CatalogDown'), 15_000)).body);
        expect(hook.alerts.map((a: any) => a.labels.alertname)).toEqual(['CatalogDown']);
        // Opsgenie: the payments team's critical, with the API key from the Secret's file.
        const genie = await sink.waitFor('/opsgenie/v2/alerts', (r) => r.body.includes('CheckoutDown'), 15_000);
        expect(JSON.parse(genie.body).message).toContain('CheckoutDown');
        // The muted warning: Slack (the platform's route) has it; Alertmanager counts the Teams notification as
        // suppressed by the mute interval, and Teams never gets it.
        await sink.waitFor('/slack', (r) => r.body.includes('CatalogSlow'), 15_000);
        expect(await suppressedByMute(am.url)).toBe(1);
        const toTeams = () => sink.requests.filter((r) => r.path.startsWith('/storefront-teams-webhook-url')).map((r) => (r.body.includes('CatalogSlow') ? 'CatalogSlow' : 'other'));
        expect(toTeams()).toEqual(['other']);
        expect(sink.requests.filter((r) => r.path.startsWith('/opsgenie')).every((r) => !r.body.includes('Catalog'))).toBe(true);
        expectCleanLog('alertmanager', am.proc.log());
      } finally {
        await stopAll();
        await sink.close();
      }
    },
    120_000,
  );
});
