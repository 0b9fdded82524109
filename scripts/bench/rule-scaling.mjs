// Rule and SLO-panel cost against the size of the catalogue, before and after
// recording the HTTP rates and SLOs, on Prometheus at the image's version: for
// each size, synthesize prod's shapes at that many services, generate and
// backfill their workload, run the synthesized rules and the `before-*` groups
// (scripts/bench/rules-before.mjs) side by side in one Prometheus, and time
// groups, rules' samples read, SLO panels, every dashboard panel and memory.
import { spawnSync } from 'child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { join } from 'path';
import { parse, stringify } from 'yaml';
import { ROOT, log, median } from './common.mjs';
import { PrometheusProcess, sparePort } from './prometheus.mjs';
import { beforeRuleGroups, beforeSloPanels } from './rules-before.mjs';
import { scaledConfig } from '../workload/catalogue.mjs';
import { writeWorkload } from '../workload/generate.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/**
 * Every group runs at this interval in the benchmark, so the groups of minutes and of an hour are seen within
 * the run; costs are reported against each group's shipped interval. The stack's own interval: a shorter one
 * makes the groups overlap more, and each then measures its wait for CPU as much as its work.
 */
export const BENCH_INTERVAL = 30;
/** The groups whose cost changed, each with the group it replaces (null: new); the others are the same rules before and after. */
export const COMPARED = {
  'platform-kernel': 'before-platform-kernel',
  'platform-kernel-latency': null,
  slo: 'before-slo',
  'slo-6h': null,
  'slo-hourly': null,
  'slo-long': null,
};

const seconds = (d) => Number(/^(\d+)s$/.exec(d)?.[1] ?? 0) || Number(/^(\d+)m$/.exec(d)?.[1] ?? 0) * 60 || Number(/^(\d+)h$/.exec(d)?.[1] ?? 0) * 3600;

/** The SLO recording names, from the TypeScript that defines them. */
function sloRecords() {
  const r = spawnSync('npx', ['tsx', '-e', "import('./src/catalog/slo.ts').then((m) => console.log(JSON.stringify({ ...(m.SLO_RECORD ?? m.default.SLO_RECORD), errorRatio: undefined })))"], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`reading SLO_RECORD failed:\n${r.stderr}`);
  const records = JSON.parse(r.stdout.trim().split('\n').pop());
  for (const key of ['requests', 'errors', 'requests1h', 'errors1h']) if (!records[key]) throw new Error(`SLO_RECORD.${key} is missing`);
  return records;
}

function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM') };
}

/** Each group's evaluations from `since` (ms) on, until `rounds` of each or `timeoutMs`; `after`: those later than the data's end. */
async function groupTimes(prom, names, { rounds, timeoutMs, since, end }) {
  const seen = new Map();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { groups } = await prom.api('rules');
    for (const g of groups) {
      if (!names.includes(g.name)) continue;
      const e = seen.get(g.name) ?? { times: new Map(), rules: g.rules.length, errors: new Set(), last: null };
      if (g.lastEvaluation && Date.parse(g.lastEvaluation) >= since) {
        e.times.set(g.lastEvaluation, g.evaluationTime * 1000);
        e.last = g.lastEvaluation;
      }
      for (const r of g.rules) if (r.lastError) e.errors.add(`${r.name}: ${r.lastError}`);
      seen.set(g.name, e);
    }
    if (names.every((n) => (seen.get(n)?.times.size ?? 0) >= rounds) || Date.now() > deadline) break;
    await sleep(2000);
  }
  return Object.fromEntries(
    names.map((n) => {
      const e = seen.get(n);
      const t = [...(e?.times.values() ?? [])];
      const afterEnd = [...(e?.times.keys() ?? [])].filter((at) => Date.parse(at) > end * 1000).length;
      return [n, { rules: e?.rules ?? 0, evaluations: t.length, afterEnd, medianMs: t.length ? median(t) : null, maxMs: t.length ? Math.max(...t) : null, errors: [...(e?.errors ?? [])], last: e?.last }];
    }),
  );
}

