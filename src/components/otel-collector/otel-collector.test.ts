import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import { validateObjects } from '../../../test/support/k8s-schema';
import { agentConfig, CollectorConfig, collectorConfigProblems, gatewayConfig } from './collector-config';
import { DELTA_TO_CUMULATIVE_ID, FILTER_ID, SPANMETRICS_ID, TOKENS_ID } from './llm-metrics';
import { goMemLimit, OtelCollector, OtelCollectorProps } from './otel-collector';

const base: OtelCollectorProps = {
  namespace: 'monitoring',
  clusterScopedPrefix: 'monitoring',
  environment: 'prod',
  metricsRemoteWriteUrl: 'http://prometheus.monitoring.svc:9090/api/v1/write',
  lokiOtlpUrl: 'http://loki.monitoring.svc:3100/otlp',
  jaegerOtlpEndpoint: 'jaeger.monitoring.svc:4317',
};

function synth(props: Partial<OtelCollectorProps> = {}) {
  const chart = Testing.chart();
  new OtelCollector(chart, 'otel-collector', { ...base, ...props });
  return Testing.synth(chart) as any[];
}
const gateway = () => gatewayConfig(base);
const agent = () => agentConfig({ gatewayEndpoint: 'otel-collector.monitoring.svc:4317' });
const clone = (c: CollectorConfig): CollectorConfig => JSON.parse(JSON.stringify(c));

test('snapshot: the gateway with its defaults', () => {
  expect(synth()).toMatchSnapshot();
});

describe.each([
  ['gateway', gateway],
  ['agent', agent],
] as const)('the %s config is structurally sound', (_name, make) => {
  const config = make();

  test('every pipeline references only defined components, and every defined component is used', () => {
    // A connector is both a receiver (of the pipeline it feeds) and an exporter (of the one it reads).
    const connectors = Object.keys(config.connectors ?? {});
    for (const pipeline of Object.values(config.service.pipelines)) {
      for (const id of pipeline.receivers) expect([...Object.keys(config.receivers), ...connectors]).toContain(id);
      for (const id of pipeline.processors) expect(Object.keys(config.processors)).toContain(id);
      for (const id of pipeline.exporters) expect([...Object.keys(config.exporters), ...connectors]).toContain(id);
    }
    const used = (kind: 'receivers' | 'processors' | 'exporters') =>
      new Set(Object.values(config.service.pipelines).flatMap((p) => p[kind]));
    for (const kind of ['receivers', 'exporters'] as const) {
      expect([...used(kind)].sort()).toEqual([...Object.keys(config[kind]), ...connectors].sort());
    }
    expect([...used('processors')].sort()).toEqual(Object.keys(config.processors).sort());
    expect([...config.service.extensions].sort()).toEqual(Object.keys(config.extensions).sort());
  });

  test('memory_limiter comes first in every pipeline a receiver feeds, and in no other; items are batched only where a kill cannot lose them', () => {
    for (const pipeline of Object.values(config.service.pipelines)) {
      const fromReceiver = pipeline.receivers.some((id) => config.connectors?.[id] === undefined);
      if (fromReceiver) expect(pipeline.processors[0]).toBe('memory_limiter');
      else expect(pipeline.processors).not.toContain('memory_limiter');
      const toConnectors = pipeline.exporters.every((id) => config.connectors?.[id] !== undefined);
      const queued = pipeline.exporters.every((id) => config.exporters[id]?.sending_queue?.storage !== undefined);
      if (toConnectors) {
        // Spans admitted and handed on, or turned into metrics (the LLM pipeline): the spans themselves reach Jaeger
        // through the queued traces pipeline; what a kill can lose here is derived metrics, as before remote write.
        const { traces } = config.service.pipelines;
        expect(traces.receivers.every((id) => pipeline.receivers.includes(id) || pipeline.exporters.includes(id))).toBe(true);
      } else if (queued) {
        // Batched in the persistent queue, after the item is on disk; a batch processor would hold it in memory.
        expect(pipeline.processors).not.toContain('batch');
        // A hop towards another collector (and so, maybe, a tail sampler) sends within a second; a backend gets 10 s batches.
        const forwards = (id: string) => ['otlp_grpc/gateway', 'otlp_http/central', 'load_balancing/sampler'].includes(id);
        for (const id of pipeline.exporters) {
          const batch = config.exporters[id].sending_queue.batch;
          // Bounded in bytes below the 4 MiB an OTLP gRPC receiver accepts: a larger batch is refused and dropped whole.
          expect({ id, batch }).toMatchObject({ id, batch: { flush_timeout: forwards(id) ? '1s' : '10s', sizer: 'bytes' } });
          expect(batch.max_size).toBeLessThan(4 * 2 ** 20);
          expect(batch.min_size).toBeLessThanOrEqual(batch.max_size);
        }
      } else {
        // The remote-write exporters have no sending queue to batch in.
        expect(pipeline.exporters.map((id) => id.split('/')[0])).toEqual(['prometheus_remote_write']);
        expect(pipeline.processors[pipeline.processors.length - 1]).toBe('batch');
      }
    }
  });

  test('no receiver endpoint is empty or bound to localhost', () => {
    const endpoints = Object.values(config.receivers).flatMap((r: any) => Object.values(r.protocols).map((p: any) => p.endpoint));
    expect(endpoints.length).toBeGreaterThan(0);
    for (const e of endpoints) expect(e).toMatch(/^0\.0\.0\.0:\d+$/);
  });

  test('collectorConfigProblems finds nothing', () => {
    expect(collectorConfigProblems(config)).toEqual([]);
  });
});

