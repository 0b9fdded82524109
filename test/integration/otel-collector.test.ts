/**
 * The OpenTelemetry Collector at the image's release (`scripts/tools/go/otelcol`, built from the collector's Go
 * modules) against every collector config the stack synthesizes: the gateway, the node agent and the
 * tail-sampling tier, for every shipped environment and every example.
 *
 * - The build holds exactly the components the configs use (by their current names), and every collector
 *   module it is built from is at the image's release.
 * - Each config passes `otelcol validate`, then STARTS with the synthesized flags and GOMEMLIMIT, reports ready
 *   on its health_check endpoint, watches pods through a loopback Kubernetes API, and its log holds no error,
 *   warning or deprecation, up to and including its shutdown.
 *
 * Only addresses and paths are rewritten in the test copy: listeners and exporter targets to loopback ports
 * (exporters reach small loopback stand-ins), the pod's volumes to temporary directories, and k8s_attributes'
 * `auth_type` to `kubeConfig` so it reads the fake API's kubeconfig instead of an in-cluster token.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as http2 from 'http2';
import { AddressInfo } from 'net';
import * as path from 'path';
import * as zlib from 'zlib';
import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { parse } from 'yaml';
import { toolSpec } from '../../scripts/tools/catalog';
import { toYaml } from '../../src/lib/yaml';
import { FakeKubeApi, startFakeKubeApi } from '../support/fake-kube-api';
import { CollectorRun, collectorRuns, instrumentedService, NODE_NAME, processEnv, requestedResource, TestCopy, testCopy, toLoopback, typeOf } from '../support/otel-collector';
import { freePort, problemLines, RunningProcess, startProcess, stopAll, tempDir, until } from '../support/process';
import { allSynthesizedEnvironments, REPO_ROOT, synthesizedExamples, synthesizedShippedConfigs } from '../support/synth-fixture';
import { seriesReadIn } from '../support/metric-check';
import { requireTool, run } from '../support/tools';
import { startPrometheus, StartedServer } from '../support/prometheus-pods';
import { LLM_METRICS, SPANMETRICS_ID } from '../../src/components/otel-collector/llm-metrics';
import { seriesCatalogue } from '../../src/catalog/metrics';
import { instrument } from '../../src/instrumentation/instrument';

jest.setTimeout(180_000);

const OTELCOL = requireTool('otelcol');
const RELEASE = toolSpec('otelcol').version;
const MODULE_DIR = path.join(REPO_ROOT, 'scripts', 'tools', 'go', 'otelcol');
/** How long a collector may take to answer on its health endpoint (2 shared cores, several builds at once). */
const READY_WITHIN_MS = 60_000;
/** The one line allowed at shutdown (not at startup): see the start test. */
const PRW_WAL_STOP_LINE = new RegExp(
  `"level":"error".*"caller":"prometheusremotewriteexporter@v${RELEASE.replace(/\./g, '\\.')}/wal\\.go:\\d+","msg":"error processing WAL entries".*"error":"(attempt to read from WAL after stopped|context canceled)"`,
);
type Kind = 'receivers' | 'processors' | 'exporters' | 'extensions' | 'connectors';
const KINDS: Kind[] = ['receivers', 'processors', 'exporters', 'extensions', 'connectors'];

const RUNS = [...collectorRuns(synthesizedShippedConfigs()), ...collectorRuns(synthesizedExamples())];

function usedTypes(config: Record<string, any>): Record<Kind, string[]> {
  return Object.fromEntries(KINDS.map((k) => [k, Object.keys(config[k] ?? {}).map(typeOf)])) as Record<Kind, string[]>;
}

/** The components the binary itself says it holds (`otelcol components`), by kind. */
function builtComponents(): Record<Kind, string[]> {
  const r = run(OTELCOL, ['components']);
  if (r.code !== 0) throw new Error(`otelcol components exited ${r.code}: ${r.stderr}`);
  const out = parse(r.stdout);
  return Object.fromEntries(KINDS.map((k) => [k, ((out[k] ?? []) as Array<{ name: string }>).map((c) => c.name)])) as Record<Kind, string[]>;
}

