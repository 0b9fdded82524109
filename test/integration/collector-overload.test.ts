/**
 * prod's collector gateway overloaded beyond its memory limit, run as its container runs: the real otelcol at the
 * image's version with the synthesized config (addresses and paths rewritten to loopback, in the test only), the
 * synthesized environment (GOMEMLIMIT), inside a memory cgroup whose limit is the synthesized container's
 * `limits.memory`, read from the Deployment. Jaeger v2 with its synthesized config stores the spans.
 *
 * Many senders push large spans at once while Jaeger is paused (SIGSTOP), so the gateway cannot drain. It must:
 * - refuse data through memory_limiter with a retryable status (HTTP 503, gRPC UNAVAILABLE), counted both by the
 *   senders and by the gateway's own `otelcol_receiver_refused_spans_total`;
 * - not be killed for memory: the process lives, and the cgroup records no OOM kill;
 * - and once the load falls and Jaeger resumes, the senders' retries deliver every span: N sent = N distinct in
 *   Jaeger. Delivery is at least once, and the duplicates are counted: an attempt the sender stopped waiting for may
 *   have been taken, and its retry sends those spans again. A refused request must add no copy: the gateway admits
 *   spans in one pipeline before handing them to Jaeger's and the LLM metrics' (when both pipelines read the
 *   receiver, memory_limiter refused requests in one that the other had queued, and up to 37 000 of 48 000 spans
 *   reached Jaeger twice).
 *
 * The senders speak OTLP/HTTP protobuf and retry on 429/502/503/504 with exponential backoff (1 s, ×1.5, up to 5 s,
 * honouring Retry-After), as the OpenTelemetry SDKs' exporters do; unlike the Node SDK, which gives up after 5
 * attempts, they keep retrying a request until it is accepted, like a Go SDK whose max elapsed time is longer
 * than the overload. Timings are printed, never asserted.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as protobuf from 'protobufjs';
import { durationSeconds, sizeBytes } from '../../src/lib/units';
import { toYaml } from '../../src/lib/yaml';
import { ContainerCgroup, createContainerCgroup } from '../support/cgroup';
import { FakeKubeApi, startFakeKubeApi } from '../support/fake-kube-api';
import { jaegerOfEnvironment, Rewritten, rewriteJaeger } from '../support/jaeger';
import { collectorRuns, processEnv, TestCopy, testCopy } from '../support/otel-collector';
import { freePort, problemLines, RunningProcess, startProcess, stopAll, tempDir, until } from '../support/process';
import { synthesizedShippedConfigs } from '../support/synth-fixture';
import { requireTool } from '../support/tools';

jest.setTimeout(900_000);

const OTELCOL = requireTool('otelcol');
const JAEGER = requireTool('jaeger');
const SHIPPED = synthesizedShippedConfigs();
const ENV_DIR = path.join(SHIPPED, 'prod');
const GATEWAY = collectorRuns(SHIPPED).find((r) => r.id === 'prod/otel-collector')!;
/** The container's memory limit as synthesized: the cgroup's limit, and what memory_limiter's percentages apply to. */
const MEMORY_LIMIT = sizeBytes(GATEWAY.resources.limits?.memory ?? '');

/**
 * The load: SENDERS requests in flight at once, each a new trace of SPANS_PER_REQUEST spans of SPAN_BYTES each
 * (16 MiB requests, under the OTLP/HTTP receiver's 20 MiB body limit). memory_limiter sees a request only once it
 * is read and decoded, so it cannot bound what arrives at once: with 48 such requests in flight (768 MiB of bodies
 * for a 1 GiB container) the kernel killed the gateway for memory while memory_limiter was refusing. 24 (384 MiB)
 * is the burst memory_limiter absorbs.
 */
const SENDERS = Number(process.env.OVERLOAD_SENDERS ?? 24);
const REQUESTS_PER_SENDER = Number(process.env.OVERLOAD_REQUESTS ?? 2);
const SPANS_PER_REQUEST = Number(process.env.OVERLOAD_SPANS ?? 1000);
/** Large spans (an attribute of this many bytes, like a captured request body), so few requests fill the memory. */
const SPAN_BYTES = 16 * 1024;