/**
 * Samples read by one round of a group: its rules' expressions as instant
 * queries with stats, at the group's last evaluation. A group of thousands of
 * per-service rules is sampled: every k-th rule, counted k times.
 */
async function samplesRead(prom, group, at, maxQueries = 300) {
  // Constants (the SLO objectives, `vector(0.999)`) read nothing: sampling them with the rules that read raw series
  // would count those few rules as often as the thousands of constants, or miss them.
  const rules = group.rules.filter((r) => !/^vector\([^()]*\)$/.test(r.expr.trim()));
  const k = Math.ceil(rules.length / maxQueries);
  let samples = 0;
  // The j-th sample is rule j*k + (j mod k): a plain stride would always pick the same rule of each service's
  // few (every 2nd of two alerts per service is always the same alert) and miss the rules after the per-service ones.
  for (let j = 0; j * k < rules.length; j++) {
    const i = Math.min(j * k + (j % k), rules.length - 1);
    const data = await prom.query(rules[i].expr, at, true);
    samples += (data.stats?.samples?.totalQueryableSamples ?? 0) * Math.min(k, rules.length - j * k);
  }
  return { samples, everyKth: k };
}

/** Median of `runs` timings of each query (Prometheus' own evalTotalTime, and wall time through HTTP). */
async function timeQueries(prom, queries, at, runs = 3) {
  const out = [];
  for (const [name, expr] of queries) {
    const evalMs = [];
    const wallMs = [];
    let samples = 0;
    for (let i = 0; i < runs; i++) {
      const started = process.hrtime.bigint();
      const data = await prom.query(expr, at, true);
      wallMs.push(Number(process.hrtime.bigint() - started) / 1e6);
      evalMs.push(data.stats.timings.evalTotalTime * 1000);
      samples = data.stats?.samples?.totalQueryableSamples ?? 0;
    }
    out.push({ name, evalMs: median(evalMs), wallMs: median(wallMs), samples });
  }
  return out;
}

/**
 * Every Prometheus target of every synthesized dashboard over the dashboard's default range, as Grafana
 * sends it (scripts/bench/panel-timings.ts, which shares the test's reading of the panels).
 */
function timeEveryPanel(prom, envDir, end) {
  const r = spawnSync('npx', ['tsx', join(ROOT, 'scripts', 'bench', 'panel-timings.ts'), `--url=${prom.url}`, `--env-dir=${envDir}`, `--end=${end}`], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 3_600_000,
  });
  if (r.status !== 0) throw new Error(`panel timings failed (${r.status ?? r.signal}):\n${r.stderr}`);
  return JSON.parse(r.stdout).targets;
}

/**
 * Backfilled blocks that reach into the future would make the head refuse
 * every sample older than their end ("out of bounds"), the rules' results
 * included. Prometheus leaves blocks compacted from out-of-order samples out of
 * that bound, so the blocks say they are.
 */
function markOutOfOrder(tsdb) {
  for (const block of readdirSync(tsdb)) {
    const metaFile = join(tsdb, block, 'meta.json');
    let meta;
    try {
      meta = JSON.parse(readFileSync(metaFile, 'utf8'));
    } catch {
      continue;
    }
    meta.compaction = { ...meta.compaction, hints: [...new Set([...(meta.compaction?.hints ?? []), 'from-out-of-order'])] };
    writeFileSync(metaFile, JSON.stringify(meta));
  }
}

/** Waits until the rules' 5-minute windows lie wholly inside the raw data, then for a fresh round. */
async function waitForData(prom, end, shortMinutes) {
  const from = (end - shortMinutes * 60 + 5 * 60 + BENCH_INTERVAL) * 1000;
  if (Date.now() > end * 1000) log(`the data ended ${((Date.now() - end * 1000) / 1000).toFixed(0)} s before Prometheus was ready: the 1-minute rates find nothing`);
  if (Date.now() < from) {
    log(`waiting ${((from - Date.now()) / 1000).toFixed(0)} s for the evaluation time to reach 5 minutes into the data`);
    await sleep(from - Date.now());
  }
  return Math.max(from, Date.now());
}

