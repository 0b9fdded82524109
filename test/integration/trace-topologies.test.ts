/**
 * Traces through the two multi-collector topologies of the examples, on the real binaries wired on loopback as
 * the clusters wire them, every config the synthesized one (only addresses, ports and paths rewritten, here):
 *
 * - The agent cluster of examples/agent.yaml: a service's OpenTelemetry SDK → the node agent → the cluster's
 *   gateway → (the central cluster's Ingress, a TLS stand-in) → the central cluster of examples/ha.yaml: its
 *   gateways → its tail-sampling tier → Jaeger v2. Each trace crosses two nodes (two agents), its failing span
 *   5 s behind the rest, and arrives whole with its service name, the environment and cluster the agent
 *   cluster's gateway stamps, the node agent's Kubernetes metadata and its span attributes.
 * - Tail sampling across gateway replicas (examples/ha.yaml): two gateways balance traces by trace ID
 *   (load_balancing) over two tail-sampling replicas. The spans of each trace are spread over both gateways, and
 *   reach them as far apart as in a busy cluster: one gateway's batch already under way, the other half (each
 *   error trace's failing span in it) exported by another service's SDK on its default 5 s schedule. Every trace
 *   the synthesized policies keep (errors, slow, the baseline share by trace ID) arrives whole, span for span, and
 *   no trace they drop arrives.
 *
 * The central cluster's Jaeger stores in OpenSearch, which cannot run here: the test runs the Jaeger config the
 * product synthesizes for the same example with `traces.storage: badger` (Badger in a temp directory). The
 * collectors are the example's as synthesized.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import { AddressInfo } from 'net';
import * as path from 'path';
import { Context, ROOT_CONTEXT, Span, SpanStatusCode, trace, Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { synthesize } from '../../src/synth';
import { toYaml } from '../../src/lib/yaml';
import { FakeKubeApi, startFakeKubeApi } from '../support/fake-kube-api';
import { jaegerOfEnvironment, rewriteJaeger, Rewritten } from '../support/jaeger';
import { CollectorRun, collectorRuns, instrumentedService, NODE_NAME, processEnv, testCopy, typeOf } from '../support/otel-collector';
import { freePort, problemLines, RunningProcess, startProcess, stopAll, tempDir, until } from '../support/process';
import { allSynthesizedEnvironments, copyConfig, REPO_ROOT, synthesizedExamples } from '../support/synth-fixture';
import { requireTool } from '../support/tools';

jest.setTimeout(300_000);

const OTELCOL = requireTool('otelcol');
const JAEGER = requireTool('jaeger');
const SERVICE = instrumentedService();
/**
 * How long an OpenTelemetry SDK holds a finished span before exporting it: the specification's default of
 * OTEL_BSP_SCHEDULE_DELAY (5 s in the Go, Java and Node SDKs alike), which `instrument()` leaves as it is.
 */
const SDK_SCHEDULE_DELAY_MS = 5_000;
/** A second node of the agent cluster; the instrumented service's pod runs on NODE_NAME. */
const OTHER_NODE = `${NODE_NAME}-2`;
/** Replicas of each central tier the test runs: two are enough to spread a trace over gateways and samplers. */
const REPLICAS = 2;

const envOf = (config: string) => {
  const e = allSynthesizedEnvironments().find((x) => x.config === config);
  if (!e) throw new Error(`${config} is not among the synthesized examples`);
  return e.environment;
};
const EDGE = envOf('examples/agent.yaml');
const CENTRAL = envOf('examples/ha.yaml');
const RUNS = collectorRuns(synthesizedExamples());
const inEnv = (env: string) => RUNS.filter((r) => r.id.startsWith(`${env}/`));
function one<T>(what: string, items: T[], name: (t: T) => string = (t) => (t as CollectorRun).id ?? String(t)): T {
  if (items.length !== 1) throw new Error(`expected one ${what}, found ${items.map(name).join(', ') || 'none'}`);
  return items[0];
}
const tracesExporters = (r: CollectorRun): string[] => r.config.service.pipelines.traces.exporters;