describe('the gateway pipelines batch, queue and export as configured', () => {
  const config = gateway();
  test('metrics go to Prometheus by remote write, logs to Loki over OTLP, traces to Jaeger over OTLP', () => {
    expect(config.service.pipelines.metrics.exporters).toEqual(['prometheus_remote_write']);
    expect(config.exporters.prometheus_remote_write.endpoint).toBe(base.metricsRemoteWriteUrl);
    expect(config.service.pipelines.logs.exporters).toEqual(['otlp_http/loki']);
    expect(config.exporters['otlp_http/loki'].endpoint).toBe('http://loki.monitoring.svc:3100/otlp');
    expect(config.service.pipelines.traces.exporters).toEqual(['otlp_grpc/jaeger']);
    expect(config.exporters['otlp_grpc/jaeger'].endpoint).toBe('jaeger.monitoring.svc:4317');
  });

  test('every signal passes memory_limiter first, then gets Kubernetes attributes and deployment.environment', () => {
    const { metrics, logs, 'traces/admission': admission, traces } = config.service.pipelines;
    for (const pipeline of [metrics, logs]) {
      expect(pipeline.processors.filter((p: string) => p !== 'batch')).toEqual(['memory_limiter', 'k8s_attributes', 'resource/environment']);
    }
    // Spans: admitted in one pipeline, enriched in the next (fed by the admission pipeline's connector).
    expect(admission.processors).toEqual(['memory_limiter']);
    expect(traces.receivers).toEqual(admission.exporters);
    expect(traces.processors).toEqual(['k8s_attributes', 'resource/environment']);
    expect(config.processors['resource/environment']).toEqual({
      attributes: [{ key: 'deployment.environment', value: 'prod', action: 'upsert' }],
    });
  });

  test('LLM call spans become metrics in pipelines of their own: the filter thins only those, never the traces to Jaeger', () => {
    const { traces, 'traces/llm': llmSpans, 'metrics/llm': llmMetrics } = config.service.pipelines;
    expect(traces.processors).not.toContain(FILTER_ID);
    expect(llmSpans.receivers).toEqual(traces.receivers);
    expect(llmSpans.processors).toContain(FILTER_ID);
    expect([...llmSpans.exporters].sort()).toEqual([SPANMETRICS_ID, TOKENS_ID].sort());
    expect([...llmMetrics.receivers].sort()).toEqual([SPANMETRICS_ID, TOKENS_ID].sort());
    // The token sums are deltas: converted before remote write, which refuses them.
    expect(llmMetrics.processors).toContain(DELTA_TO_CUMULATIVE_ID);
    // Its own remote write, which adds Prometheus' suffixes (llm_calls_total, llm_duration_seconds).
    expect(llmMetrics.exporters).toEqual(['prometheus_remote_write/llm']);
    expect(config.exporters['prometheus_remote_write/llm'].translation_strategy).toBe('UnderscoreEscapingWithSuffixes');
    expect(config.exporters.prometheus_remote_write.translation_strategy).toBe('UnderscoreEscapingWithoutSuffixes');
    expect(config.exporters['prometheus_remote_write/llm'].wal.directory).not.toBe(config.exporters.prometheus_remote_write.wal.directory);
    expect(config.processors[FILTER_ID]).toEqual({ error_mode: 'ignore', trace_conditions: ['span.attributes["gen_ai.provider.name"] == nil'] });
  });

  test('spans are admitted once: one pipeline reads them from the receiver, and only it can refuse them', () => {
    // Two pipelines on one receiver would let memory_limiter refuse a request in one after the other had queued
    // it for Jaeger: the sender's retry would be stored twice.
    const pipelines = Object.entries(config.service.pipelines) as Array<[string, { receivers: string[]; processors: string[]; exporters: string[] }]>;
    const fromReceiver = pipelines.filter(([name, p]) => name.startsWith('traces') && p.receivers.includes('otlp'));
    expect(fromReceiver.map(([name]) => name)).toEqual(['traces/admission']);
    const admitted = fromReceiver[0][1].exporters;
    expect(admitted).toEqual([expect.stringMatching(/^forward\//)]);
    expect(config.connectors?.[admitted[0]]).toEqual({});
    expect(pipelines.filter(([, p]) => p.receivers.includes(admitted[0])).map(([name]) => name).sort()).toEqual(['traces', 'traces/llm']);
    // Downstream of a connector nothing refuses: a refusal there would be lost, as connectors do not retry.
    expect(pipelines.filter(([, p]) => !p.receivers.includes('otlp') && p.processors.includes('memory_limiter'))).toEqual([]);
  });

  test('remote write sends one request at a time, so Prometheus never gets a series newest sample first', () => {
    expect(config.exporters.prometheus_remote_write.max_batch_request_parallelism).toBe(1);
  });

  test('every exporter buffers on the file_storage volume', () => {
    for (const id of ['otlp_http/loki', 'otlp_grpc/jaeger']) expect(config.exporters[id].sending_queue.storage).toBe('file_storage/queue');
    expect(config.exporters.prometheus_remote_write.wal.directory).toMatch(/^\/var\/lib\/otelcol\/queue\//);
  });
});

describe('fails if the config breaks a structural rule', () => {
  test('fails if a pipeline uses an undefined exporter', () => {
    const c = clone(gateway());
    c.service.pipelines.logs.exporters = ['loki'];
    expect(collectorConfigProblems(c)).toContain(
      'pipeline "logs" uses exporter "loki", which is not defined (defined: prometheus_remote_write, prometheus_remote_write/llm, otlp_http/loki, otlp_grpc/jaeger)',
    );
  });
  test('fails if a connector has only one end', () => {
    const c = clone(gateway());
    delete c.service.pipelines['metrics/llm'];
    expect(collectorConfigProblems(c)).toEqual([
      `processor "${DELTA_TO_CUMULATIVE_ID}" is defined but no pipeline uses it`,
      'exporter "prometheus_remote_write/llm" is defined but no pipeline uses it',
      `connector "${SPANMETRICS_ID}" is no pipeline's receiver: a connector needs both ends`,
      `connector "${TOKENS_ID}" is no pipeline's receiver: a connector needs both ends`,
    ]);
  });
  test('fails if a defined processor is never used', () => {
    const c = clone(gateway());
    c.processors['attributes/unused'] = {};
    expect(collectorConfigProblems(c)).toContain('processor "attributes/unused" is defined but no pipeline uses it');
  });
  test('fails if memory_limiter is not first', () => {
    const c = clone(gateway());
    c.service.pipelines.logs.processors = ['batch', 'memory_limiter', 'k8s_attributes', 'resource/environment'];
    expect(collectorConfigProblems(c)).toContain(
      'pipeline "logs": memory_limiter must be the first processor, got [batch, memory_limiter, k8s_attributes, resource/environment]',
    );
  });
  test('fails if a pipeline fed only by connectors has memory_limiter (what it refuses is lost)', () => {
    const c = clone(gateway());
    c.service.pipelines['metrics/llm'].processors = ['memory_limiter', DELTA_TO_CUMULATIVE_ID, 'batch'];
    expect(collectorConfigProblems(c)).toEqual([
      'pipeline "metrics/llm" is fed by connectors only: memory_limiter would drop what it refuses, as connectors do not retry',
    ]);
  });
  test('fails if a receiver endpoint is empty (binds localhost only)', () => {
    const c = clone(gateway());
    (c.receivers.otlp as any).protocols.grpc = {};
    expect(collectorConfigProblems(c)).toEqual([expect.stringMatching(/receiver "otlp" protocol grpc: the endpoint is empty/)]);
  });
  test('fails if a receiver binds localhost', () => {
    const c = clone(gateway());
    (c.receivers.otlp as any).protocols.http.endpoint = 'localhost:4318';
    expect(collectorConfigProblems(c)).toEqual([expect.stringMatching(/"localhost:4318" binds localhost only/)]);
  });
  test('fails if an exporter has no persistent queue', () => {
    const c = clone(gateway());
    delete c.exporters['otlp_grpc/jaeger'].sending_queue;
    c.exporters.prometheus_remote_write.wal = undefined;
    expect(collectorConfigProblems(c)).toEqual([
      'exporter "prometheus_remote_write" has no persistent buffer under /var/lib/otelcol/queue',
      'exporter "otlp_grpc/jaeger" has no persistent sending queue: set sending_queue.storage to a file_storage extension',
    ]);
  });
  test('fails if an extension is defined but not enabled', () => {
    const c = clone(gateway());
    c.service.extensions = ['health_check'];
    expect(collectorConfigProblems(c)).toEqual(
      expect.arrayContaining(['extension "file_storage/queue" is defined but not in service.extensions']),
    );
  });
});

describe('the gateway workload', () => {
  test('GOMEMLIMIT is 80% of the memory limit', () => {
    expect(goMemLimit('1Gi')).toBe('819MiB');
    const deployment = synth({ resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } } }).find(
      (o) => o.kind === 'Deployment',
    );
    const env = deployment.spec.template.spec.containers[0].env;
    expect(env).toEqual([{ name: 'GOMEMLIMIT', value: '1638MiB' }]);
  });

  test('the queue lives on a PersistentVolumeClaim mounted where file_storage writes, and the config rolls the pod', () => {
    const objects = synth();
    const deployment = objects.find((o) => o.kind === 'Deployment');
    const config = parse(objects.find((o) => o.kind === 'ConfigMap').data['config.yaml']);
    const claim = deployment.spec.template.spec.volumes.find((v: any) => v.name === 'queue').persistentVolumeClaim.claimName;
    expect(objects.find((o) => o.kind === 'PersistentVolumeClaim').metadata.name).toBe(claim);
    const mount = deployment.spec.template.spec.containers[0].volumeMounts.find((m: any) => m.name === 'queue');
    expect(config.extensions['file_storage/queue'].directory).toBe(mount.mountPath);
    expect(deployment.spec.strategy.type).toBe('Recreate');
    expect(deployment.spec.template.metadata.annotations['checksum/config']).toMatch(/^[0-9a-f]{16}$/);
  });

  test('probes use the health_check extension port', () => {
    const objects = synth();
    const config = parse(objects.find((o) => o.kind === 'ConfigMap').data['config.yaml']);
    const container = objects.find((o) => o.kind === 'Deployment').spec.template.spec.containers[0];
    const port = container.ports.find((p: any) => p.name === container.livenessProbe.httpGet.port).containerPort;
    expect(config.extensions.health_check.endpoint).toBe(`0.0.0.0:${port}`);
  });

  test('k8s_attributes gets exactly get/watch/list on pods and namespaces', () => {
    const role = synth().find((o) => o.kind === 'ClusterRole');
    expect(role.metadata.name).toBe('monitoring-otel-collector');
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['pods', 'namespaces'], verbs: ['get', 'list', 'watch'] }]);
  });
});

