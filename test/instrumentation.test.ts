import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { buildExample } from '../examples/instrumented-service/main';
import { instrument, InstrumentOptions } from '../src/instrumentation/instrument';
import { validateObjects } from './support/k8s-schema';

const OPTS: InstrumentOptions = { service: 'svc', collectorNamespace: 'monitoring', environment: 'prod', httpPort: 8080 };

function deployment(containers: string[] = ['app']): { chart: Chart; d: kplus.Deployment } {
  const chart = Testing.chart();
  const d = new kplus.Deployment(chart, 'd', { containers: containers.map((name) => ({ name, image: 'example/app:1', portNumber: 8080 })) });
  return { chart, d };
}

describe('the example app', () => {
  const objects = Testing.synth(buildExample(Testing.app())) as any[];
  const dep = objects.find((o) => o.kind === 'Deployment');
  const c = dep.spec.template.spec.containers[0];
  const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));

  test('GIVEN the example WHEN synthesized THEN every object is valid against the Kubernetes schemas, strictly', () => {
    expect(objects.length).toBeGreaterThan(0);
    expect(validateObjects(objects)).toEqual([]);
  });

  test('THEN Prometheus scrapes it through the annotations and knows it as app=order-service', () => {
    expect(dep.spec.template.metadata.annotations).toEqual({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '8080',
      'prometheus.io/path': '/metrics',
    });
    expect(dep.spec.template.metadata.labels['app.kubernetes.io/name']).toBe('order-service');
  });

  test("THEN traces go to the stack's collector and logs carry the level", () => {
    expect(env).toMatchObject({
      OTEL_SERVICE_NAME: 'order-service',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector.monitoring.svc:4317',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_RESOURCE_ATTRIBUTES: `deployment.environment=prod,service.namespace=go-ecommerce,k8s.container.name=${c.name},k8s.pod.uid=$(OTEL_K8S_POD_UID)`,
      LOG_LEVEL: 'info',
    });
  });

  test("THEN its telemetry names its container and pod, so k8s_attributes can add the container's metadata", () => {
    expect(c.name).toBe('order-service');
    expect(env.OTEL_K8S_POD_UID).toEqual({ fieldRef: { fieldPath: 'metadata.uid' } });
    // The kubelet only expands $(VAR) for variables defined earlier in the list.
    const names = c.env.map((e: any) => e.name);
    expect(names.indexOf('OTEL_K8S_POD_UID')).toBeLessThan(names.indexOf('OTEL_RESOURCE_ATTRIBUTES'));
  });

  test('THEN DATABASE_URL attributes connections with application_name and holds no credential: they come from the Secret', () => {
    expect(env.DATABASE_URL).toBe('postgres://postgres.java-tasks.svc:5432/orderdb?sslmode=disable&application_name=order-service');
    expect(env.PGUSER).toEqual({ secretKeyRef: { name: 'order-service-db', key: 'username' } });
    expect(env.PGPASSWORD).toEqual({ secretKeyRef: { name: 'order-service-db', key: 'password' } });
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
  });

  test("THEN the probes are the platform's default health endpoints", () => {
    expect(c.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 8080, scheme: 'HTTP' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 8080, scheme: 'HTTP' });
  });
});