/** The subset of the OTLP trace protocol the senders write, with opentelemetry-proto's field numbers. */
const OTLP_TRACES = protobuf
  .parse(
    `
  syntax = "proto3";
  package opentelemetry.proto;
  message AnyValue { oneof value { string string_value = 1; } }
  message KeyValue { string key = 1; AnyValue value = 2; }
  message Resource { repeated KeyValue attributes = 1; }
  message Span {
    bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5; int32 kind = 6;
    fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8; repeated KeyValue attributes = 9;
  }
  message ScopeSpans { repeated Span spans = 2; }
  message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
  message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
`,
  )
  .root.lookupType('opentelemetry.proto.ExportTraceServiceRequest');

/** The gateway's exporter towards Jaeger, and Jaeger's own exporter into its storage. */
const TO_JAEGER = { exporter: 'otlp_grpc/jaeger' };
const INTO_STORAGE = { exporter: 'jaeger_storage_exporter' };

/** The HTTP statuses the OTLP specification lets a client retry. */
const RETRYABLE = new Set([429, 502, 503, 504]);

/** One request: a new trace of SPANS_PER_REQUEST spans. */
function traceRequest(service: string): { traceId: string; spanIds: string[]; body: Uint8Array } {
  const traceId = crypto.randomBytes(16);
  const now = BigInt(Date.now()) * 1_000_000n;
  // Random, so no layer can compress it away.
  const payload = crypto.randomBytes(SPAN_BYTES / 2).toString('hex');
  const spans = Array.from({ length: SPANS_PER_REQUEST }, (_, i) => ({
    traceId,
    spanId: crypto.randomBytes(8),
    name: `step ${i}`,
    kind: 1,
    startTimeUnixNano: String(now - 1_000_000n),
    endTimeUnixNano: String(now),
    attributes: [{ key: 'http.request.body', value: { stringValue: payload } }],
  }));
  const body = OTLP_TRACES.encode(
    OTLP_TRACES.fromObject({
      resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] }, scopeSpans: [{ spans }] }],
    }),
  ).finish();
  return { traceId: traceId.toString('hex'), spanIds: spans.map((s) => s.spanId.toString('hex')), body };
}

