/**
 * Telemetry travelling prod's synthesized pipeline on the real binaries, wired on loopback as the cluster wires
 * them: an instrumented service's OpenTelemetry SDK → the collector gateway → Jaeger v2 (Badger), Prometheus v3
 * (remote write) and Loki (a loopback stand-in that decodes the OTLP/HTTP protobuf the collector sends, since
 * Loki itself does not run here). Every config is the synthesized one; only addresses and paths are rewritten,
 * in the test (see test/support/otel-collector.ts, jaeger.ts and prometheus-pods.ts).
 *
 * - A trace sent by the Node SDK over gRPC and over HTTP is found on Jaeger's query API with its service name,
 *   the environment the gateway stamps and its span attributes.
 * - A histogram arrives in Prometheus under the name and labels the dashboards and rules read, and an exemplar
 *   on it carries a trace id that Jaeger finds.
 * - A log record reaches the Loki path with the resource attributes that Loki's synthesized `otlp_config` turns
 *   into index labels, and its trace id.
 * - Nothing is lost, counted span by span and sample by sample: while Jaeger is down; while Jaeger is down and
 *   the gateway is killed with SIGKILL mid-stream and restarted; while Prometheus is down.
 *
 * An outage lasts OUTAGE_SECONDS (60 s, the figure; DATA_PATHS_OUTAGE_SECONDS shortens it for a quick
 * run). What bounds the recovery is the product's own retry backoff (retry_on_failure's intervals), read from the
 * synthesized config, not a figure of the test's.
 */
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';
import * as zlib from 'zlib';
import { ROOT_CONTEXT, Span, trace, Tracer } from '@opentelemetry/api';
import { ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as OTLPGrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OTLPHttpTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, ReadableSpan, SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import * as protobuf from 'protobufjs';
import { parse, parseAllDocuments } from 'yaml';
import { toYaml } from '../../src/lib/yaml';
import { FakeKubeApi, startFakeKubeApi } from '../support/fake-kube-api';
import { jaegerOfEnvironment, Rewritten, rewriteJaeger } from '../support/jaeger';
import { collectorRuns, instrumentedService, NODE_NAME, processEnv, TestCopy, testCopy } from '../support/otel-collector';
import { freePort, problemLines, RunningProcess, startProcess, stopAll, tempDir, until } from '../support/process';
import { startPrometheus, StartedServer } from '../support/prometheus-pods';
import { synthesizedShippedConfigs } from '../support/synth-fixture';
import { requireTool } from '../support/tools';

const OUTAGE_SECONDS = Number(process.env.DATA_PATHS_OUTAGE_SECONDS ?? 60);
jest.setTimeout(600_000);

const OTELCOL = requireTool('otelcol');
const JAEGER = requireTool('jaeger');
const PROMETHEUS = requireTool('prometheus');
const SHIPPED = synthesizedShippedConfigs();
const ENV_DIR = path.join(SHIPPED, 'prod');
const GATEWAY = collectorRuns(SHIPPED).find((r) => r.id === 'prod/otel-collector')!;
const SERVICE = instrumentedService();
/** What the gateway stamps on everything it forwards (its `resource/environment` processor). */
const ENVIRONMENT = (GATEWAY.config.processors['resource/environment'].attributes as Array<{ key: string; value: string }>).find((a) => a.key === 'deployment.environment')!.value;
/** The longest wait between two of an exporter's retries: after an outage, data may take this long to move again. */
const RETRY_MAX_MS = Math.max(
  ...Object.values<any>(GATEWAY.config.exporters).map((e) => {
    const m = /^(\d+)s$/.exec(String(e.retry_on_failure?.max_interval));
    if (!m) throw new Error(`an exporter of ${GATEWAY.id} has no retry_on_failure.max_interval in seconds`);
    return Number(m[1]) * 1000;
  }),
);
/** The batch processor's timeout: how long an accepted item may wait in the gateway before it is exported. */
const BATCH_TIMEOUT_MS = Number(/^(\d+)s$/.exec(GATEWAY.config.processors.batch?.timeout ?? '0s')![1]) * 1000;
/** Bound on a delivery with every backend up (batching, then one export); it only guards against a hang. */
const DELIVERY_MS = BATCH_TIMEOUT_MS + 60_000;

/** The subset of the OTLP logs protocol the stand-in reads, with opentelemetry-proto's field numbers. */
const OTLP_LOGS = protobuf.parse(`
  syntax = "proto3";
  package opentelemetry.proto;
  message AnyValue { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; } }
  message KeyValue { string key = 1; AnyValue value = 2; }
  message Resource { repeated KeyValue attributes = 1; }
  message LogRecord {
    fixed64 time_unix_nano = 1; int32 severity_number = 2; string severity_text = 3; AnyValue body = 5;
    repeated KeyValue attributes = 6; bytes trace_id = 9; bytes span_id = 10;
  }
  message ScopeLogs { repeated LogRecord log_records = 2; }
  message ResourceLogs { Resource resource = 1; repeated ScopeLogs scope_logs = 2; }
  message ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; }
`).root.lookupType('opentelemetry.proto.ExportLogsServiceRequest');

interface ReceivedLog {
  readonly resource: Record<string, string>;
  readonly body: string;
  readonly traceId: string;
}

/** Loki's OTLP endpoint stood in for: decodes each ExportLogsServiceRequest and answers as Loki does (204). */
async function startLokiStandIn(): Promise<{ port: number; path: string[]; logs: ReceivedLog[]; close(): Promise<void> }> {
  const logs: ReceivedLog[] = [];
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = req.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw) : raw;
      paths.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
      const message = OTLP_LOGS.toObject(OTLP_LOGS.decode(body), { bytes: String, longs: String, defaults: true }) as any;
      for (const rl of message.resourceLogs) {
        const resource = Object.fromEntries((rl.resource?.attributes ?? []).map((kv: any) => [kv.key, kv.value?.stringValue]));
        for (const sl of rl.scopeLogs) {
          for (const lr of sl.logRecords) logs.push({ resource, body: lr.body?.stringValue, traceId: Buffer.from(lr.traceId, 'base64').toString('hex') });
        }
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    path: paths,
    logs,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** A span exporter that counts, by span id, what the collector acknowledged and what it did not. */
class CountingExporter implements SpanExporter {
  readonly accepted = new Set<string>();
  readonly failed = new Set<string>();
  constructor(private readonly inner: SpanExporter) {}
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      const into = result.code === ExportResultCode.SUCCESS ? this.accepted : this.failed;
      for (const s of spans) into.add(s.spanContext().spanId);
      done(result);
    });
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/** The instrumented service's tracer (its synthesized resource), exporting through `exporter`. */
function serviceTracer(exporter: SpanExporter): { tracer: Tracer; counts: CountingExporter; provider: TracerProvider } {
  const counts = new CountingExporter(exporter);
  const provider = new TracerProvider({
    resource: resourceFromAttributes(SERVICE.resource),
    spanProcessors: [new BatchSpanProcessor({ exporter: counts, scheduledDelayMillis: 200, maxExportBatchSize: 50, maxQueueSize: 100_000 })],
  });
  return { tracer: provider.getTracer('data-paths'), counts, provider };
}

/** The request-duration histogram of services instrumented with OpenTelemetry in milliseconds, by the name the dashboards and rules read. */
const HISTOGRAM = 'http_server_request_duration_ms';

/** The resource attributes prod's Loki turns into index labels (`limits_config.otlp_config`, action index_label). */
function lokiIndexLabels(): string[] {
  const configMap = parseAllDocuments(fs.readFileSync(path.join(ENV_DIR, 'loki.k8s.yaml'), 'utf8'))
    .map((d) => d.toJS())
    .find((o: any) => o?.kind === 'ConfigMap' && o.data?.['loki.yaml']);
  const rules = parse(configMap.data['loki.yaml']).limits_config?.otlp_config?.resource_attributes?.attributes_config ?? [];
  return rules.filter((r: any) => r.action === 'index_label').flatMap((r: any) => r.attributes);
}

interface FaultCounts {
  /** Spans (or samples) the service produced. */
  sent: number;
  /** Of those, what the gateway acknowledged to the SDK. */
  acknowledged: number;
  /** What the SDK saw refused or fail (after its own retries). */
  refused: number;
  /** Distinct spans (or samples) the backend holds. */
  received: number;
  duplicates: number;
  /** Acknowledged but not in the backend. */
  lost: number;
}

/** The counts of every fault scenario, printed when the file ends (docs/data-paths.md quotes them). */
const FIGURES: Record<string, FaultCounts> = {};

const childOf = (parent: Span) => trace.setSpan(ROOT_CONTEXT, parent);

interface JaegerTrace {
  spans: Array<{ spanID: string; operationName: string; processID: string; tags: Array<{ key: string; value: unknown }> }>;
  processes: Record<string, { serviceName: string; tags: Array<{ key: string; value: unknown }> }>;
}

const tagsOf = (tags: Array<{ key: string; value: unknown }>) => Object.fromEntries(tags.map((t) => [t.key, t.value]));

describe("prod's data paths", () => {
  let fakeApi: FakeKubeApi;
  let loki: Awaited<ReturnType<typeof startLokiStandIn>>;
  let jaegerCfg: Rewritten;
  let jaegerDir: string;
  let jaeger: RunningProcess | undefined;
  let prometheus: StartedServer;
  let gateway: RunningProcess | undefined;
  let gatewayCopy: TestCopy;
  let gatewayArgs: string[];
  let gatewayWork: string;
  let otlpGrpc: string;
  let otlpHttp: string;
  let heartbeat: MeterProvider | undefined;

  const startJaeger = async () => {
    jaeger = startProcess('jaeger (prod)', JAEGER, [`--config=${jaegerCfg.file}`], { cwd: jaegerDir });
    await jaeger.waitForHttp(jaegerCfg.health, 60_000);
  };
  const startGateway = async () => {
    gateway = startProcess(GATEWAY.id, OTELCOL, gatewayArgs, { cwd: gatewayWork, env: { ...processEnv(GATEWAY), KUBECONFIG: fakeApi.kubeconfig } });
    await gateway.waitForHttp(gatewayCopy.healthUrl, 60_000);
  };
  const restartPrometheus = async () => {
    const proc = startProcess('prometheus (prod, restarted)', PROMETHEUS, prometheus.args);
    await proc.waitForHttp(`${prometheus.url}/-/ready`, 90_000);
    prometheus = { ...prometheus, proc };
  };

  /** The last error and warning lines of the gateway and Prometheus, for a failure's message. */
  const problems = () =>
    `the gateway's last problems:\n${problemLines(gateway?.log() ?? '').slice(-8).join('\n')}\nPrometheus':\n${problemLines(prometheus?.proc.log() ?? '').slice(-8).join('\n')}`;
  /** The trace as Jaeger's query API returns it, or undefined while it has none. */
  const jaegerTrace = async (traceId: string): Promise<JaegerTrace | undefined> => {
    const res = await fetch(`${jaegerCfg.query}/api/traces/${traceId}`);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new Error(`Jaeger /api/traces/${traceId}: HTTP ${res.status} ${await res.text()}`);
    return ((await res.json()) as any).data[0];
  };
  /** Waits until Jaeger holds at least `spans` spans of the trace; returns the trace. */
  const awaitTrace = async (traceId: string, spans: number, timeoutMs: number): Promise<JaegerTrace> => {
    let last: JaegerTrace | undefined;
    await until(
      async () => ((last = await jaegerTrace(traceId))?.spans.length ?? 0) >= spans,
      timeoutMs,
      () => `Jaeger holds ${last?.spans.length ?? 0} of the ${spans} spans of trace ${traceId} after ${timeoutMs} ms; ${problems()}`,
    );
    return last!;
  };
  const promQuery = async (query: string): Promise<any[]> => {
    const res = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(query)}`);
    const body = (await res.json()) as any;
    if (body.status !== 'success') throw new Error(`${query}: ${JSON.stringify(body)}`);
    return body.data.result;
  };

  beforeAll(async () => {
    fakeApi = await startFakeKubeApi({ lists: { pods: [SERVICE.pod] } });
    loki = await startLokiStandIn();
    const j = jaegerOfEnvironment(ENV_DIR);
    if (!j) throw new Error('prod runs no Jaeger');
    jaegerDir = tempDir('data-paths-jaeger');
    jaegerCfg = await rewriteJaeger({ name: 'config/prod.yaml', ...j }, jaegerDir);
    await startJaeger();
    // Prometheus sends alerts to Alertmanager, which is not this test's path: a port where nothing listens.
    prometheus = await startPrometheus(ENV_DIR, { kubeconfig: fakeApi.kubeconfig, alertmanager: `127.0.0.1:${await freePort()}` });
    const targets: Record<string, number> = {
      'otlp_grpc/jaeger': Number(jaegerCfg.otlpGrpc.split(':')[1]),
      prometheus_remote_write: Number(new URL(prometheus.url).port),
      'prometheus_remote_write/llm': Number(new URL(prometheus.url).port),
      'otlp_http/loki': loki.port,
    };
    gatewayWork = tempDir('data-paths-gateway');
    gatewayCopy = await testCopy(GATEWAY, gatewayWork, (id) => {
      if (!(id in targets)) throw new Error(`${GATEWAY.id}: exporter ${id} has no target in this test`);
      return targets[id];
    });
    const configFile = path.join(gatewayWork, 'config.yaml');
    fs.writeFileSync(configFile, toYaml(gatewayCopy.config));
    gatewayArgs = GATEWAY.args.map((a) => (a === `--config=${GATEWAY.configPath}` ? `--config=${configFile}` : a));
    otlpGrpc = gatewayCopy.config.receivers.otlp.protocols.grpc.endpoint;
    otlpHttp = gatewayCopy.config.receivers.otlp.protocols.http.endpoint;
    await startGateway();
    // A service exports its metrics all the time; the remote-write WAL sends what it holds when the next entry
    // comes, so the metric tests run beside this steady exporter, as in a cluster.
    heartbeat = new MeterProvider({
      resource: resourceFromAttributes(SERVICE.resource),
      readers: [new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: `http://${otlpHttp}/v1/metrics` }), exportIntervalMillis: 1_000 })],
    });
    heartbeat.getMeter('data-paths').createObservableGauge('data_paths_heartbeat').addCallback((o) => o.observe(1));
  });

  afterAll(async () => {
    await heartbeat?.shutdown();
    if (Object.keys(FIGURES).length > 0) console.log(`Fault scenarios (outage ${OUTAGE_SECONDS} s):\n${JSON.stringify(FIGURES, null, 1)}`);
    await stopAll();
    await loki?.close();
    await fakeApi?.close();
  });

  const sent: Record<string, string> = {};

  describe.each([
    ['gRPC', () => new OTLPGrpcTraceExporter({ url: `http://${otlpGrpc}` })],
    ['HTTP', () => new OTLPHttpTraceExporter({ url: `http://${otlpHttp}/v1/traces` })],
  ])('traces over OTLP/%s', (protocol, exporter) => {
    test("reach Jaeger whole, with the service's name, the environment and the span attributes", async () => {
      const { tracer, counts, provider } = serviceTracer(exporter());
      const root = tracer.startSpan('GET /checkout', { kind: 1, attributes: { 'http.request.method': 'GET', 'http.route': '/checkout', 'http.response.status_code': 200 } });
      tracer.startSpan('SELECT orders', { attributes: { 'db.system.name': 'postgresql' } }, childOf(root)).end();
      root.end();
      await provider.forceFlush();
      expect(counts.accepted.size).toBe(2);
      const traceId = root.spanContext().traceId;
      sent[protocol] = traceId;

      const found = await awaitTrace(traceId, 2, DELIVERY_MS);
      expect(found.spans.map((s) => s.operationName).sort()).toEqual(['GET /checkout', 'SELECT orders']);
      const rootSpan = found.spans.find((s) => s.operationName === 'GET /checkout')!;
      expect(tagsOf(rootSpan.tags)).toMatchObject({ 'http.request.method': 'GET', 'http.route': '/checkout', 'http.response.status_code': 200 });
      const processTags = tagsOf(found.processes[rootSpan.processID].tags);
      expect(found.processes[rootSpan.processID].serviceName).toBe(SERVICE.resource['service.name']);
      // The gateway's stamp, and k8s_attributes' metadata of the pod the span came from (through the loopback API).
      expect(processTags).toMatchObject({
        'deployment.environment': ENVIRONMENT,
        'k8s.namespace.name': SERVICE.pod.metadata.namespace,
        'k8s.pod.name': SERVICE.pod.metadata.name,
        'k8s.node.name': NODE_NAME,
      });
      await provider.shutdown();
    });
  });

  test('a histogram reaches Prometheus under the name and labels the dashboards and rules read, with an exemplar whose trace Jaeger holds', async () => {
    const reader = new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: `http://${otlpHttp}/v1/metrics` }), exportIntervalMillis: 1_000 });
    const provider = new MeterProvider({ resource: resourceFromAttributes(SERVICE.resource), readers: [reader] });
    // The histogram as an OpenTelemetry SDK records it: milliseconds, labelled service/method/route/status_code/tenant_id.
    const histogram = provider.getMeter('data-paths').createHistogram(HISTOGRAM, { unit: 'ms' });
    const labels = { service: SERVICE.resource['service.name'], method: 'GET', route: '/checkout', status_code: '200', tenant_id: 'acme' };
    for (const v of [12, 48, 230]) histogram.record(v, labels);
    await reader.forceFlush();
    const selector = `${HISTOGRAM}_count{service="${labels.service}", route="${labels.route}", status_code="${labels.status_code}"}`;
    let result: any[] = [];
    await until(async () => (result = await promQuery(selector)).length > 0, DELIVERY_MS, () => `Prometheus has no ${selector}`);
    expect(result.map((r) => Number(r.value[1]))).toEqual([3]);
    expect(result[0].metric).toMatchObject({ __name__: `${HISTOGRAM}_count`, ...labels });
    await provider.shutdown();

    // The Node SDK records no exemplars (the Go and Java SDKs do): this data point is the Go SDK's, over OTLP/HTTP
    // JSON, with the trace id of the span the gRPC test sent.
    const traceId = sent.gRPC;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const now = BigInt(Date.now()) * 1_000_000n;
    const exemplarLabels = { ...labels, route: '/pay' };
    const res = await fetch(`http://${otlpHttp}/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceMetrics: [
          {
            resource: { attributes: Object.entries(SERVICE.resource).map(([key, value]) => ({ key, value: { stringValue: value } })) },
            scopeMetrics: [
              {
                scope: { name: 'go.opentelemetry.io/otel/sdk/metric' },
                metrics: [
                  {
                    name: HISTOGRAM,
                    unit: 'ms',
                    histogram: {
                      aggregationTemporality: 2,
                      dataPoints: [
                        {
                          attributes: Object.entries(exemplarLabels).map(([key, value]) => ({ key, value: { stringValue: value } })),
                          startTimeUnixNano: String(now - 10_000_000_000n),
                          timeUnixNano: String(now),
                          count: '1',
                          sum: 740,
                          explicitBounds: [100, 500, 1000],
                          bucketCounts: ['0', '0', '1', '0'],
                          exemplars: [{ timeUnixNano: String(now - 1_000_000n), asDouble: 740, traceId, spanId: '00f067aa0ba902b7' }],
                        },
                      ],
                    },
                  },
                ],
              },
            ],
          },
        ],
      }),
    });
    expect(res.status).toBe(200);
    const query = `${HISTOGRAM}_bucket{service="${labels.service}", route="/pay"}`;
    let exemplars: any[] = [];
    await until(
      async () => {
        const q = await fetch(`${prometheus.url}/api/v1/query_exemplars?query=${encodeURIComponent(query)}&start=${Math.floor(Date.now() / 1000) - 600}&end=${Math.ceil(Date.now() / 1000) + 60}`);
        exemplars = (((await q.json()) as any).data ?? []).flatMap((series: any) => series.exemplars);
        return exemplars.length > 0;
      },
      DELIVERY_MS,
      () => `Prometheus' exemplar API has nothing for ${query}; ${problems()}`,
    );
    expect(exemplars.map((e) => e.labels.trace_id)).toEqual([traceId]);
    // The investigation's first hop: from the exemplar's trace id to the trace in Jaeger.
    expect((await jaegerTrace(exemplars[0].labels.trace_id))?.spans.length).toBe(2);
  });

  test("a log record reaches Loki's OTLP endpoint with the resource attributes its otlp_config indexes, and its trace id", async () => {
    const indexed = lokiIndexLabels();
    expect(indexed.length).toBeGreaterThan(0);
    const exporter = new OTLPLogExporter({ url: `http://${otlpHttp}/v1/logs` });
    const provider = new LoggerProvider({ resource: resourceFromAttributes(SERVICE.resource), processors: [new BatchLogRecordProcessor({ exporter })] });
    const { tracer, provider: tracerProvider } = serviceTracer(new OTLPGrpcTraceExporter({ url: `http://${otlpGrpc}` }));
    const span = tracer.startSpan('POST /orders');
    provider.getLogger('data-paths').emit({ severityText: 'ERROR', severityNumber: 17, body: 'payment declined', context: childOf(span) });
    span.end();
    await provider.forceFlush();
    await tracerProvider.shutdown();
    await until(() => loki.logs.some((l) => l.body === 'payment declined'), DELIVERY_MS, () => `nothing reached the Loki stand-in; requests: ${loki.path.join(', ') || 'none'}`);
    const record = loki.logs.find((l) => l.body === 'payment declined')!;
    const lokiPath = new URL(GATEWAY.config.exporters['otlp_http/loki'].endpoint).pathname;
    expect(loki.path[0]).toBe(`POST ${lokiPath}/v1/logs application/x-protobuf`);
    // What each index label must say for this pod: its SDK's resource, and k8s_attributes' metadata from the API.
    const expected: Record<string, string> = {
      ...SERVICE.resource,
      'k8s.namespace.name': SERVICE.pod.metadata.namespace,
      'k8s.pod.name': SERVICE.pod.metadata.name,
      'k8s.container.name': SERVICE.container,
      'k8s.node.name': NODE_NAME,
      'k8s.deployment.name': SERVICE.name,
      'deployment.environment': ENVIRONMENT,
    };
    for (const attribute of indexed) {
      if (!(attribute in expected)) throw new Error(`Loki indexes ${attribute}, which this test does not know the value of for the instrumented service`);
    }
    expect(Object.fromEntries(indexed.map((a) => [a, record.resource[a]]))).toEqual(Object.fromEntries(indexed.map((a) => [a, expected[a]])));
    expect(record.traceId).toBe(span.spanContext().traceId);
    await provider.shutdown();
  });

  /** One child span of `root` every 100 ms until stopped: a service under steady load. */
  const streamSpans = (tracer: Tracer, root: Span) => {
    let started = 0;
    const timer = setInterval(() => tracer.startSpan(`step ${started++}`, {}, childOf(root)).end(), 100);
    return {
      stop: () => {
        clearInterval(timer);
        return started + 1;
      },
    };
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /**
   * Sends a stream of spans through `disrupt`, then checks Jaeger holds each span the gateway acknowledged, once,
   * and no span it was not sent. Returns the counts.
   */
  const countedStream = async (name: string, disrupt: () => Promise<void>): Promise<FaultCounts> => {
    const { tracer, counts, provider } = serviceTracer(new OTLPGrpcTraceExporter({ url: `http://${otlpGrpc}` }));
    const root = tracer.startSpan(name);
    const stream = streamSpans(tracer, root);
    await disrupt();
    const sentSpans = stream.stop();
    root.end();
    await provider.forceFlush();
    await provider.shutdown();
    const traceId = root.spanContext().traceId;
    // Once Jaeger is back, the queue drains at the exporter's next retry, at most max_interval away.
    const found = await awaitTrace(traceId, counts.accepted.size, RETRY_MAX_MS + DELIVERY_MS);
    // Anything still in flight would arrive within one more batch: wait for it before counting duplicates.
    await sleep(BATCH_TIMEOUT_MS + 2_000);
    const ids = (await jaegerTrace(traceId))!.spans.map((x) => x.spanID);
    const unique = new Set(ids);
    const result: FaultCounts = {
      sent: sentSpans,
      acknowledged: counts.accepted.size,
      refused: counts.failed.size,
      received: unique.size,
      duplicates: ids.length - unique.size,
      lost: [...counts.accepted].filter((id) => !unique.has(id)).length,
    };
    FIGURES[name] = result;
    expect(found.spans.length).toBeGreaterThanOrEqual(counts.accepted.size);
    expect(result.sent).toBe(result.acknowledged + result.refused);
    expect([...unique].filter((id) => !counts.accepted.has(id) && !counts.failed.has(id))).toEqual([]);
    return result;
  };

  test(`nothing is lost while Jaeger is down for ${OUTAGE_SECONDS} s with spans flowing`, async () => {
    const counts = await countedStream('Jaeger down', async () => {
      await sleep(2_000);
      await jaeger!.stop();
      await sleep(OUTAGE_SECONDS * 1000);
      await startJaeger();
      await sleep(2_000);
    });
    expect(counts).toEqual({ ...counts, refused: 0, received: counts.sent, duplicates: 0, lost: 0 });
  });

  test('nothing is lost when the gateway is killed (SIGKILL) mid-stream while Jaeger is down: the persistent queue delivers it after the restart', async () => {
    const counts = await countedStream('Jaeger down, gateway killed', async () => {
      await jaeger!.stop();
      await sleep(5_000);
      await gateway!.kill();
      await sleep(2_000);
      await startGateway();
      await sleep(5_000);
      await startJaeger();
    });
    // What the gateway acknowledged survives the kill; a span whose export the SDK saw fail may still have arrived.
    expect(counts).toEqual({ ...counts, duplicates: 0, lost: 0 });
  });

  test(`nothing is lost while Prometheus is down for ${OUTAGE_SECONDS} s: the remote-write WAL replays every sample`, async () => {
    let tick = 0;
    const exports: ExportResultCode[] = [];
    const exporter = new OTLPMetricExporter({ url: `http://${otlpHttp}/v1/metrics` });
    const counting = Object.assign(Object.create(exporter), {
      export: (metrics: any, done: (r: ExportResult) => void) => exporter.export(metrics, (r) => (exports.push(r.code), done(r))),
    });
    const reader = new PeriodicExportingMetricReader({ exporter: counting, exportIntervalMillis: 1_000 });
    const provider = new MeterProvider({ resource: resourceFromAttributes(SERVICE.resource), readers: [reader] });
    // A gauge that counts its own collections: a gap in the stored series is a missing value.
    provider
      .getMeter('data-paths')
      .createObservableGauge('data_paths_collection')
      .addCallback((o) => o.observe(++tick, { service: SERVICE.resource['service.name'] }));
    await sleep(3_000);
    await prometheus.proc.stop();
    await sleep(OUTAGE_SECONDS * 1000);
    await restartPrometheus();
    await sleep(3_000);
    await reader.forceFlush();
    await provider.shutdown();
    const last = tick;
    const query = `data_paths_collection{service="${SERVICE.resource['service.name']}"}[${OUTAGE_SECONDS + 600}s]`;
    let values: number[] = [];
    await until(
      async () => {
        const r = await promQuery(query);
        values = (r[0]?.values ?? []).map((v: [number, string]) => Number(v[1]));
        return values.includes(last);
      },
      RETRY_MAX_MS + DELIVERY_MS,
      () => `Prometheus holds ${values.length} of ${last} samples of data_paths_collection; ${problems()}`,
    );
    const missing = Array.from({ length: last }, (_, i) => i + 1).filter((v) => !values.includes(v));
    FIGURES['Prometheus down'] = { sent: last, acknowledged: exports.filter((c) => c === ExportResultCode.SUCCESS).length, refused: exports.filter((c) => c !== ExportResultCode.SUCCESS).length, received: new Set(values).size, duplicates: values.length - new Set(values).size, lost: missing.length };
    expect({ missing, duplicates: values.length - new Set(values).size, refused: exports.filter((c) => c !== ExportResultCode.SUCCESS).length }).toEqual({ missing: [], duplicates: 0, refused: 0 });
  });
});
