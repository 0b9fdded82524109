import { Testing } from 'cdk8s';
import { NodeExporter } from './node-exporter';

function synth(port?: number) {
  const chart = Testing.chart();
  const ne = new NodeExporter(chart, 'ne', { namespace: 'monitoring-agents', priorityClassName: 'node-agent', port });
  return { objects: Testing.synth(chart) as any[], ne };
}

test('snapshot: node-exporter with its defaults', () => {
  expect(synth().objects).toMatchSnapshot();
});

test('runs on every node with host network and PID, host mounts read-only, without API access', () => {
  const spec = synth().objects.find((o) => o.kind === 'DaemonSet').spec.template.spec;
  expect(spec.tolerations).toEqual([{ operator: 'Exists' }]);
  expect(spec.hostNetwork).toBe(true);
  expect(spec.hostPID).toBe(true);
  expect(spec.automountServiceAccountToken).toBe(false);
  expect(spec.priorityClassName).toBe('node-agent');
  for (const mount of spec.containers[0].volumeMounts) expect(mount.readOnly).toBe(true);
});

test('GIVEN another port WHEN synthesized THEN it listens and is scraped there', () => {
  const container = synth(9110).objects.find((o) => o.kind === 'DaemonSet').spec.template.spec.containers[0];
  expect(container.args).toContain('--web.listen-address=:9110');
  expect(container.ports).toEqual([{ name: 'metrics', containerPort: 9110, hostPort: 9110 }]);
});
