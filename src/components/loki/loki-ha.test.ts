import { Chart, Testing } from 'cdk8s';
import { parse } from 'yaml';
import { renderRuleGroup } from '../../kit/rule-model';
import { validateObjects } from '../../../test/support/k8s-schema';
import { autoExplainLokiRules } from '../postgres/rules';
import { LokiHa, LokiHaProps } from './loki-ha';

const objectStore = {
  bucket: 'logs-bucket',
  endpoint: 'minio.storage.svc:9000',
  region: 'us-east-1',
  insecure: true,
  forcePathStyle: true,
  credentials: { secretName: 'loki-s3', accessKeyIdKey: 'access-key-id', secretAccessKeyKey: 'secret-access-key' },
};

function synth(props: Partial<LokiHaProps> = {}) {
  const chart = new Chart(Testing.app(), 'test');
  new LokiHa(chart, 'loki', { namespace: 'logs', objectStore, ...props });
  const objects = Testing.synth(chart) as any[];
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
  return { objects, find, config: parse(find('ConfigMap', 'loki-config').data['loki.yaml']) };
}

describe('LokiHa', () => {
  test('GIVEN defaults WHEN synthesized THEN it matches the snapshot and is strictly valid', () => {
    const { objects } = synth();
    expect(objects).toMatchSnapshot();
    expect(validateObjects(objects)).toEqual([]);
  });

  test('GIVEN defaults THEN three monolithic replicas form one memberlist ring with replication_factor 3', () => {
    const { find, config } = synth();
    const sts = find('StatefulSet', 'loki');
    expect(sts.spec.replicas).toBe(3);
    expect(sts.spec.template.spec.containers[0].args).toEqual(['-config.file=/etc/loki/loki.yaml', '-target=all', '-config.expand-env=true']);
    expect(config.common.replication_factor).toBe(3);
    expect(config.common.ring).toEqual({ kvstore: { store: 'memberlist' } });
    expect(config.memberlist).toEqual({ bind_port: 7946, join_members: ['loki-memberlist.logs.svc:7946'] });
    expect(find('Service', 'loki-memberlist').spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
  });

  test('chunks, index and delete requests go to the bucket; the keys are env references filled from the Secret', () => {
    const { find, config } = synth();
    expect(config.common.storage).toEqual({
      s3: {
        endpoint: 'minio.storage.svc:9000',
        bucketnames: 'logs-bucket',
        region: 'us-east-1',
        insecure: true,
        s3forcepathstyle: true,
        access_key_id: '${LOKI_S3_ACCESS_KEY_ID}',
        secret_access_key: '${LOKI_S3_SECRET_ACCESS_KEY}',
      },
    });
    expect(config.schema_config.configs[0]).toMatchObject({ store: 'tsdb', schema: 'v13', object_store: 's3' });
    expect(config.compactor).toMatchObject({ retention_enabled: true, delete_request_store: 's3' });
    expect(find('StatefulSet', 'loki').spec.template.spec.containers[0].env).toEqual([
      { name: 'LOKI_S3_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: 'loki-s3', key: 'access-key-id' } } },
      { name: 'LOKI_S3_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: 'loki-s3', key: 'secret-access-key' } } },
    ]);
  });

  test('GIVEN a tenant and recording rules THEN Loki is multi-tenant and the sharded ruler reads the rules as that tenant', () => {
    const rules = [renderRuleGroup(autoExplainLokiRules({ namespace: 'db', app: 'postgres' }), { runbookBaseUrl: 'https://x.test' })];
    const { find, config } = synth({ tenant: 'central', recordingRules: rules, rulerRemoteWriteUrl: 'http://vm:8428/api/v1/write' });
    expect(config.auth_enabled).toBe(true);
    expect(config.querier).toEqual({ multi_tenant_queries_enabled: true });
    expect(config.ruler).toMatchObject({ enable_sharding: true, remote_write: { clients: { prometheus: { url: 'http://vm:8428/api/v1/write' } } } });
    const mounts = find('StatefulSet', 'loki').spec.template.spec.containers[0].volumeMounts;
    expect(mounts).toContainEqual({ name: 'rules', mountPath: '/etc/loki/rules/central', readOnly: true });
  });

  test('fails if there are fewer replicas than the replication factor', () => {
    expect(() => synth({ replicas: 2 })).toThrow('LokiHa: replicas must be at least 3 (the replication factor), got 2');
  });

  test('fails if recording rules have nowhere to write', () => {
    const rules = [renderRuleGroup(autoExplainLokiRules({ namespace: 'db', app: 'postgres' }), { runbookBaseUrl: 'https://x.test' })];
    expect(() => synth({ recordingRules: rules })).toThrow('LokiHa: recording rules need rulerRemoteWriteUrl');
  });
});
