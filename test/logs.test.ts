import { App, Testing } from 'cdk8s';
import { parse } from 'yaml';
import { parseConfig } from '../src/config/loader';
import { Stack } from '../src/stack';
import { minimalConfig } from './support/synth-fixture';

const BASE = minimalConfig();

function stackOf(extra: string) {
  const app = new App({ outdir: Testing.app().outdir });
  const stack = new Stack(app, 'stack', parseConfig(BASE + extra, 'test.yaml'), { sourceIdentity: '0000000', argocd: new App() });
  const objects = app.charts.flatMap((c) => c.toJson()) as any[];
  return { stack, objects };
}

describe('the logs pillar in the stack', () => {
  test('GIVEN no logs section WHEN synthesized THEN Promtail, Loki (14d) and the event exporter are deployed and scraped', () => {
    const { objects } = stackOf('');
    const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(names).toEqual(expect.arrayContaining(['StatefulSet/loki', 'DaemonSet/promtail', 'Deployment/kube-event-exporter']));
    expect(names).not.toContain('DaemonSet/alloy');
    const lokiConfig = parse(objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'loki-config').data['loki.yaml']);
    expect(lokiConfig.limits_config.retention_period).toBe('336h');
    const prom = parse(objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'prometheus-config').data['prometheus.yml']);
    expect(prom.scrape_configs.map((j: any) => j.job_name)).toEqual(expect.arrayContaining(['loki', 'promtail', 'kube-event-exporter']));
  });

  test('GIVEN logs.agent: alloy WHEN synthesized THEN Alloy replaces Promtail, with its own positions directory on the node', () => {
    const { objects } = stackOf('logs:\n  agent: alloy\n');
    const ds = objects.find((o) => o.kind === 'DaemonSet' && o.metadata.name === 'alloy');
    expect(objects.find((o) => o.kind === 'DaemonSet' && o.metadata.name === 'promtail')).toBeUndefined();
    const state = ds.spec.template.spec.volumes.find((v: any) => v.name === 'state');
    expect(state.hostPath).toEqual({ path: '/var/lib/observability-platform/monitoring-agents/alloy', type: 'DirectoryOrCreate' });
    expect(ds.spec.template.spec.containers[0].args).toEqual(expect.arrayContaining(['--storage.path=/var/lib/log-agent']));
    const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'alloy-config').data['config.alloy'];
    expect(config).toContain('url = "http://loki.monitoring.svc:3100/loki/api/v1/push"');
  });

  test('GIVEN the agent DaemonSet WHEN read THEN it runs everywhere with a priority class, HOSTNAME from the node, logs read-only and positions read-write on the host', () => {
    const { objects } = stackOf('');
    const ds = objects.find((o) => o.kind === 'DaemonSet' && o.metadata.name === 'promtail');
    const pod = ds.spec.template.spec;
    expect(ds.metadata.namespace).toBe('monitoring-agents');
    expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(pod.priorityClassName).toBe('monitoring-node-agent');
    const c = pod.containers[0];
    expect(c.env).toContainEqual({ name: 'HOSTNAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
    expect(pod.volumes.find((v: any) => v.name === 'pod-logs').hostPath).toEqual({ path: '/var/log/pods', type: 'Directory' });
    expect(c.volumeMounts.find((m: any) => m.name === 'pod-logs')).toEqual({ name: 'pod-logs', mountPath: '/var/log/pods', readOnly: true });
    expect(pod.volumes.find((v: any) => v.name === 'state').hostPath.path).toBe('/var/lib/observability-platform/monitoring-agents/promtail');
    const config = parse(objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'promtail-config').data['promtail.yaml']);
    expect(config.positions.filename.startsWith(c.volumeMounts.find((m: any) => m.name === 'state').mountPath + '/')).toBe(true);
    const role = objects.find((o) => o.kind === 'ClusterRole' && o.metadata.name === 'monitoring-promtail');
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }]);
  });

  test('GIVEN the Grafana provisioning WHEN read THEN the Loki datasource points at Loki with the shared uid', () => {
    const { objects } = stackOf('');
    const ds = parse(objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'grafana-provisioning').data['datasources.yaml']);
    expect(ds.datasources.find((d: any) => d.type === 'loki')).toEqual(
      expect.objectContaining({ uid: 'loki', url: 'http://loki.monitoring.svc:3100', access: 'proxy' }),
    );
  });

  test('GIVEN eventExporter.enabled: false WHEN synthesized THEN there is no exporter and no rule group for it', () => {
    const { objects, stack } = stackOf('logs:\n  eventExporter:\n    enabled: false\n');
    expect(objects.find((o) => o.metadata.name === 'kube-event-exporter')).toBeUndefined();
    expect(stack.ruleGroups.map((g) => g.name)).not.toContain('kube-event-exporter');
  });
});

describe('logs config', () => {
  test('fails if the retention is not whole days', () => {
    expect(() => parseConfig(`${BASE}logs:\n  retention: 36h\n`, 'test.yaml')).toThrow(/test\.yaml: logs\.retention: "36h" is not whole days.*\(line \d+\)/);
  });

  test('fails if the agent is neither promtail nor alloy', () => {
    expect(() => parseConfig(`${BASE}logs:\n  agent: fluentbit\n`, 'test.yaml')).toThrow(/logs\.agent: expected one of "promtail", "alloy", got "fluentbit" \(line \d+\)/);
  });

  test('fails if a burst is below its rate', () => {
    expect(() => parseConfig(`${BASE}logs:\n  ingestion:\n    rateMB: 10\n    burstMB: 5\n`, 'test.yaml')).toThrow(
      /logs\.ingestion\.burstMB: 5 is below logs\.ingestion\.rateMB \(10\)/,
    );
    expect(() => parseConfig(`${BASE}logs:\n  ingestion:\n    perStreamRateMB: 4\n    perStreamBurstMB: 2\n`, 'test.yaml')).toThrow(
      /logs\.ingestion\.perStreamBurstMB: 2 is below/,
    );
  });

  test('fails if one stream may use more than the whole environment', () => {
    expect(() => parseConfig(`${BASE}logs:\n  ingestion:\n    rateMB: 2\n    burstMB: 4\n    perStreamRateMB: 3\n`, 'test.yaml')).toThrow(
      /logs\.ingestion\.perStreamRateMB: 3 is above logs\.ingestion\.rateMB \(2\)/,
    );
  });

  test('fails if a logs key is misspelled', () => {
    expect(() => parseConfig(`${BASE}logs:\n  retension: 14d\n`, 'test.yaml')).toThrow(/logs\.retension: unknown key \(did you mean "retention"\?\)/);
  });
});
