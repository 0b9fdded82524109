import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { promqlSyntaxError } from '../src/config/promql';
import { synthesize } from '../src/synth';
import { ruleFiles } from './support/dist-files';
import { copyConfig, environments, shippedConfigOf, synthesizedShippedConfigs } from './support/synth-fixture';
import { requireTool, run } from './support/tools';

describe('promqlSyntaxError', () => {
  test('GIVEN every expression of the platform\'s own rules THEN none is reported (no false alarms)', () => {
    const out = synthesizedShippedConfigs();
    const exprs = environments(out).flatMap((env) => ruleFiles(path.join(out, env)).flatMap((f) => f.groups.flatMap((g) => g.rules.map((r) => r.expr as string))));
    expect(exprs.length).toBeGreaterThan(30);
    expect(exprs.filter((e) => promqlSyntaxError(e) !== undefined)).toEqual([]);
  });

  test.each([
    ['sum(rate(x[5m])', 'unclosed parenthesis'],
    ['up{job="a"', 'unclosed matcher'],
    ['rate(x[5m]) >', 'missing right operand'],
    ['up[5x]', 'bad duration'],
    ['   ', 'empty'],
  ])('fails if the expression is broken: %s (%s)', (expr) => {
    expect(promqlSyntaxError(expr)).toMatch(/^(PromQL syntax error at character \d+|the expression is empty)/);
  });
});

const EXTRA_RULE = `
extraAlertRules:
  - alert: CheckoutErrorsHigh
    expr: sum(rate(http_requests_total{app="checkout", code=~"5.."}[5m])) / sum(rate(http_requests_total{app="checkout"}[5m])) > 0.01
    for: 10m
    severity: warning
    summary: Checkout returns too many errors.
    description: "{{ $value | humanizePercentage }} of checkout requests fail."
    labels:
      team: payments
`;

/** Synthesizes a shipped config with the extra rule appended; returns the environment's output directory. */
function synthWithExtraRule(env: 'prod' | 'qa'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'extra-rules-'));
  copyConfig(shippedConfigOf(env).file, path.join(dir, `${env}.yaml`));
  fs.appendFileSync(path.join(dir, `${env}.yaml`), EXTRA_RULE);
  synthesize({ config: path.join(dir, `${env}.yaml`), out: path.join(dir, 'out') });
  return path.join(dir, 'out', env);
}

test('GIVEN extraAlertRules and the prometheus engine WHEN synthesized THEN they are a rule group of Prometheus that promtool accepts', () => {
  const out = synthWithExtraRule('prod');
  const file = path.join(out, 'rules', 'extra-alert-rules.yaml');
  const group = parse(fs.readFileSync(file, 'utf8')).groups[0];
  expect(group.rules[0]).toEqual(
    expect.objectContaining({ alert: 'CheckoutErrorsHigh', for: '10m', labels: expect.objectContaining({ severity: 'warning', team: 'payments' }) }),
  );
  expect(group.rules[0].annotations.runbook_url).toMatch(/\/CheckoutErrorsHigh\.md$/);
  expect(fs.readFileSync(path.join(out, 'prometheus.k8s.yaml'), 'utf8')).toContain('CheckoutErrorsHigh');
  const result = run(requireTool('promtool'), ['check', 'rules', file]);
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
});

test('GIVEN extraAlertRules and the grafana engine (QA) WHEN synthesized THEN Grafana evaluates them, not Prometheus', () => {
  const out = synthWithExtraRule('qa');
  expect(fs.readFileSync(path.join(out, 'grafana-alerting', 'rules.yaml'), 'utf8')).toContain('CheckoutErrorsHigh');
  expect(fs.readFileSync(path.join(out, 'prometheus.k8s.yaml'), 'utf8')).not.toContain('CheckoutErrorsHigh');
});
