/**
 * OpenSLO v1 documents as a way to declare a service's SLOs: what they say becomes the same error-budget
 * recordings, burn-rate alerts and overview panels as the generated SLOs, and what the stack cannot honour
 * is refused with the file, the document, the field and the line.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { counterValues } from '../src/kit/alert-tests';
import { loadConfig, loadConfigFile } from '../src/config/loader';
import { synthesize } from '../src/synth';
import { ruleFiles } from './support/dist-files';
import { promtoolTest } from './support/promtool-alert-tests';

const FIXTURE = path.join(__dirname, 'fixtures', 'openslo');

/** The fixture's config and OpenSLO file copied to a temp dir, the OpenSLO file replaced by `slos` when given. */
function workspace(slos?: string, configEdit: (text: string) => string = (t) => t): { dir: string; config: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openslo-'));
  fs.cpSync(FIXTURE, dir, { recursive: true });
  if (slos !== undefined) fs.writeFileSync(path.join(dir, 'slos', 'checkout.yaml'), slos);
  const config = path.join(dir, 'shop.yaml');
  fs.writeFileSync(config, configEdit(fs.readFileSync(config, 'utf8')));
  return { dir, config };
}

function synthesizeInto(config: string): string {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'openslo-out-'));
  const [summary] = synthesize({ config, out });
  return path.join(out, summary.environment);
}

/** The problems synth reports for a config, one per line. */
function problemsOf(config: string): string[] {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'openslo-out-'));
  fs.writeFileSync(path.join(out, 'kept.txt'), 'from an earlier synth');
  try {
    synthesize({ config, out });
  } catch (err) {
    // Nothing written: the output directory stays as it was.
    expect(fs.readdirSync(out)).toEqual(['kept.txt']);
    return (err as Error).message.split('\n');
  }
  throw new Error(`synth accepted ${config}`);
}

