import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import { validateObjects } from '../../../test/support/k8s-schema';
import { Jaeger, JaegerProps } from './jaeger';

function synth(props: Partial<JaegerProps> = {}) {
  const chart = Testing.chart();
  new Jaeger(chart, 'jaeger', { namespace: 'monitoring', ...props });
  return Testing.synth(chart) as any[];
}
const configOf = (objects: any[]) => parse(objects.find((o) => o.kind === 'ConfigMap').data['config.yaml']);
const statefulSet = (objects: any[]) => objects.find((o) => o.kind === 'StatefulSet');

test('snapshot: Jaeger with its defaults (Badger)', () => {
  expect(synth()).toMatchSnapshot();
});

test('GIVEN the defaults WHEN synthesized THEN spans go to Badger on a PersistentVolumeClaim mounted where the config points', () => {
  const objects = synth({ retention: '14d', storageSize: '30Gi' });
  const config = configOf(objects);
  const badger = config.extensions.jaeger_storage.backends.traces.badger;
  expect(badger.ephemeral).toBe(false);
  // Go durations have no days: 14d is 336h.
  expect(badger.ttl.spans).toBe('336h');
  const sts = statefulSet(objects);
  expect(sts.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
  expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('30Gi');
  const mount = sts.spec.template.spec.containers[0].volumeMounts.find((m: any) => m.name === 'data');
  expect(badger.directories.keys.startsWith(`${mount.mountPath}/`)).toBe(true);
  expect(badger.directories.values.startsWith(`${mount.mountPath}/`)).toBe(true);
});

test('GIVEN memory storage WHEN synthesized THEN there is no volume claim and max_traces is set', () => {
  const objects = synth({ storage: 'memory', maxTraces: 5000 });
  expect(configOf(objects).extensions.jaeger_storage.backends.traces).toEqual({ memory: { max_traces: 5000 } });
  expect(statefulSet(objects).spec.volumeClaimTemplates).toBeUndefined();
});

test('every endpoint binds all interfaces: an empty endpoint would bind localhost only', () => {
  const config = configOf(synth());
  const endpoints = [
    config.receivers.otlp.protocols.grpc.endpoint,
    config.receivers.otlp.protocols.http.endpoint,
    config.extensions.jaeger_query.http.endpoint,
    config.extensions.healthcheckv2.http.endpoint,
  ];
  expect(endpoints).toEqual(['0.0.0.0:4317', '0.0.0.0:4318', '0.0.0.0:16686', '0.0.0.0:13133']);
  expect(config.service.telemetry.metrics.readers[0].pull.exporter.prometheus).toEqual({ host: '0.0.0.0', port: 8888 });
});

test('the traces pipeline stores what OTLP receives, in the store the query extension reads', () => {
  const config = configOf(synth());
  expect(config.service.pipelines.traces).toEqual({ receivers: ['otlp'], processors: ['batch'], exporters: ['jaeger_storage_exporter'] });
  expect(config.exporters.jaeger_storage_exporter.trace_storage).toBe(config.extensions.jaeger_query.storage.traces);
  expect(Object.keys(config.extensions.jaeger_storage.backends)).toEqual([config.extensions.jaeger_query.storage.traces]);
  expect(config.service.extensions.sort()).toEqual(Object.keys(config.extensions).sort());
});

test("Jaeger's query API does not trace itself into its own store (v2 does by default, over OTLP to localhost:4317)", () => {
  expect(configOf(synth()).extensions.jaeger_query.enable_tracing).toBe(false);
});

test('probes hit the health extension; the Service exposes OTLP, the UI and metrics', () => {
  const objects = synth();
  const container = statefulSet(objects).spec.template.spec.containers[0];
  const health = container.ports.find((p: any) => p.name === 'health');
  expect(health.containerPort).toBe(13133);
  expect(container.readinessProbe.httpGet).toEqual({ path: '/status', port: 'health', scheme: 'HTTP' });
  const service = objects.find((o) => o.kind === 'Service');
  expect(service.spec.ports.map((p: any) => [p.name, p.port])).toEqual(
    expect.arrayContaining([['otlp-grpc', 4317], ['otlp-http', 4318], ['ui', 16686], ['metrics', 8888]]),
  );
});

test('both storage shapes are valid Kubernetes objects', () => {
  expect(validateObjects([...synth(), ...synth({ storage: 'memory' })])).toEqual([]);
});

test('fails if maxTraces is not a positive whole number', () => {
  expect(() => synth({ storage: 'memory', maxTraces: 0 })).toThrow(/maxTraces must be a positive whole number, got 0/);
});
