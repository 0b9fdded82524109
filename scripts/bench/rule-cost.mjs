// Rule evaluation cost on a real Prometheus, and the cardinality of the
// benchmark data: backfill a week of synthetic data with promtool, run
// Prometheus (both at the image's version) on it with the synthesized rules, read each group's evaluation
// time, time PostgresQueryRegression's baseline both ways, count series.
import { spawnSync } from 'child_process';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'fs';
import { join } from 'path';
import { log, median } from './common.mjs';
import { PrometheusProcess, sparePort } from './prometheus.mjs';
import { parse, stringify } from 'yaml';
import { scaledConfig } from '../workload/catalogue.mjs';
import { writeWorkload } from '../workload/generate.mjs';

const MEAN_1H = 'instance_queryid:pg_stat_statements_exec_time_seconds:mean1h';

/**
 * PostgresQueryRegression's 7-day baseline, three ways, on the same data:
 * - recorded: the shipped form, a week of the hourly recording (168 samples per statement);
 * - naive: avg_over_time of the lifetime mean (total time / calls) at every scraped sample of the week;
 * - naiveSubquery: the same value as the recorded form computed on the fly from the raw counters.
 */
export const BASELINE_FORMS = {
  recorded: `avg_over_time(${MEAN_1H}[7d])`,
  naive: 'avg_over_time((pg_stat_statements_seconds_total / pg_stat_statements_calls_total)[7d:30s])',
  naiveSubquery:
    'avg_over_time((rate(pg_stat_statements_seconds_total[1h]) / (rate(pg_stat_statements_calls_total[1h]) > 0))[7d:1h])',
};

/** Benchmark-only groups, evaluated every round beside the shipped ones. */
function benchRuleGroups() {
  return {
    groups: Object.entries(BASELINE_FORMS).map(([form, expr]) => ({
      name: `bench-baseline-${form}`,
      rules: [{ record: `bench:pg_statement_baseline:${form}`, expr }],
    })),
  };
}

/** Labels that can grow, with what bounds them. The measured distinct values go beside each. */
export const LABEL_REVIEW = [
  ['query', 'pg_stat_statements_query_id', 'Statement text (first 120 characters). One per statement, so bounded per scrape by the exporter\'s top-50, but the set churns as statements enter and leave the top 50; a new application release adds new texts. Bounded by 50 per scrape, not over retention.'],
  ['queryid', 'pg_stat_statements_*', 'Same bound and churn as `query` (one queryid per statement text and role). A stats reset or a major-version upgrade renumbers every statement at once: a one-off doubling of the week\'s series.'],
  ['route', 'HTTP metrics of both vocabularies', 'Bounded only if services label the route TEMPLATE (`/api/v1/items/{id}`); a raw path with ids is unbounded. The instrumentation helper and Platform-Kernel\'s services use templates; a service that does not is the classic cardinality explosion.'],
  ['tenant_id', 'http_server_request_duration_ms (opentelemetry-ms)', 'UNBOUNDED: grows with the number of tenants, and multiplies the 16-bucket histogram (every route × status code × tenant × 18 series). At 1 000 tenants the OpenTelemetry latency histogram alone would be about 1 000/3 times the figure above. Recommend dropping it at scrape time (metric_relabel_configs labeldrop) or moving it to exemplars/traces.'],
  ['user_id', 'logs only (Platform-Kernel JSON logs)', 'Not a metric label and not a Loki stream label: the log pipeline keeps only namespace, pod, container, app, level as labels. Must stay that way: one stream or series per user is unbounded.'],
  ['pod / instance / uid / id / name', 'every pod-scraped metric, cAdvisor', 'Change on every rollout or restart: bounded per scrape by the number of pods, but each deploy creates a new set of series, so series over the retention grow with deploy frequency × pods.'],
  ['status_code / code', 'HTTP, gRPC, Loki, Promtail', 'Bounded by the protocol (a few dozen codes at most).'],
  ['topic / partition / group_id', 'kafka_consumer_lag', 'Bounded by the Kafka topology; partitions grow only when topics are repartitioned.'],
  ['application_name / state / datname / usename / wait_event', 'pg_stat_activity_count', 'Bounded by the catalogue (application_name comes from each service\'s DSN) and by PostgreSQL\'s fixed sets of states and wait events.'],
  ['le', 'every histogram', 'Fixed bucket layout per histogram: 12 for client_golang defaults, 16 for OpenTelemetry\'s defaults.'],
];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function rulesFiles(dir) {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(dir, f));
}