describe('the collector build', () => {
  test('covers six collectors: the gateways of prod, qa, central and edge-a, the central sampler and the edge-a agent', () => {
    expect(RUNS.map((r) => r.id).sort()).toEqual([
      'central/otel-collector',
      'central/otel-collector-sampler',
      'edge-a/otel-collector',
      'edge-a/otel-collector-agent',
      'prod/otel-collector',
      'qa/otel-collector',
    ]);
  });

  test('follows a log record through every config that sends logs to a plain-HTTP Loki: the gateways of prod, qa and central', () => {
    expect(RUNS.filter((r) => plainHttpLogsExporter(r.config)).map((r) => r.id)).toEqual(['prod/otel-collector', 'qa/otel-collector', 'central/otel-collector']);
  });

  test('holds every component a synthesized config uses, under its current name, and nothing else', () => {
    const built = builtComponents();
    const missing: string[] = [];
    const used: Record<Kind, Set<string>> = Object.fromEntries(KINDS.map((k) => [k, new Set<string>()])) as any;
    for (const r of RUNS) {
      const types = usedTypes(r.config);
      for (const kind of KINDS) {
        for (const type of types[kind]) {
          used[kind].add(type);
          if (!built[kind].includes(type)) missing.push(`${r.id} uses ${kind.slice(0, -1)} "${type}", which the build lacks (it has: ${built[kind].join(', ') || 'none'})`);
        }
      }
    }
    expect(missing).toEqual([]);
    // Only what the configs use is built in: the binary stays small and its list stays honest.
    for (const kind of KINDS) expect({ kind, built: [...built[kind]].sort() }).toEqual({ kind, built: [...used[kind]].sort() });
  });

  test(`every collector module in go.mod is at the image's release (${RELEASE}, and the stable modules at the version it requires)`, () => {
    const requires = [...fs.readFileSync(path.join(MODULE_DIR, 'go.mod'), 'utf8').matchAll(/^\s*(?:require\s+)?(\S+)\s+(v\d+\.\d+\.\d+\S*)(?:\s*\/\/.*)?$/gm)].map(
      ([, mod, version]) => ({ mod, version }),
    );
    const collector = requires.filter(({ mod }) => /^go\.opentelemetry\.io\/collector(\/|$)|^github\.com\/open-telemetry\/opentelemetry-collector-contrib\//.test(mod));
    expect(collector.length).toBeGreaterThan(20);
    // The stable (v1) modules are released with the same tag under another number: read it from otelcol's own go.mod.
    const stable = upstreamRequirement(`go.opentelemetry.io/collector/otelcol@v${RELEASE}`, 'go.opentelemetry.io/collector/component');
    expect(stable).toMatch(/^v1\.\d+\.\d+$/);
    const wrong = collector.filter(({ version }) => version !== `v${RELEASE}` && version !== stable).map(({ mod, version }) => `${mod} ${version}`);
    expect(wrong).toEqual([]);
  });
});

/** The version `module@version`'s go.mod requires of `dependency` (from the module cache, downloaded if needed). */
function upstreamRequirement(moduleAtVersion: string, dependency: string): string | undefined {
  const r = spawnSync('go', ['mod', 'download', '-json', moduleAtVersion], {
    cwd: MODULE_DIR,
    encoding: 'utf8',
    env: { ...process.env, GOTOOLCHAIN: 'local', GOWORK: 'off', GOFLAGS: '-mod=mod' },
  });
  if (r.error || r.status !== 0) throw new Error(`go mod download ${moduleAtVersion}: ${r.error?.message ?? r.stdout + r.stderr}`);
  const goMod = fs.readFileSync(JSON.parse(r.stdout).GoMod, 'utf8');
  return new RegExp(`^\\s*${dependency.replace(/[.\/]/g, '\\$&')}\\s+(v\\S+)`, 'm').exec(goMod)?.[1];
}

/** Loopback stand-ins for the exporters' targets: an HTTP/1.1 server and a cleartext HTTP/2 (gRPC) server. */
interface StandIns {
  /** What reached the HTTP stand-in: path and body. */
  readonly requests: Array<{ path: string; body: Buffer }>;
  readonly httpPort: number;
  readonly grpcPort: number;
  close(): Promise<void>;
}

async function startStandIns(): Promise<StandIns> {
  const requests: Array<{ path: string; body: Buffer }> = [];
  const plain = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      // confighttp clients compress with gzip by default.
      const encoding = req.headers['content-encoding'];
      if (encoding && encoding !== 'gzip') throw new Error(`the stand-in cannot read ${encoding} bodies`);
      requests.push({ path: req.url ?? '', body: encoding === 'gzip' ? zlib.gunzipSync(raw) : raw });
      res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end();
    });
  });
  const grpc = http2.createServer();
  grpc.on('stream', (stream) => {
    stream.resume();
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    // One empty response message (uncompressed, length 0): an OTLP Export*ServiceResponse with nothing refused.
    stream.end(Buffer.alloc(5));
  });
  const listen = (s: http.Server | http2.Http2Server) => new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
  const [httpPort, grpcPort] = [await listen(plain), await listen(grpc)];
  return {
    requests,
    httpPort,
    grpcPort,
    close: async () => {
      plain.closeAllConnections();
      await Promise.all([new Promise((r) => plain.close(r)), new Promise((r) => grpc.close(r))]);
    },
  };
}

