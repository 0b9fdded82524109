/**
 * The collector gateway's throughput, as `npm run bench` measures it (run with tsx; prints its results as JSON on
 * the last line of stdout). prod's gateway runs with its synthesized config (addresses and paths moved to
 * loopback, as the integration tests do), its synthesized environment (GOMEMLIMIT), and in cgroups with its
 * container's CPU (cfs quota) and memory limits. It exports to Jaeger v2 with prod's synthesized config.
 * telemetrygen sends OTLP/gRPC spans at each rate for the duration; the gateway's own metrics (its :8888
 * endpoint) give what it accepted, refused and dropped, Jaeger's its received spans, /proc the gateway's CPU and RSS.
 *
 * Environment: BENCH_GATEWAY_RATES (spans/s, default 1000,5000,20000,50000), BENCH_GATEWAY_SECONDS (default 60).
 */
import * as fs from 'fs';
import * as path from 'path';
import { toYaml } from '../../src/lib/yaml';
import { sizeBytes } from '../../src/lib/units';
import { createContainerCgroup } from '../../test/support/cgroup';
import { startFakeKubeApi } from '../../test/support/fake-kube-api';
import { jaegerOfEnvironment, rewriteJaeger } from '../../test/support/jaeger';
import { collectorRuns, processEnv, testCopy } from '../../test/support/otel-collector';
import { freePort, startProcess, stopAll, tempDir } from '../../test/support/process';
import { synthesizedShippedConfigs } from '../../test/support/synth-fixture';
import { requireTool } from '../../test/support/tools';

const RATES = (process.env.BENCH_GATEWAY_RATES ?? '1000,5000,20000,50000').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_GATEWAY_SECONDS ?? 60);
/** Spans per trace: a root and its children, as a request through a few services. */
const SPANS_PER_TRACE = 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `1` → 1, `500m` → 0.5. */
const cores = (cpu: string) => (cpu.endsWith('m') ? Number(cpu.slice(0, -1)) / 1000 : Number(cpu));

/** Every series of the collector's own metrics, summed by name (with `_total` on counters, as the synthesized telemetry asks). */
async function metrics(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(url)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const name = line.split(/[{ ]/)[0];
    out[name] = (out[name] ?? 0) + Number(line.split(' ').pop());
  }
  return out;
}

/** The process' CPU seconds (user + system) from /proc. */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssBytes(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}