/** The central tiers, by what they do: the sampler holds the tail_sampling processor, the gateway balances onto it. */
const SAMPLER = one(`${CENTRAL} tail-sampling collector`, inEnv(CENTRAL).filter((r) => r.config.processors?.tail_sampling));
const GATEWAY = one(`${CENTRAL} gateway balancing traces`, inEnv(CENTRAL).filter((r) => tracesExporters(r).some((id) => ['load_balancing', 'loadbalancing'].includes(typeOf(id)))));
const BALANCER_ID = tracesExporters(GATEWAY).find((id) => ['load_balancing', 'loadbalancing'].includes(typeOf(id)))!;
/** The agent watches only its node's pods; it forwards to its cluster's gateway, found by the Service it names. */
const AGENT = one(`${EDGE} node agent`, inEnv(EDGE).filter((r) => r.config.processors?.k8s_attributes?.filter?.node_from_env_var));
const AGENT_EXPORTER = one(`${AGENT.id} traces exporter`, tracesExporters(AGENT), String);
const EDGE_GATEWAY = one(
  `${EDGE} gateway the agent sends to`,
  inEnv(EDGE).filter((r) => r.id === `${EDGE}/${String(AGENT.config.exporters[AGENT_EXPORTER].endpoint).split('.')[0]}`),
);
const EDGE_EXPORTER = one(`${EDGE_GATEWAY.id} traces exporter`, tracesExporters(EDGE_GATEWAY), String);

/** What the agent cluster's gateway stamps on every span it forwards: its resource processors' attributes. */
const EDGE_STAMP: Record<string, string> = Object.fromEntries(
  (EDGE_GATEWAY.config.service.pipelines.traces.processors as string[])
    .filter((id) => typeOf(id) === 'resource')
    .flatMap((id) => EDGE_GATEWAY.config.processors[id].attributes as Array<{ key: string; value: string; action: string }>)
    .filter((a) => ['upsert', 'insert'].includes(a.action))
    .map((a) => [a.key, a.value]),
);

/** The sampler's policies, as far as this test knows how to make a trace each one keeps or not. */
interface Policies {
  /** A span status that keeps its trace (`status_code`). */
  readonly keepStatus?: 'ERROR';
  /** A trace lasting longer than this is kept (`latency`). */
  readonly slowMs?: number;
  /** Share of any trace kept by trace ID (`probabilistic`), 0..100. */
  readonly percentage?: number;
  readonly hashSalt?: string;
}
function samplingPolicies(): Policies {
  const p: { keepStatus?: 'ERROR'; slowMs?: number; percentage?: number; hashSalt?: string } = {};
  for (const policy of SAMPLER.config.processors.tail_sampling.policies as any[]) {
    if (policy.type === 'status_code' && policy.status_code.status_codes.includes('ERROR')) p.keepStatus = 'ERROR';
    else if (policy.type === 'latency' && policy.latency.upper_threshold_ms === undefined) p.slowMs = policy.latency.threshold_ms;
    else if (policy.type === 'probabilistic') {
      p.percentage = policy.probabilistic.sampling_percentage;
      p.hashSalt = policy.probabilistic.hash_salt;
    } else throw new Error(`${SAMPLER.id}: policy ${JSON.stringify(policy)} is one this test cannot make traces for`);
  }
  if (!p.keepStatus && p.slowMs === undefined) throw new Error(`${SAMPLER.id}: no status_code or latency policy keeps a trace for sure`);
  return p;
}
const POLICIES = samplingPolicies();

/**
 * Whether the `probabilistic` policy keeps a trace: tail_sampling 0.158.0 (internal/sampling/probabilistic.go)
 * hashes the salt ("default-hash-seed" unless set) and the 16 trace-id bytes with FNV-1a 64 and keeps the trace
 * when the hash is at most percentage/100 of 2^64-1.
 */
function baselineKeeps(traceId: string): boolean {
  if (POLICIES.percentage === undefined) return false;
  let hash = 0xcbf29ce484222325n;
  for (const byte of [...Buffer.from(POLICIES.hashSalt || 'default-hash-seed'), ...Buffer.from(traceId, 'hex')]) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  // The percentage in millionths. Go multiplies in floating point: its threshold differs from this one by a few
  // hundred out of 2^64, which no trace id of the test can fall between.
  const max = 0xffffffffffffffffn;
  return hash <= (max * BigInt(Math.round(POLICIES.percentage * 1e6))) / 100_000_000n;
}

