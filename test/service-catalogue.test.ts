import * as fs from 'fs';
import * as path from 'path';
import { ConfigError } from '../src/config/errors';
import { parseConfig } from '../src/config/loader';
import { platformDashboards } from '../src/dashboards';
import { effectiveSlo } from '../src/dashboards/slo-overview';
import { renderDashboard } from '../src/dashboards/dashboard';
import { dashboards, ruleFiles } from './support/dist-files';
import { shippedConfigs, synthesizedShippedConfigs } from './support/synth-fixture';

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
  test("GIVEN no slo section THEN seed 2's SLO table is the default", () => {
    expect(parseConfig(HEAD, 't.yaml').slo).toStrictEqual({ latencyP99Ms: 200, errorRatio: 0.001, kafkaLagMessages: 1000, cdcLagSeconds: 5 });
  });

  test('GIVEN a minimal service THEN the documented defaults apply', () => {
    const config = parseConfig(`${HEAD}services:\n  - { name: a, namespace: n, stack: go }\n`, 't.yaml');
    expect(config.services).toStrictEqual([
      { name: 'a', namespace: 'n', stack: 'go', httpVocabulary: 'seed1', grpcClientTargets: [], kafkaConsumers: [], saga: false, slo: {} },
    ]);
  });

  test('GIVEN a per-service latency target THEN it overrides the default and the error ratio stays default', () => {
    const config = parseConfig(`${HEAD}services:\n  - { name: iam, namespace: n, stack: go, slo: { latencyP99Ms: 300 } }\n`, 't.yaml');
    expect(effectiveSlo(config.services[0], config.slo)).toEqual({ latencyP99Ms: 300, errorRatio: 0.001, latencyRoute: undefined });
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
    expect(found.join('\n')).toMatch(/seed1.*seed2/);
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
  const alerts = fs.existsSync(path.join(envDir, 'rules'))
    ? ruleFiles(envDir).flatMap((f) => f.groups.flatMap((g) => g.rules.filter((r: any) => r.alert)))
    : [];

  test('every service has its error-ratio and latency alerts, at its own targets', () => {
    for (const svc of config.services) {
      const slo = effectiveSlo(svc, config.slo);
      const mine = alerts.filter((r: any) => r.labels?.service === svc.name && r.expr.includes(`namespace="${svc.namespace}", app="${svc.name}"`));
      const latency = mine.find((r: any) => r.alert === 'SloLatencyHigh');
      const errors = mine.find((r: any) => r.alert === 'SloErrorRateHigh');
      expect({ service: svc.name, latency: latency?.expr.trim().endsWith(`> ${slo.latencyP99Ms}`), errors: errors?.expr.trim().endsWith(`> ${slo.errorRatio}`) }).toEqual({
        service: svc.name,
        latency: true,
        errors: true,
      });
      if (slo.latencyRoute) expect(latency!.expr).toContain(`route="${slo.latencyRoute}"`);
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

  test('GIVEN a second service WHEN added as one entry THEN the SLO overview gains its four panels with its own targets', () => {
    const one = renderDashboard(platformDashboards(config)[1]).json as any;
    const two = parseConfig(
      `${HEAD}services:\n  - { name: a, namespace: n, stack: go }\n  - { name: b, namespace: n, stack: go, httpVocabulary: seed2, slo: { latencyP99Ms: 300 } }\n`,
      't.yaml',
    );
    const board = renderDashboard(platformDashboards(two)[1]).json as any;
    expect(board.panels.length - one.panels.length).toBe(4);
    const latency = board.panels.find((p: any) => p.title.startsWith('b: p99'));
    expect(latency.title).toBe('b: p99 (target < 300 ms)');
    expect(latency.targets[0].expr).toContain('http_server_request_duration_ms_bucket{namespace="n", app="b"}');
    expect(latency.fieldConfig.defaults.thresholds.steps[1]).toEqual({ value: 300, color: 'red' });
  });
});