/** Where a config sends logs over plain HTTP (a Loki `/otlp` URL), the test follows one log record through it. */
function plainHttpLogsExporter(config: Record<string, any>): string | undefined {
  return (config.service?.pipelines?.logs?.exporters ?? []).find((id: string) => /^http:\/\//.test(config.exporters[id]?.endpoint ?? ''));
}

describe.each(RUNS.map((r) => [r.id, r] as const))('the collector %s', (_id, r) => {
  const service = instrumentedService();
  let fakeApi: FakeKubeApi;
  let standIns: StandIns;
  let work: string;
  let configFile: string;
  let copy: TestCopy;
  let proc: RunningProcess | undefined;
  let startupLog = '';

  beforeAll(async () => {
    fakeApi = await startFakeKubeApi({ lists: { pods: [service.pod] } });
    standIns = await startStandIns();
    work = tempDir('otelcol');
    copy = await testCopy(r, work, (_id, endpoint) => (/^\w+:\/\//.test(endpoint) ? standIns.httpPort : standIns.grpcPort));
    configFile = path.join(work, 'config.yaml');
    fs.writeFileSync(configFile, toYaml(copy.config));
  });

  afterAll(async () => {
    await stopAll();
    await standIns?.close();
    await fakeApi?.close();
  });

  test('is accepted by otelcol validate, silently', () => {
    // The container's environment too: k8s_attributes' node filter reads K8S_NODE_NAME while validating.
    const result = run(OTELCOL, ['validate', `--config=${configFile}`], { timeoutMs: 60_000, env: processEnv(r) });
    expect({ code: result.code, problems: problemLines(`${result.stdout}\n${result.stderr}`), out: result.code === 0 ? '' : result.stderr }).toEqual({
      code: 0,
      problems: [],
      out: '',
    });
  });

  test(`starts with the synthesized flags and GOMEMLIMIT, is ready within ${READY_WITHIN_MS / 1000} s, and logs no error, warning or deprecation`, async () => {
    const env = processEnv(r);
    expect(env.GOMEMLIMIT).toMatch(/^\d+MiB$/);
    const args = r.args.map((a) => (a === `--config=${r.configPath}` ? `--config=${configFile}` : a));
    expect(args).toContain(`--config=${configFile}`);
    proc = startProcess(r.id, OTELCOL, args, { cwd: work, env: { ...env, KUBECONFIG: fakeApi.kubeconfig } });
    await proc.waitForHttp(copy.healthUrl, READY_WITHIN_MS);
    if (copy.metricsUrl) await proc.waitForHttp(copy.metricsUrl, READY_WITHIN_MS);

    const k8sAttributes = Object.keys(r.config.processors ?? {}).find((id) => ['k8s_attributes', 'k8sattributes'].includes(typeOf(id)));
    if (k8sAttributes) {
      // k8s_attributes really talks to the (loopback) API: it watches pods, only this node's for the agent.
      const podWatch = () => fakeApi.requests.find((q) => /^GET \/api\/v1\/pods\?.*watch=true/.test(q));
      await until(() => podWatch() !== undefined, READY_WITHIN_MS, () => `${r.id} never watched pods; requests: ${fakeApi.requests.join(', ')}`);
      if (r.config.processors[k8sAttributes].filter?.node_from_env_var) expect(decodeURIComponent(podWatch()!)).toContain(`spec.nodeName=${NODE_NAME}`);
    }
    // Whatever it asked the API for, its ServiceAccount is granted (and a collector without k8s_attributes asks nothing).
    const asked = [...new Set(fakeApi.requests.map(requestedResource).filter((x): x is string => x !== undefined))].sort();
    expect({ id: r.id, notGranted: asked.filter((x) => !r.granted.includes(x)) }).toEqual({ id: r.id, notGranted: [] });
    if (!k8sAttributes) expect(asked).toEqual([]);
    startupLog = proc.log();
    expect(startupLog).toContain('Everything is ready');
    expect({ id: r.id, problems: problemLines(startupLog) }).toEqual({ id: r.id, problems: [] });
  });

  if (plainHttpLogsExporter(r.config)) {
    test("adds the pod's Kubernetes metadata to an instrumented service's logs, its container's name included, and ships them to Loki", async () => {
      if (!proc) throw new Error('the collector did not start');
      const receiver = copy.config.receivers.otlp.protocols.http.endpoint;
      // One record from the instrumented example (its synthesized resource attributes), one from a pod whose SDK
      // does not name its container: k8s_attributes can only name the first one's.
      const named = { ...service.resource, 'log.source': 'named' };
      const unnamed = { 'k8s.pod.uid': service.pod.metadata.uid, 'service.name': service.name, 'log.source': 'unnamed' };
      const res = await fetch(`http://${receiver}/v1/logs`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ resourceLogs: [named, unnamed].map(otlpLogs) }),
      });
      expect(res.status).toBe(200);
      const logsPath = `${new URL(r.config.exporters[plainHttpLogsExporter(r.config)!].endpoint).pathname}/v1/logs`;
      // The batch processor sends after its timeout (seconds); the bound only guards against a hang.
      await until(() => standIns.requests.some((q) => q.path === logsPath), READY_WITHIN_MS, () => `${r.id}: nothing reached ${logsPath}; got ${standIns.requests.map((q) => q.path).join(', ') || 'nothing'}`);
      const resources = standIns.requests.filter((q) => q.path === logsPath).flatMap((q) => otlpLogResources(q.body));
      const bySource = (source: string) => resources.find((a) => a['log.source'] === source);
      const pod = service.pod;
      expect(bySource('named')).toMatchObject({
        'k8s.namespace.name': pod.metadata.namespace,
        'k8s.pod.name': pod.metadata.name,
        'k8s.pod.uid': pod.metadata.uid,
        'k8s.node.name': NODE_NAME,
        'k8s.deployment.name': service.name,
        'k8s.container.name': service.container,
      });
      expect(bySource('unnamed')).toMatchObject({ 'k8s.pod.name': pod.metadata.name, 'k8s.deployment.name': service.name });
      expect(bySource('unnamed')!['k8s.container.name']).toBeUndefined();
      expect({ id: r.id, problems: problemLines(proc.log().slice(startupLog.length)) }).toEqual({ id: r.id, problems: [] });
    });
  }

  if (plainHttpLogsExporter(r.config)) {
    // After the log record above: the receiver's, the processors' and the logs exporter's series exist. (Every
    // collector's telemetry is written by one function; these three gateways are the ones whose data can reach a
    // stand-in here without TLS, so the probe leaves no failed export behind.)
    test('serves its own metrics under the names the rules and dashboards read', async () => {
      if (!proc) throw new Error('the collector did not start');
      if (!copy.metricsUrl) throw new Error(`${r.id} exposes no metrics port`);
      const read = [...new Set(allSynthesizedEnvironments().flatMap((e) => [...seriesReadIn(e.dir)]))].filter((m) => m.startsWith('otelcol_'));
      const text = await (await fetch(copy.metricsUrl)).text();
      const served = new Set(text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => /^[\w:]+/.exec(l)![0]));
      // A name read under one spelling and served under another (`_total` or a unit dropped) is a rule that never
      // matches: each read name whose family the collector serves must be served exactly.
      const family = (name: string) => name.replace(/(_seconds|_bytes)?(_total)?$/, '');
      const servedFamilies = new Set([...served].map(family));
      const spelledOtherwise = read.filter((m) => !served.has(m) && servedFamilies.has(family(m)));
      expect({ id: r.id, spelledOtherwise }).toEqual({ id: r.id, spelledOtherwise: [] });
      // Not vacuous: the receiver's, the processors', the queue's and the exporter's series are among those matched.
      expect(read.filter((m) => served.has(m))).toEqual(
        expect.arrayContaining([
          'otelcol_receiver_accepted_log_records_total',
          'otelcol_receiver_refused_log_records_total',
          'otelcol_processor_incoming_items_total',
          'otelcol_exporter_sent_log_records_total',
          'otelcol_exporter_queue_size',
        ]),
      );
    });
  }

  test('stops on SIGTERM with a clean shutdown log', async () => {
    if (!proc) throw new Error('the collector did not start');
    const before = proc.log();
    // One line is allowed here, never at startup: prometheus_remote_write 0.158.0 logs it at every stop, when
    // its WAL reader, waiting on an empty WAL, reports the stop itself as an error before its loop sees the stop
    // (wal.go's run: "attempt to read from WAL after stopped", or "context canceled" when the lag loop, stopping
    // first, has cancelled the reader's context). Nothing is lost; the line is matched exactly.
    await proc.stop(30_000);
    const shutdown = proc.log().slice(before.length);
    expect(shutdown).toContain('Shutdown complete');
    expect(proc.child.exitCode).toBe(0);
    expect({ id: r.id, problems: problemLines(shutdown, [PRW_WAL_STOP_LINE]) }).toEqual({ id: r.id, problems: [] });
  });
});