interface SenderCounts {
  requests: number;
  /** Attempts answered with a retryable status, by status. */
  refused: Record<number, number>;
  /** Spans in those refused attempts. */
  refusedSpans: number;
  /** Attempts that got no answer (the 30 s timeout, a reset connection): the SDKs retry these too. */
  failed: string[];
  /** Spans in those attempts: the gateway may have taken them, so their retry may deliver them twice. */
  failedSpans: number;
  accepted: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** How long a read of a collector's own metrics may keep failing (see metric). */
const METRICS_PATIENCE_MS = 60_000;
/** Reads of a collector's metrics that got no answer and were asked again, for the figures. */
const metricReads = { retried: 0 };

/** A metric's value summed over its series on a collector's own Prometheus endpoint; `labels` keeps the series carrying them. */
async function metric(url: string, name: string, labels: Record<string, string> = {}, patienceMs = METRICS_PATIENCE_MS): Promise<number> {
  let text: string | undefined;
  // The collector's metrics server (otelconf v0.24.0, x/metric.go) closes a connection whose answer takes more than
  // its 10 s WriteTimeout, with no answer: the client sees "other side closed". An overloaded gateway, collecting
  // garbage at its memory limit on two shared cores, can take that long. Prometheus would miss that scrape; the
  // test asks again for up to a minute.
  const deadline = Date.now() + patienceMs;
  for (let attempt = 1; text === undefined; attempt++) {
    text = await fetch(url)
      .then((r) => r.text())
      .catch((e) => {
        if (Date.now() >= deadline) throw new Error(`${url}: no answer in ${attempt} attempts over ${patienceMs / 1000} s`, { cause: e });
        return undefined;
      });
    if (text === undefined) {
      metricReads.retried++;
      await sleep(2_000);
    }
  }
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .filter((l) => Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

describe("prod's collector gateway overloaded beyond its memory limit", () => {
  let fakeApi: FakeKubeApi;
  let cgroup: ContainerCgroup | undefined;
  let jaeger: RunningProcess;
  let jaegerCfg: Rewritten;
  let gateway: RunningProcess;
  let copy: TestCopy;

  beforeAll(async () => {
    fakeApi = await startFakeKubeApi({ lists: { pods: [] } });
    const j = jaegerOfEnvironment(ENV_DIR);
    if (!j) throw new Error('prod runs no Jaeger');
    const jaegerDir = tempDir('overload-jaeger');
    jaegerCfg = await rewriteJaeger({ name: 'config/prod.yaml', ...j }, jaegerDir);
    jaeger = startProcess('jaeger (prod)', JAEGER, [`--config=${jaegerCfg.file}`], { cwd: jaegerDir });
    await jaeger.waitForHttp(jaegerCfg.health, 60_000);

    const work = tempDir('overload-gateway');
    // Metrics and logs are not this test's path: their exporters point where nothing listens.
    const nowhere = await freePort();
    copy = await testCopy(GATEWAY, work, (id) => (id === 'otlp_grpc/jaeger' ? Number(jaegerCfg.otlpGrpc.split(':')[1]) : nowhere));
    if (!copy.metricsUrl) throw new Error(`${GATEWAY.id} exposes no metrics endpoint`);
    const configFile = path.join(work, 'config.yaml');
    fs.writeFileSync(configFile, toYaml(copy.config));
    const args = GATEWAY.args.map((a) => (a === `--config=${GATEWAY.configPath}` ? `--config=${configFile}` : a));
    cgroup = createContainerCgroup('otel-collector-overload', { memoryBytes: MEMORY_LIMIT });
    const run = cgroup.wrap(OTELCOL, args);
    gateway = startProcess(GATEWAY.id, run.cmd, run.args, { cwd: work, env: { ...processEnv(GATEWAY), KUBECONFIG: fakeApi.kubeconfig } });
    await gateway.waitForHttp(copy.healthUrl, 60_000);
  });

  afterAll(async () => {
    if (jaeger?.child.pid) process.kill(jaeger.child.pid, 'SIGCONT');
    await stopAll();
    await fakeApi?.close();
    cgroup?.remove();
  });

  test('memory_limiter refuses with a retryable status, the process is not killed, and the retries deliver every span', async () => {
    // The limiter's own reading of the container: its limits come from the cgroup, as in the pod.
    const limiterLine = gateway.log().split('\n').find((l) => l.includes('Memory limiter configured'));
    expect(limiterLine).toBeDefined();
    const configured = JSON.parse(limiterLine!) as { limit_mib: number; spike_limit_mib: number };
    const percentage = GATEWAY.config.processors.memory_limiter.limit_percentage;
    expect(configured.limit_mib).toBe(Math.floor((MEMORY_LIMIT * percentage) / 100 / 2 ** 20));

    const endpoint = `http://${copy.config.receivers.otlp.protocols.http.endpoint}/v1/traces`;
    const counts: SenderCounts = { requests: 0, refused: {}, refusedSpans: 0, failed: [], failedSpans: 0, accepted: 0 };
    const sent = new Map<string, string[]>();
    let retryingSince = 0;

    /** Sends one request until it is accepted, backing off on a retryable status as the SDKs do. */
    const deliver = async (request: ReturnType<typeof traceRequest>) => {
      let backoff = 1_000;
      for (;;) {
        if (gateway.child.exitCode !== null || gateway.child.signalCode !== null) {
          const oom = cgroup!.table('memory.oom_control');
          throw new Error(`the gateway exited (${gateway.child.exitCode ?? gateway.child.signalCode}; OOM kills in its cgroup: ${oom.oom_kill}). Its last lines:\n${gateway.log().split('\n').slice(-15).join('\n')}`);
        }
        let res: Response | undefined;
        try {
          res = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: request.body, signal: AbortSignal.timeout(30_000) });
          await res.arrayBuffer();
        } catch (e) {
          counts.failed.push(String((e as Error).cause ?? e));
          counts.failedSpans += request.spanIds.length;
        }
        if (res?.status === 200) {
          counts.accepted++;
          return;
        }
        if (res && !RETRYABLE.has(res.status)) throw new Error(`the gateway answered ${res.status}, which the SDKs do not retry: the data is lost`);
        if (res) {
          counts.refused[res.status] = (counts.refused[res.status] ?? 0) + 1;
          counts.refusedSpans += request.spanIds.length;
        }
        const retryAfter = Number(res?.headers.get('retry-after') ?? 0) * 1000;
        await sleep(Math.max(retryAfter, backoff * (0.8 + Math.random() * 0.4)));
        backoff = Math.min(backoff * 1.5, 5_000);
      }
    };

    // Memory over time: the cgroup's usage (page cache included), the process' resident set, the Go heap.
    const memory = { maxRssBytes: 0, maxCgroupRssBytes: 0, maxHeapBytes: 0, samples: 0 };
    const sampler = setInterval(() => {
      try {
        const status = fs.readFileSync(`/proc/${gateway.child.pid}/status`, 'utf8');
        memory.maxRssBytes = Math.max(memory.maxRssBytes, Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024);
        memory.maxCgroupRssBytes = Math.max(memory.maxCgroupRssBytes, cgroup!.table('memory.stat').total_rss);
        memory.samples++;
      } catch {
        // the process is gone: the assertions below say so
      }
    }, 100);
    // One read at a time, once: a slow answer is a missed sample, not a queue of reads on a gateway at its limit.
    let heapReading = false;
    const heapSampler = setInterval(async () => {
      if (heapReading) return;
      heapReading = true;
      memory.maxHeapBytes = Math.max(memory.maxHeapBytes, await metric(copy.metricsUrl!, 'otelcol_process_runtime_heap_alloc_bytes', {}, 0).catch(() => 0));
      heapReading = false;
    }, 500);

    // Jaeger stops taking spans: the gateway's exports hang and time out, and its memory fills.
    process.kill(jaeger.child.pid!, 'SIGSTOP');
    const started = Date.now();
    await Promise.all(
      Array.from({ length: SENDERS }, async (_, s) => {
        for (let i = 0; i < REQUESTS_PER_SENDER; i++) {
          const request = traceRequest(`overload-sender-${s}`);
          sent.set(request.traceId, request.spanIds);
          counts.requests++;
          await deliver(request);
        }
      }).concat([
        (async () => {
          // The load falls when the senders have sent their share; Jaeger resumes once the first refusals show.
          await until(
            async () => Object.keys(counts.refused).length > 0 || counts.accepted === SENDERS * REQUESTS_PER_SENDER || gateway.child.exitCode !== null || gateway.child.signalCode !== null,
            600_000,
            () => 'no refusal',
          );
          retryingSince = Date.now();
          await sleep(10_000);
          process.kill(jaeger.child.pid!, 'SIGCONT');
        })(),
      ]),
    );
    const loadMs = Date.now() - started;
    clearInterval(sampler);
    clearInterval(heapSampler);

    const spansSent = [...sent.values()].reduce((n, ids) => n + ids.length, 0);
    const accepted = await metric(copy.metricsUrl!, 'otelcol_receiver_accepted_spans_total');
    const refused = await metric(copy.metricsUrl!, 'otelcol_receiver_refused_spans_total');

    // Every span in Jaeger, once. The gateway's persistent queue and its retries drain into Jaeger, whose batch
    // processor acknowledges spans before it stores them. Jaeger's receive counter cannot say when the last retry
    // has landed: it also counts spans delivered twice. So each trace is read back until it is complete and the
    // gateway has sent all it accepted, for as long as Jaeger keeps storing: a trace still incomplete once Jaeger has
    // stored nothing for twice the exporter's longest retry interval counts its spans as missing.
    const retryMaxMs = durationSeconds(GATEWAY.config.exporters['otlp_grpc/jaeger'].retry_on_failure.max_interval) * 1000;
    const stored = () => metric(jaegerCfg.metrics, 'otelcol_exporter_sent_spans_total', INTO_STORAGE);
    const spanIdsInJaeger = async (traceId: string): Promise<string[]> => {
      const res = await fetch(`${jaegerCfg.query}/api/traces/${traceId}`);
      return res.status === 200 ? ((await res.json()) as any).data[0].spans.map((x: any) => x.spanID) : [];
    };
    const found = new Map<string, string[]>();
    const complete = (traceId: string) => {
      const ids = new Set(found.get(traceId) ?? []);
      return sent.get(traceId)!.every((id) => ids.has(id));
    };
    const settled = async () =>
      (await metric(copy.metricsUrl!, 'otelcol_exporter_sent_spans_total', TO_JAEGER)) +
      (await metric(copy.metricsUrl!, 'otelcol_exporter_send_failed_spans_total', TO_JAEGER));
    let storedBefore = await stored();
    let quietSince = Date.now();
    for (;;) {
      for (const traceId of sent.keys()) if (!complete(traceId)) found.set(traceId, await spanIdsInJaeger(traceId));
      if ([...sent.keys()].every(complete) && (await settled()) >= accepted) break;
      const storedNow = await stored();
      if (storedNow !== storedBefore) [storedBefore, quietSince] = [storedNow, Date.now()];
      else if (Date.now() - quietSince > 2 * retryMaxMs) break;
      await sleep(5_000);
    }
    let received = 0;
    let duplicates = 0;
    let missing = 0;
    for (const [traceId, spanIds] of sent) {
      const ids = found.get(traceId) ?? [];
      const unique = new Set(ids);
      received += spanIds.filter((id) => unique.has(id)).length;
      missing += spanIds.filter((id) => !unique.has(id)).length;
      duplicates += ids.length - unique.size;
    }
    const [sentToJaeger, gaveUp, jaegerTook, storedSpans] = await Promise.all([
      metric(copy.metricsUrl!, 'otelcol_exporter_sent_spans_total', TO_JAEGER),
      metric(copy.metricsUrl!, 'otelcol_exporter_send_failed_spans_total', TO_JAEGER),
      metric(jaegerCfg.metrics, 'otelcol_receiver_accepted_spans_total'),
      stored(),
    ]);
    const drained = { sentToJaeger, gaveUp, jaegerTook, stored: storedSpans };

    const oom = cgroup!.table('memory.oom_control');
    const figures = {
      memoryLimitBytes: MEMORY_LIMIT,
      goMemLimit: processEnv(GATEWAY).GOMEMLIMIT,
      limiter: { limit_mib: configured.limit_mib, spike_limit_mib: configured.spike_limit_mib },
      senders: SENDERS,
      requests: counts.requests,
      spansSent,
      spanBytes: SPAN_BYTES,
      senderRefusedAttempts: counts.refused,
      senderRefusedSpans: counts.refusedSpans,
      senderUnansweredAttempts: counts.failed.length,
      senderUnansweredSpans: counts.failedSpans,
      senderUnansweredReasons: [...new Set(counts.failed)],
      gatewayRefusedSpans: refused,
      gatewayAcceptedSpans: accepted,
      receivedInJaeger: received,
      missing,
      duplicatesInJaegerQuery: duplicates,
      gatewaySentToJaeger: drained.sentToJaeger,
      gatewayGaveUpSpans: drained.gaveUp,
      jaegerReceivedSpans: drained.jaegerTook,
      jaegerStoredSpans: drained.stored,
      duplicatesDeliveredToJaeger: drained.jaegerTook - spansSent,
      maxRssBytes: memory.maxRssBytes,
      maxCgroupRssBytes: memory.maxCgroupRssBytes,
      maxHeapAllocBytes: memory.maxHeapBytes,
      cgroupMaxUsageBytes: cgroup!.read('memory.max_usage_in_bytes'),
      cgroupFailcnt: cgroup!.read('memory.failcnt'),
      oomKills: oom.oom_kill,
      loadSeconds: Math.round(loadMs / 1000),
      retryingSeconds: Math.round((Date.now() - retryingSince) / 1000),
      metricReadsAskedAgain: metricReads.retried,
    };
    console.log(`Collector overload:\n${JSON.stringify(figures, null, 1)}\nthe gateway's last problems:\n${problemLines(gateway.log()).slice(-10).join('\n')}`);

    // memory_limiter refused, with a status the senders retry, and the gateway counted it. A refusal whose answer
    // came after the sender's timeout is counted by the gateway only.
    // memory_limiter says so in its own words: "Memory usage is above soft limit. Refusing data." when it starts
    // refusing, or, when a receiver logs the refusal it answered, "data refused due to high memory usage".
    expect(gateway.log()).toMatch(/Memory usage is above soft limit\. Refusing data\.|data refused due to high memory usage/);
    expect(counts.refusedSpans).toBeGreaterThan(0);
    expect(Object.keys(counts.refused).map(Number)).toEqual(expect.arrayContaining([503]));
    expect(refused).toBeGreaterThanOrEqual(counts.refusedSpans);
    expect(refused).toBeLessThanOrEqual(counts.refusedSpans + counts.failedSpans);
    // Not killed for memory, nor for anything else: no OOM kill in the cgroup, the process still running and answering.
    expect(oom.oom_kill).toBe(0);
    expect({ exitCode: gateway.child.exitCode, signal: gateway.child.signalCode }).toEqual({ exitCode: null, signal: null });
    expect((await fetch(copy.healthUrl)).status).toBe(200);
    // Everything sent arrived: N sent = N distinct in Jaeger. The gateway accepted each span once, plus the spans of
    // attempts whose answer the sender did not wait for (at-least-once: those reach Jaeger twice).
    // The gateway gave up on no span (its retries never end while the pod lives), and sent each span it accepted
    // once: a request it refused was queued by no pipeline, so the senders' retries add no copies.
    expect(drained.gaveUp).toBe(0);
    expect(drained.sentToJaeger).toBe(accepted);
    expect({ received, missing }).toEqual({ received: spansSent, missing: 0 });
    expect(accepted).toBeGreaterThanOrEqual(spansSent);
    expect(accepted - spansSent).toBeLessThanOrEqual(counts.failedSpans);
  });
});