/** A sending queue's flush timeout in ms: how long a collector may hold an item before it exports it. */
const flushMs = (r: CollectorRun, exporterId: string): number => {
  const t = r.config.exporters[exporterId]?.sending_queue?.batch?.flush_timeout ?? '0s';
  const m = /^(\d+)(ms|s)$/.exec(t);
  if (!m) throw new Error(`${r.id}: ${exporterId}'s flush_timeout ${t} is not in ms or s`);
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
};
const DECISION_WAIT_MS = Number(/^(\d+)s$/.exec(SAMPLER.config.processors.tail_sampling.decision_wait)![1]) * 1000;
/** Bound on a trace's trip from the agent to Jaeger: every hop's batching, the decision, and a minute against a hang. */
const DELIVERY_MS =
  flushMs(AGENT, AGENT_EXPORTER) + flushMs(EDGE_GATEWAY, EDGE_EXPORTER) + flushMs(GATEWAY, BALANCER_ID) + DECISION_WAIT_MS + flushMs(SAMPLER, tracesExporters(SAMPLER)[0]) + 60_000;

interface JaegerTrace {
  spans: Array<{ traceID: string; spanID: string; operationName: string; processID: string; tags: Array<{ key: string; value: unknown }> }>;
  processes: Record<string, { serviceName: string; tags: Array<{ key: string; value: unknown }> }>;
}
const tagsOf = (tags: Array<{ key: string; value: unknown }>) => Object.fromEntries(tags.map((t) => [t.key, t.value]));

/** A self-signed certificate for 127.0.0.1, made with openssl: the central Ingress' TLS. */
function loopbackCertificate(dir: string): { key: string; cert: string; certFile: string } {
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'pipe' });
  return { key: fs.readFileSync(keyFile, 'utf8'), cert: fs.readFileSync(certFile, 'utf8'), certFile };
}

/**
 * The central cluster's Ingress for its OTLP endpoint, stood in for: terminates TLS and passes each request on to
 * one gateway's OTLP/HTTP receiver, as the Ingress controller would. Counts the requests it passed.
 */
