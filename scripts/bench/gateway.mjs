// The collector gateway's throughput: runs scripts/bench/gateway.ts (which starts the real binaries with the
// synthesized configs through the tests' helpers) and renders its section of docs/benchmarks.md.
import { spawnSync } from 'child_process';
import { join } from 'path';
import { ROOT, fmtMiB, log } from './common.mjs';

export const GATEWAY_HEADING = '## 5. Collector gateway throughput';

/** Runs the benchmark; resolves its results (see gateway.ts). */
export function runGateway() {
  log('gateway: prod\'s collector gateway in its container\'s cgroups, telemetrygen at each rate');
  const r = spawnSync('npx', ['tsx', join(ROOT, 'scripts', 'bench', 'gateway.ts')], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 2 ** 20 });
  if (r.status !== 0) throw new Error(`the gateway benchmark failed (exit ${r.status})`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

/** A rate without loss: every span generated was accepted, none refused or dropped, and Jaeger received them all. */
export const lossless = (x) => x.refused === 0 && x.sendFailed === 0 && x.enqueueFailed === 0 && x.accepted === x.generated && x.jaegerReceived >= x.accepted;

/** Spans per second telemetrygen reached: on a busy machine it may fall short of the rate asked. */
const achieved = (x) => x.generated / x.seconds;

export function gatewaySection(g, m) {
  const zeroLoss = g.results.filter(lossless);
  const best = zeroLoss.length ? zeroLoss.reduce((a, b) => (achieved(b) > achieved(a) ? b : a)) : undefined;
  const k = (n) => `${(n / 1000).toFixed(n % 1000 ? 1 : 0)}k`;
  const perCore = best && best.cpuCores > 0 ? achieved(best) / best.cpuCores : undefined;
  return [
    GATEWAY_HEADING,
    '',
    `prod's gateway (OpenTelemetry Collector 0.158.0) with its synthesized config and environment (GOMEMLIMIT ${g.goMemLimit}), in cgroup v1`,
    `cgroups with its container's limits: CPU ${g.limits.cpu} (\`cpu.cfs_quota_us\`), memory ${g.limits.memory}. It exports to ${g.exporter}`,
    'with its synthesized config, on the same machine. telemetrygen (the collector project\'s load generator) sends',
    `OTLP/gRPC traces of 10 spans at each rate for ${g.results[0]?.seconds ?? 60} s. Counts come from the gateway's own metrics endpoint`,
    '(`otelcol_receiver_accepted_spans_total`, `_refused_spans_total`, `otelcol_exporter_send_failed_spans_total`, `_enqueue_failed_spans_total`) and',
    "Jaeger's (`otelcol_receiver_accepted_spans_total`); CPU is the gateway's user + system time over the run, RSS its peak.",
    '',
    '| Rate asked (spans/s) | Reached (spans/s) | Generated | Accepted | Refused | Dropped (send + enqueue failed) | Jaeger received | Gateway CPU (cores) | Throttled periods | Peak RSS |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...g.results.map(
      (x) =>
        `| ${k(x.rate)} | ${Math.round(achieved(x))} | ${x.generated} | ${x.accepted} | ${x.refused} | ${x.sendFailed + x.enqueueFailed} | ${x.jaegerReceived} | ${x.cpuCores.toFixed(2)} | ${x.throttledPeriods} / ${x.periods} | ${fmtMiB(x.maxRssBytes)} |`,
    ),
    '',
    best
      ? `Highest rate with zero loss: **${Math.round(achieved(best))} spans/s reached** (asked ${k(best.rate)}; generated = accepted = received in Jaeger, nothing refused or dropped), at ${best.cpuCores.toFixed(2)} of the gateway's ${g.limits.cpu} core(s): about ${Math.round(perCore / 1000)}k spans/s per core of gateway CPU.`
      : 'No rate ran without loss.',
    `OOM kills in the gateway's cgroup: ${g.oomKills}; its peak memory usage (page cache included): ${fmtMiB(g.maxUsageBytes)}.`,
    `Load average when the run ended: ${m.loadAverageEnd ?? m.loadAverage} on ${m.nproc} shared CPUs: telemetrygen, Jaeger and the gateway`,
    'competed for them, with whatever else ran; a rate that telemetrygen could not generate shows as Generated below the rate × duration.',
    '',
  ];
}
