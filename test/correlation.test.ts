import * as fs from 'fs';
import * as path from 'path';
import { parse, parseAllDocuments } from 'yaml';
import { Testing } from 'cdk8s';
import { Grafana } from '../src/components/grafana/grafana';
import { DATASOURCE } from '../src/kit/datasources';
import { logqlErrors } from './support/query-parsers';
import { metricsBackend } from './support/metrics-backend';
import { environments, shippedConfigOf, synthesizedShippedConfigs } from './support/synth-fixture';

/**
 * The investigation path, metric -> logs -> trace, depends on datasource
 * links by uid. These tests read the synthesized Grafana provisioning and
 * check that every hop points at a datasource that exists and matches what
 * the services actually write.
 */
const out = synthesizedShippedConfigs();

function objectsOf(envDir: string, component: string): any[] {
  return parseAllDocuments(fs.readFileSync(path.join(envDir, `${component}.k8s.yaml`), 'utf8')).map((d) => d.toJS());
}

function provisionedDatasources(envDir: string): any[] {
  const cm = objectsOf(envDir, 'grafana').find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'grafana-provisioning');
  return parse(cm.data['datasources.yaml']).datasources;
}

/** What Grafana does with `$$` in provisioning files: a literal `$`. */
const unescape = (s: string) => s.replace(/\$\$/g, '$');