/** An OTLP/JSON span of `durationMs` ending now, with string and int attributes. */
function otlpSpan(name: string, durationMs: number, attributes: Record<string, string | number>, error = false) {
  const end = BigInt(Date.now()) * 1_000_000n;
  const id = (bytes: number) => Array.from({ length: bytes }, () => Math.floor(Math.random() * 256).toString(16).padStart(2, '0')).join('');
  return {
    traceId: id(16),
    spanId: id(8),
    name,
    kind: 3, // CLIENT: the service calls the provider's API.
    startTimeUnixNano: String(end - BigInt(durationMs) * 1_000_000n),
    endTimeUnixNano: String(end),
    attributes: Object.entries(attributes).map(([key, value]) => ({ key, value: typeof value === 'number' ? { intValue: String(value) } : { stringValue: value } })),
    status: error ? { code: 2, message: 'rate limited' } : { code: 1 },
  };
}

/** An instant query's result vector (the test's Prometheus; throws on an error answer). */
async function promQuery(url: string, expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body: any = await res.json();
  if (body.status !== 'success') throw new Error(`${expr}: ${JSON.stringify(body)}`);
  return body.data.result;
}

/** The gateway `r` as synthesized, remote-writing into its environment's real Prometheus (with its rules). */
interface GatewayAndPrometheus {
  readonly prometheus: StartedServer;
  readonly proc: RunningProcess;
  /** The gateway's config as the test runs it (loopback addresses). */
  readonly config: Record<string, any>;
  close(): Promise<void>;
}

