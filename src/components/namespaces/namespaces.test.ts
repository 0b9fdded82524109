import { Testing } from 'cdk8s';
import { Namespaces } from './namespaces';

test('the monitoring namespace enforces restricted; the node-agents namespace is privileged and warns at restricted', () => {
  const chart = Testing.chart();
  new Namespaces(chart, 'ns', { monitoring: 'mon', nodeAgents: 'agents', environment: 'qa', clusterScopedPrefix: 'mon' });
  const objects = Testing.synth(chart) as any[];
  expect(objects).toMatchSnapshot();
  const labels = (name: string) => objects.find((o) => o.kind === 'Namespace' && o.metadata.name === name).metadata.labels;
  expect(labels('mon')['pod-security.kubernetes.io/enforce']).toBe('restricted');
  expect(labels('agents')['pod-security.kubernetes.io/enforce']).toBe('privileged');
  expect(labels('agents')['pod-security.kubernetes.io/warn']).toBe('restricted');
  expect(objects.find((o) => o.kind === 'PriorityClass').metadata.name).toBe('mon-node-agent');
});
