import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import * as fs from 'fs';
import { renderDashboard } from '../src/kit/dashboard';
import { lintDashboard } from '../src/kit/lint';
import { DEPLOY_ANNOTATION_TAG, GridLayout, newDashboard, timeseriesPanel } from '../src/kit/presets';
import { dashboards } from './support/dist-files';
import { logqlErrors, promqlErrors } from './support/query-parsers';
import { environments, synthesizedShippedConfigs, shippedConfigOf } from './support/synth-fixture';
import { requireTool, run } from './support/tools';
import * as os from 'os';
import { toYaml } from '../src/lib/yaml';

const out = synthesizedShippedConfigs();

/**
 * The uids are part of the contract: bookmarks, links and alert annotations
 * point at them. Changing this list must be a deliberate act.
 */
const STABLE_UIDS = [
  'agent-loop',
  'gpu',
  'grpc-clients',
  'kafka-consumers',
  'kubernetes',
  'logs',
  'postgres-query-performance',
  'runtimes',
  'saga',
  'service-overview',
  'slo-overview',
  'stack-health',
  'telemetry-pipeline',
];

describe.each(environments(out))('dashboards of %s', (env) => {
  const envDir = path.join(out, env);
  const boards = dashboards(envDir);
  // The config's own dashboards and datasources (grafana.dashboards, grafana.datasources) come on top of the stack's.
  const { file: configFile, config } = shippedConfigOf(env);
  const ownUids = config.grafana.dashboards.map((d) => JSON.parse(fs.readFileSync(path.resolve(path.dirname(configFile), d.file), 'utf8')).uid);

  test('GIVEN the config THEN every dashboard of the issue exists under its stable uid, the RabbitMQ one where it declares a broker, and the config\'s own beside them', () => {
    const rabbitmq = shippedConfigOf(env).config.rabbitmq ? ['rabbitmq'] : [];
    expect(boards.map((b) => b.json.uid).sort()).toEqual([...STABLE_UIDS, ...rabbitmq, ...ownUids].sort());
    for (const b of boards) expect(path.basename(b.file)).toBe(`${b.json.uid}.json`);
  });

  test('lint: unique panel ids, no overlap, datasources, refIds and deploy annotations', () => {
    const own = config.grafana.datasources.map((d) => d.uid);
    expect(boards.flatMap((b) => lintDashboard(b.json, DEPLOY_ANNOTATION_TAG, own))).toEqual([]);
  });

  test('every Prometheus and Loki query parses', () => {
    const errors: string[] = [];
    let loki = 0;
    for (const b of boards) {
      for (const p of b.json.panels) {
        for (const t of p.targets ?? []) {
          const type = t.datasource?.type ?? p.datasource.type;
          if (type === 'prometheus') errors.push(...promqlErrors(t.expr).map((e) => `${b.json.uid} "${p.title}": ${e}`));
          if (type === 'loki') {
            loki++;
            errors.push(...logqlErrors(t.expr).map((e) => `${b.json.uid} "${p.title}": ${e}`));
          }
        }
      }
    }
    expect(loki).toBeGreaterThan(3);
    expect(errors).toEqual([]);
  });

  test('promtool type-checks every Prometheus panel query (as recording rules, with Grafana variables expanded)', () => {
    // The lezer grammar checks syntax only; promtool also rejects type errors such as rate() of an instant vector.
    const exprs = boards.flatMap((b) =>
      b.json.panels.flatMap((p: any) =>
        (p.targets ?? []).filter((t: any) => (t.datasource?.type ?? p.datasource.type) === 'prometheus').map((t: any) => t.expr as string),
      ),
    );
    const expanded = exprs.map((e) => e.replace(/\$__rate_interval|\$__interval|\$__range/g, '5m'));
    expect(expanded.join('\n')).not.toMatch(/\$(?!namespace|service|route|target|group|queryid|queue)\w/);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dashboard-promql-'));
    const file = path.join(work, 'queries.yaml');
    fs.writeFileSync(
      file,
      toYaml({ groups: [{ name: 'dashboard-queries', rules: expanded.map((expr, i) => ({ record: `dashboard:query${i}:check`, expr })) }] }),
    );
    const result = run(requireTool('promtool'), ['check', 'rules', file]);
    expect({ code: result.code, output: result.code === 0 ? '' : result.stdout + result.stderr }).toEqual({ code: 0, output: '' });
    expect(result.stdout).toContain(`SUCCESS: ${expanded.length} rules found`);
  });

  test('every dashboard is provisioned through its own ConfigMap holding the same JSON', () => {
    const docs = parseAllDocuments(fs.readFileSync(path.join(envDir, 'grafana.k8s.yaml'), 'utf8')).map((d) => d.toJS());
    for (const b of boards) {
      const cm = docs.find((d) => d?.kind === 'ConfigMap' && d.metadata.name === `grafana-dashboard-${b.json.uid}`);
      expect(JSON.parse(cm.data[`${b.json.uid}.json`])).toEqual(b.json);
    }
  });

  test('every dashboard stays under 256 KiB, the limit of a client-side applied ConfigMap (ArgoCD)', () => {
    for (const b of boards) {
      const bytes = fs.statSync(b.file).size;
      expect({ uid: b.json.uid, under: bytes < 256 * 1024 }).toEqual({ uid: b.json.uid, under: true });
    }
  });

  test('the agent loop reads logs from Loki and provider spans from Jaeger', () => {
    const agent = boards.find((b) => b.json.uid === 'agent-loop')!.json;
    const jaeger = agent.panels.filter((p: any) => p.datasource.uid === 'jaeger').map((p: any) => p.targets[0].operation);
    expect(jaeger.sort()).toEqual(['anthropic.chat', 'openai.chat']);
    expect(agent.panels.some((p: any) => p.type === 'logs' && p.datasource.uid === 'loki')).toBe(true);
  });
});