async function startGatewayAndPrometheus(r: CollectorRun, envDir: string, label: string, pods: object[] = []): Promise<GatewayAndPrometheus> {
  const fakeApi = await startFakeKubeApi({ lists: { pods } });
  const standIns = await startStandIns();
  const prometheus = await startPrometheus(envDir, { kubeconfig: fakeApi.kubeconfig, alertmanager: `127.0.0.1:${await freePort()}` });
  const work = tempDir('otelcol-prometheus');
  const copy = await testCopy(r, work, (_id, endpoint) => (/^\w+:\/\//.test(endpoint) ? standIns.httpPort : standIns.grpcPort));
  // Metrics go to the real Prometheus (its remote-write receiver), the rest to the stand-ins.
  for (const id of Object.keys(copy.config.exporters).filter((e) => typeOf(e) === 'prometheus_remote_write')) {
    copy.config.exporters[id].endpoint = toLoopback(r.config.exporters[id].endpoint, Number(new URL(prometheus.url).port));
  }
  const configFile = path.join(work, 'config.yaml');
  fs.writeFileSync(configFile, toYaml(copy.config));
  const args = r.args.map((a) => (a === `--config=${r.configPath}` ? `--config=${configFile}` : a));
  const proc = startProcess(`${r.id} (${label})`, OTELCOL, args, { cwd: work, env: { ...processEnv(r), KUBECONFIG: fakeApi.kubeconfig } });
  await proc.waitForHttp(copy.healthUrl, READY_WITHIN_MS);
  return {
    prometheus,
    proc,
    config: copy.config,
    close: async () => {
      await standIns.close();
      await fakeApi.close();
    },
  };
}

/**
 * LLM provider comparison: the AI service's openai.chat / anthropic.chat spans, sent over OTLP/HTTP to the
 * synthesized gateway, come out of its spanmetrics and signal_to_metrics connectors as series in the
 * environment's real Prometheus (remote write), and the agent-loop dashboard's provider panels read them.
 */
const LLM_RUN = RUNS.find(
  (r) =>
    Object.keys(r.config.connectors ?? {}).some((id) => id === SPANMETRICS_ID) &&
    fs.existsSync(path.join(synthesizedShippedConfigs(), r.id.split('/')[0], 'dashboards', 'agent-loop.json')),
);

describe('LLM provider metrics from spans, through the gateway into Prometheus', () => {
  if (!LLM_RUN) throw new Error('no shipped environment has a gateway with the LLM span metrics and an agent-loop dashboard');
  const r = LLM_RUN;
  const envDir = path.join(synthesizedShippedConfigs(), r.id.split('/')[0]);
  const dashboard = JSON.parse(fs.readFileSync(path.join(envDir, 'dashboards', 'agent-loop.json'), 'utf8'));
  const panelExprs = (title: string): string[] => {
    const panel = (dashboard.panels as any[]).find((p) => p.title === title);
    if (!panel) throw new Error(`agent-loop.json has no panel "${title}"`);
    return panel.targets.map((t: any) => t.expr);
  };
  // The service the dashboard shows, read from its queries: the spans are that service's.
  const service = /service_name="([^"]+)"/.exec(panelExprs('Tokens by provider')[0])?.[1];
  let pair: GatewayAndPrometheus;
  let prometheus: StartedServer;
  let proc: RunningProcess;
  let receiver: string;

  beforeAll(async () => {
    if (!service) throw new Error('the Tokens by provider panel names no service_name');
    pair = await startGatewayAndPrometheus(r, envDir, 'LLM spans');
    ({ prometheus, proc } = pair);
    receiver = pair.config.receivers.otlp.protocols.http.endpoint;
  });

  afterAll(async () => {
    await stopAll();
    await pair?.close();
  });

  test('turns openai.chat and anthropic.chat spans into calls, errors, latency and tokens per provider and model; other spans into nothing', async () => {
    const chat = (provider: string, model: string, input: number, output: number) => ({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': provider,
      'gen_ai.request.model': model,
      'gen_ai.usage.input_tokens': input,
      'gen_ai.usage.output_tokens': output,
    });
    const spans = [
      otlpSpan('openai.chat', 1200, chat('openai', 'gpt-4o', 120, 45)),
      otlpSpan('openai.chat', 800, chat('openai', 'gpt-4o', 80, 20)),
      otlpSpan('openai.chat', 300, { 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o' }, true),
      otlpSpan('anthropic.chat', 2500, chat('anthropic', 'claude-sonnet-4-5', 300, 90)),
      otlpSpan('GET /orders', 40, { 'http.request.method': 'GET' }),
    ];
    const send = async () => {
      const res = await fetch(`http://${receiver}/v1/traces`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] }, scopeSpans: [{ spans }] }],
        }),
      });
      expect(res.status).toBe(200);
    };
    await send();
    // spanmetrics flushes on its interval and the batch processor on its timeout; the bound only guards against a hang.
    const calls = async () => promQuery(prometheus.url, `${LLM_METRICS.calls}{service_name="${service}"}`);
    const deadline = Date.now() + 180_000;
    // A new counter may arrive first at 0 (its start), then at its count: wait for the four calls to be counted.
    const counted = async () => (await calls()).reduce((n, x) => n + Number(x.value[1]), 0);
    while ((await counted()) < 4 || (await promQuery(prometheus.url, LLM_METRICS.outputTokens)).length < 2) {
      if (Date.now() > deadline) throw new Error(`no LLM series reached Prometheus; collector log:\n${proc.log().slice(-4000)}`);
      await new Promise((res) => setTimeout(res, 1000));
    }
    const seen = async (expr: string) =>
      (await promQuery(prometheus.url, expr)).map((s) => ({ ...s.metric, value: Number(s.value[1]) })).sort((a: any, b: any) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    const byProvider = (expr: string) => seen(`sum by (gen_ai_provider_name, gen_ai_request_model, status_code) (${expr})`);
    expect(await byProvider(LLM_METRICS.calls)).toEqual([
      { gen_ai_provider_name: 'anthropic', gen_ai_request_model: 'claude-sonnet-4-5', status_code: 'STATUS_CODE_OK', value: 1 },
      { gen_ai_provider_name: 'openai', gen_ai_request_model: 'gpt-4o', status_code: 'STATUS_CODE_ERROR', value: 1 },
      { gen_ai_provider_name: 'openai', gen_ai_request_model: 'gpt-4o', status_code: 'STATUS_CODE_OK', value: 2 },
    ]);
    // The error span has no token attributes: it adds no token sample.
    expect(await byProvider(LLM_METRICS.inputTokens)).toEqual([
      { gen_ai_provider_name: 'anthropic', gen_ai_request_model: 'claude-sonnet-4-5', value: 300 },
      { gen_ai_provider_name: 'openai', gen_ai_request_model: 'gpt-4o', value: 200 },
    ]);
    expect(await byProvider(LLM_METRICS.outputTokens)).toEqual([
      { gen_ai_provider_name: 'anthropic', gen_ai_request_model: 'claude-sonnet-4-5', value: 90 },
      { gen_ai_provider_name: 'openai', gen_ai_request_model: 'gpt-4o', value: 65 },
    ]);
    // Latency: the 2.5 s call is above the 2 s bucket's bound and within the 4 s one; the sum is the seconds spent.
    expect(await seen(`sum by (le) (${LLM_METRICS.duration}_bucket{gen_ai_provider_name="anthropic", le=~"2|4"})`)).toEqual([
      { le: '2', value: 0 },
      { le: '4', value: 1 },
    ]);
    expect(await seen(`sum by (gen_ai_provider_name) (${LLM_METRICS.duration}_sum)`)).toEqual([
      { gen_ai_provider_name: 'anthropic', value: 2.5 },
      { gen_ai_provider_name: 'openai', value: 2.3 },
    ]);
    // The plain HTTP span made no series.
    expect(await seen(`count({__name__=~"llm_.+", span_name="GET /orders"})`)).toEqual([]);
    console.log(
      'LLM series in Prometheus:\n' +
        (await promQuery(prometheus.url, '{__name__=~"llm_.+", __name__!~".+_bucket"}')).map((s) => `${JSON.stringify(s.metric)} ${s.value[1]}`).join('\n'),
    );

    // A second batch, so every panel's rate() has two samples, then the dashboard's own queries answer per provider.
    await send();
    const rangeFree = (expr: string) => expr.replace(/\$__rate_interval/g, '5m');
    const panels = ['Latency by provider (p95)', 'Tokens by provider', 'Errors by provider'];
    const until2 = Date.now() + 120_000;
    for (const title of panels) {
      for (const expr of panelExprs(title)) {
        let providers: string[] = [];
        while ((providers = (await promQuery(prometheus.url, rangeFree(expr))).map((s) => s.metric.gen_ai_provider_name).sort()).length === 0) {
          if (Date.now() > until2) break;
          await new Promise((res) => setTimeout(res, 1000));
        }
        expect({ title, expr, providers: [...new Set(providers)] }).toEqual({ title, expr, providers: title === 'Errors by provider' ? ['openai'] : ['anthropic', 'openai'] });
      }
    }
    // The trace exporter's target is the gRPC stand-in, which answers without a response message, so the
    // exporter reports each batch it sends there; every other line must be clean.
    const tracesExporter = r.config.service.pipelines.traces.exporters[0];
    const standInLine = new RegExp(`"otelcol\\.component\\.id":"${tracesExporter}".*received no response message`);
    expect({ problems: problemLines(proc.log(), [standInLine]) }).toEqual({ problems: [] });
    // Every label Prometheus holds on the LLM series is one the metric catalogue declares for it.
    const catalogue = seriesCatalogue();
    const undeclared = (await promQuery(prometheus.url, '{__name__=~"llm_.+"}')).flatMap((s) =>
      Object.keys(s.metric)
        .filter((l) => l !== '__name__' && !catalogue.get(s.metric.__name__)?.labels.has(l))
        .map((l) => `${s.metric.__name__}: ${l}`),
    );
    expect([...new Set(undeclared)]).toEqual([]);
  });
});


