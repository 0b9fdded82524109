import { METRICS, seriesCatalogue } from '../src/catalog/metrics';
import { dashboards, ruleFiles } from './support/dist-files';
import { dashboardPromQueries, FoundQuery, promqlCatalogueProblems, queryProblems, withRecordingRules } from './support/metric-check';
import { StackConfig } from '../src/config/schema';
import { backendEnvironments } from './support/synth-fixture';


function envQueries(envDir: string, config: StackConfig) {
  const rules = ruleFiles(envDir).flatMap((f) => f.groups.flatMap((g) => g.rules.map((r) => ({ ...r, group: g.name }))));
  const { catalogue, problems } = withRecordingRules(seriesCatalogue(config.services), rules as any);
  const queries: FoundQuery[] = [
    ...rules.map((r: any) => ({ where: `rule group ${r.group} ${r.alert ?? r.record}`, expr: r.expr as string })),
    ...dashboards(envDir).flatMap((d) => dashboardPromQueries(d.json)),
  ];
  return { catalogue, problems, queries };
}

// The configs under test, and each VictoriaMetrics backend, whose rules and stack-health panels are their own.
describe.each(backendEnvironments().map((e) => [e.name, e.dir, e.config] as const))('every query of %s against the metric catalogue', (env, envDir, config) => {
  const { catalogue, problems: ruleNameProblems, queries } = envQueries(envDir, config);

  test('GIVEN the synthesized rules and dashboards WHEN each PromQL query is parsed THEN every metric and label is in the catalogue', () => {
    // The synthesized output holds well over a hundred queries; fewer means the walker lost some.
    expect(queries.length).toBeGreaterThan(100);
    const problems = queries.flatMap((q) => queryProblems(q, catalogue).map((p) => `${q.where}: ${p}\n  ${q.expr}`));
    expect([...ruleNameProblems, ...problems]).toEqual([]);
    console.log(`${env}: ${queries.length} PromQL queries checked against ${catalogue.size} catalogued series`);
  });
});

describe('the catalogue check can fail', () => {
  const catalogue = seriesCatalogue();

  test('knows a heartbeat gauge only once a service declares it (services[].signals.heartbeat.metric)', () => {
    const query = 'time() - max by (service) (worker_last_seen_seconds{service="a"})';
    expect(promqlCatalogueProblems(query, catalogue)).toEqual([expect.stringContaining('unknown metric "worker_last_seen_seconds"')]);
    const declared = seriesCatalogue([{ signals: { circuitBreaker: false, heartbeat: { metric: 'worker_last_seen_seconds', maxAgeSeconds: 60 } } }]);
    expect(promqlCatalogueProblems(query, declared)).toEqual([]);
  });

  test('fails if a metric name has a typo (http_request_total)', () => {
    expect(promqlCatalogueProblems('sum(rate(http_request_total[5m]))', catalogue)).toEqual([
      expect.stringContaining('unknown metric "http_request_total" (did you mean "http_requests_total"?)'),
    ]);
  });

  test('fails if a matcher uses status for status_code', () => {
    expect(promqlCatalogueProblems('sum(rate(http_server_requests_total{status=~"5.."}[5m]))', catalogue)).toEqual([
      expect.stringContaining('metric "http_server_requests_total" has no label "status" (did you mean "status_code"?)'),
    ]);
  });

  test('fails if an aggregation groups by a label no metric in the expression has', () => {
    expect(promqlCatalogueProblems('sum by (status) (rate(http_server_requests_total[5m]))', catalogue)).toEqual([
      expect.stringContaining('groups by "status"'),
    ]);
  });

  test('fails if a histogram is selected without its _bucket, or le is used off the buckets', () => {
    expect(promqlCatalogueProblems('rate(http_request_duration_seconds[5m])', catalogue)).toEqual([
      expect.stringContaining('unknown metric "http_request_duration_seconds"'),
    ]);
    expect(promqlCatalogueProblems('http_request_duration_seconds_count{le="1"}', catalogue)).toEqual([
      expect.stringContaining('has no label "le"'),
    ]);
    expect(promqlCatalogueProblems('histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))', catalogue)).toEqual(
      [],
    );
  });

  test('fails if a selector hides its metric name', () => {
    expect(promqlCatalogueProblems('{__name__=~"http_.*"}', catalogue)).toEqual([expect.stringContaining('cannot be checked')]);
  });

  test('GIVEN a recording rule WHEN a query reads it THEN only its output labels are allowed', () => {
    const { catalogue: withRules, problems } = withRecordingRules(catalogue, [
      { record: 'app:http_requests:rate5m', expr: 'sum by (namespace, app) (rate(http_requests_total[5m]))' },
    ]);
    expect(problems).toEqual([]);
    expect(promqlCatalogueProblems('app:http_requests:rate5m{app="x"}', withRules)).toEqual([]);
    expect(promqlCatalogueProblems('app:http_requests:rate5m{route="/"}', withRules)).toEqual([
      expect.stringContaining('has no label "route"'),
    ]);
  });

  test('fails if a recording rule is not named level:metric:operation', () => {
    expect(withRecordingRules(catalogue, [{ record: 'http_rate', expr: 'rate(http_requests_total[5m])' }]).problems).toEqual([
      'recording rule "http_rate": name it level:metric:operation',
    ]);
  });

  test('fails if a variable query reads a label its metric lacks', () => {
    expect(queryProblems({ where: 'v', expr: 'label_values(kafka_consumer_lag, group)', labelValues: true }, catalogue)).toEqual([
      'variable reads label "group", which "kafka_consumer_lag" does not have',
    ]);
  });

  test('GIVEN a synthesized dashboard with a typo injected into one target THEN the walk finds it', () => {
    const board = dashboards(backendEnvironments()[0].dir).find((d) => d.json.uid === 'service-overview')!.json;
    const copy = JSON.parse(JSON.stringify(board));
    copy.panels[0].targets[1].expr = copy.panels[0].targets[1].expr.replace('http_server_requests_total', 'http_server_request_total');
    const problems = dashboardPromQueries(copy).flatMap((q) => queryProblems(q, catalogue));
    expect(problems).toEqual([expect.stringContaining('unknown metric "http_server_request_total"')]);
  });

  test('every catalogued metric is declared once', () => {
    const names = METRICS.map((m) => m.name);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });
});
