import { Chart, Testing } from 'cdk8s';
import { parse } from 'yaml';
import { renderRuleGroup } from '../../kit/rule-model';
import { logqlErrors } from '../../../test/support/query-parsers';
import { autoExplainLokiRules } from '../postgres/rules';
import { DEFAULT_INGESTION_LIMITS, Loki, lokiConfig } from './loki';

function synth(props: Partial<ConstructorParameters<typeof Loki>[2]> = {}) {
  const chart = new Chart(Testing.app(), 'test');
  const loki = new Loki(chart, 'loki', { namespace: 'monitoring', ...props });
  const objects = Testing.synth(chart) as any[];
  const find = (kind: string) => objects.find((o) => o.kind === kind);
  const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'loki-config');
  return { loki, objects, find, config: parse(configMap.data['loki.yaml']) };
}

const planRules = renderRuleGroup(autoExplainLokiRules({ namespace: 'java-tasks', app: 'postgres' }), { runbookBaseUrl: 'https://x.test' });

describe('Loki', () => {
  test('GIVEN defaults WHEN synthesized THEN it matches the snapshot', () => {
    expect(synth().objects).toMatchSnapshot();
  });

  test('GIVEN a retention WHEN synthesized THEN the compactor really applies it: retention_enabled, a delete_request_store and retention_period', () => {
    const { config } = synth({ retention: '30d' });
    expect(config.compactor).toEqual(
      expect.objectContaining({ retention_enabled: true, delete_request_store: 'filesystem', working_directory: '/var/loki/compactor' }),
    );
    expect(config.limits_config.retention_period).toBe('720h');
  });

  test('GIVEN defaults WHEN synthesized THEN the index is tsdb with schema v13 on the filesystem, with structured metadata for OTLP', () => {
    const { config } = synth();
    expect(config.schema_config.configs).toEqual([
      { from: '2024-04-01', store: 'tsdb', object_store: 'filesystem', schema: 'v13', index: { prefix: 'index_', period: '24h' } },
    ]);
    expect(config.common.storage).toEqual({ filesystem: { chunks_directory: '/var/loki/chunks', rules_directory: '/etc/loki/rules' } });
    expect(config.common.replication_factor).toBe(1);
    expect(config.common.ring.kvstore.store).toBe('inmemory');
    expect(config.limits_config.allow_structured_metadata).toBe(true);
    // OTLP resource attributes become labels only for the workload identity, never per process.
    expect(config.limits_config.otlp_config.resource_attributes).toEqual({
      ignore_defaults: true,
      attributes_config: [{ action: 'index_label', attributes: ['service.name', 'k8s.namespace.name', 'k8s.pod.name', 'k8s.container.name'] }],
    });
    expect(config.auth_enabled).toBe(false);
  });

  test('GIVEN ingestion limits WHEN synthesized THEN they appear in limits_config in Loki\'s units', () => {
    const { config } = synth({ ingestion: { rateMB: 4, burstMB: 6, perStreamRateMB: 1, perStreamBurstMB: 2, maxLineSizeKB: 128, maxStreams: 500 } });
    expect(config.limits_config).toEqual(
      expect.objectContaining({
        ingestion_rate_mb: 4,
        ingestion_burst_size_mb: 6,
        per_stream_rate_limit: '1MB',
        per_stream_rate_limit_burst: '2MB',
        max_line_size: '128KB',
        max_global_streams_per_user: 500,
      }),
    );
  });

  test('GIVEN defaults WHEN synthesized THEN a StatefulSet keeps the data on a retained PVC, runs as uid 10001 with fsGroup, and the Service has http 3100 and grpc 9095', () => {
    const { find, loki } = synth({ storageSize: '50Gi', storageClassName: 'fast' });
    const sts = find('StatefulSet');
    expect(sts.spec.volumeClaimTemplates[0].spec).toEqual({
      accessModes: ['ReadWriteOnce'],
      storageClassName: 'fast',
      resources: { requests: { storage: '50Gi' } },
    });
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    expect(sts.spec.template.spec.securityContext).toEqual(expect.objectContaining({ runAsUser: 10001, fsGroup: 10001, runAsNonRoot: true }));
    const mounts = sts.spec.template.spec.containers[0].volumeMounts.map((m: any) => m.mountPath);
    expect(mounts).toEqual(expect.arrayContaining(['/var/loki', '/etc/loki', '/tmp']));
    expect(find('Service').spec.ports).toEqual([
      { name: 'http', port: 3100, targetPort: 'http' },
      { name: 'grpc', port: 9095, targetPort: 'grpc' },
    ]);
    expect(loki.pushUrl).toBe('http://loki.monitoring.svc:3100/loki/api/v1/push');
    expect(loki.otlpUrl).toBe('http://loki.monitoring.svc:3100/otlp');
  });

  test('GIVEN a new config WHEN synthesized THEN the pod template checksum changes, so the pod rolls', () => {
    const a = synth({ retention: '14d' }).find('StatefulSet').spec.template.metadata.annotations['checksum/config'];
    const b = synth({ retention: '15d' }).find('StatefulSet').spec.template.metadata.annotations['checksum/config'];
    expect(a).not.toBe(b);
  });

  test('fails if the retention is not whole days', () => {
    expect(() => lokiConfig({ retention: '36h', ingestion: DEFAULT_INGESTION_LIMITS })).toThrow(
      'Loki retention "36h" is not whole days; Loki deletes logs per 24h index period, so use whole days of at least 1d like "14d"',
    );
    expect(() => lokiConfig({ retention: '12h', ingestion: DEFAULT_INGESTION_LIMITS })).toThrow(/whole days of at least 1d/);
  });

  test('GIVEN no recording rules WHEN synthesized THEN the ruler stays off', () => {
    expect(synth().config.ruler).toBeUndefined();
  });

  test('GIVEN LogQL recording rules WHEN synthesized THEN the ruler evaluates them from the mounted rule store and remote-writes to Prometheus', () => {
    const { config, objects } = synth({ recordingRules: [planRules], rulerRemoteWriteUrl: 'http://prometheus.monitoring.svc:9090/api/v1/write' });
    expect(config.ruler.remote_write).toEqual({ enabled: true, clients: { prometheus: { url: 'http://prometheus.monitoring.svc:9090/api/v1/write' } } });
    expect(config.ruler.storage).toEqual({ type: 'local', local: { directory: '/etc/loki/rules' } });
    const rules = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'loki-rules');
    const file = parse(rules.data['postgres-auto-explain.yaml']);
    expect(file.groups[0].rules.map((r: any) => r.record)).toEqual(['namespace:postgres_auto_explain_plans:count5m']);
    for (const rule of file.groups[0].rules) expect({ expr: rule.expr, errors: logqlErrors(rule.expr) }).toEqual({ expr: rule.expr, errors: [] });
    const pod = objects.find((o) => o.kind === 'StatefulSet').spec.template.spec;
    // With auth disabled the tenant is "fake": the ruler reads <directory>/fake/*.yaml.
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'rules', mountPath: '/etc/loki/rules/fake', readOnly: true });
    expect(pod.volumes).toContainEqual({ name: 'rules', configMap: { name: 'loki-rules' } });
  });

  test('fails if recording rules are given without a remote-write URL', () => {
    expect(() => synth({ recordingRules: [planRules] })).toThrow('Loki recording rules need rulerRemoteWriteUrl');
  });
});
