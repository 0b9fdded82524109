import { Chart, Testing } from 'cdk8s';
import { parse } from 'yaml';
import { renderRuleGroup } from '../../kit/rule-model';
import { victoriaMetricsRules } from './rules';
import { validateObjects } from '../../../test/support/k8s-schema';
import { VictoriaMetrics, VictoriaMetricsCluster } from './victoriametrics';
import { VmAgent, vmagentScrapeConfig } from './vmagent';
import { VmAlert } from './vmalert';

const chart = () => new Chart(Testing.app(), 'test');
const byName = (objects: any[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
const argsOf = (workload: any): string[] => workload.spec.template.spec.containers[0].args;

describe('VictoriaMetrics (single node)', () => {
  const c = chart();
  const vm = new VictoriaMetrics(c, 'vm', { namespace: 'monitoring', retention: '30d', storageSize: '50Gi' });
  const objects = Testing.synth(c) as any[];

  test('GIVEN defaults WHEN synthesized THEN it matches the snapshot and is strictly valid', () => {
    expect(objects).toMatchSnapshot();
    expect(validateObjects(objects)).toEqual([]);
  });

  test('GIVEN a retention WHEN synthesized THEN -retentionPeriod carries its unit (a bare number would mean months)', () => {
    expect(argsOf(byName(objects, 'StatefulSet', 'victoriametrics'))).toEqual(
      expect.arrayContaining(['-retentionPeriod=30d', '-storageDataPath=/storage']),
    );
  });

  test('exposes the remote-write URL and the Prometheus-compatible query URL at its root', () => {
    expect(vm.writeUrl).toBe('http://victoriametrics.monitoring.svc:8428/api/v1/write');
    expect(vm.queryUrl).toBe('http://victoriametrics.monitoring.svc:8428');
    expect(vm.vmalertWriteUrl).toBe('http://victoriametrics.monitoring.svc:8428');
  });

  test('runs as non-root and keeps its volume when the StatefulSet goes', () => {
    const sts = byName(objects, 'StatefulSet', 'victoriametrics');
    expect(sts.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65534, fsGroup: 65534 });
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
  });

  test('fails if the retention has no unit', () => {
    expect(() => new VictoriaMetrics(chart(), 'vm', { namespace: 'monitoring', retention: '30' })).toThrow(
      'VictoriaMetrics: retention must be a whole number of h, d, w or y (like "30d"), got "30"',
    );
  });
});

describe('VictoriaMetricsCluster', () => {
  const c = chart();
  const vm = new VictoriaMetricsCluster(c, 'vm', { namespace: 'obs', replicationFactor: 2, vmstorageReplicas: 4 });
  const objects = Testing.synth(c) as any[];

  test('GIVEN four vmstorage nodes WHEN synthesized THEN it matches the snapshot and is strictly valid', () => {
    expect(objects).toMatchSnapshot();
    expect(validateObjects(objects)).toEqual([]);
  });

  test('vminsert and vmselect list every vmstorage pod by its stable name, with the same replication factor', () => {
    const nodes = (port: number) => [0, 1, 2, 3].map((i) => `vmstorage-${i}.vmstorage.obs.svc:${port}`).join(',');
    expect(argsOf(byName(objects, 'Deployment', 'vminsert'))).toEqual(expect.arrayContaining([`-storageNode=${nodes(8400)}`, '-replicationFactor=2']));
    expect(argsOf(byName(objects, 'Deployment', 'vmselect'))).toEqual(
      expect.arrayContaining([`-storageNode=${nodes(8401)}`, '-replicationFactor=2', '-dedup.minScrapeInterval=1ms']),
    );
    expect(byName(objects, 'StatefulSet', 'vmstorage').spec).toMatchObject({ replicas: 4, serviceName: 'vmstorage' });
    expect(byName(objects, 'Service', 'vmstorage').spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
  });

  test('GIVEN replication factor 1 THEN vmselect does not deduplicate (there is nothing to deduplicate)', () => {
    const c1 = chart();
    new VictoriaMetricsCluster(c1, 'vm', { namespace: 'obs', replicationFactor: 1 });
    expect(argsOf(byName(Testing.synth(c1), 'Deployment', 'vmselect'))).not.toContain('-dedup.minScrapeInterval=1ms');
  });

  test('uses the -cluster image tags and exposes the tenant-0 URLs', () => {
    for (const [kind, name] of [['StatefulSet', 'vmstorage'], ['Deployment', 'vminsert'], ['Deployment', 'vmselect']]) {
      expect(byName(objects, kind, name).spec.template.spec.containers[0].image).toMatch(/:v1\.151\.0-cluster$/);
    }
    expect(vm.writeUrl).toBe('http://vminsert.obs.svc:8480/insert/0/prometheus/api/v1/write');
    expect(vm.vmalertWriteUrl).toBe('http://vminsert.obs.svc:8480/insert/0/prometheus');
    expect(vm.queryUrl).toBe('http://vmselect.obs.svc:8481/select/0/prometheus');
    expect(vm.scrapeJobs.map((j) => j.job_name)).toEqual(['vmstorage', 'vminsert', 'vmselect']);
  });

  test('fails if the replication factor exceeds the vmstorage nodes', () => {
    expect(() => new VictoriaMetricsCluster(chart(), 'vm', { namespace: 'obs', replicationFactor: 3, vmstorageReplicas: 2 })).toThrow(
      'VictoriaMetricsCluster: replicationFactor 3 needs at least as many vmstorage replicas, got 2',
    );
  });
});

describe('VmAgent', () => {
  const c = chart();
  new VmAgent(c, 'vmagent', {
    namespace: 'monitoring',
    clusterScopedPrefix: 'monitoring',
    externalLabels: { cluster: 'edge', environment: 'edge' },
    remoteWriteUrl: 'https://central.example.com/api/v1/write',
    bufferSize: '10Gi',
  });
  const objects = Testing.synth(c) as any[];

  test('GIVEN a remote-write URL WHEN synthesized THEN it matches the snapshot and is strictly valid', () => {
    expect(objects).toMatchSnapshot();
    expect(validateObjects(objects)).toEqual([]);
  });

  test('writes to the one URL, buffers on its volume up to 90% of it, and refuses unknown scrape fields', () => {
    expect(argsOf(byName(objects, 'StatefulSet', 'vmagent'))).toEqual(
      expect.arrayContaining([
        '-remoteWrite.url=https://central.example.com/api/v1/write',
        '-remoteWrite.tmpDataPath=/vmagent-data',
        `-remoteWrite.maxDiskUsagePerURL=${Math.floor(10 * 2 ** 30 * 0.9)}`,
        '-promscrape.config.strictParse',
      ]),
    );
  });

  test('scrapes itself instead of Prometheus, with the external labels, and reads pods and nodes only', () => {
    const config = parse(byName(objects, 'ConfigMap', 'vmagent-config').data['scrape.yml']);
    expect(config.global.external_labels).toEqual({ cluster: 'edge', environment: 'edge' });
    expect(config.scrape_configs.map((j: any) => j.job_name)).toEqual(['vmagent', 'kubernetes-pods', 'kubelet-cadvisor', 'kubelet']);
    expect(byName(objects, 'ClusterRole', 'monitoring-vmagent').rules).toEqual([
      { apiGroups: [''], resources: ['pods', 'nodes'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] },
    ]);
  });

  test('fails if a scrape job is defined twice', () => {
    expect(() => vmagentScrapeConfig({ scrapeInterval: '15s', externalLabels: {}, jobs: [{ job_name: 'vmagent' }] })).toThrow(
      'vmagent: scrape job "vmagent" is defined twice',
    );
  });
});

describe('VmAlert', () => {
  // vmalert's own group, as it runs in the stack.
  const groups = victoriaMetricsRules('victoriametrics')
    .filter((g) => g.name === 'vmalert-self-monitoring')
    .map((g) => renderRuleGroup(g, { runbookBaseUrl: 'https://runbooks.test' }));
  const synth = (alertmanagerUrl?: string) => {
    const c = chart();
    new VmAlert(c, 'vmalert', {
      namespace: 'monitoring',
      ruleGroups: groups,
      datasourceUrl: 'http://vmselect.monitoring.svc:8481/select/0/prometheus',
      remoteWriteUrl: 'http://vminsert.monitoring.svc:8480/insert/0/prometheus',
      alertmanagerUrl,
      externalLabels: { cluster: 'c1' },
    });
    return Testing.synth(c) as any[];
  };

  test('GIVEN no Alertmanager WHEN synthesized THEN it matches the snapshot, is strictly valid and blackholes notifications', () => {
    const objects = synth();
    expect(objects).toMatchSnapshot();
    expect(validateObjects(objects)).toEqual([]);
    expect(argsOf(byName(objects, 'Deployment', 'vmalert'))).toContain('-notifier.blackhole');
  });

  test('GIVEN an Alertmanager THEN alerts go to it, and rules read, restore state from and write to the store', () => {
    const args = argsOf(byName(synth('http://alertmanager.monitoring.svc:9093'), 'Deployment', 'vmalert'));
    expect(args).toEqual(
      expect.arrayContaining([
        '-notifier.url=http://alertmanager.monitoring.svc:9093',
        '-datasource.url=http://vmselect.monitoring.svc:8481/select/0/prometheus',
        '-remoteRead.url=http://vmselect.monitoring.svc:8481/select/0/prometheus',
        '-remoteWrite.url=http://vminsert.monitoring.svc:8480/insert/0/prometheus',
        '-external.label=cluster=c1',
      ]),
    );
    expect(args).not.toContain('-notifier.blackhole');
  });

  test('mounts each rule group from its own ConfigMap, in the Prometheus rule format', () => {
    const objects = synth();
    const cm = byName(objects, 'ConfigMap', `vmalert-rules-${groups[0].name}`);
    expect(parse(cm.data[`${groups[0].name}.yaml`]).groups[0].name).toBe(groups[0].name);
  });
});
