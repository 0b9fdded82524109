import { Chart, Testing } from 'cdk8s';
import { clusterReadAccess } from './rbac';

const BASE = { name: 'reader', namespace: 'monitoring', clusterScopedPrefix: 'obs', labels: { app: 'reader' } };

test('GIVEN read-only rules WHEN clusterReadAccess THEN it creates a token-less ServiceAccount, a ClusterRole with exactly those rules and a binding to it', () => {
  const chart = Testing.chart();
  const rules = [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }];
  const name = clusterReadAccess(chart, { ...BASE, rules, alsoBind: [{ name: 'reader-agent', namespace: 'node-agents' }] });

  const objects = Testing.synth(chart);
  expect(name).toBe('reader');
  expect(objects.map((o) => o.kind)).toEqual(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding']);
  expect(objects[0]).toMatchObject({ metadata: { name: 'reader', namespace: 'monitoring' }, automountServiceAccountToken: false });
  expect(objects[1]).toMatchObject({ metadata: { name: 'obs-reader' }, rules });
  expect(objects[2]).toMatchObject({
    metadata: { name: 'obs-reader' },
    roleRef: { kind: 'ClusterRole', name: 'obs-reader' },
    subjects: [
      { kind: 'ServiceAccount', name: 'reader', namespace: 'monitoring' },
      { kind: 'ServiceAccount', name: 'reader-agent', namespace: 'node-agents' },
    ],
  });
});

test('fails if a rule has a verb that writes', () => {
  const rules = [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'update'] }];
  expect(() => clusterReadAccess(new Chart(Testing.app(), 'c'), { ...BASE, rules })).toThrow(
    'clusterReadAccess(reader): rules may only read (verbs get, list, watch) and name their groups and resources, got verbs [get, update] on [configmaps]',
  );
});

test('fails if a rule uses a wildcard', () => {
  const rules = [{ apiGroups: ['*'], resources: ['*'], verbs: ['get'] }];
  expect(() => clusterReadAccess(new Chart(Testing.app(), 'c'), { ...BASE, rules })).toThrow('got verbs [get] on [*]');
});