async function sideBySide(prom, at, rounds) {
  const samples = Object.fromEntries(Object.keys(BASELINE_FORMS).map((k) => [k, []]));
  const details = {};
  for (let round = 0; round < rounds; round++) {
    for (const [form, expr] of Object.entries(BASELINE_FORMS)) {
      const started = process.hrtime.bigint();
      const data = await prom.query(expr, at, true);
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      samples[form].push({ evalMs: data.stats.timings.evalTotalTime * 1000, wallMs });
      details[form] = { series: data.result.length, samples: data.stats.samples?.totalQueryableSamples };
    }
  }
  const out = {};
  for (const [form, s] of Object.entries(samples)) {
    out[form] = { expr: BASELINE_FORMS[form], ...details[form], evalMs: median(s.map((x) => x.evalMs)), wallMs: median(s.map((x) => x.wallMs)), runs: s.length };
  }
  return out;
}

/** Polls /api/v1/rules until every group has been evaluated `rounds` times (1h groups excepted), or `timeoutMs`. */
async function ruleGroupTimes(prom, { rounds, timeoutMs }) {
  const seen = new Map();
  const deadline = Date.now() + timeoutMs;
  let done = false;
  while (!done && Date.now() < deadline) {
    const { groups } = await prom.api('rules');
    for (const g of groups) {
      const entry = seen.get(g.name) ?? { name: g.name, file: g.file, interval: g.interval, rules: g.rules.length, times: new Map(), errors: new Map() };
      if (g.lastEvaluation && !g.lastEvaluation.startsWith('0001')) entry.times.set(g.lastEvaluation, g.evaluationTime);
      // Any evaluation that failed during the run counts, not only the last one.
      for (const r of g.rules) if (r.lastError) entry.errors.set(r.name, r.lastError);
      entry.alerts = g.rules.filter((r) => r.type === 'alerting' && r.state !== 'inactive').map((r) => ({ alert: r.name, state: r.state, active: r.alerts.length }));
      seen.set(g.name, entry);
    }
    done = [...seen.values()].every((e) => e.interval >= 3600 || e.times.size >= rounds);
    if (!done) await sleep(2000);
  }
  return [...seen.values()].map((e) => {
    const times = [...e.times.values()].map((s) => s * 1000);
    return {
      name: e.name,
      file: e.file.split('/').pop(),
      intervalSeconds: e.interval,
      rules: e.rules,
      evaluations: times.length,
      medianMs: times.length ? median(times) : null,
      maxMs: times.length ? Math.max(...times) : null,
      errors: [...e.errors].map(([rule, error]) => ({ rule, error })),
      alerts: e.alerts ?? [],
    };
  });
}

async function cardinality(prom, at, data) {
  const vector = async (q) => (await prom.query(q, at)).result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
  const byJob = await vector('count by (job) ({__name__!=""})');
  const podsByKind = {
    catalogueServices: await prom.scalar('count({job="kubernetes-pods", container!="postgres-exporter"})', at),
    postgresExporter: await prom.scalar('count({job="kubernetes-pods", container="postgres-exporter"})', at),
  };
  const topMetrics = await vector('topk(12, count by (__name__) ({__name__!=""}))');
  const pg = {
    perScrape: await prom.scalar('count(pg_stat_statements_calls_total)', at),
    week: await prom.scalar('count(last_over_time(pg_stat_statements_calls_total[7d]))', at),
    metricsPerStatement: await prom.scalar('count(count by (__name__) ({__name__=~"pg_stat_statements_.+"}))', at),
    allSeriesPerScrape: await prom.scalar('count({__name__=~"pg_stat_statements_.+"})', at),
    candidates: data.statements.candidates,
  };
  const labels = [];
  for (const [label] of LABEL_REVIEW) {
    const counts = {};
    for (const l of label.split(' / ')) counts[l] = await prom.scalar(`count(count by (${l}) ({${l}!=""}))`, at);
    labels.push({ label, counts });
  }
  const total = await prom.scalar('count({__name__!=""})', at);
  return { total, byJob, podsByKind, topMetrics, pg, labels };
}

