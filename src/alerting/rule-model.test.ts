import { AlertRuleSpec, renderRuleGroup, RuleGroupSpec } from './rule-model';

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
