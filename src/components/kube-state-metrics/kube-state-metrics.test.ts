import { Testing } from 'cdk8s';
import { KubeStateMetrics } from './kube-state-metrics';

function synth() {
  const chart = Testing.chart();
  const ksm = new KubeStateMetrics(chart, 'ksm', { namespace: 'monitoring', clusterScopedPrefix: 'monitoring' });
  return { objects: Testing.synth(chart) as any[], ksm };
}

test('snapshot: kube-state-metrics with its defaults', () => {
  expect(synth().objects).toMatchSnapshot();
});

test('GIVEN the exported resources WHEN synthesized THEN RBAC lists exactly those, read-only', () => {
  const { objects } = synth();
  const args: string[] = objects.find((o) => o.kind === 'Deployment').spec.template.spec.containers[0].args;
  const exported = args.find((a) => a.startsWith('--resources='))!.slice('--resources='.length).split(',').sort();
  const role = objects.find((o) => o.kind === 'ClusterRole');
  const permitted = role.rules.flatMap((r: any) => r.resources).sort();
  expect(permitted).toEqual(exported);
  for (const rule of role.rules) expect(rule.verbs).toEqual(['list', 'watch']);
});

test('its scrape job keeps the object labels it exports (honor_labels) and has a fixed job name', () => {
  const { ksm } = synth();
  expect(ksm.scrapeJob.job_name).toBe('kube-state-metrics');
  expect(ksm.scrapeJob.honor_labels).toBe(true);
});