describe.each(environments(out))('correlation in %s', (env) => {
  const envDir = path.join(out, env);
  const stack = shippedConfigOf(env).config;
  const datasources = provisionedDatasources(envDir);
  const byUid = Object.fromEntries(datasources.map((d) => [d.uid, d]));

  test('Prometheus, Loki and Jaeger are provisioned under the uids dashboards use', () => {
    for (const ds of [DATASOURCE.prometheus, DATASOURCE.loki, DATASOURCE.jaeger]) {
      expect({ uid: ds.uid, type: byUid[ds.uid]?.type }).toEqual({ uid: ds.uid, type: ds.type });
    }
  });

  test('every datasourceUid in any datasource points at a provisioned datasource', () => {
    const links: Array<{ from: string; uid: string }> = [];
    const walk = (v: any, from: string) => {
      if (Array.isArray(v)) v.forEach((x) => walk(x, from));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) k === 'datasourceUid' ? links.push({ from, uid: x as string }) : walk(x, from);
    };
    for (const d of datasources) walk(d.jsonData, d.uid);
    expect(links.length).toBeGreaterThanOrEqual(4);
    for (const link of links) expect({ ...link, exists: link.uid in byUid }).toEqual({ ...link, exists: true });
  });

  test('hop 1, metric -> trace: exemplars with a trace_id label open Jaeger (Prometheus keeps them)', () => {
    expect(byUid.prometheus.jsonData.exemplarTraceIdDestinations).toEqual([
      expect.objectContaining({ name: 'trace_id', datasourceUid: 'jaeger' }),
    ]);
    const prometheusFile = path.join(envDir, 'prometheus.k8s.yaml');
    if (stack.metrics.backend === 'prometheus') {
      const args: string[] = objectsOf(envDir, 'prometheus').find((o) => o.kind === 'StatefulSet').spec.template.spec.containers[0].args;
      expect(args).toEqual(expect.arrayContaining(['--web.enable-remote-write-receiver', '--enable-feature=exemplar-storage']));
    } else {
      // VictoriaMetrics instead: no Prometheus to hold exemplars.
      expect(fs.existsSync(prometheusFile)).toBe(false);
    }
  });

  test('hop 2, log line -> trace: the derived fields find the trace ID in Go slog and OpenTelemetry-style JSON lines and link to Jaeger', () => {
    const fields: any[] = byUid.loki.jsonData.derivedFields;
    const regexField = fields.find((f) => f.matcherType === 'regex');
    expect(regexField).toEqual(expect.objectContaining({ datasourceUid: 'jaeger', url: '$${__value.raw}' }));
    const re = new RegExp(regexField.matcherRegex);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    // Go slog with tracing.NewLogHandler(), then Platform-Kernel's documented log format.
    expect(re.exec(`{"time":"2026-04-22T17:00:00Z","level":"ERROR","msg":"llm call failed","traceID":"${traceId}"}`)?.[1]).toBe(traceId);
    expect(re.exec(`{"level":"INFO","msg":"user created","service":"iam","trace_id": "${traceId}","tenant_id":"x"}`)?.[1]).toBe(traceId);
    expect(re.exec(`{"level":"INFO","msg":"no trace here","request_id":"${traceId}"}`)).toBeNull();
    // OTLP logs: Loki keeps the record's trace ID as structured metadata named trace_id.
    expect(fields.find((f) => f.matcherType === 'label')).toEqual(
      expect.objectContaining({ matcherRegex: 'trace_id', datasourceUid: 'jaeger', url: '$${__value.raw}' }),
    );
  });

  test('hop 3, trace -> logs: a span opens the Loki lines of its service filtered by its trace ID', () => {
    const t2l = byUid.jaeger.jsonData.tracesToLogsV2;
    expect(t2l).toEqual(expect.objectContaining({ datasourceUid: 'loki', filterByTraceID: true }));
    expect(t2l.tags).toEqual([{ key: 'service.name', value: 'service_name' }]);
    // The query Grafana builds from these settings must be valid LogQL.
    expect(logqlErrors(`{service_name="checkout"} |= "4bf92f3577b34da6a3ce929d0e0e4736"`)).toEqual([]);
  });

  test('the links reach the right Services: Jaeger query on 16686, Loki on 3100, both in the monitoring namespace', () => {
    const jaegerService = objectsOf(envDir, 'jaeger').find((o) => o.kind === 'Service');
    const ns = jaegerService.metadata.namespace;
    expect(unescape(byUid.jaeger.url)).toBe(`http://jaeger.${ns}.svc:16686`);
    expect(jaegerService.spec.ports.find((p: any) => p.port === 16686)).toBeTruthy();
    expect(byUid.loki.url).toBe(`http://loki.${ns}.svc:3100`);
  });

  test('the collector sends where the backends listen', () => {
    const objects = objectsOf(envDir, 'otel-collector');
    const config = parse(objects.find((o) => o.kind === 'ConfigMap').data['config.yaml']);
    const ns = objects[0].metadata.namespace;
    const { write, writePath } = metricsBackend(stack);
    const [store, port] = write.split('/')[1].split(':');
    expect(config.exporters.prometheus_remote_write.endpoint).toBe(`http://${store}.${ns}.svc:${port}${writePath}`);
    expect(config.exporters['otlp_http/loki'].endpoint).toBe(`http://loki.${ns}.svc:3100/otlp`);
    expect(config.exporters['otlp_grpc/jaeger'].endpoint).toBe(`jaeger.${ns}.svc:4317`);
    expect(config.processors['resource/environment'].attributes).toEqual([
      { key: 'deployment.environment', value: env, action: 'upsert' },
    ]);
  });

  test('dist holds Jaeger on the configured trace storage (Badger on a volume, or memory) and the collector gateway', () => {
    const jaegerObjects = objectsOf(envDir, 'jaeger');
    const jaeger = jaegerObjects.find((o) => o.kind === 'StatefulSet');
    const backends = parse(jaegerObjects.find((o) => o.kind === 'ConfigMap').data['config.yaml']).extensions.jaeger_storage.backends;
    expect(Object.keys(backends.traces)).toEqual([stack.traces.storage]);
    if (stack.traces.storage === 'badger') expect(jaeger.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
    // Memory storage keeps nothing across restarts on purpose: no volume to claim.
    if (stack.traces.storage === 'memory') expect(jaeger.spec.volumeClaimTemplates).toBeUndefined();
    expect(objectsOf(envDir, 'otel-collector').map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(
      expect.arrayContaining(['Deployment/otel-collector', 'Service/otel-collector', 'PersistentVolumeClaim/otel-collector-queue']),
    );
  });
});

describe('fails if a link points at a datasource that does not exist', () => {
  test('Grafana refuses a derived field linking to a missing uid', () => {
    const chart = Testing.chart();
    expect(
      () =>
        new Grafana(chart, 'grafana', {
          namespace: 'monitoring',
          adminSecret: { name: 'a', userKey: 'u', passwordKey: 'p' },
          dashboardConfigMaps: [],
          datasources: [
            { name: 'Prometheus', type: 'prometheus', uid: 'prometheus', url: 'http://p', isDefault: true },
            { name: 'Loki', type: 'loki', uid: 'loki', url: 'http://l', jsonData: { derivedFields: [{ name: 'TraceID', datasourceUid: 'tempo' }] } },
          ],
        }),
    ).toThrow('Loki.jsonData.derivedFields[0].datasourceUid is "tempo", which is not a datasource uid (have: prometheus, loki)');
  });

  test('Grafana refuses two datasources with the same uid', () => {
    const chart = Testing.chart();
    const ds = { name: 'Prometheus', type: 'prometheus', uid: 'prometheus', url: 'http://p', isDefault: true };
    expect(
      () =>
        new Grafana(chart, 'grafana', {
          namespace: 'monitoring',
          adminSecret: { name: 'a', userKey: 'u', passwordKey: 'p' },
          dashboardConfigMaps: [],
          datasources: [ds, { ...ds, name: 'Other', isDefault: false }],
        }),
    ).toThrow('Grafana datasource uid "prometheus" is used twice');
  });
});