async function main() {
  const otelcol = requireTool('otelcol');
  const jaegerBin = requireTool('jaeger');
  const telemetrygen = requireTool('telemetrygen');
  const shipped = synthesizedShippedConfigs();
  const gateway = collectorRuns(shipped).find((r) => r.id === 'prod/otel-collector');
  if (!gateway) throw new Error('prod runs no collector gateway');
  const limits = { cpu: gateway.resources.limits?.cpu ?? '', memory: gateway.resources.limits?.memory ?? '' };
  const requests = gateway.resources.requests ?? {};

  const fakeApi = await startFakeKubeApi({ lists: { pods: [] } });
  const j = jaegerOfEnvironment(path.join(shipped, 'prod'));
  if (!j) throw new Error('prod runs no Jaeger');
  const jaegerDir = tempDir('bench-jaeger');
  const jaegerCfg = await rewriteJaeger({ name: 'config/prod.yaml', ...j }, jaegerDir);
  const jaeger = startProcess('jaeger', jaegerBin, [`--config=${jaegerCfg.file}`], { cwd: jaegerDir });
  await jaeger.waitForHttp(jaegerCfg.health, 60_000);

  const work = tempDir('bench-gateway');
  const nowhere = await freePort();
  const copy = await testCopy(gateway, work, (id) => (id === 'otlp_grpc/jaeger' ? Number(jaegerCfg.otlpGrpc.split(':')[1]) : nowhere));
  const configFile = path.join(work, 'config.yaml');
  fs.writeFileSync(configFile, toYaml(copy.config));
  const args = gateway.args.map((a) => (a === `--config=${gateway.configPath}` ? `--config=${configFile}` : a));
  const cgroup = createContainerCgroup('otel-collector-bench', { memoryBytes: sizeBytes(limits.memory), cpuCores: cores(limits.cpu) });
  const results = [];
  try {
    const run = cgroup.wrap(otelcol, args);
    const env = processEnv(gateway);
    const proc = startProcess(gateway.id, run.cmd, run.args, { cwd: work, env: { ...env, KUBECONFIG: fakeApi.kubeconfig } });
    await proc.waitForHttp(copy.healthUrl, 60_000);
    const pid = proc.child.pid!;
    const otlpGrpc = copy.config.receivers.otlp.protocols.grpc.endpoint;
    for (const rate of RATES) {
      const before = await metrics(copy.metricsUrl!);
      const jaegerBefore = await metrics(jaegerCfg.metrics);
      const cpuBefore = cpuSeconds(pid);
      const throttledBefore = cgroup.table('cpu/cpu.stat');
      const workers = Math.max(1, Math.ceil(rate / 5000));
      let maxRss = 0;
      const sampler = setInterval(() => (maxRss = Math.max(maxRss, rssBytes(pid))), 500);
      const started = Date.now();
      const gen = startProcess(`telemetrygen ${rate}/s`, telemetrygen, [
        'traces',
        `--otlp-endpoint=${otlpGrpc}`,
        '--otlp-insecure',
        `--duration=${SECONDS}s`,
        `--workers=${workers}`,
        `--rate=${rate / workers}`,
        `--child-spans=${SPANS_PER_TRACE - 1}`,
        '--batch-size=512',
      ]);
      await new Promise((r) => gen.child.once('exit', r));
      const loadSeconds = (Date.now() - started) / 1000;
      const cpu = cpuSeconds(pid) - cpuBefore;
      // What the gateway accepted reaches Jaeger after its batch timeout and the export: wait for the queue to drain.
      const drainStart = Date.now();
      let after = await metrics(copy.metricsUrl!);
      while (Date.now() - drainStart < 120_000) {
        after = await metrics(copy.metricsUrl!);
        const sent = (after.otelcol_exporter_sent_spans_total ?? 0) + (after.otelcol_exporter_send_failed_spans_total ?? 0) - (before.otelcol_exporter_sent_spans_total ?? 0) - (before.otelcol_exporter_send_failed_spans_total ?? 0);
        if (sent >= (after.otelcol_receiver_accepted_spans_total ?? 0) - (before.otelcol_receiver_accepted_spans_total ?? 0) && (after.otelcol_exporter_queue_size ?? 0) === 0) break;
        await sleep(1_000);
      }
      clearInterval(sampler);
      const jaegerAfter = await metrics(jaegerCfg.metrics);
      const throttledAfter = cgroup.table('cpu/cpu.stat');
      const d = (name: string) => (after[name] ?? 0) - (before[name] ?? 0);
      // Each worker logs `traces generated {"worker": N, "traces": M}` when it stops.
      const generated = [...gen.log().matchAll(/traces generated\s+\{"worker": \d+, "traces": (\d+)\}/g)].reduce((n, m) => n + Number(m[1]), 0) * SPANS_PER_TRACE;
      results.push({
        rate,
        seconds: SECONDS,
        target: rate * SECONDS,
        generated,
        accepted: d('otelcol_receiver_accepted_spans_total'),
        refused: d('otelcol_receiver_refused_spans_total'),
        exported: d('otelcol_exporter_sent_spans_total'),
        sendFailed: d('otelcol_exporter_send_failed_spans_total'),
        enqueueFailed: d('otelcol_exporter_enqueue_failed_spans_total'),
        // Jaeger's collector core names its counters the same way.
        jaegerReceived: (jaegerAfter.otelcol_receiver_accepted_spans_total ?? 0) - (jaegerBefore.otelcol_receiver_accepted_spans_total ?? 0),
        cpuCores: cpu / loadSeconds,
        throttledPeriods: throttledAfter.nr_throttled - throttledBefore.nr_throttled,
        periods: throttledAfter.nr_periods - throttledBefore.nr_periods,
        maxRssBytes: maxRss,
        heapBytes: after.otelcol_process_runtime_heap_alloc_bytes,
        loadSeconds,
        generatorLog: gen.log().split('\n').filter((l) => /error|warn|drop/i.test(l)).slice(-3),
      });
      console.error(JSON.stringify(results[results.length - 1]));
    }
    const oom = cgroup.table('memory.oom_control');
    console.log(
      JSON.stringify({ limits, requests, goMemLimit: env.GOMEMLIMIT, exporter: 'otlp_grpc/jaeger → Jaeger 2.13.0 (Badger)', oomKills: oom.oom_kill, maxUsageBytes: cgroup.read('memory.max_usage_in_bytes'), results }),
    );
  } finally {
    await stopAll();
    await fakeApi.close();
    cgroup.remove();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
