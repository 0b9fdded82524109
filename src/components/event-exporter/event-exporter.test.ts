import { Chart, Testing } from 'cdk8s';
import { parse } from 'yaml';
import { EVENT_LAYOUT, EventExporter, EVENTS_JOB, LEADER_ELECTION_ID } from './event-exporter';

function synth() {
  const chart = new Chart(Testing.app(), 'test');
  new EventExporter(chart, 'ee', { namespace: 'monitoring', clusterScopedPrefix: 'monitoring', lokiPushUrl: 'http://loki.monitoring.svc:3100/loki/api/v1/push' });
  const objects = Testing.synth(chart) as any[];
  const find = (kind: string) => objects.filter((o) => o.kind === kind);
  return { objects, find, config: parse(find('ConfigMap')[0].data['config.yaml']) };
}

describe('kube-event-exporter', () => {
  test('GIVEN defaults WHEN synthesized THEN it matches the snapshot', () => {
    expect(synth().objects).toMatchSnapshot();
  });

  test('GIVEN the config WHEN read THEN only Warning events are routed, to Loki, under {job="kube-event-exporter"} alone', () => {
    const { config } = synth();
    expect(config.route).toEqual({ routes: [{ match: [{ receiver: 'loki', type: 'Warning' }] }] });
    expect(config.receivers).toHaveLength(1);
    expect(config.receivers[0].loki.url).toBe('http://loki.monitoring.svc:3100/loki/api/v1/push');
    // Static stream labels: one stream, whatever the event. Nothing per-object becomes a label.
    expect(config.receivers[0].loki.streamLabels).toEqual({ job: EVENTS_JOB });
    expect(EVENTS_JOB).toBe('kube-event-exporter');
  });

  test('GIVEN the layout WHEN read THEN namespace, reason, kind and name are JSON fields for `| json`', () => {
    const { config } = synth();
    expect(config.receivers[0].loki.layout).toEqual(
      expect.objectContaining({
        namespace: '{{ .InvolvedObject.Namespace }}',
        reason: '{{ .Reason }}',
        kind: '{{ .InvolvedObject.Kind }}',
        name: '{{ .InvolvedObject.Name }}',
        message: '{{ .Message }}',
      }),
    );
    expect(Object.keys(EVENT_LAYOUT)).not.toContain('job');
  });

  test('GIVEN defaults WHEN synthesized THEN leader election is on with two replicas', () => {
    const { config, find } = synth();
    expect(config.leaderElection).toEqual({ enabled: true, leaderElectionID: LEADER_ELECTION_ID });
    expect(find('Deployment')[0].spec.replicas).toBe(2);
  });

  test('GIVEN the RBAC WHEN read THEN events are read-only cluster-wide and the lock is writable only by name, in its own namespace', () => {
    const { find } = synth();
    expect(find('ClusterRole')[0].rules).toEqual([{ apiGroups: [''], resources: ['events'], verbs: ['get', 'list', 'watch'] }]);
    const [role] = find('Role');
    expect(role.metadata.namespace).toBe('monitoring');
    for (const rule of role.rules) {
      expect(['leases', 'configmaps']).toContain(rule.resources[0]);
      if (rule.verbs.includes('update') || rule.verbs.includes('get')) expect(rule.resourceNames).toEqual([LEADER_ELECTION_ID]);
      for (const verb of rule.verbs) expect(['get', 'create', 'update']).toContain(verb);
    }
    expect(find('RoleBinding')[0].roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
  });
});
