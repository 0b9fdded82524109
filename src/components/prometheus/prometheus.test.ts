import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import { renderRuleGroup } from '../../kit/rule-model';
import { Prometheus } from './prometheus';
import { prometheusRules } from './rules';

function synth(props: Partial<ConstructorParameters<typeof Prometheus>[2]> = {}) {
  const chart = Testing.chart();
  new Prometheus(chart, 'prometheus', {
    namespace: 'monitoring',
    clusterScopedPrefix: 'monitoring',
    externalLabels: { cluster: 'test' },
    ruleGroups: [renderRuleGroup(prometheusRules(), { runbookBaseUrl: 'https://example.test/runbooks' })],
    ...props,
  });
  return Testing.synth(chart) as any[];
}

test('snapshot: Prometheus with its defaults', () => {
  expect(synth()).toMatchSnapshot();
});

test('GIVEN retention by time and size WHEN synthesized THEN both are in prometheus.yml, size in Prometheus units, and no retention flag is left', () => {
  const objects = synth({ retention: '30d', retentionSize: '40Gi', storageSize: '50Gi' });
  const config = parse(objects.find((o) => o.metadata.name === 'prometheus-config').data['prometheus.yml']);
  expect(config.storage).toEqual({ tsdb: { retention: { time: '30d', size: '40GB' } } });
  const sts = objects.find((o) => o.kind === 'StatefulSet');
  const args: string[] = sts.spec.template.spec.containers[0].args;
  expect(args.filter((a) => a.includes('retention'))).toEqual([]);
  expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('50Gi');
});

test('GIVEN a rule group WHEN synthesized THEN it is a ConfigMap mounted into the rules directory the config reads', () => {
  const objects = synth();
  const rules = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'prometheus-rules-prometheus-self-monitoring');
  expect(Object.keys(rules.data)).toEqual(['prometheus-self-monitoring.yaml']);
  const config = parse(objects.find((o) => o.metadata.name === 'prometheus-config').data['prometheus.yml']);
  expect(config.rule_files).toEqual(['/etc/prometheus/rules/*.yaml']);
  const sts = objects.find((o) => o.kind === 'StatefulSet');
  const volume = sts.spec.template.spec.volumes.find((v: any) => v.name === 'rules');
  expect(volume.projected.sources).toEqual([{ configMap: { name: 'prometheus-rules-prometheus-self-monitoring' } }]);
});

test('GIVEN a changed config WHEN synthesized THEN the pod template checksum changes, so the pod rolls', () => {
  const checksum = (objects: any[]) =>
    objects.find((o) => o.kind === 'StatefulSet').spec.template.metadata.annotations['checksum/config'];
  expect(checksum(synth({ scrapeInterval: '15s' }))).not.toBe(checksum(synth({ scrapeInterval: '30s' })));
  expect(checksum(synth())).toBe(checksum(synth()));
});

test('RBAC allows only what discovery and cAdvisor need', () => {
  const role = synth().find((o) => o.kind === 'ClusterRole');
  expect(role.rules).toEqual([
    { apiGroups: [''], resources: ['pods', 'nodes'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] },
  ]);
});

test('fails if two scrape jobs share a name', () => {
  expect(() => synth({ extraScrapeJobs: [{ job_name: 'prometheus' }] })).toThrow('scrape job "prometheus" is defined twice');
});

test('GIVEN no push clients WHEN synthesized THEN the remote-write receiver and exemplar storage stay off', () => {
  const args: string[] = synth().find((o) => o.kind === 'StatefulSet').spec.template.spec.containers[0].args;
  expect(args.filter((a) => a.includes('remote-write') || a.includes('exemplar'))).toEqual([]);
});

test('GIVEN the collector remote-writes WHEN enabled THEN Prometheus accepts pushes and keeps exemplars', () => {
  const prometheus = new Prometheus(Testing.chart(), 'p', { namespace: 'obs', clusterScopedPrefix: 'obs', externalLabels: {} });
  expect(prometheus.remoteWriteUrl).toBe('http://prometheus.obs.svc:9090/api/v1/write');
  const args: string[] = synth({ enableRemoteWriteReceiver: true, enableExemplarStorage: true })
    .find((o) => o.kind === 'StatefulSet')
    .spec.template.spec.containers[0].args;
  expect(args).toEqual(expect.arrayContaining(['--web.enable-remote-write-receiver', '--enable-feature=exemplar-storage']));
});