describe('a config whose slo.openSlo names an OpenSLO file', () => {
  const { config } = workspace();
  const loaded = loadConfigFile(config);
  const envDir = synthesizeInto(config);
  const sloGroup = ruleFiles(envDir).flatMap((f) => f.groups).find((g) => g.name === 'slo')!;
  const recordsOf = (service: string) => sloGroup.rules.filter((r) => r.record && r.labels?.service === service);

  test("each SLO document becomes one of the named service's objectives, with the SLI its indicatorRef or inline indicator gives", () => {
    const checkout = loaded.services.find((s) => s.name === 'checkout')!;
    expect(checkout.slo.objectives).toEqual([
      {
        name: 'checkout-availability',
        objective: 0.999,
        total: 'http_requests_total{namespace="shop", app="checkout"}',
        bad: 'http_requests_total{namespace="shop", app="checkout", code=~"5.."}',
        description: 'Checkout answers without a server error',
      },
      {
        name: 'checkout-payments',
        objective: 0.995,
        total: 'payment_authorisations_total{namespace="shop"}',
        good: 'payment_authorisations_total{namespace="shop", result="authorised"}',
        description: 'Payments authorised by the provider',
      },
    ]);
    // The service without documents keeps the generated pair.
    expect(loaded.services.find((s) => s.name === 'cart')!.slo.objectives).toBeUndefined();
  });

  test('the recordings take the rate of each counter; a good counter is subtracted from the total; the objective is a constant', () => {
    const byName = (slo: string) => Object.fromEntries(recordsOf('checkout').filter((r) => r.labels!.slo === slo).map((r) => [r.record, r.expr]));
    expect(byName('checkout-availability')).toEqual({
      'namespace_service_slo:slo_requests:rate5m': 'sum(rate(http_requests_total{namespace="shop", app="checkout"}[5m]))',
      'namespace_service_slo:slo_errors:rate5m': 'sum(rate(http_requests_total{namespace="shop", app="checkout", code=~"5.."}[5m]))',
      'namespace_service_slo:slo_objective:ratio': 'vector(0.999)',
    });
    expect(byName('checkout-payments')).toEqual({
      'namespace_service_slo:slo_requests:rate5m': 'sum(rate(payment_authorisations_total{namespace="shop"}[5m]))',
      'namespace_service_slo:slo_errors:rate5m':
        'sum(rate(payment_authorisations_total{namespace="shop"}[5m])) - sum(rate(payment_authorisations_total{namespace="shop", result="authorised"}[5m]))',
      'namespace_service_slo:slo_objective:ratio': 'vector(0.995)',
    });
    // The documents replace checkout's generated pair; cart, which has none, keeps its own.
    expect([...new Set(recordsOf('checkout').map((r) => r.labels!.slo))].sort()).toEqual(['checkout-availability', 'checkout-payments']);
    expect([...new Set(recordsOf('cart').map((r) => r.labels!.slo))].sort()).toEqual(['availability', 'latency']);
  });

  test("the OpenSLO file is one of the config's files, so editing it changes the deploy annotation's source identity", () => {
    expect(loadConfig(config).files).toEqual([config, path.join(path.dirname(config), 'slos', 'checkout.yaml')]);
  });

  test('the SLO overview shows each declared SLO: budget left, burn rate and time to exhaustion', () => {
    const dashboard = JSON.parse(fs.readFileSync(path.join(envDir, 'dashboards', 'slo-overview.json'), 'utf8'));
    const titles: string[] = dashboard.panels.map((p: { title: string }) => p.title).filter((t: string) => t.startsWith('checkout:'));
    expect(titles).toEqual([
      'checkout: checkout-availability budget left (Checkout answers without a server error, 99.9%, 30d)',
      'checkout: checkout-availability burn rate (1h)',
      'checkout: checkout-availability budget spent in',
      'checkout: checkout-payments budget left (Payments authorised by the provider, 99.5%, 30d)',
      'checkout: checkout-payments burn rate (1h)',
      'checkout: checkout-payments budget spent in',
    ]);
  });

  test('promtool: half the payments declined for 10 minutes pages on checkout-payments; a 5-minute blip of 5% does not', () => {
    const payments = (result: string) => `payment_authorisations_total{namespace="shop", result="${result}"}`;
    const traffic = (segments: ReadonlyArray<readonly [number, number, number]>) => [
      { series: payments('authorised'), values: counterValues(segments.map(([n, good]) => [n, good] as const)) },
      { series: payments('declined'), values: counterValues(segments.map(([n, , bad]) => [n, bad] as const)) },
    ];
    const page = { severity: 'critical', namespace: 'shop', service: 'checkout', slo: 'checkout-payments' };
    const result = promtoolTest(envDir, {
      group: 'slo',
      cases: [
        {
          name: 'an outage of the declared SLO pages',
          series: traffic([
            [60, 1000, 0],
            [10, 500, 500],
            [60, 1000, 0],
          ]),
          checks: [
            // A 0.5% budget (99.5%) burns 100 times too fast: the 6h/30m pair passes 6x within 7 minutes.
            { at: '60m', alert: 'SloErrorBudgetBurnFast', firing: [] },
            { at: '64m', alert: 'SloErrorBudgetBurnFast', firing: [] },
            { at: '70m', alert: 'SloErrorBudgetBurnFast', firing: [page] },
            // Recovered at 70m: silent once the outage has left the 30-minute short window.
            { at: '110m', alert: 'SloErrorBudgetBurnFast', firing: [] },
          ],
        },
        {
          // 5% bad for 5 minutes is 10 times the 0.5% budget rate: below the 14.4x of the 1-hour window once diluted.
          name: 'a 5-minute blip stays silent',
          series: traffic([
            [180, 1000, 0],
            [5, 950, 50],
            [60, 1000, 0],
          ]),
          checks: ['182m', '185m', '190m', '200m'].map((at) => ({ at, alert: 'SloErrorBudgetBurnFast', firing: [] })),
        },
      ],
    });
    expect({ code: result.code, output: result.code === 0 ? '' : result.stdout + result.stderr }).toEqual({ code: 0, output: '' });
  });
});