describe('dashboard lint can fail', () => {
  const base = () => {
    const grid = new GridLayout();
    return newDashboard({ uid: 'lint-test', title: 'Lint test', tags: [] })
      .withPanel(timeseriesPanel({ title: 'a', targets: [{ expr: 'up' }], gridPos: grid.place(12, 8) }))
      .withPanel(timeseriesPanel({ title: 'b', targets: [{ expr: 'up' }], gridPos: grid.place(12, 8) }));
  };

  test('GIVEN a clean dashboard THEN it renders', () => {
    expect(renderDashboard(base()).uid).toBe('lint-test');
  });

  test('fails if two panels overlap', () => {
    const b = base().withPanel(timeseriesPanel({ title: 'c', targets: [{ expr: 'up' }], gridPos: { x: 6, y: 4, w: 12, h: 8 } }));
    expect(() => renderDashboard(b)).toThrow(/panel "a" .* overlaps panel "c"/);
  });

  test('fails if a panel leaves the 24-column grid', () => {
    const b = base().withPanel(timeseriesPanel({ title: 'wide', targets: [{ expr: 'up' }], gridPos: { x: 20, y: 20, w: 8, h: 8 } }));
    expect(() => renderDashboard(b)).toThrow(/panel "wide" does not fit/);
  });

  const json = () => JSON.parse(JSON.stringify(renderDashboard(base()).json));

  test('fails if panel ids repeat', () => {
    const j = json();
    j.panels[1].id = j.panels[0].id;
    expect(lintDashboard(j, DEPLOY_ANNOTATION_TAG)).toEqual(['dashboard "lint-test": panel "b" has id 1, like panel "a"']);
  });

  test('fails if a panel has no datasource or an unknown one', () => {
    const j = json();
    delete j.panels[0].datasource;
    j.panels[1].datasource = { type: 'prometheus', uid: 'victoria' };
    j.panels[1].targets[0].datasource = undefined;
    expect(lintDashboard(j, DEPLOY_ANNOTATION_TAG)).toEqual([
      'dashboard "lint-test": panel "a" has no datasource',
      'dashboard "lint-test": panel "b" uses datasource uid "victoria", not one Grafana will have (prometheus, loki, jaeger, -- Grafana --)',
      'dashboard "lint-test": panel "b" target A has no known datasource',
    ]);
  });

  test('fails if a target has no refId', () => {
    const j = json();
    delete j.panels[0].targets[0].refId;
    expect(lintDashboard(j, DEPLOY_ANNOTATION_TAG)).toEqual(['dashboard "lint-test": panel "a" has a target without refId']);
  });

  test('fails if the deploy annotation is missing', () => {
    const j = json();
    j.annotations.list = [];
    expect(lintDashboard(j, DEPLOY_ANNOTATION_TAG)).toEqual(['dashboard "lint-test": no deploy annotation (tag "deploy")']);
  });
});