export async function runRuleCost({ workDir, rulesDir, prometheus, promtool, queryRounds = 7, evalRounds = 3, longStep = 30 }) {
  mkdirSync(workDir, { recursive: true });
  const dataFile = join(workDir, 'bench.om');
  const tsdb = join(workDir, 'tsdb');
  rmSync(tsdb, { recursive: true, force: true });
  // The data ends a minute ago, on a minute boundary, so the rules evaluated right after startup see fresh series.
  const end = Math.floor(Date.now() / 60000) * 60 - 60;
  const timings = {};

  log('rules: writing 7 days of synthetic OpenMetrics');
  let t0 = Date.now();
  const data = writeWorkload(dataFile, { end, longStep, services: parse(scaledConfig(50)).services });
  timings.generateMs = Date.now() - t0;
  data.fileBytes = statSync(dataFile).size;
  log(`rules: ${data.series} series, ${data.samples} samples, ${(data.fileBytes / 1e6).toFixed(0)} MB; backfilling with promtool`);

  t0 = Date.now();
  // 168h lets promtool cut the week into two blocks instead of 84 two-hour ones (it re-reads the input per block).
  const backfill = spawnSync(promtool, ['tsdb', 'create-blocks-from', 'openmetrics', '--max-block-duration=168h', dataFile, tsdb], {
    encoding: 'utf8',
    timeout: 300_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  timings.backfillMs = Date.now() - t0;
  rmSync(dataFile, { force: true });
  if (backfill.status !== 0) throw new Error(`promtool backfill failed (${backfill.status ?? backfill.signal}):\n${backfill.stderr}\n${backfill.stdout}`);
  const blocks = backfill.stdout.split('\n').filter((l) => /^[0-9A-Z]{26}\s/.test(l)).length;

  const benchRules = join(workDir, 'bench-baseline.rules.yaml');
  writeFileSync(benchRules, stringify(benchRuleGroups()));
  const shipped = rulesFiles(rulesDir);
  const configFile = join(workDir, 'prometheus.yml');
  // The self-scrape target is Prometheus' own address, so the port is chosen before it starts.
  const port = await sparePort();
  const configText = stringify({
    // 10s rather than the stack's 30s evaluation_interval: more rounds in less benchmark time; one round costs the same.
    global: { scrape_interval: '10s', evaluation_interval: '10s' },
    // The backfilled week must not fall out of retention while the benchmark runs.
    storage: { tsdb: { retention: { time: '30d' } } },
    rule_files: [...shipped, benchRules],
    // A self-scrape, so prometheus_rule_* and prometheus_tsdb_* exist for the self-monitoring rules.
    scrape_configs: [{ job_name: 'prometheus', static_configs: [{ targets: [`127.0.0.1:${port}`] }] }],
  });
  writeFileSync(configFile, configText);

  log('rules: starting Prometheus on the backfilled TSDB');
  t0 = Date.now();
  const prom = await PrometheusProcess.start({ binary: prometheus, configFile, dataDir: tsdb, logFile: join(workDir, 'prometheus.log'), port });
  timings.readyMs = Date.now() - t0;
  try {
    log(`rules: Prometheus ready on 127.0.0.1:${prom.port}; timing the baseline three ways`);
    // Warm-up: the first query of a series pays for reading its postings and chunks from disk.
    for (const expr of Object.values(BASELINE_FORMS)) await prom.query(expr, end);
    const baseline = await sideBySide(prom, end, queryRounds);
    log('rules: waiting for evaluation rounds');
    t0 = Date.now();
    const groups = await ruleGroupTimes(prom, { rounds: evalRounds, timeoutMs: 120_000 });
    timings.evalWaitMs = Date.now() - t0;
    log('rules: counting series');
    const card = await cardinality(prom, end, data);
    return { data, blocks, timings, baseline, groups, cardinality: card, stop: await prom.stop() };
  } catch (err) {
    await prom.stop();
    throw err;
  }
}
