import * as fs from 'fs';
import * as path from 'path';
import { ConfigError } from '../src/config/errors';
import { loadConfigFile, parseConfig } from '../src/config/loader';
import { platformDashboards } from '../src/dashboards';
import { effectiveSlo } from '../src/catalog/slo';
import { renderDashboard } from '../src/dashboards/dashboard';
import { SHIPPED_CONFIG_DIR } from './support/synth-fixture';

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

describe.each(fs.readdirSync(SHIPPED_CONFIG_DIR).filter((f) => f.endsWith('.yaml')))('the shipped %s', (file) => {
  const config = loadConfigFile(path.join(SHIPPED_CONFIG_DIR, file));
  const byNamespace = (ns: string) => config.services.filter((s) => s.namespace === ns).map((s) => s.name);

  test("carries the seeds' services", () => {
    expect(byNamespace('go-ecommerce')).toEqual(
      expect.arrayContaining(['order-service', 'payment-service', 'cart-service', 'product-service', 'order-projector']),
    );
    expect(config.services.map((s) => s.name)).toEqual(
      expect.arrayContaining(['ai-service', 'java-gateway', 'task-service', 'ingestion-service', 'chat-service', 'debug-service']),
    );
    // Seed 2: "all 12 services", on the OpenTelemetry vocabulary.
    const kernel = config.services.filter((s) => s.namespace === 'platform-services');
    expect(kernel).toHaveLength(12);
    expect(kernel.every((s) => s.httpVocabulary === 'seed2')).toBe(true);
    expect(kernel.map((s) => s.name)).toEqual(expect.arrayContaining(['gateway', 'iam', 'domain-resolver', 'money', 'notify']));
  });

  test('the order projector and the analytics consumer read ecommerce.orders (seed 1)', () => {
    const readers = config.services.filter((s) => s.kafkaConsumers.some((c) => c.topics.includes('ecommerce.orders'))).map((s) => s.name);
    expect(readers.sort()).toEqual(['analytics-service', 'order-projector']);
  });

  test("IAM's login route has seed 2's 300 ms target; the gateway keeps the 200 ms default", () => {
    const svc = (n: string) => effectiveSlo(config.services.find((s) => s.name === n)!, config.slo);
    expect(svc('iam')).toEqual({ latencyP99Ms: 300, errorRatio: 0.001, latencyRoute: '/api/v1/auth/login' });
    expect(svc('gateway').latencyP99Ms).toBe(200);
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
      `${HEAD}services:\n  - { name: a, namespace: n, stack: go }\n  - { name: b, namespace: n, stack: go, httpVocabulary: seed2, slo: { latencyP99Ms: 300 } }\n`,
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
