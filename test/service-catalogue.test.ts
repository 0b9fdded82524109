import * as fs from 'fs';
import * as path from 'path';
import { ConfigError } from '../src/config/errors';
import { parseConfig } from '../src/config/loader';
import { platformDashboards } from '../src/dashboards';
import { effectiveSlo, HTTP_VOCABULARY } from '../src/catalog/services';
import { SLO_RECORD } from '../src/catalog/slo';
import { renderDashboard } from '../src/kit/dashboard';
import { shippedConfigs, synthesizedShippedConfigs } from './support/synth-fixture';
import { promqlCatalogueProblems } from './support/metric-check';
import { seriesCatalogue } from '../src/catalog/metrics';
import { dashboards, ruleFiles } from './support/dist-files';
import { sharedSloBranches } from './support/slo-records';

const HEAD = `environment: t
cluster: t
repository:
  url: https://example.com/r
grafana:
  adminCredentials:
    secretName: g
`;

function problems(yaml: string): string[] {
  try {
    parseConfig(HEAD + yaml, 't.yaml');
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

describe('the service catalogue in the config', () => {
  test('GIVEN no slo section THEN the documented SLO defaults apply', () => {
    expect(parseConfig(HEAD, 't.yaml').slo).toStrictEqual({ errorRatio: 0.001, kafkaLagMessages: 1000, cdcLagSeconds: 5, openSlo: [] });
  });

  test("GIVEN no latency target THEN each service's vocabulary picks the quantile of the 200 ms default: prometheus-client p95, opentelemetry-ms p99", () => {
    const config = parseConfig(`${HEAD}services:\n  - { name: a, namespace: n, stack: go }\n  - { name: b, namespace: n, stack: go, httpVocabulary: opentelemetry-ms }\n`, 't.yaml');
    expect(config.services.map((s) => effectiveSlo(s, config.slo).latency)).toEqual([
      { quantile: 0.95, thresholdMs: 200 },
      { quantile: 0.99, thresholdMs: 200 },
    ]);
  });

  test('GIVEN a quantile at the top level and a threshold on a service THEN the service combines the two', () => {
    const config = parseConfig(
      `${HEAD}slo:\n  latency: { quantile: 0.99, thresholdMs: 150 }\nservices:\n  - { name: a, namespace: n, stack: go, slo: { latency: { thresholdMs: 400 } } }\n  - { name: b, namespace: n, stack: go }\n`,
      't.yaml',
    );
    expect(config.services.map((s) => effectiveSlo(s, config.slo).latency)).toEqual([
      { quantile: 0.99, thresholdMs: 400 },
      { quantile: 0.99, thresholdMs: 150 },
    ]);
  });

  test('GIVEN the deprecated latencyP99Ms THEN it is read as a p99 target and synth gets a warning with the line', () => {
    const warnings: string[] = [];
    const config = parseConfig(`${HEAD}services:\n  - name: a\n    namespace: n\n    stack: go\n    slo:\n      latencyP99Ms: 300\n`, 't.yaml', warnings);
    expect(effectiveSlo(config.services[0], config.slo).latency).toEqual({ quantile: 0.99, thresholdMs: 300 });
    expect(warnings).toEqual([
      't.yaml: services[0].slo.latencyP99Ms: is deprecated; write latency: {quantile: 0.99, thresholdMs: 300} instead ' +
        "(the same p99 target; without a quantile the service's HTTP vocabulary picks p95 or p99) (line 13)",
    ]);
  });

  test('GIVEN the deprecated httpVocabulary spellings THEN they are read as the new names and synth gets a warning with the line', () => {
    const warnings: string[] = [];
    const config = parseConfig(
      `${HEAD}services:\n  - name: a\n    namespace: n\n    stack: go\n    httpVocabulary: seed1\n  - name: b\n    namespace: n\n    stack: go\n    httpVocabulary: seed2\n`,
      't.yaml',
      warnings,
    );
    expect(config.services.map((s) => s.httpVocabulary)).toEqual(['prometheus-client', 'opentelemetry-ms']);
    expect(warnings).toEqual([
      't.yaml: services[0].httpVocabulary: "seed1" is deprecated; write "prometheus-client" instead (the same metric names) (line 12)',
      't.yaml: services[1].httpVocabulary: "seed2" is deprecated; write "opentelemetry-ms" instead (the same metric names) (line 16)',
    ]);
  });

  test('GIVEN no deprecated field THEN there is no warning', () => {
    const warnings: string[] = [];
    parseConfig(`${HEAD}services:\n  - { name: a, namespace: n, stack: go, slo: { latency: { quantile: 0.99 } } }\n`, 't.yaml', warnings);
    expect(warnings).toEqual([]);
  });

  test('fails if latency and the deprecated latencyP99Ms are both given, or the quantile is not p95 or p99', () => {
    expect(problems('slo:\n  latencyP99Ms: 100\n  latency: { thresholdMs: 100 }\n')).toEqual([
      expect.stringMatching(/^t\.yaml: slo\.latencyP99Ms: is the deprecated form of latency, which is also set here.*\(line 9\)$/),
    ]);
    expect(problems('services:\n  - { name: a, namespace: n, stack: go, slo: { latency: { quantile: 0.9 } } }\n')).toEqual([
      't.yaml: services[0].slo.latency.quantile: expected one of 0.95, 0.99, got number 0.9 (line 9)',
    ]);
  });

  test('GIVEN a minimal service THEN the documented defaults apply', () => {
    const config = parseConfig(`${HEAD}services:\n  - { name: a, namespace: n, stack: go }\n`, 't.yaml');
    expect(config.services).toStrictEqual([
      { name: 'a', namespace: 'n', stack: 'go', httpVocabulary: 'prometheus-client', grpcClientTargets: [], kafkaConsumers: [], dependencies: [], signals: { circuitBreaker: false }, databaseServer: 'shared', saga: false, buildInfo: false, webhookEvents: false, slo: {} },
    ]);
  });

  test('GIVEN a per-service latency target THEN it overrides the default and the error ratio stays default', () => {
    const config = parseConfig(`${HEAD}services:\n  - { name: iam, namespace: n, stack: go, slo: { latency: { thresholdMs: 300 } } }\n`, 't.yaml');
    expect(effectiveSlo(config.services[0], config.slo)).toEqual({
      latency: { quantile: HTTP_VOCABULARY['prometheus-client'].sloQuantile, thresholdMs: 300 },
      errorRatio: 0.001,
      latencyRoute: undefined,
    });
  });

  test('fails if two services share a name', () => {
    expect(problems('services:\n  - { name: a, namespace: n, stack: go }\n  - { name: a, namespace: m, stack: java }\n')).toEqual([
      expect.stringMatching(/^t\.yaml: services\[1\]\.name: "a" is also the name of services\[0\]; service names must be unique.*\(line \d+\)$/),
    ]);
  });

  test('fails if a gRPC target is listed twice', () => {
    expect(problems('services:\n  - { name: a, namespace: n, stack: go, grpcClientTargets: [b, b] }\n')).toEqual([
      expect.stringContaining('services[0].grpcClientTargets[1]: "b" is listed twice'),
    ]);
  });

  test('fails if the HTTP vocabulary or the stack is unknown', () => {
    const found = problems('services:\n  - { name: a, namespace: n, stack: rust, httpVocabulary: otel }\n');
    expect(found).toEqual([expect.stringContaining('services[0].stack'), expect.stringContaining('services[0].httpVocabulary')]);
    expect(found.join('\n')).toContain('expected "prometheus-client" or "opentelemetry-ms", got "otel"');
    // The deprecated spellings still load, but an error never proposes them.
    expect(found.join('\n')).not.toMatch(/seed/);
  });

  test('fails if an error ratio is a percentage', () => {
    expect(problems('slo:\n  errorRatio: 0.1\nservices:\n  - { name: a, namespace: n, stack: go, slo: { errorRatio: 5 } }\n')).toEqual([
      expect.stringContaining('services[0].slo.errorRatio: expected a ratio between 0 and 1'),
    ]);
  });

  test('fails if a Kafka consumer has no topics', () => {
    expect(problems('services:\n  - { name: a, namespace: n, stack: go, kafkaConsumers: [{ groupId: g, topics: [] }] }\n')).toEqual([
      expect.stringContaining('services[0].kafkaConsumers[0].topics: expected at least one topic'),
    ]);
  });
});

/**
 * Each config under test, synthesized: every service of its catalogue gets its SLO alerts with its own
 * targets, and every Kafka consumer group its lag panel. Expectations come from the config itself, so a
 * user who adds, removes or retunes a service keeps these tests green.
 */
describe.each(shippedConfigs().map(({ file, config }) => [path.basename(file), config] as const))('the catalogue of %s', (_file, config) => {
  const envDir = path.join(synthesizedShippedConfigs(), config.environment);
  const rules = fs.existsSync(path.join(envDir, 'rules')) ? ruleFiles(envDir).flatMap((f) => f.groups.flatMap((g) => g.rules)) : [];

  test('every service without objectives of its own has its availability and latency SLOs recorded at its own targets, and the burn-rate alerts read them', () => {
    const recorded = (record: string, svc: { name: string; namespace: string }, kind: string) =>
      rules.filter((r: any) => r.record === record && r.labels?.service === svc.name && r.labels?.namespace === svc.namespace && r.labels?.slo === kind);
    for (const svc of config.services) {
      if (svc.slo.objectives) {
        // Its own objectives (an OpenSLO file's, or none at all) replace the generated pair: test/openslo.test.ts.
        const own = rules.filter((r: any) => r.record === SLO_RECORD.objective && r.labels?.service === svc.name && r.labels?.namespace === svc.namespace);
        expect({ service: svc.name, slos: own.map((r: any) => r.labels.slo).sort() }).toEqual({ service: svc.name, slos: svc.slo.objectives.map((o) => o.name).sort() });
        continue;
      }
      const slo = effectiveSlo(svc, config.slo);
      const objectives = Object.fromEntries(['availability', 'latency'].map((kind) => [kind, recorded(SLO_RECORD.objective, svc, kind).map((r: any) => r.expr)]));
      // The latency objective is the target's quantile: a p95 target lets 5% of requests be slower.
      expect({ service: svc.name, objectives }).toEqual({
        service: svc.name,
        objectives: { availability: [`vector(${Number((1 - slo.errorRatio).toFixed(6))})`], latency: [`vector(${slo.latency.quantile})`] },
      });
      // Recorded with the services of the same shape, in one branch of the SLO's shared rule.
      const latencyErrors = sharedSloBranches(rules, SLO_RECORD.errors, svc, 'latency');
      expect({ service: svc.name, branches: latencyErrors.length }).toEqual({ service: svc.name, branches: 1 });
      if (slo.latencyRoute) expect(latencyErrors[0]).toContain(`route="${slo.latencyRoute}"`);
    }
    if (config.services.length > 0) {
      const alerts = rules.filter((r: any) => r.alert).map((r: any) => r.alert);
      expect(alerts).toEqual(expect.arrayContaining(['SloErrorBudgetBurnFast', 'SloErrorBudgetBurnSlow']));
    }
  });

  test('every Kafka consumer group has its lag panel, and only they do', () => {
    const groups = config.services.flatMap((s) => s.kafkaConsumers.map((c) => c.groupId));
    const board = dashboards(envDir).find((d) => d.json.uid === 'kafka-consumers');
    if (groups.length === 0) {
      expect(board).toBeUndefined();
      return;
    }
    const panelGroups = new Set(
      board!.json.panels.flatMap((p: any) => (p.targets ?? []).flatMap((t: any) => [...String(t.expr).matchAll(/group_id="([^"]+)"/g)].map((m) => m[1]))),
    );
    expect([...panelGroups].sort()).toEqual([...new Set(groups)].sort());
  });
});

describe('dashboards follow the catalogue', () => {
  const config = parseConfig(`${HEAD}services:\n  - { name: a, namespace: n, stack: go }\n`, 't.yaml');

  test('GIVEN one plain service THEN only the general dashboards exist', () => {
    expect(platformDashboards(config).map((b) => b.build().uid)).toEqual(['service-overview', 'slo-overview', 'kubernetes', 'runtimes']);
  });

  test('GIVEN a second service WHEN added as one entry THEN the SLO overview gains its panels, reading its SLO recordings', () => {
    const one = renderDashboard(platformDashboards(config)[1]).json as any;
    const two = parseConfig(
      `${HEAD}services:\n  - { name: a, namespace: n, stack: go }\n  - { name: b, namespace: n, stack: go, httpVocabulary: opentelemetry-ms, slo: { latency: { thresholdMs: 300 } } }\n`,
      't.yaml',
    );
    const board = renderDashboard(platformDashboards(two)[1]).json as any;
    // Budget left, burn rate and time until spent, for each of its two SLOs.
    expect(board.panels.length - one.panels.length).toBe(6);
    const mine = board.panels.filter((p: any) => p.title.startsWith('b: '));
    expect(mine.find((p: any) => p.title.startsWith('b: latency budget left')).title).toContain('p99 < 300 ms');
    for (const p of mine) {
      expect(p.targets[0].expr).toContain('namespace="n", service="b"');
      // No raw request series: every panel reads the recordings, whatever the range.
      expect(p.targets[0].expr).not.toMatch(/http_server_request|\[30d\]/);
    }
  });
});

describe('"is my fix deployed?" and the webhook panels of the service overview', () => {
  const overview = (yaml: string) => renderDashboard(platformDashboards(parseConfig(`${HEAD}services:\n${yaml}`, 't.yaml'))[0]).json as any;
  const panel = (board: any, title: string) => board.panels.find((p: any) => p.title.startsWith(title));

  test('GIVEN any service THEN the startup lines with gitSHA are counted per app and SHA, over the selected services, from Loki', () => {
    const board = overview('  - { name: a, namespace: n, stack: go }\n');
    const sha = panel(board, 'Is my fix deployed?');
    expect(sha.datasource.type).toBe('loki');
    expect(sha.targets[0].expr).toBe(
      'sum by (app, gitSHA) (count_over_time({namespace=~"$namespace", app=~"$service"} |= "gitSHA" | json | gitSHA != "" [$__auto]))',
    );
    expect(panel(board, 'Startup lines with the build SHA').targets[0].expr).toBe('{namespace=~"$namespace", app=~"$service"} |= "gitSHA" | json | gitSHA != ""');
    // Every dashboard carries the deploy annotations the SHAs are read against.
    expect(board.annotations.list.map((a: any) => a.name)).toContain('Deploys');
    expect(panel(board, 'Pods per build revision')).toBeUndefined();
    expect(panel(board, 'Webhooks')).toBeUndefined();
  });

  test('GIVEN a service exporting build_info THEN its revisions are shown, from catalogued series only', () => {
    const board = overview('  - { name: a, namespace: n, stack: go, buildInfo: true }\n  - { name: b, namespace: m, stack: go }\n');
    const expr = panel(board, 'Pods per build revision').targets[0].expr;
    expect(expr).toBe('count by (app, version, revision) (build_info{namespace=~"n", app=~"a", namespace=~"$namespace", app=~"$service"})');
    expect(promqlCatalogueProblems(expr, seriesCatalogue())).toEqual([]);
  });

  test('GIVEN a service counting webhooks THEN received and failed webhooks are shown by event type, from catalogued series only', () => {
    const board = overview('  - { name: payment-service, namespace: shop, stack: go, webhookEvents: true }\n');
    const received = panel(board, 'Webhooks received per second by event type').targets[0].expr;
    const failed = panel(board, 'Webhooks failed (5xx) by event type').targets[0].expr;
    expect(received).toBe('sum by (provider, event_type) (rate(webhook_events_total{namespace=~"shop", app=~"payment-service"}[$__rate_interval]))');
    expect(failed).toContain('webhook_events_total{namespace=~"shop", app=~"payment-service", status=~"5.."}');
    for (const e of [received, failed]) expect(promqlCatalogueProblems(e.replace('$__rate_interval', '5m'), seriesCatalogue())).toEqual([]);
  });
});