describe('instrument()', () => {
  test('GIVEN a named second container and OTLP over HTTP THEN that container gets port 4318 and the probes', () => {
    const { chart, d } = deployment(['proxy', 'app']);
    instrument(d, { ...OPTS, containerName: 'app', otlpProtocol: 'http/protobuf', metricsPort: 9090 });
    const spec = Testing.synth(chart)[0].spec.template.spec;
    expect(spec.containers[0].env).toBeUndefined();
    expect(spec.containers[1].env).toContainEqual({ name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: 'http://otel-collector.monitoring.svc:4318' });
    expect(spec.containers[1].env.find((e: any) => e.name === 'OTEL_RESOURCE_ATTRIBUTES').value).toContain(',k8s.container.name=app,');
    expect(spec.containers[1].readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 8080, scheme: 'HTTP' });
    expect(spec.containers[0].readinessProbe).toBeUndefined();
  });

  test('fails if the named container does not exist', () => {
    expect(() => instrument(deployment().d, { ...OPTS, containerName: 'web' })).toThrow('instrument: no container "web" in the workload; it has: app');
  });

  test('fails if the service is not a DNS label', () => {
    expect(() => instrument(deployment().d, { ...OPTS, service: 'Order_Service' })).toThrow(/service "Order_Service" must be a DNS label/);
  });

  test('fails if a port is out of range', () => {
    expect(() => instrument(deployment().d, { ...OPTS, metricsPort: 70000 })).toThrow('instrument: metricsPort 70000 must be a port from 1 to 65535');
  });

  test('GIVEN probes on /healthz THEN both probes use it; GIVEN probes: false THEN the container has none', () => {
    const a = deployment();
    instrument(a.d, { ...OPTS, probes: { liveness: '/healthz', readiness: '/healthz' } });
    const spec = Testing.synth(a.chart)[0].spec.template.spec.containers[0];
    expect([spec.livenessProbe.httpGet.path, spec.readinessProbe.httpGet.path]).toEqual(['/healthz', '/healthz']);

    const b = deployment();
    instrument(b.d, { ...OPTS, probes: false });
    const none = Testing.synth(b.chart)[0].spec.template.spec.containers[0];
    expect([none.livenessProbe, none.readinessProbe]).toEqual([undefined, undefined]);

    const c = deployment();
    instrument(c.d, { ...OPTS, probes: { readiness: false } });
    const liveOnly = Testing.synth(c.chart)[0].spec.template.spec.containers[0];
    expect([liveOnly.livenessProbe?.httpGet.path, liveOnly.readinessProbe]).toEqual(['/health/live', undefined]);
  });

  test("GIVEN a container that has its own probes THEN they are kept, not replaced", () => {
    const chart = Testing.chart();
    const d = new kplus.Deployment(chart, 'd', {
      containers: [
        {
          name: 'app',
          image: 'example/app:1',
          portNumber: 8080,
          liveness: kplus.Probe.fromHttpGet('/ping', { port: 8081 }),
          readiness: kplus.Probe.fromHttpGet('/ping', { port: 8081 }),
        },
      ],
    });
    instrument(d, OPTS);
    const spec = Testing.synth(chart)[0].spec.template.spec.containers[0];
    expect([spec.livenessProbe.httpGet, spec.readinessProbe.httpGet].map((g: any) => [g.path, g.port])).toEqual([
      ['/ping', 8081],
      ['/ping', 8081],
    ]);
  });

  test('GIVEN a database with TLS THEN the URL asks for it, and the user and password are Secret references', () => {
    const { chart, d } = deployment();
    instrument(d, {
      ...OPTS,
      database: { host: 'db.example.internal', port: 6432, name: 'orders', credentialsSecret: 'orders-db', userKey: 'user', passwordKey: 'pw', sslMode: 'verify-full' },
    });
    const vars = Testing.synth(chart)[0].spec.template.spec.containers[0].env;
    const byName = Object.fromEntries(vars.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(byName.DATABASE_URL).toBe('postgres://db.example.internal:6432/orders?sslmode=verify-full&application_name=svc');
    expect([byName.PGUSER, byName.PGPASSWORD]).toEqual([
      { secretKeyRef: { name: 'orders-db', key: 'user' } },
      { secretKeyRef: { name: 'orders-db', key: 'pw' } },
    ]);
  });

  test('fails if the collector namespace, environment or database names are not what Kubernetes or the URL accept', () => {
    expect(() => instrument(deployment().d, { ...OPTS, collectorNamespace: 'Monitoring NS' })).toThrow(
      'instrument: collectorNamespace "Monitoring NS" must be a DNS label: lower-case letters, digits and "-", at most 63',
    );
    expect(() => instrument(deployment().d, { ...OPTS, environment: 'prod,team=x' })).toThrow(/environment "prod,team=x" must be letters, digits/);
    const db = { host: 'postgres.java-tasks.svc', name: 'orders', credentialsSecret: 'orders-db' };
    expect(() => instrument(deployment().d, { ...OPTS, database: { ...db, credentialsSecret: 'Orders_DB' } })).toThrow(
      'databaseUrlEnv: user.secretName "Orders_DB" must be a DNS subdomain',
    );
    expect(() => instrument(deployment().d, { ...OPTS, database: { ...db, host: 'postgres:5432' } })).toThrow('databaseUrlEnv: host "postgres:5432" must be a DNS subdomain');
    expect(() => instrument(deployment().d, { ...OPTS, database: { ...db, name: 'orders?sslmode=require' } })).toThrow(
      'databaseUrlEnv: database must be letters, digits',
    );
  });

  test('fails if a probe or metrics path is not an absolute path', () => {
    expect(() => instrument(deployment().d, { ...OPTS, probes: { liveness: 'healthz' } })).toThrow(
      'instrument: probes.liveness "healthz" must be an absolute URL path like "/healthz"',
    );
    expect(() => instrument(deployment().d, { ...OPTS, metricsPath: '/metrics?x=1' })).toThrow('instrument: metricsPath "/metrics?x=1"');
  });

  test('fails if the log level is unknown', () => {
    expect(() => instrument(deployment().d, { ...OPTS, logLevel: 'trace' as 'info' })).toThrow(/logLevel "trace" must be one of/);
  });
});

