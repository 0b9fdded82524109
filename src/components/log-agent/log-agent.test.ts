import { Chart, Testing } from 'cdk8s';
import { parse } from 'yaml';
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

  test('GIVEN a switch from Promtail to Alloy THEN Alloy imports, read-only, the very positions file Promtail writes on the node', () => {
    /** Where a path inside the agent's container is on the node, through its hostPath mounts. */
    const onNode = (objects: any[], inContainer: string) => {
      const spec = objects.find((o) => o.kind === 'DaemonSet').spec.template.spec;
      const mount = spec.containers[0].volumeMounts.find((m: any) => inContainer.startsWith(`${m.mountPath}/`));
      const volume = spec.volumes.find((v: any) => v.name === mount?.name);
      if (!volume?.hostPath) throw new Error(`${inContainer} is on no hostPath`);
      return { path: volume.hostPath.path + inContainer.slice(mount.mountPath.length), readOnly: mount.readOnly === true };
    };
    const p = synth('promtail');
    const a = synth('alloy');
    const promtailWrites = onNode(p.objects, parse(p.construct.configText).positions.filename);
    const imported = /^\s*legacy_positions_file\s*=\s*"([^"]+)"$/m.exec(a.construct.configText)?.[1];
    expect(imported).toBeDefined();
    expect(onNode(a.objects, imported!)).toEqual({ path: promtailWrites.path, readOnly: true });
    expect(promtailWrites.readOnly).toBe(false);
    // Promtail has nothing to import (Promtail cannot read Alloy's positions): no extra host mount.
    expect(p.objects.find((o) => o.kind === 'DaemonSet').spec.template.spec.volumes.map((v: any) => v.name)).not.toContain('previous-state');
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