describe('the optional agent', () => {
  const objects = synth({ agent: { namespace: 'monitoring-agents', priorityClassName: 'monitoring-node-agent' } });
  const ds = objects.find((o) => o.kind === 'DaemonSet');

  test('is absent unless asked for', () => {
    expect(synth().filter((o) => o.kind === 'DaemonSet')).toEqual([]);
  });

  test('runs in the node-agents namespace with host ports only (no host network, PID or paths) and forwards to the gateway', () => {
    expect(ds.metadata.namespace).toBe('monitoring-agents');
    const spec = ds.spec.template.spec;
    expect(spec.priorityClassName).toBe('monitoring-node-agent');
    expect([spec.hostNetwork, spec.hostPID]).toEqual([undefined, undefined]);
    expect(spec.volumes.filter((v: any) => v.hostPath)).toEqual([]);
    expect(spec.containers[0].ports.filter((p: any) => p.hostPort).map((p: any) => p.hostPort)).toEqual([4317, 4318]);
    const config = parse(objects.find((o) => o.kind === 'ConfigMap' && o.metadata.namespace === 'monitoring-agents').data['config.yaml']);
    expect(config.exporters['otlp_grpc/gateway'].endpoint).toBe('otel-collector.monitoring.svc:4317');
    expect(config.processors.k8s_attributes.filter).toEqual({ node_from_env_var: 'K8S_NODE_NAME' });
    // The pod UID the SDK reports (instrument() sets it) before the connection, which a host port may hide.
    expect(config.processors.k8s_attributes.pod_association).toEqual([
      { sources: [{ from: 'resource_attribute', name: 'k8s.pod.uid' }] },
      { sources: [{ from: 'connection' }] },
    ]);
    expect(spec.containers[0].env[0]).toEqual({ name: 'K8S_NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
  });

  test('shares the read-only ClusterRole through the binding', () => {
    const binding = objects.find((o) => o.kind === 'ClusterRoleBinding');
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'otel-collector', namespace: 'monitoring' },
      { kind: 'ServiceAccount', name: 'otel-collector-agent', namespace: 'monitoring-agents' },
    ]);
  });

  test('gateway and agent are valid Kubernetes objects', () => {
    expect(validateObjects(objects)).toEqual([]);
  });
});