function otlpLogs(resource: Record<string, string>) {
  return {
    resource: { attributes: Object.entries(resource).map(([key, value]) => ({ key, value: { stringValue: value } })) },
    scopeLogs: [{ logRecords: [{ timeUnixNano: String(Date.now() * 1e6), severityText: 'INFO', body: { stringValue: 'order placed' } }] }],
  };
}

/** The fields of a protobuf message: number → the raw bytes of each length-delimited value (others skipped). */
function protoFields(buf: Buffer): Map<number, Buffer[]> {
  const fields = new Map<number, Buffer[]>();
  let i = 0;
  const varint = (): number => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const b = buf[i++];
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
    }
  };
  while (i < buf.length) {
    const tag = varint();
    const wire = tag & 7;
    if (wire === 0) varint();
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else if (wire === 2) {
      const len = varint();
      fields.set(tag >>> 3, [...(fields.get(tag >>> 3) ?? []), buf.subarray(i, i + len)]);
      i += len;
    } else throw new Error(`protobuf wire type ${wire} is not expected in OTLP logs`);
  }
  return fields;
}

/** The string attributes of every resource in an OTLP ExportLogsServiceRequest (protobuf, as otlp_http sends it). */
function otlpLogResources(body: Buffer): Array<Record<string, string>> {
  // ExportLogsServiceRequest.resource_logs = 1; ResourceLogs.resource = 1; Resource.attributes = 1;
  // KeyValue.key = 1, value = 2; AnyValue.string_value = 1.
  return (protoFields(body).get(1) ?? []).map((resourceLogs) => {
    const resource = protoFields(resourceLogs).get(1)?.[0] ?? Buffer.alloc(0);
    return Object.fromEntries(
      (protoFields(resource).get(1) ?? []).map((kv) => {
        const f = protoFields(kv);
        return [f.get(1)![0].toString('utf8'), (protoFields(f.get(2)?.[0] ?? Buffer.alloc(0)).get(1)?.[0] ?? Buffer.alloc(0)).toString('utf8')];
      }),
    );
  });
}


