import { Chart, Testing } from 'cdk8s';
import { parse } from 'yaml';
import { validateObjects } from '../../../test/support/k8s-schema';
import { collectorConfigProblems, gatewayConfig, samplerConfig } from './collector-config';
import { OtelCollector, OtelCollectorProps } from './otel-collector';

const base: OtelCollectorProps = {
  namespace: 'monitoring',
  clusterScopedPrefix: 'monitoring',
  environment: 'prod',
  metricsRemoteWriteUrl: 'http://vminsert.monitoring.svc:8480/insert/0/prometheus/api/v1/write',
  lokiOtlpUrl: 'http://loki.monitoring.svc:3100/otlp',
  jaegerOtlpEndpoint: 'jaeger.monitoring.svc:4317',
};

describe('the collector gateway with several replicas and a tail-sampling tier', () => {
  const chart = new Chart(Testing.app(), 'test');
  const collector = new OtelCollector(chart, 'otel', {
    ...base,
    replicas: 3,
    tailSampling: { replicas: 2, decisionWait: '10s', keepPercentage: 10, slowThresholdMs: 200 },
  });
  const objects = Testing.synth(chart) as any[];
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);

  test('GIVEN three gateways and two samplers WHEN synthesized THEN it matches the snapshot and is strictly valid', () => {
    expect(objects).toMatchSnapshot();
    expect(validateObjects(objects)).toEqual([]);
  });

  test('each gateway replica gets its own queue volume (file_storage locks its files)', () => {
    const gateway = find('StatefulSet', 'otel-collector');
    expect(gateway.spec.replicas).toBe(3);
    expect(gateway.spec.volumeClaimTemplates.map((t: any) => t.metadata.name)).toEqual(['queue']);
    expect(objects.filter((o) => o.kind === 'Deployment' || o.kind === 'PersistentVolumeClaim')).toEqual([]);
  });

  test('the gateway routes traces by trace ID to the samplers found through their headless Service; metrics and logs go direct', () => {
    const config = parse(find('ConfigMap', 'otel-collector-config').data['config.yaml']);
    expect(config.exporters['load_balancing/sampler']).toMatchObject({
      routing_key: 'traceID',
      resolver: { dns: { hostname: 'otel-collector-sampler.monitoring.svc', port: '4317' } },
      sending_queue: { enabled: true, storage: 'file_storage/queue' },
    });
    expect(config.exporters['otlp_grpc/jaeger']).toBeUndefined();
    expect(find('Service', 'otel-collector-sampler').spec.clusterIP).toBe('None');
    expect(collector.scrapeJobs.map((j) => j.job_name)).toEqual(['otel-collector', 'otel-collector-sampler']);
  });

  test('the samplers keep errors, slow traces and a share of the rest, and send them to Jaeger with a persistent queue', () => {
    const config = parse(find('ConfigMap', 'otel-collector-sampler-config').data['config.yaml']);
    expect(config.processors.tail_sampling).toMatchObject({
      decision_wait: '10s',
      policies: [
        { name: 'errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } },
        { name: 'slow', type: 'latency', latency: { threshold_ms: 200 } },
        { name: 'baseline', type: 'probabilistic', probabilistic: { sampling_percentage: 10 } },
      ],
    });
    expect(collectorConfigProblems(config)).toEqual([]);
    expect(find('StatefulSet', 'otel-collector-sampler').spec.template.spec.automountServiceAccountToken).toBe(false);
  });

  test('GIVEN one replica and no sampling THEN the gateway stays the single Deployment with its claim', () => {
    const c = new Chart(Testing.app(), 'single');
    new OtelCollector(c, 'otel', base);
    const kinds = (Testing.synth(c) as any[]).map((o) => o.kind);
    expect(kinds).toContain('Deployment');
    expect(kinds).toContain('PersistentVolumeClaim');
    expect(kinds).not.toContain('StatefulSet');
  });

  test('fails if tail sampling has no Jaeger to send to', () => {
    expect(
      () =>
        new OtelCollector(new Chart(Testing.app(), 'x'), 'otel', {
          ...base,
          jaegerOtlpEndpoint: undefined,
          tracesOtlpHttpUrl: 'https://otlp.example.com',
          tailSampling: { replicas: 2, decisionWait: '10s', keepPercentage: 10, slowThresholdMs: 200 },
        }),
    ).toThrow('OtelCollector: tailSampling sends the sampled traces to Jaeger, so jaegerOtlpEndpoint is required');
  });

  test('fails if the gateway is given two trace destinations', () => {
    expect(() => gatewayConfig({ ...base, tracesOtlpHttpUrl: 'https://otlp.example.com' })).toThrow(
      'collector gateway: exactly one trace destination is needed (jaegerOtlpEndpoint, tracesOtlpHttpUrl or traceLoadBalancing), got 2',
    );
  });

  test('the sampler config alone is sound by the structural rules', () => {
    expect(
      collectorConfigProblems(samplerConfig({ jaegerOtlpEndpoint: 'jaeger:4317', decisionWait: '5s', keepPercentage: 1, slowThresholdMs: 300 })),
    ).toEqual([]);
  });
});
