import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse, stringify } from 'yaml';
import { synthesize } from '../src/synth';
import { OPERATOR_POD_TARGET_LABELS } from '../src/components/prometheus-operator/monitors';
import { loadConfigFile } from '../src/config/loader';
import { registerArgoCdCrds } from './support/argocd-crd';
import { prometheusYaml, ruleFiles } from './support/dist-files';
import { loadManifestDir, validateObjects } from './support/k8s-schema';
import { registerPrometheusOperatorCrds } from './support/operator-crds';
import { copyConfig, REPO_ROOT } from './support/synth-fixture';
import { requireTool, run } from './support/tools';

/**
 * examples/prometheus-operator.yaml, and the same config in Prometheus mode: what the operator's Prometheus
 * is given must mean what this stack's own Prometheus is given, so every expectation comes from the
 * Prometheus-mode synth of the same config.
 */
const EXAMPLE = path.join(REPO_ROOT, 'examples', 'prometheus-operator.yaml');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'prometheus-operator-'));
const config = loadConfigFile(EXAMPLE);
const op = config.metrics.prometheusOperator;

/** Each config in a directory of its own: synth checks a config against its siblings. */
function variant(name: string, settings: Array<[Array<string | number>, unknown]>): string {
  fs.mkdirSync(path.join(work, name), { recursive: true });
  const file = path.join(work, name, 'config.yaml');
  copyConfig(EXAMPLE, file, settings);
  return file;
}

function synthAs(name: string, settings: Array<[Array<string | number>, unknown]>): string {
  const file = variant(name, settings);
  const out = path.join(work, `${name}-out`);
  synthesize({ config: file, out });
  return path.join(out, config.environment);
}

