import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { synthesize } from '../src/synth';
import { dashboards, ruleFiles } from './support/dist-files';
import { backendSwitch } from './support/metrics-backend';
import { dashboardPromQueries } from './support/metric-check';
import { backendEnvironments, configVariant, REPO_ROOT } from './support/synth-fixture';

/**
 * Every metrics backend is watched by its own alerts and drawn by its own stack-health panels, and no other
 * backend's: a VictoriaMetrics store gets no alert or panel reading Prometheus' own series (they would never
 * exist), and Prometheus gets no VictoriaMetrics group. Checked on the configs under test and on the first of
 * them switched to each VictoriaMetrics backend.
 */
const PROMETHEUS_SERIES = /(^|[^\w:])prometheus_\w+/;
const VICTORIAMETRICS_SERIES = /(^|[^\w:])(vm|vmagent|vmalert)_\w+/;

/** The groups each backend must bring, in the operator's words: the store, the cluster's links, vmagent, vmalert. */
const EXPECTED_GROUPS = {
  prometheus: ['prometheus-self-monitoring'],
  // The operator's Prometheus is watched by the rules kube-prometheus-stack installs with it.
  'prometheus-operator': [],
  victoriametrics: ['victoriametrics-self-monitoring', 'vmagent-self-monitoring', 'vmalert-self-monitoring'],
  'victoriametrics-cluster': [
    'victoriametrics-self-monitoring',
    'victoriametrics-cluster-self-monitoring',
    'vmagent-self-monitoring',
    'vmalert-self-monitoring',
  ],
} as const;
const BACKEND_GROUPS = new Set(Object.values(EXPECTED_GROUPS).flat());

describe.each(backendEnvironments())('$name', ({ backend, dir }) => {
  const groups = ruleFiles(dir).flatMap((f) => f.groups);
  const rules = groups.flatMap((g) => g.rules.map((r) => ({ group: g.name, name: r.alert ?? r.record, expr: r.expr })));
  const panels = dashboards(dir).flatMap((d) => dashboardPromQueries(d.json));
  const stackHealth = dashboards(dir).find((d) => d.json.uid === 'stack-health');
  const reading = (pattern: RegExp) => [
    ...rules.filter((r) => pattern.test(r.expr)).map((r) => `rule ${r.group}/${r.name}: ${r.expr}`),
    ...panels.filter((q) => pattern.test(q.expr)).map((q) => `${q.where}: ${q.expr}`),
  ];

  test('GIVEN its backend THEN exactly that backend\'s self-monitoring groups are synthesized, beside the stack\'s own', () => {
    const names = groups.map((g) => g.name);
    expect(names).toContain('stack-self-monitoring');
    expect(names.filter((n) => BACKEND_GROUPS.has(n as never)).sort()).toEqual([...EXPECTED_GROUPS[backend]].sort());
  });

  test('GIVEN its backend THEN no alert, recording or panel reads the other backend\'s own series', () => {
    if (backend === 'prometheus') {
      expect(reading(VICTORIAMETRICS_SERIES)).toEqual([]);
    } else {
      expect(reading(PROMETHEUS_SERIES)).toEqual([]);
    }
  });

  test('GIVEN its backend THEN the stack-health dashboard draws that backend\'s storage', () => {
    const exprs = dashboardPromQueries(stackHealth!.json).map((q) => q.expr);
    const own = backend === 'prometheus' ? /prometheus_tsdb_head_series/ : /vm_free_disk_space_bytes/;
    expect(exprs.filter((e) => own.test(e)).length).toBeGreaterThan(0);
  });
});

describe('the backend check can fail', () => {
  test('the patterns find a Prometheus and a VictoriaMetrics series, and not a look-alike', () => {
    expect(PROMETHEUS_SERIES.test('sum(increase(prometheus_rule_evaluation_failures_total[1h]))')).toBe(true);
    expect(VICTORIAMETRICS_SERIES.test('rate(vmagent_remotewrite_retries_count_total[5m])')).toBe(true);
    expect(VICTORIAMETRICS_SERIES.test('max(vm_free_disk_space_bytes)')).toBe(true);
    expect(PROMETHEUS_SERIES.test('sum(rate(app:prometheus_x:rate5m[5m]))')).toBe(false);
    expect(VICTORIAMETRICS_SERIES.test('rate(llvm_compile_total[5m])')).toBe(false);
  });
});

describe("a central cluster watches its agent clusters' vmagents, whatever its own backend", () => {
  /** The example's central cluster switched to another backend, synthesized; its rule group names. */
  const centralGroups = (backend: 'prometheus' | 'victoriametrics') => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), `central-${backend}-`));
    synthesize({ config: configVariant(path.join(REPO_ROOT, 'examples', 'ha.yaml'), `central-${backend}`, [
      ...backendSwitch(backend),
      // Its own dashboard file is relative to the example, which the copy is not beside.
      [['grafana', 'dashboards'], undefined],
    ]), out });
    const [env] = fs.readdirSync(out).filter((d) => fs.statSync(path.join(out, d)).isDirectory());
    return ruleFiles(path.join(out, env)).flatMap((f) => f.groups.map((g) => g.name));
  };

  test('GIVEN role central on Prometheus THEN vmagent-self-monitoring is synthesized beside Prometheus\' own group', () => {
    expect(centralGroups('prometheus')).toEqual(expect.arrayContaining(['prometheus-self-monitoring', 'vmagent-self-monitoring']));
  });

  test('GIVEN role central on VictoriaMetrics THEN vmagent-self-monitoring is there once', () => {
    expect(centralGroups('victoriametrics').filter((g) => g === 'vmagent-self-monitoring')).toHaveLength(1);
  });

  test.each(backendEnvironments().filter((e) => e.backend === 'prometheus'))('GIVEN $name, not central, on Prometheus THEN no vmagent group', ({ dir }) => {
    expect(ruleFiles(dir).flatMap((f) => f.groups.map((g) => g.name))).not.toContain('vmagent-self-monitoring');
  });
});