describe('what the stack cannot honour is refused with the file, the document, the field and the line', () => {
  const FILE = path.join('slos', 'checkout.yaml');
  const original = fs.readFileSync(path.join(FIXTURE, 'slos', 'checkout.yaml'), 'utf8');
  /** The fixture's OpenSLO file with one edit. */
  const edited = (from: string, to: string) => {
    if (!original.includes(from)) throw new Error(`the fixture has no "${from}"`);
    return original.replace(from, to);
  };
  const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

  test.each([
    [
      'time slices',
      edited('  budgetingMethod: Occurrences\n  objectives:\n    - displayName', '  budgetingMethod: Timeslices\n  objectives:\n    - displayName'),
      'budgetingMethod: Timeslices',
      'document 3 (SLO "checkout-availability"): spec.budgetingMethod: expected Occurrences',
    ],
    ['a calendar month', edited('duration: 30d', 'duration: 1M'), 'duration: 1M', 'spec.timeWindow: expected one rolling window of 30d'],
    ['a query that is not a selector', edited('query: payment_authorisations_total{namespace="shop"}', 'query: sum(rate(payment_authorisations_total[5m]))'), 'sum(rate(', 'spec.indicator.spec.ratioMetric.total.metricSource.spec.query: expected a series selector of a counter'],
    ['a gauge', edited('counter: true\n    bad:', 'counter: false\n    bad:'), 'counter: false', 'document 2 (SLI "checkout-5xx"): spec.ratioMetric.counter: expected true'],
    ['another data source', edited('type: Prometheus\n  connectionDetails', 'type: Datadog\n  connectionDetails'), 'metricSourceRef: platform-prometheus', 'spec.ratioMetric.bad.metricSource.type: expected Prometheus'],
    ['an unknown SLI', edited('indicatorRef: checkout-5xx', 'indicatorRef: checkout-errors'), 'indicatorRef: checkout-errors', 'spec.indicatorRef: no SLI of that name in this file (SLIs here: checkout-5xx), got "checkout-errors"'],
    ['two objectives', edited('    - targetPercent: 99.5', '    - targetPercent: 99.5\n    - targetPercent: 99'), '- targetPercent: 99.5', 'spec.objectives: expected exactly one objective'],
    ['a service the catalogue lacks', edited('service: checkout\n  budgetingMethod', 'service: basket\n  budgetingMethod'), 'service: basket', 'spec.service: "basket" is not a service of the catalogue (services: checkout, cart)'],
    ['an alert policy', `${original}---\napiVersion: openslo/v1\nkind: AlertPolicy\nmetadata:\n  name: page\nspec: {}\n`, 'kind: AlertPolicy', 'kind: alert policies are not read'],
  ])('%s', (_what, text, needle, message) => {
    const { config } = workspace(text);
    const problems = problemsOf(config);
    // The line of the offending field (for a multi-line needle, its first line).
    const line = lineOf(text, needle.split('\n')[0]);
    expect(problems.filter((p) => p.includes(message))).toEqual([expect.stringContaining(FILE)]);
    const problem = problems.find((p) => p.includes(message))!;
    expect(problem).toMatch(new RegExp(`line ${line}\\b`));
  });

  test('a file that does not exist names the config field and its line', () => {
    const { config } = workspace(undefined, (t) => t.replace('- slos/checkout.yaml', '- slos/payments.yaml'));
    const text = fs.readFileSync(config, 'utf8');
    expect(problemsOf(config)).toEqual([
      expect.stringMatching(new RegExp(`shop\\.yaml: slo\\.openSlo\\[0\\]: cannot read "slos/payments\\.yaml" \\(looked for .*payments\\.yaml\\): ENOENT \\(line ${lineOf(text, 'slos/payments.yaml')}\\)`)),
    ]);
  });

  test("objectives written in the config and in an OpenSLO file for the same service are refused, naming both", () => {
    const { config } = workspace(undefined, (t) =>
      t.replace(
        '  - name: checkout\n    namespace: shop\n    stack: go\n',
        '  - name: checkout\n    namespace: shop\n    stack: go\n    slo:\n      objectives:\n        - name: checkout-ok\n          objective: 0.99\n          total: http_requests_total{app="checkout"}\n          bad: http_requests_total{app="checkout", code="500"}\n',
      ),
    );
    const problems = problemsOf(config);
    const objectivesLine = lineOf(fs.readFileSync(config, 'utf8'), 'objectives:');
    // Each problem points at its SLO document's spec.service line.
    const [availabilityLine, paymentsLine] = original.split('\n').flatMap((l, i) => (l.includes('service: checkout') ? [i + 1] : []));
    expect(problems).toEqual([
      expect.stringMatching(new RegExp(`checkout\\.yaml, document 3, line ${availabilityLine}: SLO "checkout-availability" of "checkout": services\\[0\\]\\.slo\\.objectives is also written in the config \\(line ${objectivesLine}\\); declare the service's SLOs in one place`)),
      expect.stringMatching(new RegExp(`checkout\\.yaml, document 4, line ${paymentsLine}: SLO "checkout-payments" of "checkout": services\\[0\\]\\.slo\\.objectives is also written in the config`)),
    ]);
  });

  test('objectives written in the config are checked as the OpenSLO ones are: a selector, one of bad and good, no targets of the generated pair beside them', () => {
    const { config } = workspace(undefined, (t) =>
      t
        .replace('slo:\n  openSlo:\n    - slos/checkout.yaml\n', '')
        .replace(
          '  - name: cart\n    namespace: shop\n    stack: go\n',
          '  - name: cart\n    namespace: shop\n    stack: go\n    slo:\n      errorRatio: 0.01\n      objectives:\n        - name: cart-ok\n          objective: 0.99\n          total: sum(http_requests_total{app="cart"})\n',
        ),
    );
    const text = fs.readFileSync(config, 'utf8');
    const problems = problemsOf(config).map((p) => p.replace(/^.*shop\.yaml: /, ''));
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^services\\[1\\]\\.slo\\.objectives\\[0\\]\\.total: expected a series selector of a counter.*got "sum\\(http_requests_total\\{app=\\\\"cart\\\\"\\}\\)" \\(line ${lineOf(text, 'total: sum(')}\\)`)),
        expect.stringMatching(/^services\[1\]\.slo\.objectives\[0\]: give exactly one of `bad` and `good` beside `total`/),
        expect.stringMatching(new RegExp(`^services\\[1\\]\\.slo\\.errorRatio: a target of the generated SLOs, unused while objectives .* \\(line ${lineOf(text, 'errorRatio: 0.01')}\\)`)),
      ]),
    );
  });
});