async function startIngress(tls: { key: string; cert: string }, target: string): Promise<{ port: number; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const [host, port] = target.split(':');
  const server = https.createServer(tls, (req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const upstream = http.request({ host, port: Number(port), method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', (e) => res.writeHead(502).end(e.message));
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

interface Started {
  readonly proc: RunningProcess;
  readonly config: Record<string, any>;
  /** The collector's own Prometheus metrics. */
  readonly metricsUrl: string;
}

/** Spans a collector's OTLP receiver accepted, from its own metrics. */
async function acceptedSpans(s: Started): Promise<number> {
  const text = await (await fetch(s.metricsUrl)).text();
  return [...text.matchAll(/^otelcol_receiver_accepted_spans(?:_total)?\{[^}]*\} (\S+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

/** Runs collector `r` with its test copy, exporters pointed by `portOf`, extra edits of addresses by `edit`. */
async function startCollector(
  name: string,
  r: CollectorRun,
  kubeconfig: string,
  portOf: (exporterId: string) => number,
  edit: (config: Record<string, any>) => void = () => {},
  env: NodeJS.ProcessEnv = {},
): Promise<Started> {
  const work = tempDir('trace-topologies');
  const copy = await testCopy(r, work, (id) => portOf(id));
  edit(copy.config);
  const configFile = path.join(work, 'config.yaml');
  fs.writeFileSync(configFile, toYaml(copy.config));
  const args = r.args.map((a) => (a === `--config=${r.configPath}` ? `--config=${configFile}` : a));
  const proc = startProcess(name, OTELCOL, args, { cwd: work, env: { ...processEnv(r), ...env, KUBECONFIG: kubeconfig } });
  await proc.waitForHttp(copy.healthUrl, 60_000);
  if (!copy.metricsUrl) throw new Error(`${r.id}: no Prometheus reader for its own metrics`);
  return { proc, config: copy.config, metricsUrl: copy.metricsUrl };
}

/** A service's tracer whose spans go over OTLP/gRPC to `endpoint` (`127.0.0.1:port`), with its synthesized resource. */
function tracerTo(endpoint: string, scheduledDelayMillis = 200): { tracer: Tracer; provider: TracerProvider } {
  const provider = new TracerProvider({
    resource: resourceFromAttributes(SERVICE.resource),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `http://${endpoint}` }), scheduledDelayMillis, maxQueueSize: 10_000 })],
  });
  return { tracer: provider.getTracer('trace-topologies'), provider };
}

type Kind = 'error' | 'slow' | 'ordinary';
interface SentTrace {
  readonly kind: Kind;
  readonly traceId: string;
  /** Span id → operation name. */
  readonly spans: Map<string, string>;
  readonly kept: boolean;
}

/**
 * One trace of `spans` spans whose spans alternate between `tracers` (a root, then children): `error` sets an
 * error status on its last span, `slow` lasts the latency policy's threshold and 100 ms more.
 */
function sendTrace(tracers: Tracer[], kind: Kind, spans: number, attributes: Record<string, string | number>): SentTrace {
  const end = Date.now();
  const start = kind === 'slow' ? end - POLICIES.slowMs! - 100 : end - 20;
  const sent = new Map<string, string>();
  const root = tracers[0].startSpan(`GET /orders/${kind}`, { kind: 1, startTime: start, attributes });
  const parent: Context = trace.setSpan(ROOT_CONTEXT, root);
  const children: Span[] = [];
  for (let i = 1; i < spans; i++) {
    const child = tracers[i % tracers.length].startSpan(`step ${i}`, { startTime: start + i, attributes: { 'test.step': i } }, parent);
    if (kind === 'error' && i === spans - 1) child.setStatus({ code: SpanStatusCode.ERROR, message: 'payment declined' });
    sent.set(child.spanContext().spanId, `step ${i}`);
    children.push(child);
  }
  for (const c of children) c.end(end - 1);
  sent.set(root.spanContext().spanId, `GET /orders/${kind}`);
  root.end(end);
  const traceId = root.spanContext().traceId;
  return { kind, traceId, spans: sent, kept: kind !== 'ordinary' || baselineKeeps(traceId) };
}

describe(`traces through the agent cluster (${EDGE}) and the central cluster's gateways and tail-sampling tier (${CENTRAL})`, () => {
  let edgeApi: FakeKubeApi;
  let centralApi: FakeKubeApi;
  let jaegerCfg: Rewritten;
  let ingress: Awaited<ReturnType<typeof startIngress>>;
  const samplers: Started[] = [];
  const gateways: Started[] = [];
  let edgeGateway: Started;
  let agent: Started;
  /** The agent of a second node, where the trace's other service runs. */
  let otherAgent: Started;
  const providers: TracerProvider[] = [];
  let edgeTraces: SentTrace[] = [];
  let haTraces: SentTrace[] = [];

  const jaegerTrace = async (traceId: string): Promise<JaegerTrace | undefined> => {
    const res = await fetch(`${jaegerCfg.query}/api/traces/${traceId}`);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new Error(`Jaeger /api/traces/${traceId}: HTTP ${res.status} ${await res.text()}`);
    return ((await res.json()) as any).data[0];
  };
  const logs = () =>
    [agent, otherAgent, edgeGateway, ...gateways, ...samplers]
      .filter((s) => s)
      .map((s) => `${s.proc.name}:\n${problemLines(s.proc.log()).slice(-5).join('\n')}`)
      .join('\n');
  /** Waits until Jaeger holds every span of each trace; returns what it holds. */
  const awaitWhole = async (traces: SentTrace[]): Promise<Map<string, JaegerTrace>> => {
    const found = new Map<string, JaegerTrace>();
    await until(
      async () => {
        for (const t of traces) {
          if ((found.get(t.traceId)?.spans.length ?? 0) >= t.spans.size) continue;
          const j = await jaegerTrace(t.traceId);
          if (j) found.set(t.traceId, j);
        }
        return traces.every((t) => (found.get(t.traceId)?.spans.length ?? 0) >= t.spans.size);
      },
      DELIVERY_MS,
      () =>
        `Jaeger holds ${traces.map((t) => `${found.get(t.traceId)?.spans.length ?? 0}/${t.spans.size}`).join(', ')} spans of the ${traces.length} traces after ${DELIVERY_MS} ms; problems logged:\n${logs()}`,
    );
    return found;
  };

  beforeAll(async () => {
    const started = Date.now();
    // Two clusters, two APIs: the pod runs in the agent cluster; the central API knows none of its pods.
    edgeApi = await startFakeKubeApi({ lists: { pods: [SERVICE.pod] } });
    centralApi = await startFakeKubeApi({ lists: { pods: [] } });

    // Beside a copy of the example's own files (its team dashboard), which the config names by relative path.
    const badgerDir = tempDir('trace-topologies-badger');
    fs.cpSync(path.join(REPO_ROOT, 'examples'), badgerDir, { recursive: true });
    const badger = path.join(badgerDir, 'ha.yaml');
    copyConfig(path.join(REPO_ROOT, 'examples/ha.yaml'), badger, [
      [['traces', 'storage'], 'badger'],
      [['traces', 'searchStore'], undefined],
    ]);
    const badgerOut = tempDir('trace-topologies-synth');
    synthesize({ config: badger, out: badgerOut });
    const jaegerDir = tempDir('trace-topologies-jaeger');
    jaegerCfg = await rewriteJaeger({ name: `${CENTRAL} (badger)`, ...jaegerOfEnvironment(path.join(badgerOut, CENTRAL))! }, jaegerDir);
    const jaeger = startProcess(`jaeger (${CENTRAL})`, JAEGER, [`--config=${jaegerCfg.file}`], { cwd: jaegerDir });
    await jaeger.waitForHttp(jaegerCfg.health, 60_000);

    // Nothing is sent on the metrics and logs paths: their exporters point at a port where nothing listens.
    const nowhere = await freePort();
    const jaegerPort = Number(jaegerCfg.otlpGrpc.split(':')[1]);
    const samplerPort = (id: string) => (id === tracesExporters(SAMPLER)[0] ? jaegerPort : nowhere);
    samplers.push(...(await Promise.all(Array.from({ length: REPLICAS }, (_, i) => startCollector(`${SAMPLER.id}-${i}`, SAMPLER, centralApi.kubeconfig, samplerPort)))));
    const samplerEndpoints = samplers.map((s) => s.config.receivers.otlp.protocols.grpc.endpoint as string);
    gateways.push(
      ...(await Promise.all(
        Array.from({ length: REPLICAS }, (_, i) =>
          startCollector(
            `${GATEWAY.id}-${i}`,
            GATEWAY,
            centralApi.kubeconfig,
            () => nowhere,
            (config) => {
              // An address rewrite: in the cluster the DNS resolver finds the sampler pods behind the headless
              // Service; here they are the loopback replicas, listed for the static resolver.
              const resolver = config.exporters[BALANCER_ID].resolver;
              if (!resolver?.dns) throw new Error(`${GATEWAY.id}: ${BALANCER_ID} resolves by ${JSON.stringify(resolver)}, not DNS`);
              config.exporters[BALANCER_ID].resolver = { static: { hostnames: samplerEndpoints } };
            },
          ),
        ),
      )),
    );

    const certDir = tempDir('trace-topologies-tls');
    const tls = loopbackCertificate(certDir);
    ingress = await startIngress(tls, gateways[0].config.receivers.otlp.protocols.http.endpoint);
    // The gateway trusts the Ingress' certificate as it would a public CA's: through the system roots, which Go
    // reads from SSL_CERT_FILE.
    edgeGateway = await startCollector(`${EDGE_GATEWAY.id}`, EDGE_GATEWAY, edgeApi.kubeconfig, (id) => (id === EDGE_EXPORTER ? ingress.port : nowhere), undefined, {
      SSL_CERT_FILE: tls.certFile,
    });
    const edgeGatewayGrpc = Number(edgeGateway.config.receivers.otlp.protocols.grpc.endpoint.split(':')[1]);
    agent = await startCollector(`${AGENT.id}`, AGENT, edgeApi.kubeconfig, () => edgeGatewayGrpc);
    otherAgent = await startCollector(`${AGENT.id} (${OTHER_NODE})`, AGENT, edgeApi.kubeconfig, () => edgeGatewayGrpc, undefined, { K8S_NODE_NAME: OTHER_NODE });
    console.log(`trace topologies: started in ${Date.now() - started} ms`);

    // Both topologies' traces go out at once: their deliveries overlap, so the file waits once.
    // The second gateway's spans come from a service whose SDK exports on its default schedule.
    const gatewayTracers = gateways.map((g, i) => tracerTo(g.config.receivers.otlp.protocols.grpc.endpoint, i === 0 ? 200 : SDK_SCHEDULE_DELAY_MS));
    // The agent cluster's traces cross two nodes the same way: the root and a child through this node's agent,
    // the failing span from a service on another node, whose SDK exports it on its default schedule.
    const agentTracer = tracerTo(agent.config.receivers.otlp.protocols.grpc.endpoint);
    const otherNodeTracer = tracerTo(otherAgent.config.receivers.otlp.protocols.grpc.endpoint, SDK_SCHEDULE_DELAY_MS);
    providers.push(...gatewayTracers.map((t) => t.provider), agentTracer.provider, otherNodeTracer.provider);
    const keepKind: Kind = POLICIES.keepStatus ? 'error' : 'slow';
    const edgeAttributes = { 'http.request.method': 'GET', 'http.route': '/orders/:id' };
    edgeTraces = Array.from({ length: 5 }, (_, i) => sendTrace([agentTracer.tracer, agentTracer.tracer, otherNodeTracer.tracer], keepKind, 3, { ...edgeAttributes, 'test.trace': i }));
    await agentTracer.provider.forceFlush();
    // The agent cluster's gateway has a batch under way too, from a service that sends to it directly: it leaves
    // one second after the first spans come from the agent, the failing spans start a batch of their own.
    const edgeGatewayTracer = tracerTo(edgeGateway.config.receivers.otlp.protocols.grpc.endpoint);
    providers.push(edgeGatewayTracer.provider);
    await new Promise((r) => setTimeout(r, Math.max(0, flushMs(AGENT, AGENT_EXPORTER) - flushMs(EDGE_GATEWAY, EDGE_EXPORTER) + 1_000)));
    edgeTraces.push(sendTrace([edgeGatewayTracer.tracer], keepKind, 2, { ...edgeAttributes, 'test.trace': 'pacer' }));
    await edgeGatewayTracer.provider.forceFlush();
    // How far apart the spans of one trace reach the sampler, as in a busy cluster: a gateway's batch is always
    // under way when a trace comes. The first gateway gets a trace of its own first, so its batch leaves one
    // second after the traces' first spans join it. The other spans (each error trace's failing span among them)
    // come from another service, whose SDK exports on its default schedule, SDK_SCHEDULE_DELAY_MS later, to the
    // second gateway, which starts a batch with them and holds it a whole flush timeout.
    const pacer = sendTrace([gatewayTracers[0].tracer], 'ordinary', 2, { 'test.trace': 'pacer' });
    await gatewayTracers[0].provider.forceFlush();
    await new Promise((r) => setTimeout(r, Math.max(0, flushMs(GATEWAY, BALANCER_ID) - 1_000)));
    const kinds: Kind[] = [...(POLICIES.keepStatus ? (['error'] as const) : []), ...(POLICIES.slowMs !== undefined ? (['slow'] as const) : []), 'ordinary'];
    haTraces = [
      pacer,
      ...kinds.flatMap((kind) =>
        Array.from({ length: kind === 'ordinary' ? 20 : 4 }, (_, i) =>
          sendTrace(
            gatewayTracers.map((t) => t.tracer),
            kind,
            6,
            { 'http.request.method': 'GET', 'test.trace': i },
          ),
        ),
      ),
    ];
  });

  afterAll(async () => {
    await Promise.all(providers.map((p) => p.shutdown()));
    await stopAll();
    await ingress?.close();
    await edgeApi?.close();
    await centralApi?.close();
  });

  test(`traces sent through the node agents of ${EDGE} arrive whole in the central Jaeger with their service, the agent cluster's environment and cluster, the pod and span attributes`, async () => {
    const found = await awaitWhole(edgeTraces);
    const counts = { sent: edgeTraces.length, received: edgeTraces.filter((t) => found.has(t.traceId)).length, spans: edgeTraces.reduce((n, t) => n + (found.get(t.traceId)?.spans.length ?? 0), 0) };
    console.log(`agent topology: ${JSON.stringify(counts)} (spans sent: ${edgeTraces.reduce((n, t) => n + t.spans.size, 0)})`);
    expect(counts).toEqual({ sent: edgeTraces.length, received: edgeTraces.length, spans: edgeTraces.reduce((n, t) => n + t.spans.size, 0) });
    // Through the Ingress stand-in, not around it.
    expect(ingress.requests.length).toBeGreaterThan(0);
    for (const t of edgeTraces) {
      const j = found.get(t.traceId)!;
      expect(new Map(j.spans.map((s) => [s.spanID, s.operationName]))).toEqual(t.spans);
      const root = j.spans.find((s) => s.operationName.startsWith('GET '))!;
      expect(tagsOf(root.tags)).toMatchObject({ 'http.request.method': 'GET', 'http.route': '/orders/:id' });
      const process = j.processes[root.processID];
      expect(process.serviceName).toBe(SERVICE.resource['service.name']);
      expect(tagsOf(process.tags)).toMatchObject({
        ...EDGE_STAMP,
        'k8s.namespace.name': SERVICE.pod.metadata.namespace,
        'k8s.pod.name': SERVICE.pod.metadata.name,
        'k8s.node.name': NODE_NAME,
      });
    }
    for (const s of [agent, otherAgent, edgeGateway]) expect({ name: s.proc.name, problems: problemLines(s.proc.log()) }).toEqual({ name: s.proc.name, problems: [] });
  });

  test(`with the spans of each trace spread over ${REPLICAS} gateways, every trace the tail-sampling policies keep arrives whole and no other`, async () => {
    const kept = haTraces.filter((t) => t.kept);
    const dropped = haTraces.filter((t) => !t.kept);
    expect(kept.length).toBeGreaterThan(0);
    expect(dropped.length).toBeGreaterThan(0);
    const found = await awaitWhole(kept);
    // A dropped trace would have been decided in the same tick as the kept ones and sent with them: one more
    // flush of the sampler's queue, and whatever was forwarded is in Jaeger.
    await new Promise((r) => setTimeout(r, flushMs(SAMPLER, tracesExporters(SAMPLER)[0]) + 2_000));
    const arrivedDropped: SentTrace[] = [];
    for (const t of dropped) if (await jaegerTrace(t.traceId)) arrivedDropped.push(t);
    for (const t of kept) found.set(t.traceId, (await jaegerTrace(t.traceId))!);
    const byKind = (kind: Kind) => ({
      sent: haTraces.filter((t) => t.kind === kind).length,
      kept: kept.filter((t) => t.kind === kind).length,
      arrived: haTraces.filter((t) => t.kind === kind && (found.has(t.traceId) || arrivedDropped.includes(t))).length,
    });
    console.log(`tail sampling: ${JSON.stringify({ error: byKind('error'), slow: byKind('slow'), ordinary: byKind('ordinary') })}`);
    // Whole: exactly the spans sent, each once.
    expect(kept.map((t) => ({ trace: t.traceId, spans: [...t.spans.keys()].sort() }))).toEqual(
      kept.map((t) => ({ trace: t.traceId, spans: found.get(t.traceId)!.spans.map((s) => s.spanID).sort() })),
    );
    expect(arrivedDropped.map((t) => t.traceId)).toEqual([]);
    // Every gateway and every sampler carried spans, and none logged a problem.
    for (const s of [...gateways, ...samplers]) {
      expect({ name: s.proc.name, carried: (await acceptedSpans(s)) > 0, problems: problemLines(s.proc.log()) }).toEqual({ name: s.proc.name, carried: true, problems: [] });
    }
  });
});
