import * as fs from 'fs';
import * as path from 'path';
import { AlertTests, ConfiguredAlertTests } from '../src/kit/alert-tests';
import { promtoolTest } from './support/promtool-alert-tests';
import { StackConfig } from '../src/config/schema';
import { RuleFile, ruleFiles } from './support/dist-files';
import { promqlErrors } from './support/query-parsers';
import { backendEnvironments, REPO_ROOT } from './support/synth-fixture';
import { requireTool, run } from './support/tools';

/** Alerts that fire by design at all times, so they have no silent case. */
const ALWAYS_FIRING: Record<string, string> = { Watchdog: 'the dead man\'s switch: it proves the alert path works by always firing' };

/** The configs under test, and each VictoriaMetrics backend: their self-monitoring groups differ. */
const envs = backendEnvironments();

/**
 * Every `*.alert-tests.ts` module under src/, each exporting AlertTests, or ConfiguredAlertTests whose cases
 * are written for the config under test.
 */
function allAlertTests(): { fixed: AlertTests[]; configured: ConfiguredAlertTests<StackConfig>[] } {
  const found: AlertTests[] = [];
  const configured: ConfiguredAlertTests<StackConfig>[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.alert-tests.ts')) {
        const exported = Object.values(require(full)) as Array<AlertTests | ConfiguredAlertTests<StackConfig>>;
        found.push(...exported.filter((v): v is AlertTests => v && 'cases' in v && Array.isArray(v.cases)));
        configured.push(...exported.filter((v): v is ConfiguredAlertTests<StackConfig> => v && 'forConfig' in v && typeof v.forConfig === 'function'));
      }
    }
  };
  walk(path.join(REPO_ROOT, 'src'));
  return { fixed: found, configured };
}

const allTests = allAlertTests();

/** The unit tests of one environment: the fixed ones and those written for its config. */
const alertTestsOf = (config: StackConfig): AlertTests[] => [...allTests.fixed, ...allTests.configured.map((t) => t.forConfig(config))];

/** The rule groups synthesized in one environment. */
const groupsIn = (envDir: string) => new Set(ruleFiles(envDir).flatMap((f) => f.groups.map((g) => g.name)));

test('every group with alert tests is synthesized in at least one environment, so none of its tests goes unrun', () => {
  const everywhere = new Set(envs.flatMap((e) => [...groupsIn(e.dir)]));
  const groups = [...allTests.fixed.map((t) => t.group), ...allTests.configured.map((t) => t.group)];
  expect(groups.filter((g) => !everywhere.has(g))).toEqual([]);
});

describe.each(envs.map((e) => [e.name, e.dir, e.config] as const))('rule files of %s', (_env, envDir, config) => {
  const files: RuleFile[] = ruleFiles(envDir);
  const alerts = files.flatMap((f) => f.groups.flatMap((g) => g.rules.filter((r) => r.alert)));
  const alertTests = alertTestsOf(config);

  test('promtool check rules accepts every file', () => {
    expect(files.length).toBeGreaterThan(0);
    const result = run(requireTool('promtool'), ['check', 'rules', ...files.map((f) => f.file)]);
    expect({ code: result.code, output: result.code === 0 ? '' : result.stdout + result.stderr }).toEqual({ code: 0, output: '' });
  });

  test('every expression parses with the Prometheus grammar', () => {
    for (const rule of files.flatMap((f) => f.groups.flatMap((g) => g.rules))) {
      expect({ rule: rule.alert ?? rule.record, errors: promqlErrors(rule.expr) }).toEqual({ rule: rule.alert ?? rule.record, errors: [] });
    }
  });

  test('every alert has a severity, summary, description and a runbook that exists', () => {
    expect(alerts.length).toBeGreaterThan(0);
    for (const a of alerts) {
      expect(['critical', 'warning', 'info']).toContain(a.labels.severity);
      expect(a.annotations.summary).toBeTruthy();
      expect(a.annotations.description).toBeTruthy();
      expect(a.annotations.runbook_url).toMatch(new RegExp(`/docs/runbooks/${a.alert}\\.md$`));
      const runbook = path.join(REPO_ROOT, 'docs', 'runbooks', `${a.alert}.md`);
      const text = fs.existsSync(runbook) ? fs.readFileSync(runbook, 'utf8') : '';
      const sections = ['# ' + a.alert, '## What it means', '## How to confirm', '## What to do'].filter((s) => text.includes(s));
      expect({ alert: a.alert, sections: sections.length }).toEqual({ alert: a.alert, sections: 4 });
    }
  });

  test('every alert has a unit test where it fires and one where it stays silent; alerts with `for` are checked on both sides of it', () => {
    const checks = alertTests.flatMap((t) => t.cases.flatMap((c) => c.checks.map((check) => ({ case: c, check }))));
    for (const a of alerts) {
      const mine = checks.filter((c) => c.check.alert === a.alert);
      const fires = mine.some((c) => c.check.firing.length > 0);
      const silent = a.alert in ALWAYS_FIRING || mine.some((c) => c.check.firing.length === 0);
      // "Pending then firing": a silent check earlier in the same case as a firing one.
      const forBoundary =
        !a.for ||
        mine.some(
          (c) =>
            c.check.firing.length > 0 &&
            c.case.checks.some((other) => other.alert === a.alert && other.firing.length === 0 && seconds(other.at) < seconds(c.check.at)),
        );
      expect({ alert: a.alert, fires, silent, forBoundary }).toEqual({ alert: a.alert, fires: true, silent: true, forBoundary: true });
    }
  });

  // A group's tests run where the group is synthesized: the backends' self-monitoring groups exist only with their backend.
  const here = groupsIn(envDir);
  test.each(alertTests.filter((t) => here.has(t.group)).map((t) => [t.group, t] as const))('promtool test rules passes for group %s', (_group, tests) => {
    expect(tests.cases.length).toBeGreaterThan(0);
    const result = promtoolTest(envDir, tests);
    expect({ code: result.code, output: result.code === 0 ? '' : result.stdout + result.stderr }).toEqual({ code: 0, output: '' });
    expect(result.stdout).toMatch(/SUCCESS/);
  });
});

describe('the alert harness can fail', () => {
  test('a wrong expectation makes promtool test rules fail', () => {
    const tests = allTests.fixed[0];
    const c = tests.cases.find((x) => x.checks.some((k) => k.firing.length > 0))!;
    const wrong: AlertTests = {
      group: tests.group,
      cases: [{ ...c, checks: c.checks.map((k) => ({ ...k, firing: k.firing.length > 0 ? [] : [{ severity: 'critical' }] })) }],
    };
    const result = promtoolTest(envs[0].dir, wrong);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/FAILED/);
  });
});

function seconds(duration: string): number {
  const m = /^(\d+)([smh])$/.exec(duration);
  if (!m) throw new Error(`use s, m or h in test times, got "${duration}"`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as 's' | 'm' | 'h'];
}
