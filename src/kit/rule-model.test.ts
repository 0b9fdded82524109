import { AlertRuleSpec, applyOverrides, overrideProblems, renderRuleGroup, RuleGroupSpec } from './rule-model';

const alert: AlertRuleSpec = {
  alert: 'SomethingBroke',
  expr: 'up == 0',
  for: '5m',
  severity: 'warning',
  summary: 'Something broke.',
  description: '{{ $labels.instance }} is down.',
};
const group = (rules: RuleGroupSpec['rules'], name = 'test-group'): RuleGroupSpec => ({ name, rules });
const render = (g: RuleGroupSpec) => renderRuleGroup(g, { runbookBaseUrl: 'https://git.example.test/docs/runbooks/' });

test('GIVEN an alert WHEN rendered THEN it carries severity, summary, description and a runbook_url from the one pattern', () => {
  expect(render(group([alert]))).toStrictEqual({
    name: 'test-group',
    rules: [
      {
        alert: 'SomethingBroke',
        expr: 'up == 0',
        for: '5m',
        labels: { severity: 'warning' },
        annotations: {
          summary: 'Something broke.',
          description: '{{ $labels.instance }} is down.',
          runbook_url: 'https://git.example.test/docs/runbooks/SomethingBroke.md',
        },
      },
    ],
  });
});

test('fails if an alert name is not PascalCase', () => {
  expect(() => render(group([{ ...alert, alert: 'something_broke' }]))).toThrow('alert "something_broke" must be PascalCase');
});
test('fails if the severity is not critical, warning or info', () => {
  expect(() => render(group([{ ...alert, severity: 'page' as never }]))).toThrow('allowed: critical, warning, info');
});
test('fails if the summary is templated', () => {
  expect(() => render(group([{ ...alert, summary: '{{ $labels.x }} broke' }]))).toThrow('summary must be a fixed sentence');
});
test('fails if `for` is not a duration', () => {
  expect(() => render(group([{ ...alert, for: 'five minutes' }]))).toThrow('has for "five minutes", not a duration');
});
test('fails if a recording rule is not named level:metric:operation', () => {
  expect(() => render(group([{ record: 'my_rule', expr: 'sum(up)' }]))).toThrow('must be named level:metric:operation');
});
test('fails if a group name is not lower-case words', () => {
  expect(() => render(group([alert], 'My Group'))).toThrow('name must be lower-case words');
});
test('fails if the same alert is defined twice with the same labels', () => {
  expect(() => render(group([alert, alert]))).toThrow('"SomethingBroke" is defined twice');
});

describe('named thresholds and per-alert overrides', () => {
  const lag: AlertRuleSpec = {
    alert: 'LagHigh',
    expr: 'lag > %{messages}',
    for: '5m',
    severity: 'critical',
    thresholds: { messages: { value: 10000, description: 'messages' } },
    summary: 'Lag is high.',
    description: 'Lag is {{ $value }} for %{for} (limit %{messages}).',
  };

  test('GIVEN a threshold WHEN rendered THEN its default fills the expression and the description', () => {
    const rule = render(group([lag])).rules[0] as any;
    expect(rule.expr).toBe('lag > 10000');
    expect(rule.annotations.description).toBe('Lag is {{ $value }} for 5m (limit 10000).');
  });

  test('GIVEN overrides WHEN applied THEN thresholds, for and severity change, disabled alerts and emptied groups go', () => {
    const groups = applyOverrides([group([lag, alert]), group([alert], 'other')], {
      LagHigh: { thresholds: { messages: 500 }, for: '10m', severity: 'warning' },
      SomethingBroke: { enabled: false },
    });
    expect(groups.map((g) => g.name)).toEqual(['test-group']);
    const rule = render(groups[0]).rules[0] as any;
    expect(rule).toEqual(expect.objectContaining({ expr: 'lag > 500', for: '10m', labels: { severity: 'warning' } }));
    expect(rule.annotations.description).toBe('Lag is {{ $value }} for 10m (limit 500).');
  });

  test('GIVEN a very large or fractional threshold WHEN rendered THEN PromQL gets a plain number', () => {
    const rule = render(group([{ ...lag, thresholds: { messages: { value: 10 * 2 ** 30, description: 'bytes' } } }])).rules[0] as any;
    expect(rule.expr).toBe('lag > 10737418240');
  });

  test('fails if an expression uses a threshold it does not declare', () => {
    expect(() => render(group([{ ...lag, expr: 'lag > %{msgs}' }]))).toThrow('uses %{msgs} but declares no threshold "msgs" (declared: messages)');
  });
  test('fails if a declared threshold is not used by the expression (an override would do nothing)', () => {
    expect(() => render(group([{ ...lag, expr: 'lag > 10000' }]))).toThrow('declares threshold "messages" but its expr does not use %{messages}');
  });
  test('fails if an override names an unknown alert, listing the valid ones', () => {
    expect(overrideProblems([group([lag, alert])], { LagHgh: { enabled: false } })).toEqual([
      { path: ['LagHgh'], message: 'no alert "LagHgh" exists; valid alerts: LagHigh, SomethingBroke' },
    ]);
  });
  test('fails if an override names a threshold the alert lacks', () => {
    expect(overrideProblems([group([lag, alert])], { SomethingBroke: { thresholds: { x: 1 } } })).toEqual([
      { path: ['SomethingBroke', 'thresholds', 'x'], message: 'alert "SomethingBroke" has no threshold "x"; it has no thresholds' },
    ]);
  });
});
