import * as fs from 'fs';
import { startPostgres } from '../../../test/support/postgres';
import {
  labelDisciplineProblems,
  LEVEL_VALUES,
  logPipeline,
  podRelabelConfigs,
  POD_LOGS_JOB,
  Stage,
  STREAM_LABELS,
  STRUCTURED_METADATA,
} from './pipeline';
import { alloyConfig, promtailConfig } from './render';
import { globMatches, relabel, simulatePipeline } from './simulate';

const stages = logPipeline({ postgresApps: ['postgres'] });
const renderOpts = { stages, pushUrl: 'http://loki.monitoring.svc:3100/loki/api/v1/push', httpPort: 3101, stateDir: '/var/lib/log-agent' };

/** A CRI log line as the kubelet writes it. */
const cri = (content: string, stream: 'stdout' | 'stderr' = 'stdout', flag: 'F' | 'P' = 'F', ns = 1) =>
  `2026-04-22T17:00:00.${String(ns).padStart(9, '0')}Z ${stream} ${flag} ${content}`;

const targets = (app: string, namespace: string) => ({
  namespace,
  pod: `${app}-0`,
  container: app,
  app,
  job: POD_LOGS_JOB,
});

describe('label discipline', () => {
  test('GIVEN the shipped pipeline WHEN checked THEN no stage or relabel rule can produce a label outside the allow-list', () => {
    expect(labelDisciplineProblems(stages, podRelabelConfigs())).toEqual([]);
  });

  test('fails if a stage turns the trace id into a label', () => {
    const bad: Stage[] = [...stages.slice(0, -1), { kind: 'labels', values: { trace_id: 'trace_id' } }, stages[stages.length - 1]];
    expect(labelDisciplineProblems(bad, podRelabelConfigs())).toEqual([
      expect.stringMatching(/labels sets label "trace_id", which is not in the allow-list/),
    ]);
  });

  test('fails if a nested match stage adds a label outside the allow-list', () => {
    const bad: Stage[] = [{ kind: 'match', selector: '{app="x"}', stages: [{ kind: 'labels', values: { user_id: 'user_id' } }] }, ...stages];
    expect(labelDisciplineProblems(bad, podRelabelConfigs())).toEqual([expect.stringMatching(/match.*sets label "user_id"/)]);
  });

  test('fails if the last stage is not a label_keep (the agent\'s own filename label would reach Loki)', () => {
    expect(labelDisciplineProblems(stages.slice(0, -1), podRelabelConfigs())).toEqual([expect.stringMatching(/last stage is structuredMetadata, not labelKeep/)]);
  });

  test('fails if a relabel rule sets a label outside the allow-list', () => {
    const problems = labelDisciplineProblems(stages, [...podRelabelConfigs(), { source_labels: ['__meta_kubernetes_pod_uid'], target_label: 'uid' }]);
    expect(problems).toEqual([expect.stringMatching(/target label "uid"/)]);
  });

  test('GIVEN the rendered Promtail config WHEN every stage is walked THEN labels come only from the allow-list and labelallow is last', () => {
    const config = promtailConfig(renderOpts) as any;
    const job = config.scrape_configs[0];
    const labels: string[] = [];
    const walk = (list: any[]) => {
      for (const stage of list) {
        if (stage.labels) labels.push(...Object.keys(stage.labels));
        if (stage.static_labels) labels.push(...Object.keys(stage.static_labels));
        if (stage.match) walk(stage.match.stages);
      }
    };
    walk(job.pipeline_stages);
    const last = job.pipeline_stages[job.pipeline_stages.length - 1];
    expect(last).toEqual({ labelallow: [...STREAM_LABELS] });
    for (const l of labels) expect(STREAM_LABELS).toContain(l);
    const relabelTargets = job.relabel_configs.map((r: any) => r.target_label).filter((t: string) => t && !t.startsWith('__'));
    expect(new Set(relabelTargets)).toEqual(new Set(['namespace', 'pod', 'container', 'app', 'job']));
    expect(config.clients[0]).not.toHaveProperty('external_labels');
  });

  test('GIVEN the rendered Alloy config WHEN read THEN it keeps the same labels, the same structured metadata and ends with label_keep', () => {
    const text = alloyConfig(renderOpts);
    const labelBlocks = [...text.matchAll(/stage\.labels \{\s*values = \{ ([^}]*) \}/g)].map((m) => m[1]);
    expect(labelBlocks).toEqual(['level = "level"']);
    expect([...text.matchAll(/target_label\s*= "([^"]+)"/g)].map((m) => m[1]).filter((t) => !t.startsWith('__'))).toEqual([
      'namespace',
      'pod',
      'container',
      'app',
      'app',
      'job',
    ]);
    expect(text).toMatch(/stage\.structured_metadata \{\s*values = \{ trace_id = "trace_id" \}/);
    const processBody = text.slice(text.indexOf('loki.process "pods"'), text.indexOf('loki.write "loki" {'));
    expect(processBody.trim().split('\n').slice(-4).join('\n')).toBe(
      `  stage.label_keep {\n    values = ${JSON.stringify([...STREAM_LABELS]).replace(/,/g, ', ')}\n  }\n}`,
    );
  });

  test('GIVEN a line with a trace id WHEN run through the pipeline THEN the id is structured metadata and never a label', () => {
    const [entry] = simulatePipeline(stages, targets('ai-service', 'ai'), [cri('{"level":"INFO","msg":"turn started","traceID":"4bf92f3577b34da6a3ce929d0e0e4736"}')], '/var/log/pods/x/0.log');
    expect(entry.structuredMetadata).toEqual({ trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' });
    expect(Object.keys(entry.labels).sort()).toEqual([...STREAM_LABELS].sort());
    expect(STRUCTURED_METADATA).toEqual(['trace_id']);
  });

  test('GIVEN any level spelling WHEN mapped THEN the level label takes one of five values only', () => {
    const spellings = ['ERROR', 'Warn', 'WARNING', 'INFO+2', 'DEBUG-4', 'debug1', 'FATAL', 'severe', 'TRACE', 'LOG', 'x'.repeat(50), '42', ''];
    const lines = spellings.map((l, i) => cri(JSON.stringify({ level: l, msg: 'm' }), 'stdout', 'F', i));
    const levels = simulatePipeline(stages, targets('a', 'b'), lines, 'f').map((e) => e.labels.level);
    expect(levels).toEqual(['error', 'warn', 'warn', 'info', 'debug', 'debug', 'error', 'error', 'debug', 'info', 'unknown', 'unknown', 'unknown']);
    for (const l of levels) expect(LEVEL_VALUES).toContain(l);
  });
});

describe('discovery and positions', () => {
  test('GIVEN a discovered pod WHEN relabelled THEN it gets the allow-listed labels and a __path__ matching the kubelet\'s log file', () => {
    const uid = '7f9c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b';
    const out = relabel(podRelabelConfigs(), {
      __meta_kubernetes_namespace: 'java-tasks',
      __meta_kubernetes_pod_name: 'postgres-0',
      __meta_kubernetes_pod_uid: uid,
      __meta_kubernetes_pod_container_name: 'postgres',
      __meta_kubernetes_pod_node_name: 'node-1',
      __meta_kubernetes_pod_phase: 'Running',
      __meta_kubernetes_pod_label_app: 'postgres',
      __meta_kubernetes_pod_label_app_kubernetes_io_name: 'postgresql',
    });
    expect(out).toEqual({
      namespace: 'java-tasks',
      pod: 'postgres-0',
      container: 'postgres',
      app: 'postgres',
      job: POD_LOGS_JOB,
      __host__: 'node-1',
      __path__: `/var/log/pods/*${uid}/postgres/*.log`,
    });
    expect(globMatches(out!.__path__, `/var/log/pods/java-tasks_postgres-0_${uid}/postgres/0.log`)).toBe(true);
    expect(globMatches(out!.__path__, `/var/log/pods/java-tasks_postgres-0_${uid}/exporter/0.log`)).toBe(false);
  });

  test('GIVEN a finished pod WHEN relabelled THEN it is dropped', () => {
    expect(relabel(podRelabelConfigs(), { __meta_kubernetes_pod_phase: 'Succeeded', __meta_kubernetes_namespace: 'x' })).toBeNull();
  });

  test('GIVEN either agent WHEN rendered THEN the read positions live in the state directory (the hostPath)', () => {
    expect((promtailConfig(renderOpts) as any).positions).toEqual({ filename: '/var/lib/log-agent/positions.yaml' });
    // Alloy keeps loki.source.file positions under --storage.path, which the DaemonSet sets to the same directory.
    expect(alloyConfig(renderOpts)).toMatch(/loki\.source\.file "pods"/);
  });
});

describe('the pipeline on sample lines', () => {
  test('GIVEN a CRI line with Go slog JSON WHEN processed THEN the line stays whole, level is a label and the trace id is metadata', () => {
    const json = '{"time":"2026-04-22T17:00:00.000Z","level":"ERROR","msg":"payment failed","service":"order-service","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","user_id":"018f5678-1234-7def-abc0-123456789abc"}';
    const [entry] = simulatePipeline(stages, targets('order-service', 'go-ecommerce'), [cri(json)], '/var/log/pods/a/0.log');
    expect(entry.line).toBe(json);
    expect(entry.labels).toEqual({ namespace: 'go-ecommerce', pod: 'order-service-0', container: 'order-service', app: 'order-service', job: POD_LOGS_JOB, level: 'error' });
    expect(entry.extracted.msg).toBe('payment failed');
    expect(entry.structuredMetadata).toEqual({ trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' });
  });

  test('GIVEN a logstash-logback-encoder line split by the runtime into partial CRI lines WHEN processed THEN it is one entry with message and traceId', () => {
    const json = '{"@timestamp":"2026-04-22T17:00:01.000Z","@version":"1","message":"Task scheduled","logger_name":"com.example.Tasks","level":"WARN","level_value":30000,"traceId":"0af7651916cd43dd8448eb211c80319c"}';
    const lines = [cri(json.slice(0, 60), 'stdout', 'P', 1), cri(json.slice(60), 'stdout', 'F', 2)];
    const out = simulatePipeline(stages, targets('gateway', 'java-gateway'), lines, 'f');
    expect(out).toHaveLength(1);
    expect(out[0].line).toBe(json);
    expect(out[0].labels.level).toBe('warn');
    expect(out[0].extracted.msg).toBe('Task scheduled');
    expect(out[0].structuredMetadata).toEqual({ trace_id: '0af7651916cd43dd8448eb211c80319c' });
  });

  test('GIVEN a plain-text line WHEN processed THEN it passes unchanged with level unknown', () => {
    const [entry] = simulatePipeline(stages, targets('nginx', 'web'), [cri('10.0.0.1 - - "GET / HTTP/1.1" 200')], 'f');
    expect(entry.line).toBe('10.0.0.1 - - "GET / HTTP/1.1" 200');
    expect(entry.labels.level).toBe('unknown');
    expect(entry.structuredMetadata).toEqual({});
  });

  // PostgreSQL 17 output (Query Identifier needs 16+); the next test uses real PostgreSQL 15 output.
  const plan17 = [
    '2026-04-22 17:00:02.000 UTC [42] LOG:  duration: 612.345 ms  plan:',
    '\t{',
    '\t  "Query Text": "SELECT * FROM tasks WHERE owner = $1",',
    '\t  "Plan": {',
    '\t    "Node Type": "Seq Scan",',
    '\t    "Relation Name": "tasks",',
    '\t    "Total Cost": 1234.50',
    '\t  },',
    '\t  "Query Identifier": -3519224012473921052',
    '\t}',
  ];

  test('GIVEN a multi-line auto_explain JSON plan in CRI stderr lines WHEN processed THEN it is one JSON entry with the exact query id', () => {
    const lines = [
      ...plan17.map((l, i) => cri(l, 'stderr', 'F', i)),
      cri('2026-04-22 17:00:03.000 UTC [43] ERROR:  relation "nope" does not exist', 'stderr', 'F', 20),
    ];
    const out = simulatePipeline(stages, targets('postgres', 'java-tasks'), lines, 'f');
    expect(out).toHaveLength(2);
    const doc = JSON.parse(out[0].line);
    expect(doc).toEqual({
      source: 'auto_explain',
      duration_ms: 612.345,
      // Exactly as logged: a JSON number would have rounded it to -3519224012473921000.
      query_id: '-3519224012473921052',
      plan: {
        'Query Text': 'SELECT * FROM tasks WHERE owner = $1',
        Plan: { 'Node Type': 'Seq Scan', 'Relation Name': 'tasks', 'Total Cost': 1234.5 },
        'Query Identifier': -3519224012473921052,
      },
    });
    // The plan viewer's query: |= "auto_explain" | json | query_id=~"..."
    expect(out[0].line).toContain('auto_explain');
    expect(out[0].labels).toEqual({ ...targets('postgres', 'java-tasks'), level: 'info' });
    expect(out[1].line).toBe('2026-04-22 17:00:03.000 UTC [43] ERROR:  relation "nope" does not exist');
    expect(out[1].labels.level).toBe('error');
  });

  test('GIVEN the same plan lines from a pod that is not PostgreSQL WHEN processed THEN nothing is merged or rewritten', () => {
    const out = simulatePipeline(stages, targets('worker', 'java-tasks'), plan17.map((l, i) => cri(l, 'stderr', 'F', i)), 'f');
    expect(out).toHaveLength(plan17.length);
    expect(out[0].line).toBe(plan17[0]);
  });

  test('GIVEN the image version of PostgreSQL with auto_explain.log_format=json WHEN its stderr log is fed through the pipeline THEN the plan arrives as one JSON entry with its Query Identifier', async () => {
    const stderr = await realAutoExplainLog();
    expect(stderr).toMatch(/ ms {2}plan:\n\t\{/);
    const lines = stderr.trimEnd().split('\n').map((l, i) => cri(l, 'stderr', 'F', i));
    const out = simulatePipeline(stages, targets('postgres', 'java-tasks'), lines, 'f');
    const plans = out.filter((e) => e.line.includes('"source":"auto_explain"'));
    expect(plans.length).toBeGreaterThanOrEqual(1);
    const entry = plans.find((p) => p.line.includes('owner_marker'))!;
    const doc = JSON.parse(entry.line);
    expect(doc.plan.Plan['Node Type']).toBe('Seq Scan');
    expect(doc.plan.Plan['Relation Name']).toBe('tasks');
    expect(typeof doc.duration_ms).toBe('number');
    // PostgreSQL 16 and later log the Query Identifier with compute_query_id and log_verbose.
    expect(doc.query_id).toMatch(/^-?\d+$/);
    // Read from the text: the 64-bit id does not survive JSON.parse as a number.
    expect(doc.query_id).toBe(/"Query Identifier":\s*(-?\d+)/.exec(entry.line)?.[1]);
    // No line of the plan was left behind as an entry of its own.
    expect(out.filter((e) => e.line.startsWith('\t'))).toEqual([]);
  });
});

/** Runs a throw-away PostgreSQL (the image's version) with auto_explain in JSON and returns its stderr log. */
async function realAutoExplainLog(): Promise<string> {
  const pg = await startPostgres({
    settings: {
      shared_preload_libraries: 'auto_explain',
      'auto_explain.log_min_duration': '0',
      'auto_explain.log_format': 'json',
      'auto_explain.log_verbose': 'on',
      compute_query_id: 'on',
      log_line_prefix: '%m [%p] ',
    },
  });
  try {
    const r = pg.psql(['-c', "create table tasks(id int, owner text); select * from tasks where owner = 'owner_marker';"]);
    if (r.code !== 0) throw new Error(`psql failed: ${r.stderr}`);
  } finally {
    await pg.stop();
  }
  return fs.readFileSync(pg.logFile, 'utf8');
}
