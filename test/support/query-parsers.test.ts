import { groupingLabels, logqlErrors, metricSelectors, promqlErrors } from './query-parsers';

describe('promqlErrors', () => {
  test.each([
    'sum by (job) (rate(http_requests_total{code=~"5.."}[$__rate_interval]))',
    'histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])))',
    'rate(x[${__rate_interval}]) * $__interval_ms / $__range_s',
    'rate(x[[[__interval]]]) offset $shift',
    'max_over_time(x[$__range:$__interval])',
    'up{job=~"$job", instance=~"${instance:regex}"} == 0',
    'sum by ($group) (x{job=$job}) > $threshold',
    'topk($k, rate($metric[5m]))',
    'x @ ${__to:date:seconds}',
    'sum(rate(a[5m])) / on(job) group_left(instance) b # trailing comment with $var',
  ])('GIVEN valid PromQL %s WHEN parsed THEN there are no errors', (expr) => {
    expect(promqlErrors(expr)).toEqual([]);
  });

  test.each([
    ['sum(rate(foo[5m])', /unexpected end of expression at 1:18: sum\(rate\(foo\[5m\]\)⟪⟫/],
    ['up{job=}', /missing token at 1:8: up\{job=⟪⟫\}/],
    ['1 +* 2', /at 1:4/],
    ['', /empty expression/],
  ])('GIVEN broken PromQL %j WHEN parsed THEN the error names the position and a snippet', (expr, expected) => {
    const errors = promqlErrors(expr);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(expected);
  });

  test('GIVEN an error after a substituted variable WHEN parsed THEN the position refers to the original text', () => {
    // `$__rate_interval` (16 chars) becomes `5m`; the missing `)` is at the end of the original.
    const expr = 'sum(rate(x[$__rate_interval])';
    expect(promqlErrors(expr)).toEqual(['PromQL unexpected end of expression at 1:30: …rate(x[$__rate_interval])⟪⟫']);
  });

  test('GIVEN a multi-line expression WHEN broken THEN line and column are reported', () => {
    expect(promqlErrors('sum(\n  rate(foo[5m]\n) +')[0]).toMatch(/at 3:4/);
  });
});

describe('logqlErrors', () => {
  test.each([
    '{namespace="java-tasks", app="postgres"} |= "auto_explain" | json | query_id=~"$queryid"',
    'sum by (level) (count_over_time({job="x"} | json [5m]))',
    'sum(rate({app="x"}[$__auto]))',
    'sum(count_over_time({app="$app"} |= $search | level=$level [$__interval])) > $threshold',
    '{app="x"} | logfmt | line_format "{{.msg}}"',
  ])('GIVEN valid LogQL %s WHEN parsed THEN there are no errors', (expr) => {
    expect(logqlErrors(expr)).toEqual([]);
  });

  test.each([
    ['{app="x"} | jsn', /LogQL .* at 1:16/],
    ['sum(count_over_time({app="x"}[5m])', /unexpected end of expression/],
    ['{app="x" |= "a"', /LogQL/],
  ])('GIVEN broken LogQL %j WHEN parsed THEN it fails', (expr, expected) => {
    const errors = logqlErrors(expr);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toMatch(expected);
  });
});

describe('metricSelectors', () => {
  test('GIVEN a binary expression of two selectors WHEN inspected THEN both metrics and their matcher labels are returned', () => {
    expect(
      metricSelectors('sum by (job) (rate(http_requests_total{code=~"5..", job!=""}[5m])) / on(job) group_left up{job="a"}'),
    ).toEqual([
      { metric: 'http_requests_total', labels: ['code', 'job'] },
      { metric: 'up', labels: ['job'] },
    ]);
  });

  test('GIVEN UTF-8 and __name__ selectors WHEN inspected THEN the metric name comes from the quoted name or __name__', () => {
    expect(metricSelectors('{"my.metric", "a.b"="c"} + {__name__="other", x="1"} + {__name__=~"a|b"}')).toEqual([
      { metric: 'my.metric', labels: ['a.b'] },
      { metric: 'other', labels: ['x'] },
      { metric: '', labels: [] },
    ]);
  });

  test('GIVEN a Grafana variable as metric name WHEN inspected THEN it is returned as $var', () => {
    expect(metricSelectors('rate($metric{job=~"$job"}[$__rate_interval])')).toEqual([{ metric: '$metric', labels: ['job'] }]);
  });
});

describe('groupingLabels', () => {
  test('GIVEN by, without, on, ignoring and group_left WHEN inspected THEN all grouping labels are returned once', () => {
    expect(
      groupingLabels(
        'sum by (job, "k8s.ns") (a) / on(job) group_left(instance, pod) count without (pod) (b) + ignoring(le) c',
      ),
    ).toEqual(['job', 'k8s.ns', 'instance', 'pod', 'le']);
  });

  test('GIVEN a Grafana variable in by() WHEN inspected THEN it is returned as $var', () => {
    expect(groupingLabels('sum by ($group) (x)')).toEqual(['$group']);
  });
});