const operatorDir = synthAs('operator', []);
const prometheusDir = synthAs('prometheus', [
  [['metrics', 'backend'], 'prometheus'],
  [['metrics', 'prometheusOperator'], undefined],
  // Prometheus mode deploys a Grafana, which needs its admin Secret.
  [['grafana', 'adminCredentials', 'secretName'], 'grafana-admin'],
]);
const objects = loadManifestDir(operatorDir) as any[];
const ofKind = (kind: string) => objects.filter((o) => o.kind === kind);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('metrics.backend "prometheus-operator" (examples/prometheus-operator.yaml)', () => {
  test('deploys no Prometheus, Alertmanager or Grafana of its own, nor their config or RBAC', () => {
    const sidecarLabels = [op.dashboardLabel, op.datasourceLabel];
    const theirs = (o: any) =>
      (['prometheus', 'alertmanager', 'grafana'].includes(o.metadata.labels?.['app.kubernetes.io/name']) ||
        /(^|-)(prometheus|alertmanager|grafana)(-|$)/.test(o.metadata.name)) &&
      !['PodMonitor', 'PrometheusRule'].includes(o.kind) &&
      !sidecarLabels.some((l) => o.metadata.labels?.[l.key] === l.value);
    expect(objects.filter(theirs).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([]);
    // The Prometheus-mode synth of the same config has them, so the filter can match.
    const inPrometheusMode = (loadManifestDir(prometheusDir) as any[]).filter(theirs).map((o) => o.kind);
    expect(inPrometheusMode).toEqual(expect.arrayContaining(['StatefulSet', 'ClusterRole', 'ClusterRoleBinding', 'ServiceAccount', 'ConfigMap', 'Service']));
  });

  test('every object is valid, strictly, against the Kubernetes schemas and the operator\'s CRDs', () => {
    registerArgoCdCrds();
    registerPrometheusOperatorCrds();
    expect(validateObjects([...objects, ...loadManifestDir(path.join(operatorDir, 'argocd'))])).toEqual([]);
    // A broken CR is refused by the same check.
    const broken = structuredClone(ofKind('PodMonitor')[0]);
    broken.spec.podMetricsEndpoints[0].intervall = '15s';
    expect(validateObjects([broken]).join('\n')).toMatch(/intervall/);
  });

  test('one PrometheusRule per rule group, with exactly the groups Prometheus mode writes (less its own self-monitoring)', () => {
    const expected = ruleFiles(prometheusDir)
      .flatMap((f) => f.groups)
      .filter((g) => g.name !== 'prometheus-self-monitoring');
    const rules = ofKind('PrometheusRule');
    expect(rules.map((r) => r.metadata.name).sort()).toEqual(expected.map((g) => g.name).sort());
    for (const rule of rules) {
      expect(rule.metadata.labels).toMatchObject(op.selectorLabels);
      expect(rule.spec.groups).toEqual(expected.filter((g) => g.name === rule.metadata.name));
    }
  });

  test('promtool check rules accepts every PrometheusRule\'s spec', () => {
    const promtool = requireTool('promtool');
    const files = ofKind('PrometheusRule').map((r) => {
      const file = path.join(work, `rule-${r.metadata.name}.yaml`);
      fs.writeFileSync(file, stringify(r.spec));
      return file;
    });
    expect(files.length).toBeGreaterThan(0);
    const result = run(promtool, ['check', 'rules', ...files]);
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/FAILED/);
    expect(result.code).toBe(0);
  });

  test('every scrape job of Prometheus mode has a PodMonitor with the same discovery, port, path, interval and relabelling', () => {
    const prom = parse(prometheusYaml(prometheusDir));
    // Prometheus scraping itself has no counterpart; the kubelet is scraped by kube-prometheus-stack's own ServiceMonitor.
    const notHere = new Set(['prometheus', 'kubelet', 'kubelet-cadvisor']);
    const jobs = (prom.scrape_configs as any[]).filter((j) => !notHere.has(j.job_name));
    const monitors = ofKind('PodMonitor');
    expect(monitors.map((m) => m.metadata.name).sort()).toEqual(jobs.map((j) => j.job_name).sort());
    const snake = (r: any) =>
      Object.fromEntries(
        Object.entries({ source_labels: r.sourceLabels, separator: r.separator, regex: r.regex, target_label: r.targetLabel, replacement: r.replacement, action: r.action })
          .filter(([, v]) => v !== undefined),
      );
    for (const job of jobs) {
      const m = monitors.find((x) => x.metadata.name === job.job_name);
      expect(m.metadata.labels).toMatchObject(op.selectorLabels);
      const [endpoint] = m.spec.podMetricsEndpoints;
      const names = job.kubernetes_sd_configs[0].namespaces?.names;
      expect(m.spec.namespaceSelector).toEqual(names ? { matchNames: names } : { any: true });
      expect(endpoint.interval).toBe(job.scrape_interval ?? prom.global.scrape_interval);
      expect(endpoint.path).toBe(job.metrics_path);
      expect(endpoint.params).toEqual(job.params);
      expect(endpoint.honorLabels).toBe(job.honor_labels);
      expect(endpoint.scheme).toBe(job.scheme);
      // The job's relabelling verbatim, then its job name; the operator's extra target labels dropped.
      const relabelings = endpoint.relabelings.map(snake);
      expect(relabelings.slice(0, job.relabel_configs.length)).toEqual(job.relabel_configs);
      expect(relabelings[job.relabel_configs.length]).toEqual({ action: 'replace', target_label: 'job', replacement: job.job_name });
      const kept = new Set(job.relabel_configs.map((r: any) => r.target_label));
      const dropped = relabelings.slice(job.relabel_configs.length + 1).flatMap((r: any) => (r.action === 'labeldrop' ? r.regex.split('|') : []));
      for (const label of OPERATOR_POD_TARGET_LABELS) expect(dropped.includes(label)).toBe(!kept.has(label));
      expect(endpoint.port).toBeUndefined();
      expect((endpoint.metricRelabelings ?? []).map(snake)).toEqual(job.metric_relabel_configs ?? []);
    }
  });

  test('each dashboard is a ConfigMap with the sidecar\'s label holding the same JSON as in Prometheus mode', () => {
    const dir = path.join(prometheusDir, 'dashboards');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
    const maps = ofKind('ConfigMap').filter((c) => c.metadata.labels?.[op.dashboardLabel.key] === op.dashboardLabel.value);
    expect(maps.flatMap((c) => Object.keys(c.data)).sort()).toEqual(files.sort());
    for (const c of maps) {
      const [[file, text]] = Object.entries(c.data) as [string, string][];
      expect(JSON.parse(text)).toEqual(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')));
    }
  });

  test('Loki and Jaeger are datasources for the Grafana sidecar, in Grafana\'s namespace, with the uids the dashboards query', () => {
    const [ds] = ofKind('ConfigMap').filter((c) => c.metadata.labels?.[op.datasourceLabel.key] === op.datasourceLabel.value);
    expect(ds.metadata.namespace).toBe(op.grafanaNamespace);
    const provisioned = parse(Object.values(ds.data)[0] as string).datasources;
    // Prometheus mode's own Grafana has them, beside its Prometheus (kube-prometheus-stack's Grafana has its own, uid
    // "prometheus") and any datasource needing a password, which that Grafana could not read from this stack's Secrets.
    const ours = (loadManifestDir(prometheusDir) as any[]).find((o) => o.kind === 'ConfigMap' && o.data?.['datasources.yaml']);
    const expected = parse(ours.data['datasources.yaml']).datasources.filter((d: any) => d.uid !== 'prometheus' && !d.secureJsonData);
    expect(expected.length).toBeGreaterThan(0);
    expect(provisioned).toEqual(expected.map((d: any) => ({ ...d, isDefault: false })));
    expect(provisioned.every((d: any) => d.isDefault === false)).toBe(true);
  });

  test('the routing is written for the operator\'s Alertmanager, with the receivers\' Secret where kube-prometheus-stack mounts it', () => {
    const am = fs.readFileSync(path.join(operatorDir, 'alertmanager', 'alertmanager.yml'), 'utf8');
    expect(am).toContain(`/etc/alertmanager/secrets/${config.alerting.receivers.secretName}/`);
    expect(parse(am).route).toEqual(parse(fs.readFileSync(path.join(prometheusDir, 'alertmanager', 'alertmanager.yml'), 'utf8')).route);
  });
});

describe('settings that mean nothing with the Prometheus Operator are refused', () => {
  test.each([
    [['prometheus', 'retention'], '30d', 'prometheus.retention'],
    [['prometheus', 'storage', 'storageClassName'], 'fast', 'prometheus.storage.storageClassName'],
    [['grafana', 'storage', 'size'], '5Gi', 'grafana.storage'],
    [['grafana', 'adminCredentials', 'secretName'], 'grafana-admin', 'grafana.adminCredentials'],
    [['alerting', 'engine'], 'grafana', 'alerting.engine'],
    [['gitops', 'deployAnnotation', 'enabled'], true, 'gitops.deployAnnotation'],
    [['alerting', 'alertmanager', 'retention'], '240h', 'alerting.alertmanager'],
    [['metrics', 'victoriaMetrics', 'retention'], '30d', 'metrics.victoriaMetrics'],
    // kube-prometheus-stack's namespace: the stack's default-deny policies would cut its pods off.
    [['namespaces', 'monitoring'], 'monitoring', 'metrics.prometheusOperator.prometheusUrl'],
  ])('%j: %j is refused at %s', (at, value, field) => {
    const file = variant('refused', [[at, value]]);
    const out = path.join(work, 'refused-out');
    expect(() => synthesize({ config: file, out })).toThrow(`${field}:`);
    expect(fs.existsSync(out)).toBe(false);
  });

  test('metrics.prometheusOperator with another backend', () => {
    const file = variant('other', [[['metrics', 'backend'], 'prometheus']]);
    expect(() => synthesize({ config: file, out: path.join(work, 'other-out') })).toThrow('metrics.prometheusOperator: applies to metrics.backend "prometheus-operator"');
  });
});
