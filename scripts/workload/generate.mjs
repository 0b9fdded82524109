// The workload generator: synthetic OpenMetrics for the platform's metrics,
// driven by a service catalogue, for `promtool tsdb create-blocks-from
// openmetrics`. The benchmark backfills it to time rules and panels;
// test/dashboards-with-data.test.ts proves on it that every dashboard panel
// shows data, so a panel that reads a series gets that series here; the same
// data gives dashboards something to show (`node scripts/workload/cli.mjs`).
//
// Windows, so the backfill stays small:
// - everything a catalogue service and the stack's components export, over
//   the last `shortMinutes` at `shortStep`: series counts (cardinality) do not
//   depend on the depth, and no rule reads raw series further back than 5m;
// - optionally (`postgresWeek`) the pg_stat_statements series that
//   PostgresQueryRegression's 7-day baseline reads, and the baseline's hourly
//   recording, over 7 days (or `statementDays`, when a shorter window does);
// - optionally (`sloHistory`) what the SLO recording rules would have
//   recorded over the windows that read them (the 5-minute rates over the
//   6-hour window, their hourly means over 30 days), so those rules read as many
//   samples as in a cluster that has run for a month.
// Deterministic: the same options (and `seed`) write the same file.
//
// `incidents` ([{ name, from, to }], incidents.mjs) lay incidents over it; without them nothing changes.
import { closeSync, openSync, writeSync } from 'fs';
import { incidentOverlay } from './incidents.mjs';

/** mulberry32: small, fast, seedable. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class OpenMetricsWriter {
  constructor(file) {
    this.fd = openSync(file, 'w');
    this.chunks = [];
    this.length = 0;
    this.samples = 0;
    this.series = 0;
  }
  push(line) {
    this.chunks.push(line);
    this.length += line.length;
    this.samples++;
    if (this.length > 4 << 20) this.flush();
  }
  flush() {
    writeSync(this.fd, this.chunks.join(''));
    this.chunks = [];
    this.length = 0;
  }
  close() {
    this.chunks.push('# EOF\n');
    this.flush();
    closeSync(this.fd);
  }
}

const labelText = (labels) =>
  '{' +
  Object.entries(labels)
    .map(([k, v]) => `${k}="${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)
    .join(',') +
  '}';

const num = (v) => (Number.isInteger(v) ? String(v) : v.toPrecision(8));

/** Daily load curve: quiet at night, busy in the afternoon (0.4 .. 1.6). */
const daily = (t) => 1 + 0.6 * Math.sin(((t % 86400) / 86400) * 2 * Math.PI - Math.PI / 2);

// client_golang's default buckets (seconds) and OpenTelemetry's default explicit buckets (ms).
const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const MS_BUCKETS = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];
const ROUTES = [
  ['GET', '/api/v1/items'],
  ['GET', '/api/v1/items/{id}'],
  ['POST', '/api/v1/items'],
  ['PUT', '/api/v1/items/{id}'],
  ['DELETE', '/api/v1/items/{id}'],
];
/** The routes a service serves: the common ones, and the route its latency SLO names (`slo.latencyRoute`). */
const routesOf = (svc) => (svc.slo?.latencyRoute ? [...ROUTES, ['POST', svc.slo.latencyRoute]] : ROUTES);
// The order saga's events as the services count them (saga_steps_total{step}); COMPENSATION_COMPLETE ends a failed one.
const SAGA_STEPS = [['ORDER_CREATED', 1], ['PAYMENT_CREATED', 0.98], ['COMPLETED', 0.97], ['COMPENSATION_COMPLETE', 0.01]];
const STATUS_CODES = ['200', '400', '404', '500'];
const CODE_SHARE = { 200: 0.95, 400: 0.03, 404: 0.019, 500: 0.001 };

/**
 * Writes the workload and returns what it wrote. `end` is a Unix time in
 * seconds; every series ends there. `services`: the catalogue (the config's
 * `services`, as parsed YAML).
 */
