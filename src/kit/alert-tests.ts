import { toYaml } from '../lib/yaml';

/**
 * Unit tests for alerts, as typed data beside the rules they test, rendered
 * into `promtool test rules` files by the test suite.
 *
 * Each case feeds input series and checks, at given times, exactly which
 * instances of one alert fire. A check with `firing: []` asserts silence.
 * Annotations are not compared (their templates are checked by
 * `promtool check rules`); labels are, including `severity`.
 */
export interface AlertCheck {
  /** Time since the start of the series, e.g. `10m`. */
  readonly at: string;
  readonly alert: string;
  /** The labels of each firing instance, without `alertname`; `[]` means silent. */
  readonly firing: ReadonlyArray<Readonly<Record<string, string>>>;
}

export interface AlertTestCase {
  readonly name: string;
  /** Step between input samples. @default '1m' */
  readonly interval?: string;
  /** Promtool's expanding notation, e.g. `{ series: 'up{job="a"}', values: '1x10 0x20' }`. */
  readonly series: ReadonlyArray<{ readonly series: string; readonly values: string }>;
  readonly checks: readonly AlertCheck[];
}

export interface AlertTests {
  /** The rule group under test, i.e. `rules/<group>.yaml`. */
  readonly group: string;
  /** How often promtool evaluates the rules. @default '1m' */
  readonly evaluationInterval?: string;
  readonly cases: readonly AlertTestCase[];
}

/**
 * Unit tests of a group whose rules the config shapes (which alerts exist, which series they select): the
 * cases are written for the config under test, so they hold for any catalogue, not only the shipped one.
 */
export interface ConfiguredAlertTests<Config> {
  /** The rule group under test, i.e. `rules/<group>.yaml`. */
  readonly group: string;
  readonly forConfig: (config: Config) => AlertTests;
}

/**
 * The promtool unit-test file for one group, whose rule file sits beside it. When the rule file holds more
 * than one group (the recordings the tested group reads), `groupEvalOrder` names every group in the order they
 * must be evaluated at each step: without it promtool takes them in Go map order, which changes from run to run,
 * and an alert may read a recording of the same timestamp or of the step before.
 */
export function promtoolTestFile(tests: AlertTests, groupEvalOrder: readonly string[] = []): string {
  return toYaml({
    rule_files: [`${tests.group}.yaml`],
    evaluation_interval: tests.evaluationInterval ?? '1m',
    ...(groupEvalOrder.length > 1 ? { group_eval_order: [...groupEvalOrder] } : {}),
    tests: tests.cases.map((c) => ({
      name: c.name,
      interval: c.interval ?? '1m',
      input_series: c.series,
      alert_rule_test: c.checks.map((check) => ({
        eval_time: check.at,
        alertname: check.alert,
        exp_alerts: check.firing.map((labels) => ({ exp_labels: labels })),
      })),
    })),
  });
}

/**
 * A counter in promtool's expanding notation from segments of
 * `[steps, increase per step]`: `[[60, 1000], [10, 500]]` is 1 000 per step for
 * 60 steps, then 500 per step for 10. Starts at 0.
 */
export function counterValues(segments: ReadonlyArray<readonly [number, number]>): string {
  let value = 0;
  const parts = ['0'];
  for (const [steps, perStep] of segments) {
    parts.push(`${value + perStep}+${perStep}x${steps - 1}`);
    value += perStep * steps;
  }
  return parts.join(' ');
}