export async function runRuleScaling({ workDir, sizes, prometheus, promtool, shortMinutes = 10 }) {
  const records = sloRecords();
  const results = [];
  let pace;
  for (const size of sizes) {
    const started = Date.now();
    const dir = join(workDir, `size-${size}`);
    mkdirSync(dir, { recursive: true });
    const configText = scaledConfig(size);
    const config = parse(configText);
    const configFile = join(dir, 'prod.yaml');
    writeFileSync(configFile, configText);
    log(`scaling ${size}: synthesizing the rules and dashboards`);
    const synth = spawnSync('node', [join(ROOT, 'scripts', 'synth.mjs'), '--config', configFile, '--out', join(dir, 'dist')], { cwd: ROOT, encoding: 'utf8' });
    if (synth.status !== 0) throw new Error(`synth at ${size} services failed:\n${synth.stderr}`);
    const rulesDir = join(dir, 'dist', 'prod', 'rules');
    const shipped = readdirSync(rulesDir).filter((f) => f.endsWith('.yaml')).sort().flatMap((f) => parse(readFileSync(join(rulesDir, f), 'utf8')).groups);
    const slo = { latencyP99Ms: config.slo?.latencyP99Ms ?? 200, errorRatio: config.slo?.errorRatio ?? 0.001 };
    const before = beforeRuleGroups(shipped.find((g) => g.name === 'platform-kernel'), config.services, slo);
    const intervals = Object.fromEntries([...shipped, ...before].map((g) => [g.name, g.interval ? seconds(g.interval) : 30]));
    // Every group at the benchmark's interval (see BENCH_INTERVAL); the files Prometheus reads are the benchmark's copies.
    const benchRules = join(dir, 'rules.yaml');
    writeFileSync(benchRules, stringify({ groups: [...shipped, ...before].map(({ interval: _i, ...g }) => g) }));

    // The rules must run on fresh data: a rate over 1 minute finds nothing in data that ended 2 minutes ago,
    // and backfilling 1 000 services takes many minutes. So the data ends in the future, where Prometheus will be
    // evaluating, estimated pessimistically from the previous size's pace; the benchmark waits for the data when
    // it is early (see waitForData), and the backfilled blocks are marked so the head still takes today's samples.
    // What the SLO recordings hold in a cluster that has run for a month: 7 hours of the 5-minute rates (the
    // longest window summing them is 6 hours) every 30 s, 30 days of their hourly means. Per service and SLO:
    const history = { hours: 7, periodDays: 30 };
    const historyPerService = 2 * (2 * (history.hours * 3600) / 30 + 2 * (history.periodDays * 24));
    const predictedMs = pace ? pace.msPerSample * size * (pace.rawPerService + historyPerService) * 1.3 + 60_000 : 240_000;
    const end = Math.floor((Date.now() + predictedMs) / 60000) * 60 + shortMinutes * 60 - 4 * 60;
    const dataFile = join(dir, 'workload.om');
    log(`scaling ${size}: writing the workload with a month of SLO recordings`);
    let t0 = Date.now();
    const data = writeWorkload(dataFile, {
      end,
      services: config.services,
      shortMinutes,
      postgresWeek: false,
      sloHistory: {
        records,
        kinds: { availability: slo.errorRatio, latency: 0.01 },
        // The rules take over where the raw data starts.
        until: end - shortMinutes * 60,
        ...history,
      },
    });
    const generateMs = Date.now() - t0;
    const fileBytes = statSync(dataFile).size;
    log(`scaling ${size}: ${data.series} series, ${data.samples} samples, ${(fileBytes / 1e6).toFixed(0)} MB; backfilling`);
    const tsdb = join(dir, 'tsdb');
    t0 = Date.now();
    const backfill = spawnSync(promtool, ['tsdb', 'create-blocks-from', 'openmetrics', '--max-block-duration=744h', dataFile, tsdb], {
      encoding: 'utf8',
      timeout: 1_800_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    const backfillMs = Date.now() - t0;
    rmSync(dataFile, { force: true });
    if (backfill.status !== 0) throw new Error(`promtool backfill at ${size} failed (${backfill.status ?? backfill.signal}):\n${backfill.stderr}`);

    markOutOfOrder(tsdb);
    const port = await sparePort();
    const promConfig = join(dir, 'prometheus.yml');
    writeFileSync(
      promConfig,
      stringify({
        global: { scrape_interval: `${BENCH_INTERVAL}s`, evaluation_interval: `${BENCH_INTERVAL}s` },
        storage: { tsdb: { retention: { time: '60d' } } },
        rule_files: [benchRules],
      }),
    );
    log(`scaling ${size}: starting Prometheus`);
    t0 = Date.now();
    const prom = await PrometheusProcess.start({ binary: prometheus, configFile: promConfig, dataDir: tsdb, logFile: join(dir, 'prometheus.log'), port, readyTimeoutMs: 600_000 });
    const readyMs = Date.now() - t0;
    pace = { msPerSample: (Date.now() - started) / data.samples, rawPerService: (data.samples - data.historySamples) / size };
    try {
      const since = await waitForData(prom, end, shortMinutes);
      const names = [...shipped, ...before].map((g) => g.name);
      log(`scaling ${size}: waiting for 3 evaluations of every group`);
      const groups = await groupTimes(prom, names, { rounds: size >= 1000 ? 2 : 3, timeoutMs: 600_000, since, end });
      const memoryAfterRules = memory(prom.child.pid);
      log(`scaling ${size}: counting samples read per group`);
      for (const name of names) {
        groups[name].intervalSeconds = intervals[name];
        if (!(name in COMPARED) && !Object.values(COMPARED).includes(name)) continue;
        const g = [...shipped, ...before].find((x) => x.name === name);
        Object.assign(groups[name], await samplesRead(prom, g, groups[name].last ? Date.parse(groups[name].last) / 1000 : end));
      }
      // The least any rule set that keeps P99LatencyWarning's 5-minute p99 can read: each raw latency bucket's new
      // sample once, one per series per 30 s scrape, whatever records or alerts on it.
      const latencySelector = /rate\((\w+\{[^}]*\})\[/.exec(shipped.find((g) => g.name === 'platform-kernel-latency')?.rules[0]?.expr ?? '')?.[1];
      if (!latencySelector) throw new Error('the platform-kernel-latency group has no rate over a selector to count the raw buckets of');
      const latencyBucketSeries = Number((await prom.query(`count(${latencySelector})`, end)).result[0]?.value[1] ?? 0);
      log(`scaling ${size}: timing the SLO overview's panels`);
      // Every panel kind of the first services (each of prod's shapes once), instant as the stat panels ask.
      const shapes = config.services.slice(0, 24);
      const at = Date.now() / 1000;
      const dashboard = JSON.parse(readFileSync(join(dir, 'dist', 'prod', 'dashboards', 'slo-overview.json'), 'utf8'));
      const afterQueries = dashboard.panels
        .filter((p) => shapes.some((s) => p.title.startsWith(`${s.name}:`)))
        .flatMap((p) => p.targets.map((t) => [p.title.replace(/^[^:]+: /, '').replace(/ \(.*?\)/, ''), t.expr]));
      const beforeQueries = shapes.flatMap((s) => Object.entries(beforeSloPanels(s, slo)));
      const panels = { after: await timeQueries(prom, afterQueries, at), before: await timeQueries(prom, beforeQueries, at) };
      log(`scaling ${size}: timing every dashboard panel over its default range`);
      panels.everyDashboard = timeEveryPanel(prom, join(dir, 'dist', 'prod'), Math.floor(at));
      const memoryEnd = memory(prom.child.pid);
      results.push({ size, end, data: { ...data, fileBytes }, history, shortMinutes, timings: { generateMs, backfillMs, readyMs }, groups, latencyBucketSeries, panels, memory: { afterRules: memoryAfterRules, end: memoryEnd }, stop: await prom.stop() });
    } catch (err) {
      await prom.stop();
      throw err;
    } finally {
      rmSync(tsdb, { recursive: true, force: true });
    }
  }
  return results;
}