export function writeWorkload(file, opts) {
  const { end, services: catalogue, agentService = 'ai-service', rabbitmq, longStep = 30, shortStep = 30, shortMinutes = 15, statementsPerDatabase = 50, seed = 12, postgresWeek = true } = opts;
  const topStatements = opts.topStatements ?? 50;
  const tenants = opts.tenants ?? 3;
  const rand = prng(seed);
  const overlay = incidentOverlay(opts.incidents ?? [], { catalogue, shortStep });
  const calm = overlay?.calm ?? { latency: 1, serverErrors: 1, connections: 1 };
  const w = new OpenMetricsWriter(file);
  const longStart = end - Math.round((opts.statementDays ?? 7) * 86400);
  const shortStart = end - shortMinutes * 60;
  const families = new Map();
  const count = (name, n = 1) => families.set(name, (families.get(name) ?? 0) + n);

  // ---- series over the short window --------------------------------------------------
  const series = (name, labels, valueAt, step = shortStep) => {
    const l = name + labelText(labels) + ' ';
    const adjust = overlay?.value(name, labels);
    for (let t = shortStart; t <= end; t += step) {
      // valueAt runs at every step, so an incident's sample leaves the random sequence as it was.
      const v = adjust ? adjust(t, valueAt(t)) : valueAt(t);
      if (v !== undefined) w.push(l + num(v) + ' ' + t + '\n');
    }
    w.series++;
    count(name);
  };
  const gauge = (name, labels, base, wobble = 0.05) => {
    const phase = rand() * 6.28;
    series(name, labels, (t) => base * (1 + wobble * Math.sin(t / 600 + phase)));
  };
  const counter = (name, labels, perSecond) => {
    let v = Math.floor(rand() * 1e6 * perSecond);
    const rate = overlay?.rate(name, labels);
    series(name, labels, (t) => (v += perSecond * shortStep * daily(t) * (0.9 + 0.2 * rand()) * (rate ? rate(t) : 1)));
  };
  /** Histogram of exponentially distributed values with the given mean, `perSecond` observations. */
  const histogram = (name, labels, buckets, perSecond, mean) => {
    const shape = overlay?.histogram(name, labels);
    if (shape) return shapedHistogram(name, labels, buckets, perSecond, mean, shape);
    const fractions = buckets.map((le) => 1 - Math.exp(-le / mean));
    const n0 = Math.floor(rand() * 1e5 * perSecond);
    const steps = Math.round((end - shortStart) / shortStep) + 1;
    const cumulative = [];
    let n = n0;
    for (let i = 0; i < steps; i++) cumulative.push((n += perSecond * shortStep * (0.9 + 0.2 * rand())));
    const at = (t) => cumulative[Math.round((t - shortStart) / shortStep)];
    buckets.forEach((le, i) => series(`${name}_bucket`, { ...labels, le: String(le) }, (t) => Math.floor(at(t) * fractions[i])));
    series(`${name}_bucket`, { ...labels, le: '+Inf' }, (t) => Math.floor(at(t)));
    series(`${name}_sum`, labels, (t) => at(t) * mean);
    series(`${name}_count`, labels, (t) => Math.floor(at(t)));
  };

  /**
   * A histogram whose observations change over time: shape(t) gives this step's rate multiplier, mean,
   * whether every observation equals the mean, and whether the process restarted (all back to 0).
   * Each bucket, the sum and the count add up the same observations, step by step.
   */
  const shapedHistogram = (name, labels, buckets, perSecond, baseMean, shape) => {
    const edges = [...buckets, Infinity];
    const fraction = (le, s) => (s.constant ? (s.mean <= le ? 1 : 0) : 1 - Math.exp(-le / s.mean));
    const n0 = Math.floor(rand() * 1e5 * perSecond);
    let cumulative = edges.map((le) => n0 * fraction(le, { mean: baseMean }));
    let sum = n0 * baseMean;
    const rows = new Map();
    for (let t = shortStart; t <= end; t += shortStep) {
      const s = { rate: 1, mean: baseMean, ...shape(t) };
      if (s.restart) (cumulative = edges.map(() => 0)), (sum = 0);
      const n = perSecond * shortStep * (0.9 + 0.2 * rand()) * s.rate;
      cumulative = cumulative.map((c, i) => c + n * fraction(edges[i], s));
      sum += n * s.mean;
      rows.set(t, { buckets: cumulative.map(Math.floor), sum });
    }
    edges.forEach((le, i) => series(`${name}_bucket`, { ...labels, le: le === Infinity ? '+Inf' : String(le) }, (t) => rows.get(t).buckets[i]));
    series(`${name}_sum`, labels, (t) => rows.get(t).sum);
    series(`${name}_count`, labels, (t) => rows.get(t).buckets[edges.length - 1]);
  };

  /** Two counters of the same flow, `outgoing` never ahead of `incoming` (a processor drops a few). */
  const counterPair = (perSecond) => {
    let incoming = Math.floor(rand() * 1e6 * perSecond);
    let outgoing = incoming;
    const steps = new Map();
    for (let t = shortStart; t <= end; t += shortStep) {
      const n = perSecond * shortStep * daily(t) * (0.9 + 0.2 * rand());
      incoming += n;
      outgoing += n * 0.999;
      steps.set(t, [incoming, outgoing]);
    }
    return { incoming: (t) => steps.get(t)[0], outgoing: (t) => steps.get(t)[1] };
  };

  // Pod-level target labels as the kubernetes-pods job writes them.
  const nodes = Array.from({ length: 6 }, (_, i) => `node-${i + 1}`);
  const hex = (n) => Array.from({ length: n }, () => 'bcdfghjklmnpqrstvwxz2456789'[Math.floor(rand() * 27)]).join('');
  const podTargets = (app, namespace, pod, container, port) => ({
    job: 'kubernetes-pods',
    instance: `10.42.${Math.floor(rand() * 250)}.${Math.floor(rand() * 250)}:${port}`,
    app,
    namespace,
    pod,
    container,
    node: nodes[Math.floor(rand() * nodes.length)],
  });
  const up = (labels) => {
    series('up', labels, () => 1);
    const phase = rand() * 6.28;
    series('scrape_duration_seconds', labels, (t) => 0.05 * (1 + 0.3 * Math.sin(t / 600 + phase)));
  };

  // ---- catalogue services ------------------------------------------------------------
  const pods = [];
  for (const svc of catalogue) {
    const vocabulary = svc.httpVocabulary ?? 'prometheus-client';
    const stack = svc.stack;
    const replicaSet = hex(10);
    for (let r = 0; r < 2; r++) {
      const pod = `${svc.name}-${replicaSet}-${hex(5)}`;
      const t = podTargets(svc.name, svc.namespace, pod, svc.name, 8080);
      pods.push({ svc, pod, node: t.node, uid: `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}` });
      up(t);
      const rps = 5 + rand() * 50;
      const routes = routesOf(svc);
      for (const [method, route] of routes) {
        for (const code of STATUS_CODES) {
          const perSecond = (rps / routes.length) * CODE_SHARE[code] * (code === '500' ? calm.serverErrors : 1);
          if (vocabulary === 'prometheus-client') {
            counter('http_requests_total', { ...t, method, route, code }, perSecond);
            histogram('http_request_duration_seconds', { ...t, method, route, code }, SECONDS_BUCKETS, perSecond, (0.02 + rand() * 0.08) * calm.latency);
          } else {
            counter('http_server_requests_total', { ...t, service: svc.name, method, route, status_code: code }, perSecond);
            for (let k = 0; k < tenants; k++) {
              // Platform-Kernel's tenant ids are UUIDv7s; a handful stand for the platform's tenants.
              const tenant_id = `018f${String(k).padStart(4, '0')}-5678-7abc-def0-123456789abc`;
              const labels = { ...t, service: svc.name, method, route, status_code: code, tenant_id };
              histogram('http_server_request_duration_ms', labels, MS_BUCKETS, perSecond / tenants, (20 + rand() * 80) * calm.latency);
            }
          }
        }
      }
      for (const target of svc.grpcClientTargets ?? []) {
        for (const method of ['Get', 'Reserve']) {
          if (vocabulary === 'prometheus-client') {
            for (const code of ['OK', 'Unavailable', 'DeadlineExceeded']) counter('grpc_client_requests_total', { ...t, target, method, code }, code === 'OK' ? 10 : 0.01);
            histogram('grpc_client_request_duration_seconds', { ...t, target, method }, SECONDS_BUCKETS, 10, 0.01);
          } else {
            histogram('grpc_client_request_duration_ms', { ...t, service: svc.name, target_service: target, method }, MS_BUCKETS, 10, 10);
          }
        }
      }
      if (svc.saga) {
        for (const [step, share] of SAGA_STEPS) {
          counter('saga_steps_total', { ...t, step }, 2 * share);
          histogram('saga_step_duration_seconds', { ...t, step }, SECONDS_BUCKETS, 2 * share, 0.05);
        }
      }
      if (svc.webhookEvents) {
        for (const event_type of ['payment.succeeded', 'payment.failed', 'refund.created']) {
          for (const [status, share] of [['200', 0.998], ['500', 0.002]]) counter('webhook_events_total', { ...t, provider: 'stripe', event_type, status }, (event_type === 'payment.succeeded' ? 3 : 0.3) * share);
        }
      }
      if (svc.name === agentService) {
        // The LLM spans as the collector's spanmetrics connector counts them (src/components/otel-collector/llm-metrics.ts).
        for (const [gen_ai_provider_name, gen_ai_request_model] of [['openai', 'gpt-4o-mini'], ['anthropic', 'claude-sonnet-4'], ['vllm', 'llama-3.1-8b']]) {
          const llm = { ...t, service_name: svc.name, span_name: 'chat', span_kind: 'SPAN_KIND_CLIENT', gen_ai_provider_name, gen_ai_request_model };
          for (const [status_code, share] of [['STATUS_CODE_UNSET', 0.98], ['STATUS_CODE_ERROR', 0.02]]) {
            counter('llm_calls_total', { ...llm, status_code }, 0.5 * share);
            histogram('llm_duration_seconds', { ...llm, status_code }, SECONDS_BUCKETS, 0.5 * share, 1.5);
          }
          counter('llm_input_tokens_total', llm, 0.5 * 900);
          counter('llm_output_tokens_total', llm, 0.5 * 250);
        }
      }
      if (svc.jmx?.debezium) {
        // The connector's MBeans through the Java agent (src/instrumentation/jmx.ts): `server` is its topic prefix.
        const cdc = { ...t, k8s_namespace_name: svc.namespace, server: svc.name };
        gauge('debezium_source_connector_lag_seconds', cdc, 0.8, 0.5);
        counter('debezium_source_connector_events_read_total', cdc, 20);
      }
      for (const consumer of svc.kafkaConsumers ?? []) {
        for (const topic of consumer.topics) {
          for (let partition = 0; partition < 6; partition++) {
            gauge('kafka_consumer_lag', { ...t, service: svc.name, group_id: consumer.groupId, topic, partition: String(partition) }, rand() * 200, 0.5);
          }
        }
      }
      if (vocabulary === 'opentelemetry-ms') {
        if (svc.database) {
          for (const operation of ['select', 'insert', 'update']) {
            for (const table of ['accounts', 'events']) histogram('db_query_duration_ms', { ...t, service: svc.name, operation, table }, MS_BUCKETS, 5, 3);
          }
        }
        for (const target of svc.grpcClientTargets ?? []) gauge('circuit_breaker_state', { ...t, service: svc.name, target }, 0, 0);
      }
      gauge('process_resident_memory_bytes', t, 6e7 + rand() * 2e8);
      if (stack === 'go') {
        // A summary: the GC pause quantiles client_golang exports.
        for (const [quantile, pause] of [['0', 2e-5], ['0.25', 5e-5], ['0.5', 8e-5], ['0.75', 1.5e-4], ['1', 1e-3]]) gauge('go_gc_duration_seconds', { ...t, quantile }, pause, 0.3);
        counter('go_gc_duration_seconds_sum', t, 0.5 * 1e-4);
        counter('go_gc_duration_seconds_count', t, 0.5);
        gauge('go_goroutines', t, 20 + rand() * 200, 0.2);
        gauge('go_memstats_heap_alloc_bytes', t, 2e7 + rand() * 1e8, 0.3);
      }
      if (stack === 'java') {
        for (const [area, id] of [['heap', 'G1 Eden Space'], ['heap', 'G1 Old Gen'], ['heap', 'G1 Survivor Space'], ['nonheap', 'Metaspace'], ['nonheap', 'CodeCache']]) {
          gauge('jvm_memory_used_bytes', { ...t, area, id }, 1e8 * rand(), 0.2);
          gauge('jvm_memory_max_bytes', { ...t, area, id }, 5e8, 0);
        }
        gauge('jvm_threads_live_threads', t, 40 + rand() * 40, 0.1);
        histogram('jvm_gc_pause_seconds', { ...t, action: 'end of minor GC', cause: 'G1 Evacuation Pause' }, SECONDS_BUCKETS, 0.2, 0.01);
      }
    }
  }

  // ---- PostgreSQL: the exporter of the applications' shared database ---------------------
  const pg = podTargets('postgres', 'java-tasks', 'postgres-0', 'postgres-exporter', 9187);
  const databases = ['tasks', 'orders', 'payments'];
  up(pg);
  // The series of postgres_exporter's built-in collectors (src/components/postgres/exporter.ts).
  const server = { ...pg, server: 'localhost:5432' };
  series('pg_up', pg, () => 1);
  gauge('pg_settings_max_connections', server, 200, 0);
  gauge('pg_settings_superuser_reserved_connections', server, 3, 0);
  for (const datname of databases) {
    const db = { ...pg, datid: String(16384 + databases.indexOf(datname)), datname };
    counter('pg_stat_database_deadlocks', db, 0);
    // Blocks read from shared buffers and from disk: a 99% hit ratio.
    counter('pg_stat_database_blks_hit', db, 5000);
    counter('pg_stat_database_blks_read', db, 50);
    for (const svc of catalogue.filter((s) => s.database).slice(0, 5)) {
      for (const state of ['active', 'idle', 'idle in transaction']) {
        const activity = { ...server, application_name: svc.name, datname, state, usename: svc.name, backend_type: 'client backend' };
        gauge('pg_stat_activity_count', { ...activity, wait_event_type: 'Client', wait_event: 'ClientRead' }, (1 + rand() * 5) * calm.connections, 0.3);
      }
    }
  }
  counter('pg_stat_archiver_archived_count', server, 0.01);
  counter('pg_stat_archiver_failed_count', server, 0);
  series('pg_stat_archiver_last_archive_age', server, () => 60);
  series('pg_replication_lag_seconds', pg, () => 0);

  // pg_stat_statements: statementsPerDatabase candidates per database; the exporter's stat_statements
  // collector (`ORDER BY seconds_total DESC LIMIT 50`) exports the top ones. Which statements
  // make the top 50 drifts from day to day, so a week holds more series than one scrape.
  const statements = [];
  for (const datname of databases) {
    for (let i = 0; i < statementsPerDatabase; i++) {
      statements.push({
        datname,
        user: `${datname.replace(/s$/, '')}user`,
        // A signed 64-bit id, as pg_stat_statements prints it.
        queryid: String(BigInt(Math.floor(rand() * 2 ** 31)) * 4294967296n + BigInt(Math.floor(rand() * 2 ** 32)) - 2n ** 62n),
        query: `SELECT t${i}.id, t${i}.status FROM ${datname}_${i} t${i} WHERE t${i}.owner_id = $1 LIMIT $2`,
        // Mean seconds per call: log-uniform 0.5 ms .. 400 ms; calls per second: 0.05 .. 50.
        mean: 0.0005 * Math.pow(800, rand()),
        rate: 0.05 * Math.pow(1000, rand()),
        phase: rand() * 6.28,
      });
    }
  }
  const days = 7;
  // Day 0 is the last 24 hours, so the set exported at `end` is one day's top 50.
  const inTop = statements.map(() => new Array(days + 1).fill(false));
  for (let d = 0; d <= days; d++) {
    const ranked = statements
      .map((s, i) => ({ i, score: s.mean * s.rate * (1 + 0.8 * Math.sin(s.phase + d * 1.7)) }))
      .sort((a, b) => b.score - a.score);
    for (const { i } of ranked.slice(0, topStatements)) inTop[i][d] = true;
  }
  // One statement of today's top 50 regresses to 3x its mean for the last two hours, as PostgresQueryRegression
  // expects to catch (its 100 ms floor needs a statement above 34 ms).
  // An incident replay picks its own statement and window (incidents.mjs), or none.
  const regression = overlay?.statementRegression ?? { picks: (st) => st.mean > 0.05, factor: (t) => (t > end - 7200 ? 3 : 1) };
  const regressed = statements.find((st, i) => inTop[i][0] && regression.picks(st));
  const hourly = new Map();
  const exported = new Set();
  let longSamples = 0;
  (postgresWeek ? statements : []).forEach((s, i) => {
    const labels = labelText({ ...pg, queryid: s.queryid, datname: s.datname, user: s.user });
    const lines = { calls: [], total: [], text: [] };
    let calls = Math.floor(rand() * 1e6);
    let total = calls * s.mean;
    let hourCalls = 0;
    let hourTotal = 0;
    const emitLong = (kind, value, t) => lines[kind].push(value, t);
    for (let t = longStart; t <= end; t += longStep) {
      const mean = s.mean * (s === regressed ? regression.factor(t) : 1) * (0.9 + 0.2 * rand());
      const n = s.rate * longStep * daily(t + s.phase * 3600);
      calls += n;
      total += n * mean;
      hourCalls += n;
      hourTotal += n * mean;
      const day = Math.floor((end - t) / 86400);
      if (inTop[i][day]) {
        emitLong('calls', calls, t);
        emitLong('total', total, t);
        // The statement's text series (always 1) while it is exported.
        emitLong('text', 1, t);
      }
      if ((t - longStart) % 3600 === 0 && t > longStart) {
        // What the baseline group's `...:mean1h` rule would have recorded at this hour.
        if (inTop[i][day]) {
          if (!hourly.has(i)) hourly.set(i, []);
          hourly.get(i).push(hourTotal / hourCalls, t);
        }
        hourCalls = 0;
        hourTotal = 0;
      }
    }
    for (const [kind, name] of [
      ['calls', 'pg_stat_statements_calls_total'],
      ['total', 'pg_stat_statements_seconds_total'],
      ['text', 'pg_stat_statements_query_id'],
    ]) {
      const values = lines[kind];
      if (values.length === 0) continue;
      exported.add(i);
      const prefix = name + (kind === 'text' ? labelText({ ...pg, queryid: s.queryid, query: s.query }) : labels) + ' ';
      for (let k = 0; k < values.length; k += 2) w.push(prefix + num(values[k]) + ' ' + values[k + 1] + '\n');
      longSamples += values.length / 2;
      w.series++;
      count(name);
    }
    const h = hourly.get(i);
    if (h) {
      const prefix = 'instance_queryid:pg_stat_statements_exec_time_seconds:mean1h' + labels + ' ';
      for (let k = 0; k < h.length; k += 2) w.push(prefix + num(h[k]) + ' ' + h[k + 1] + '\n');
      w.series++;
      count('instance_queryid:pg_stat_statements_exec_time_seconds:mean1h');
      // ...and what its `...:mean1h_avg7d` rule would have recorded over the last 3 hours, which the
      // alert reads with last_over_time(...[2h]): the mean of the hourly values of the week before.
      const baselinePrefix = 'instance_queryid:pg_stat_statements_exec_time_seconds:mean1h_avg7d' + labels + ' ';
      let wrote = false;
      for (let k = 0; k < h.length; k += 2) {
        if (h[k + 1] <= end - 3 * 3600) continue;
        let sum = 0;
        let n = 0;
        for (let j = 0; j <= k; j += 2) if (h[j + 1] > h[k + 1] - 7 * 86400) (sum += h[j]), n++;
        w.push(baselinePrefix + num(sum / n) + ' ' + h[k + 1] + '\n');
        wrote = true;
      }
      if (wrote) {
        w.series++;
        count('instance_queryid:pg_stat_statements_exec_time_seconds:mean1h_avg7d');
      }
    }
  });
  // The other statement counters, over the short window only: no rule reads them over days.
  statements.forEach((s, i) => {
    if (!inTop[i][0]) return;
    const labels = { ...pg, queryid: s.queryid, datname: s.datname, user: s.user };
    counter('pg_stat_statements_rows_total', labels, s.rate * 3);
    counter('pg_stat_statements_block_read_seconds_total', labels, s.rate * 0.0002);
    counter('pg_stat_statements_block_write_seconds_total', labels, 0);
  });

  // ---- Kubernetes: kube-state-metrics, node-exporter, cAdvisor --------------------------
  const ksm = { job: 'kube-state-metrics', instance: '10.42.0.10:8080' };
  up({ ...ksm, namespace: 'monitoring', pod: 'kube-state-metrics-0', container: 'kube-state-metrics', node: nodes[0] });
  for (const { svc, pod, node, uid } of pods) {
    const o = { ...ksm, namespace: svc.namespace, pod, uid };
    for (const condition of ['true', 'false', 'unknown']) series('kube_pod_status_ready', { ...o, condition }, () => (condition === 'true' ? 1 : 0));
    counter('kube_pod_container_status_restarts_total', { ...o, container: svc.name }, 0);
    for (const [resource, unit, value] of [['cpu', 'core', 0.5], ['memory', 'byte', 536870912]]) {
      gauge('kube_pod_container_resource_limits', { ...o, container: svc.name, node, resource, unit }, value, 0);
    }
  }
  for (const svc of catalogue) {
    const d = { ...ksm, namespace: svc.namespace, deployment: svc.name };
    gauge('kube_deployment_spec_replicas', d, 2, 0);
    gauge('kube_deployment_status_replicas_ready', d, 2, 0);
    gauge('kube_deployment_status_replicas_unavailable', d, 0, 0);
  }
  for (const node of nodes) {
    const n = { job: 'node-exporter', instance: `${node}:9100`, namespace: 'monitoring-agents', pod: `node-exporter-${hex(5)}`, container: 'node-exporter', node };
    up(n);
    for (let cpu = 0; cpu < 8; cpu++) {
      for (const mode of ['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user']) counter('node_cpu_seconds_total', { ...n, cpu: String(cpu), mode }, mode === 'idle' ? 0.6 : 0.05);
    }
    gauge('node_memory_MemAvailable_bytes', n, 1.6e10, 0.1);
    gauge('node_memory_MemTotal_bytes', n, 3.2e10, 0);
    gauge('node_load1', n, 2, 0.3);
    for (const [device, fstype, mountpoint] of [['/dev/nvme0n1p1', 'ext4', '/'], ['/dev/nvme1n1', 'ext4', '/var/lib/kubelet'], ['tmpfs', 'tmpfs', '/run']]) {
      gauge('node_filesystem_avail_bytes', { ...n, device, fstype, mountpoint }, 5e10, 0.01);
      gauge('node_filesystem_size_bytes', { ...n, device, fstype, mountpoint }, 1e11, 0);
    }
    up({ job: 'kubelet-cadvisor', instance: `${node}:10250`, node });
  }
  for (const { svc, pod, node } of pods) {
    const c = { job: 'kubelet-cadvisor', instance: `${node}:10250`, node, namespace: svc.namespace, pod, container: svc.name, id: `/kubepods/burstable/pod${hex(8)}/${hex(16)}`, image: `registry.example.org/${svc.name}:1.4.2`, name: hex(16) };
    gauge('container_memory_working_set_bytes', c, 1e8 + rand() * 3e8, 0.1);
    counter('container_cpu_usage_seconds_total', { ...c, cpu: 'total' }, 0.1 + rand() * 0.4);
    counter('container_oom_events_total', c, 0);
  }

  // ---- the stack's own components ------------------------------------------------------------
  const component = (job, namespace, pod, port, node = nodes[1]) => ({ job, instance: `10.42.1.${Math.floor(rand() * 250)}:${port}`, namespace, pod, container: job, node });
  const gpu = component('gpu-exporter', 'monitoring-agents', `gpu-exporter-${hex(5)}`, 9835, nodes[5]);
  up(gpu);
  const gpuLabels = { ...gpu, uuid: 'GPU-8f3a2b1c-0d4e-4f5a-9b6c-7d8e9f0a1b2c', name: 'NVIDIA L4' };
  gauge('nvidia_smi_temperature_gpu', gpuLabels, 62, 0.1);
  gauge('nvidia_smi_utilization_gpu_ratio', gpuLabels, 0.55, 0.4);
  gauge('nvidia_smi_power_draw_watts', gpuLabels, 48, 0.3);
  gauge('nvidia_smi_memory_used_bytes', gpuLabels, 1.6e10, 0.2);
  gauge('nvidia_smi_memory_total_bytes', gpuLabels, 2.4e10, 0);
  const loki = component('loki', 'monitoring', 'loki-0', 3100);
  up(loki);
  for (const route of ['loki_api_v1_push', 'loki_api_v1_query_range', 'loki_api_v1_query', 'loki_api_v1_labels']) {
    for (const status_code of ['200', '204', '400', '500']) counter('loki_request_duration_seconds_count', { ...loki, route, status_code, method: 'POST' }, status_code === '500' ? 0.001 : 5);
  }
  counter('loki_distributor_lines_received_total', { ...loki, tenant: 'fake' }, 800);
  for (const reason of ['rate_limited', 'line_too_long', 'greater_than_max_sample_age']) counter('loki_discarded_samples_total', { ...loki, reason, tenant: 'fake' }, 0);
  for (const node of nodes) {
    const p = component('promtail', 'monitoring-agents', `promtail-${hex(5)}`, 3101, node);
    up(p);
    for (const status_code of ['204', '429', '500']) counter('promtail_request_duration_seconds_count', { ...p, status_code, host: 'loki:3100' }, status_code === '204' ? 2 : 0);
    counter('promtail_dropped_entries_total', { ...p, reason: 'rate_limited', host: 'loki:3100' }, 0);
  }
  for (const [job, replicas] of [['otel-collector', 2], ['otel-collector-agent', nodes.length]]) {
    for (let r = 0; r < replicas; r++) {
      const o = component(job, 'monitoring', `${job}-${hex(5)}`, 8888, nodes[r % nodes.length]);
      up(o);
      const perSignal = { spans: 300, metric_points: 2000, log_records: 500 };
      for (const processor of ['memory_limiter', 'batch']) {
        for (const [signal, otel_signal] of [['spans', 'traces'], ['metric_points', 'metrics'], ['log_records', 'logs']]) {
          const flow = counterPair(perSignal[signal]);
          series('otelcol_processor_incoming_items_total', { ...o, processor, otel_signal }, flow.incoming);
          series('otelcol_processor_outgoing_items_total', { ...o, processor, otel_signal }, flow.outgoing);
        }
      }
      for (const signal of ['spans', 'metric_points', 'log_records']) {
        counter(`otelcol_receiver_accepted_${signal}_total`, { ...o, receiver: 'otlp', transport: 'grpc' }, perSignal[signal]);
        counter(`otelcol_receiver_refused_${signal}_total`, { ...o, receiver: 'otlp', transport: 'grpc' }, 0);
        for (const exporter of ['otlp/jaeger', 'prometheusremotewrite', 'otlphttp/loki']) counter(`otelcol_exporter_sent_${signal}_total`, { ...o, exporter }, perSignal[signal] / 3);
        for (const exporter of ['otlp/jaeger', 'prometheusremotewrite', 'otlphttp/loki']) {
          counter(`otelcol_exporter_enqueue_failed_${signal}_total`, { ...o, exporter }, 0);
          counter(`otelcol_exporter_send_failed_${signal}_total`, { ...o, exporter }, 0);
        }
      }
      for (const exporter of ['otlp/jaeger', 'prometheusremotewrite', 'otlphttp/loki']) {
        gauge('otelcol_exporter_queue_size', { ...o, exporter }, 10, 0.5);
        gauge('otelcol_exporter_queue_capacity', { ...o, exporter }, 1000, 0);
      }
    }
  }
  const jaeger = component('jaeger', 'monitoring', 'jaeger-0', 8888);
  up(jaeger);
  // Jaeger v2 is a collector: its own otelcol_* series, under job="jaeger".
  counter('otelcol_receiver_accepted_spans_total', { ...jaeger, receiver: 'otlp', transport: 'grpc' }, 600);
  counter('otelcol_exporter_sent_spans_total', { ...jaeger, exporter: 'jaeger_storage_exporter' }, 600);
  counter('otelcol_exporter_send_failed_spans_total', { ...jaeger, exporter: 'jaeger_storage_exporter' }, 0);

  // ---- Prometheus itself, scraped by its own job ---------------------------------------
  const prom = component('prometheus', 'monitoring', 'prometheus-0', 9090);
  up(prom);
  gauge('prometheus_tsdb_head_series', prom, 4e5, 0.05);
  counter('prometheus_tsdb_head_samples_appended_total', { ...prom, type: 'float' }, 25000);
  gauge('prometheus_tsdb_storage_blocks_bytes', prom, 3.2e10, 0.02);
  gauge('prometheus_tsdb_retention_limit_bytes', prom, 9e10, 0);
  for (const rule_group of ['/etc/prometheus/rules/slo.yaml;slo', '/etc/prometheus/rules/kubernetes.yaml;kubernetes']) {
    counter('prometheus_rule_evaluation_failures_total', { ...prom, rule_group }, 0);
    gauge('prometheus_rule_group_last_duration_seconds', { ...prom, rule_group }, 0.02, 0.3);
  }

  // ---- RabbitMQ's detailed endpoint, for the config's brokers ---------------------------------
  for (const broker of rabbitmq?.brokers ?? []) {
    const b = { ...podTargets(broker.name, broker.namespace, `${broker.name}-0`, broker.name, 15692), job: 'rabbitmq' };
    up(b);
    const vhost = rabbitmq.vhost ?? '/';
    for (const [queue, rate] of [['orders', 20], ['payments', 15], ['orders.dlq', 0]]) {
      const q = { ...b, vhost, queue };
      gauge('rabbitmq_detailed_queue_messages_ready', q, rate * 2, 0.5);
      gauge('rabbitmq_detailed_queue_messages_unacked', q, rate / 2, 0.5);
      gauge('rabbitmq_detailed_queue_messages', q, rate * 2.5, 0.5);
      gauge('rabbitmq_detailed_queue_consumers', q, rate > 0 ? 2 : 0, 0);
      gauge('rabbitmq_detailed_queue_consumer_utilisation', q, rate > 0 ? 0.9 : 0, 0.05);
      // This family names the queue's vhost `queue_vhost` (src/components/rabbitmq/scrape.ts).
      counter('rabbitmq_detailed_queue_messages_published_total', { ...b, queue_vhost: vhost, queue, exchange: 'saga', channel: '<0.1234.0>' }, rate);
      const ch = { ...q, channel: '<0.1234.0>' };
      counter('rabbitmq_detailed_channel_messages_delivered_ack_total', ch, rate);
      counter('rabbitmq_detailed_channel_messages_delivered_total', ch, 0);
      counter('rabbitmq_detailed_channel_messages_acked_total', ch, rate);
    }
  }
  up(component('kube-event-exporter', 'monitoring', `kube-event-exporter-${hex(5)}`, 2112));
  overlay?.extra(series);

  // ---- what the SLO recording rules would have recorded --------------------------------
  const history = opts.sloHistory;
  let historySamples = 0;
  if (history) {
    // `until`: where the recordings stop (default `end`), e.g. where the rules take over recording them.
    // `hours` of the 5-minute rates and `periodDays` of their hourly means: the caller says how much history it reads.
    const { records, kinds, hours, periodDays, evaluationStep = 30, hourlyStep = 3600, until = end } = history;
    const recorded = (name, labels, from, step, valueAt) => {
      const prefix = name + labelText(labels) + ' ';
      for (let t = from; t <= until; t += step) {
        w.push(prefix + num(valueAt(t)) + ' ' + t + '\n');
        historySamples++;
      }
      w.series++;
      count(name);
    };
    for (const svc of catalogue) {
      // Requests per second of the whole service; each SLO spends between none and 1.5 times its budget.
      const rps = 10 + rand() * 100;
      for (const [slo, budget] of Object.entries(kinds)) {
        const labels = { namespace: svc.namespace, service: svc.name, slo };
        const bad = budget * 1.5 * rand();
        // The 5-minute rates over the longest window that sums them (6 hours), the hourly means over the SLO period.
        recorded(records.requests, labels, until - hours * 3600, evaluationStep, (t) => rps * daily(t));
        recorded(records.errors, labels, until - hours * 3600, evaluationStep, (t) => rps * daily(t) * bad);
        // An hourly mean, recorded at the end of its hour: the daily curve at the hour's middle.
        recorded(records.requests1h, labels, until - periodDays * 86400, hourlyStep, (t) => rps * daily(t - hourlyStep / 2));
        recorded(records.errors1h, labels, until - periodDays * 86400, hourlyStep, (t) => rps * daily(t - hourlyStep / 2) * bad);
      }
    }
  }

  w.close();
  return {
    historySamples,
    series: w.series,
    samples: w.samples,
    longSamples,
    families,
    statements: { candidates: statements.length, exported: exported.size, perScrape: topStatements, databases: databases.length, regressedQueryid: regressed?.queryid },
    window: { longStart, shortStart, end, longStep, shortStep },
  };
}