/**
 * JMX: a JVM with MBeans shaped like Debezium's PostgreSQL connector and Kafka Connect's worker
 * (test/fixtures/jmx, compiled here with javac), started as `instrument()` sets up a service that declares
 * `jmx` (the OpenTelemetry Java agent at the image's version, its env, the Debezium rules from the
 * ConfigMap), sends OTLP to the synthesized gateway, which remote-writes into the environment's real
 * Prometheus with its rules: the lag arrives as debezium_source_connector_lag_seconds with its labels, and
 * CDCLagCritical fires through real rule evaluation when the MBean says 90 s, not while it says 5 s.
 */
const JMX_RUN = RUNS.find((r) => {
  const envDir = path.join(synthesizedShippedConfigs(), r.id.split('/')[0]);
  const rulesDir = path.join(envDir, 'rules');
  return (
    r.id.endsWith('/otel-collector') &&
    fs.existsSync(rulesDir) &&
    fs.readdirSync(rulesDir).some((f) => fs.readFileSync(path.join(rulesDir, f), 'utf8').includes('alert: CDCLagCritical'))
  );
});

describe('JMX metrics of a Debezium connector through the Java agent, the gateway and Prometheus, up to CDCLagCritical', () => {
  if (!JMX_RUN) throw new Error('no shipped environment has a gateway and the CDCLagCritical rule');
  const r = JMX_RUN;
  const envDir = path.join(synthesizedShippedConfigs(), r.id.split('/')[0]);
  const AGENT_JAR = requireTool('otel-java-agent');
  const SERVER = 'platform-kernel';
  const SERVICE = 'debezium-connect';
  const POD_UID = '5b0f6c1e-7d2a-4e8b-9c3d-1a2b3c4d5e6f';
  let pair: GatewayAndPrometheus;
  let jvm: RunningProcess;
  let lagFile: string;
  let cdcRule: { threshold: number; forSeconds: number };

  /** The Debezium Connect workload as a user instruments it: the catalogue's jmx declaration for it. */
  function instrumentedConnect() {
    const chart = new Chart(Testing.app(), 'connect', { namespace: 'platform-services' });
    const deployment = new kplus.Deployment(chart, 'connect', { containers: [{ name: 'connect', image: 'quay.io/debezium/connect:3.3', portNumber: 8083 }] });
    instrument(deployment, {
      service: SERVICE,
      collectorNamespace: 'monitoring',
      environment: r.id.split('/')[0],
      httpPort: 8083,
      jmx: { targetSystems: ['kafka-connect', 'jvm'], debezium: true },
    });
    const objects = Testing.synth(chart) as any[];
    const workload = objects.find((o) => o.kind === 'Deployment');
    const pod = workload.spec.template.spec;
    const container = pod.containers[0];
    const rules = objects.find((o) => o.kind === 'ConfigMap')?.data;
    return { pod, container, rules, namespace: workload.metadata.namespace as string };
  }

  beforeAll(async () => {
    const rule = fs
      .readdirSync(path.join(envDir, 'rules'))
      .flatMap((f) => (parse(fs.readFileSync(path.join(envDir, 'rules', f), 'utf8')).groups as any[]).flatMap((g) => g.rules))
      .find((x: any) => x.alert === 'CDCLagCritical');
    cdcRule = { threshold: Number(/>\s*([\d.]+)\s*$/.exec(rule.expr)?.[1]), forSeconds: Number(/^(\d+)m$/.exec(rule.for)?.[1]) * 60 };
    expect(cdcRule.threshold).toBeGreaterThan(5);
    const { pod, container, rules, namespace } = instrumentedConnect();
    // The API shows the pod, so the gateway's k8s_attributes finds it by the k8s.pod.uid the agent reports.
    const apiPod = {
      metadata: { name: `${SERVICE}-7c9d5b8f6d-q2w4e`, namespace, uid: POD_UID, labels: { 'app.kubernetes.io/name': SERVICE } },
      spec: { nodeName: NODE_NAME, containers: pod.containers },
      status: { phase: 'Running', podIP: '10.244.1.23', startTime: '2026-01-01T00:00:00Z' },
    };
    pair = await startGatewayAndPrometheus(r, envDir, 'JMX', [apiPod]);

    const work = tempDir('jmx-jvm');
    fs.copyFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'jmx', 'DebeziumLikeMBeans.java'), path.join(work, 'DebeziumLikeMBeans.java'));
    const javac = run('javac', ['-d', work, path.join(work, 'DebeziumLikeMBeans.java')], { timeoutMs: 120_000 });
    expect({ code: javac.code, err: javac.stderr }).toEqual({ code: 0, err: '' });

    // The pod's paths and addresses, moved to this machine: the agent's volume is the resolved jar, the rules
    // volume a file with the ConfigMap's content, the collector's Service the gateway's loopback port.
    const agentMount = container.volumeMounts.find((m: any) => pod.initContainers[0].volumeMounts.some((i: any) => i.name === m.name));
    const rulesMount = container.volumeMounts.find((m: any) => pod.volumes.find((v: any) => v.name === m.name)?.configMap);
    const rulesFile = path.join(work, 'rules.yaml');
    fs.writeFileSync(rulesFile, Object.values<string>(rules)[0]);
    const grpc = pair.config.receivers.otlp.protocols.grpc.endpoint;
    const env: Record<string, string> = {};
    for (const e of container.env as Array<{ name: string; value?: string; valueFrom?: any }>) {
      if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.uid') env[e.name] = POD_UID;
      else if (e.value !== undefined) env[e.name] = e.value.replace(/\$\((\w+)\)/g, (m, v) => env[v] ?? m);
      else throw new Error(`env ${e.name}: ${JSON.stringify(e.valueFrom)} is not stood in for`);
    }
    env.JAVA_TOOL_OPTIONS = env.JAVA_TOOL_OPTIONS.replace(`${agentMount.mountPath}/javaagent.jar`, AGENT_JAR);
    env.OTEL_JMX_CONFIG = env.OTEL_JMX_CONFIG.replace(new RegExp(`^${rulesMount.mountPath}/[^/]+$`), rulesFile);
    env.OTEL_EXPORTER_OTLP_ENDPOINT = toLoopback(env.OTEL_EXPORTER_OTLP_ENDPOINT, Number(grpc.split(':')[1]));
    const podPaths = [`${agentMount.mountPath}/`, `${rulesMount.mountPath}/`, '.svc:'];
    expect(Object.entries(env).filter(([, v]) => podPaths.some((p) => v.includes(p)))).toEqual([]);
    lagFile = path.join(work, 'lag-ms');
    fs.writeFileSync(lagFile, '5000');
    jvm = startProcess('Debezium-like JVM', 'java', ['-cp', work, 'DebeziumLikeMBeans', SERVER, lagFile], { cwd: work, env });
  });

  afterAll(async () => {
    await stopAll();
    await pair?.close();
  });

  const query = (expr: string) => promQuery(pair.prometheus.url, expr);
  async function waitFor<T>(what: string, get: () => Promise<T | undefined>, withinMs: number): Promise<T> {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const v = await get();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`${what} within ${withinMs / 1000} s; JVM log:\n${jvm.log().slice(-3000)}\ncollector log:\n${pair.proc.log().slice(-3000)}`);
      await new Promise((res) => setTimeout(res, 1000));
    }
  }
  const cdcAlerts = async () => ((await (await fetch(`${pair.prometheus.url}/api/v1/alerts`)).json()) as any).data.alerts.filter((a: any) => a.labels.alertname === 'CDCLagCritical');

  test('debezium_source_connector_lag_seconds arrives in seconds with its labels, beside the Kafka Connect and JVM series', async () => {
    const lag = await waitFor('no debezium_source_connector_lag_seconds in Prometheus', async () => (await query('debezium_source_connector_lag_seconds'))[0], 120_000);
    console.log(`JMX series in Prometheus:\n${(await query('{__name__=~"debezium_.+|kafka_connect_.+"}')).map((x) => `${JSON.stringify(x.metric)} ${x.value[1]}`).join('\n')}`);
    expect(Number(lag.value[1])).toBe(5);
    expect(lag.metric).toMatchObject({ server: SERVER, service_name: SERVICE });
    expect((await query('debezium_source_connector_events_read_total')).map((x) => x.metric.server)).toEqual([SERVER]);
    expect((await query('debezium_source_connector_snapshot_duration_seconds')).map((x) => Number(x.value[1]))).toEqual([42]);
    expect((await query('kafka_connect_worker_connector_count')).length).toBe(1);
    // The agent's own JVM metrics, named as the OpenTelemetry conventions name them (no unit appended here).
    expect((await query(`jvm_memory_used{service_name="${SERVICE}"}`)).length).toBeGreaterThan(0);
    // Every label on the Debezium series is one the metric catalogue declares for it.
    const catalogue = seriesCatalogue();
    const undeclared = (await query('{__name__=~"debezium_.+"}')).flatMap((x) =>
      Object.keys(x.metric).filter((l) => l !== '__name__' && !catalogue.get(x.metric.__name__)?.labels.has(l)).map((l) => `${x.metric.__name__}: ${l}`),
    );
    expect([...new Set(undeclared)]).toEqual([]);
    expect(await cdcAlerts()).toEqual([]);
  });

  test('CDCLagCritical fires through the rule when the MBean says 90 s', async () => {
    fs.writeFileSync(lagFile, '90000');
    await waitFor('the lag never reached 90 s', async () => ((await query('max(debezium_source_connector_lag_seconds) == 90')).length > 0 ? true : undefined), 120_000);
    expect(90).toBeGreaterThan(cdcRule.threshold);
    // Pending first, firing after the rule's `for` and an evaluation; the bound only guards against a hang.
    const firing = await waitFor(
      'CDCLagCritical never fired',
      async () => (await cdcAlerts()).find((a: any) => a.state === 'firing'),
      (cdcRule.forSeconds + 120) * 1000,
    );
    // The pod's namespace, added by the gateway, and the connector: what the rule groups by.
    expect(firing.labels).toEqual({ alertname: 'CDCLagCritical', severity: 'critical', k8s_namespace_name: 'platform-services', job: `platform-services/${SERVICE}`, server: SERVER });
    expect(Number(firing.value)).toBe(90);
    console.log(`CDCLagCritical: ${JSON.stringify({ labels: firing.labels, state: firing.state, value: firing.value, activeAt: firing.activeAt })}`);
    expect({ problems: problemLines(pair.proc.log()) }).toEqual({ problems: [] });
  });
});
