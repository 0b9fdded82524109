/**
 * metrics.backend "prometheus-operator" on a real kube-apiserver (KUBERNETES_VERSION) with the Prometheus
 * Operator's CRDs installed at the pinned version (imports/crds/prometheus-operator.yaml): every object of
 * examples/prometheus-operator.yaml, its PodMonitors and PrometheusRules among them, is applied server-side with
 * strict field validation, so the server's own OpenAPI and CEL checks of the CRDs pass on each; broken CRs
 * show the same apply refusing.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { synthesize } from '../../src/synth';
import { loadManifestDir } from '../support/k8s-schema';
import { PROMETHEUS_OPERATOR_CRDS, prometheusOperatorCrds } from '../support/operator-crds';
import { REPO_ROOT } from '../support/synth-fixture';
import { stopAll } from '../support/process';
import { ControlPlane, startControlPlane } from './cluster';
import { installClusterAddOns } from './environment';

const EXAMPLE = path.join(REPO_ROOT, 'examples', 'prometheus-operator.yaml');

let cp: ControlPlane;
let objects: any[];
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'operator-cp-'));

beforeAll(async () => {
  const [env] = synthesize({ config: EXAMPLE, out });
  const dir = path.join(out, env.environment);
  objects = [...loadManifestDir(dir), ...loadManifestDir(path.join(dir, 'argocd'))] as any[];
  cp = await startControlPlane();
  await installClusterAddOns(cp);
  // Server-side: the CRDs are too large for the last-applied annotation of a client-side apply.
  const crds = await cp.kubectl(['apply', '--server-side', '-f', PROMETHEUS_OPERATOR_CRDS]);
  if (crds.code !== 0) throw new Error(`installing the Prometheus Operator CRDs: ${crds.stderr}`);
  const names = prometheusOperatorCrds().map((c) => `crd/${c.metadata.name}`);
  const established = await cp.kubectl(['wait', '--for=condition=Established', '--timeout=60s', ...names]);
  if (established.code !== 0) throw new Error(`the CRDs were not established: ${established.stderr}`);
  // kube-prometheus-stack's namespace, where its Grafana reads the datasource ConfigMap.
  const ns = await cp.kubectl(['create', 'namespace', 'monitoring']);
  if (ns.code !== 0) throw new Error(ns.stderr);
}, 300_000);

afterAll(async () => {
  await cp?.stop();
  await stopAll();
  fs.rmSync(out, { recursive: true, force: true });
}, 60_000);

/** `kubectl apply --server-side` with strict field validation (fieldValidation=Strict): unknown fields are errors. */
function apply(list: readonly unknown[]) {
  return cp.kubectl(['apply', '--server-side', '--field-manager=operator-mode-test', '--validate=strict', '-f', '-'], list.map((o) => JSON.stringify(o)).join('\n'));
}

test('every object of the example, each PodMonitor and PrometheusRule among them, is accepted by the API server', async () => {
  const namespaces = objects.filter((o) => o.kind === 'Namespace');
  const first = await apply(namespaces);
  expect(first.stderr).toBe('');
  const rest = objects.filter((o) => o.kind !== 'Namespace');
  const result = await apply(rest);
  // The node agents' Pod Security warnings (their namespace warns at "restricted"): control-plane.test.ts checks those.
  const warnings = result.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('Warning: would violate PodSecurity "restricted:latest": '));
  expect(warnings).toEqual([]);
  expect(result.code).toBe(0);
  // Every CR is stored, as the server read it.
  for (const kind of ['podmonitors', 'prometheusrules']) {
    const listed = await cp.kubectl(['get', kind, '-A', '-o', 'name']);
    const expected = objects.filter((o) => `${o.kind.toLowerCase()}s` === kind).map((o) => `${kind.replace(/s$/, '')}.monitoring.coreos.com/${o.metadata.name}`);
    expect(expected.length).toBeGreaterThan(0);
    expect(listed.stdout.trim().split('\n').sort()).toEqual(expected.sort());
  }
}, 120_000);

test('a broken PodMonitor or PrometheusRule is refused by the server', async () => {
  const monitor = structuredClone(objects.find((o) => o.kind === 'PodMonitor'));
  monitor.metadata.name = 'broken-field';
  monitor.spec.podMetricsEndpoints[0].intervall = '15s';
  const unknownField = await apply([monitor]);
  expect(unknownField.code).not.toBe(0);
  expect(unknownField.stderr).toMatch(/\.spec\.podMetricsEndpoints\[0\]\.intervall: field not declared in schema/);

  const rule = structuredClone(objects.find((o) => o.kind === 'PrometheusRule'));
  rule.metadata.name = 'broken-interval';
  rule.spec.groups[0].interval = 'every minute';
  const badInterval = await apply([rule]);
  expect(badInterval.code).not.toBe(0);
  expect(badInterval.stderr).toMatch(/spec.groups\[0\].interval/);
}, 60_000);
