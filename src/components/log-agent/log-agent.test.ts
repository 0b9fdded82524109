import { Chart, Testing } from 'cdk8s';
import { LogAgent, LogAgentKind } from './log-agent';

function synth(agent?: LogAgentKind) {
  const chart = new Chart(Testing.app(), 'test');
  const construct = new LogAgent(chart, 'agent', {
    namespace: 'monitoring-agents',
    clusterScopedPrefix: 'monitoring',
    priorityClassName: 'monitoring-node-agent',
    pushUrl: 'http://loki.monitoring.svc:3100/loki/api/v1/push',
    agent,
  });
  return { construct, objects: Testing.synth(chart) as any[] };
}

describe('LogAgent', () => {
  test.each(['promtail', 'alloy'] as const)('GIVEN agent %s WHEN synthesized THEN it matches the snapshot', (agent) => {
    expect(synth(agent).objects).toMatchSnapshot();
  });

  test('GIVEN no agent WHEN synthesized THEN Promtail runs (what the design names)', () => {
    expect(synth().construct.agent).toBe('promtail');
  });

  test('GIVEN both agents WHEN synthesized THEN they run the same pipeline and keep positions in separate host directories', () => {
    const p = synth('promtail');
    const a = synth('alloy');
    expect(a.construct.stages.map((s) => s.kind)).toEqual(p.construct.stages.map((s) => s.kind));
    const hostPath = (objects: any[]) => objects.find((o) => o.kind === 'DaemonSet').spec.template.spec.volumes.find((v: any) => v.name === 'state').hostPath.path;
    expect(hostPath(p.objects)).not.toBe(hostPath(a.objects));
  });

  test('GIVEN the container WHEN read THEN root is the only relaxation: no capabilities, no privilege escalation, read-only root filesystem', () => {
    const c = synth().objects.find((o) => o.kind === 'DaemonSet').spec.template.spec.containers[0];
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: false,
      runAsUser: 0,
      runAsGroup: 0,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
  });

  test('fails if the agent is not promtail or alloy', () => {
    expect(() => synth('fluent-bit' as LogAgentKind)).toThrow('LogAgent: agent "fluent-bit" is not supported; allowed: promtail, alloy');
  });
});
