/**
 * A team's own dashboards and datasources, from the config (examples/ha.yaml attaches one of each) and from
 * code: provisioned beside the built-in ones, and held to the same checks (lint at synth; PromQL parsing and
 * the metric catalogue here, as test/metric-catalogue.test.ts does for the shipped environments).
 */
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { seriesCatalogue } from '../src/catalog/metrics';
import { loadConfigFile, parseConfig } from '../src/config/loader';
import { StackConfig } from '../src/config/schema';
import * as table from '@grafana/grafana-foundation-sdk/table';
import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { DEPLOY_ANNOTATION_TAG, GridLayout, newDashboard, timeseriesPanel } from '../src/kit/presets';
import { lintDashboard } from '../src/kit/lint';
import { Stack } from '../src/stack';
import { synthesize } from '../src/synth';
import { dashboards, ruleFiles } from './support/dist-files';
import { dashboardPromQueries, queryProblems, withRecordingRules } from './support/metric-check';
import { promqlErrors } from './support/query-parsers';
import { tempDir } from './support/process';
import { REPO_ROOT, synthesizedExamples } from './support/synth-fixture';

const EXAMPLE = path.join(REPO_ROOT, 'examples', 'ha.yaml');
const exampleConfig = loadConfigFile(EXAMPLE);
const envDir = path.join(synthesizedExamples(), exampleConfig.environment);

function manifests(file: string): any[] {
  return parseAllDocuments(fs.readFileSync(path.join(envDir, file), 'utf8')).map((d) => d.toJS());
}

describe('GIVEN examples/ha.yaml, which attaches a dashboard file and a datasource', () => {
  const userUids = exampleConfig.grafana.dashboards.map((d) => JSON.parse(fs.readFileSync(path.resolve(path.dirname(EXAMPLE), d.file), 'utf8')).uid);
  const boards = dashboards(envDir).filter((b) => userUids.includes(b.json.uid));
  const grafana = manifests('grafana.k8s.yaml');

  test('THEN each of its dashboards is provisioned through its own ConfigMap, holding the file written to dist', () => {
    expect(userUids.length).toBeGreaterThan(0);
    expect(boards.map((b) => b.json.uid).sort()).toEqual([...userUids].sort());
    for (const b of boards) {
      const cm = grafana.find((o) => o.kind === 'ConfigMap' && o.metadata.name === `grafana-dashboard-${b.json.uid}`);
      expect(JSON.parse(cm.data[`${b.json.uid}.json`])).toEqual(b.json);
      expect(b.json.id).toBeUndefined();
    }
  });

  test('THEN they pass the built-in lint against every datasource Grafana has, and every Prometheus query parses and is catalogued', () => {
    const uids = ['prometheus', 'loki', 'jaeger', '-- Grafana --', ...exampleConfig.grafana.datasources.map((d) => d.uid)];
    expect(boards.flatMap((b) => lintDashboard(b.json, DEPLOY_ANNOTATION_TAG, uids))).toEqual([]);
    const queries = boards.flatMap((b) => dashboardPromQueries(b.json));
    expect(queries.length).toBeGreaterThan(0);
    const rules = ruleFiles(envDir).flatMap((f) => f.groups.flatMap((g) => g.rules));
    const { catalogue } = withRecordingRules(seriesCatalogue(), rules as any);
    expect(queries.flatMap((q) => [...promqlErrors(q.expr), ...queryProblems(q, catalogue)])).toEqual([]);
  });

  test('THEN each datasource is provisioned with its secure fields read from the Secret, never written into dist', () => {
    const provisioning = grafana.find((o) => o.kind === 'ConfigMap' && Object.keys(o.data ?? {}).some((k) => k.includes('datasources')));
    const text = Object.values(provisioning.data).join('\n');
    const container = grafana.find((o) => o.kind === 'StatefulSet' || o.kind === 'Deployment').spec.template.spec.containers[0];
    for (const spec of exampleConfig.grafana.datasources) {
      expect(text).toContain(`uid: ${spec.uid}`);
      for (const [field, ref] of Object.entries(spec.secureJsonData ?? {})) {
        const variable = /\$__env\{([A-Z0-9_]+)\}/.exec(text.slice(text.indexOf(`uid: ${spec.uid}`)).split(`${field}:`)[1] ?? '')?.[1];
        expect(variable).toBeDefined();
        expect(container.env).toContainEqual({ name: variable, valueFrom: { secretKeyRef: { name: ref.secretName, key: ref.key } } });
      }
    }
  });

  test('THEN the stack opens no NetworkPolicy towards them: their namespaces are not the stack’s', () => {
    const text = fs.readFileSync(path.join(envDir, 'security.k8s.yaml'), 'utf8');
    for (const spec of exampleConfig.grafana.datasources) expect(text).not.toContain(spec.url.split('.')[1]);
  });
});

/** A Stack of examples/ha.yaml with another grafana section, its dashboard files in a temp directory. */
function stackWith(grafana: Partial<StackConfig['grafana']>, files: Record<string, unknown> = {}, extra: { dashboards?: DashboardBuilder[] } = {}) {
  const dir = tempDir('user-dashboards');
  for (const [name, json] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), typeof json === 'string' ? json : JSON.stringify(json));
  const config: StackConfig = { ...exampleConfig, grafana: { ...exampleConfig.grafana, dashboards: [], datasources: [], ...grafana } };
  return new Stack(new App(), 'stack', config, { sourceIdentity: '0000000', argocd: new App(), configDir: dir, ...extra });
}

function exampleDashboard(): any {
  return JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'examples', 'dashboards', 'orders-team.json'), 'utf8'));
}
const ORDERS_DB = exampleConfig.grafana.datasources[0];

describe('user dashboards from code', () => {
  /** A team's dashboard built with the SDK: a Prometheus panel and a table on the team's own datasource. */
  function teamDashboard() {
    const layout = new GridLayout();
    return newDashboard({ uid: 'team-orders', title: 'Team orders', tags: ['orders'] })
      .withPanel(
        timeseriesPanel({
          title: 'Order requests',
          targets: [{ expr: 'sum(rate(http_server_requests_total{service="order-service"}[5m]))' }],
          gridPos: layout.place(12, 8),
        }),
      )
      .withPanel(new table.PanelBuilder().title('Open orders').datasource({ type: ORDERS_DB.type, uid: ORDERS_DB.uid }).gridPos(layout.place(12, 8)));
  }

  test('GIVEN a builder on a user datasource THEN it is provisioned like the file ones', () => {
    const stack = stackWith({ datasources: [ORDERS_DB] }, {}, { dashboards: [teamDashboard()] });
    const json = JSON.parse(stack.files.get('dashboards/team-orders.json')!);
    expect(json.panels.map((p: any) => p.datasource.uid)).toEqual(['prometheus', ORDERS_DB.uid]);
  });

  test('fails if the builder reads a datasource Grafana will not have', () => {
    expect(() => stackWith({}, {}, { dashboards: [teamDashboard()] })).toThrow(/panel "Open orders" uses datasource uid "orders-db", not one Grafana will have/);
  });
});

describe('bad user dashboards and datasources are refused at synth, naming the field and file', () => {
  test('fails if the file does not exist', () => {
    expect(() => stackWith({ dashboards: [{ file: 'missing.json' }] })).toThrow(/grafana\.dashboards\[0\]\.file "missing\.json": no such file/);
  });

  test('fails if the file is not JSON', () => {
    expect(() => stackWith({ dashboards: [{ file: 'd.json' }] }, { 'd.json': '{ "uid": ' })).toThrow(/grafana\.dashboards\[0\]\.file "d\.json": .*JSON/);
  });

  test('fails if a panel reads a datasource Grafana will not have', () => {
    // The example without its datasource: the panel on "orders-db" points nowhere.
    expect(() => stackWith({ dashboards: [{ file: 'd.json' }] }, { 'd.json': exampleDashboard() })).toThrow(
      'grafana.dashboards[0].file "d.json": dashboard "orders-team": panel "Orders waiting for payment" uses datasource uid "orders-db", not one Grafana will have',
    );
  });

  test('fails if the dashboard has no deploy annotation, or overlapping panels', () => {
    const d = exampleDashboard();
    d.annotations.list = [];
    d.panels[1].gridPos.x = 6;
    expect(() => stackWith({ dashboards: [{ file: 'd.json' }], datasources: [ORDERS_DB] }, { 'd.json': d })).toThrow(
      /overlaps panel[\s\S]*no deploy annotation \(tag "deploy"\)/,
    );
  });

  test('GIVEN an export with rows and a mixed panel THEN rows query nothing and are let through, and each target is checked', () => {
    const d = exampleDashboard();
    d.panels = [
      { id: 10, type: 'row', title: 'Requests', collapsed: false, gridPos: { x: 0, y: 0, w: 24, h: 1 }, panels: [] },
      { ...d.panels[0], gridPos: { x: 0, y: 1, w: 12, h: 8 } },
      {
        ...d.panels[1],
        gridPos: { x: 12, y: 1, w: 12, h: 8 },
        datasource: { type: 'datasource', uid: '-- Mixed --' },
        targets: [d.panels[0].targets[0], { ...d.panels[1].targets[0], refId: 'B' }],
      },
      { id: 11, type: 'row', title: 'Database', collapsed: true, gridPos: { x: 0, y: 9, w: 24, h: 1 }, panels: [{ ...d.panels[1], id: 12, gridPos: { x: 0, y: 10, w: 12, h: 8 } }] },
    ];
    const stack = stackWith({ dashboards: [{ file: 'd.json' }], datasources: [ORDERS_DB] }, { 'd.json': d });
    expect(JSON.parse(stack.files.get('dashboards/orders-team.json')!).panels).toHaveLength(4);

    d.panels[3].panels[0].datasource = { type: 'mysql', uid: 'legacy-db' };
    d.panels[2].targets[1].datasource = undefined;
    expect(() => stackWith({ dashboards: [{ file: 'd.json' }], datasources: [ORDERS_DB] }, { 'd.json': d })).toThrow(
      /panel "Orders waiting for payment" target B has no known datasource[\s\S]*panel "Orders waiting for payment" uses datasource uid "legacy-db"/,
    );
  });

  test('fails if the dashboard takes the uid of a built-in one', () => {
    const d = { ...exampleDashboard(), uid: 'stack-health' };
    expect(() => stackWith({ dashboards: [{ file: 'd.json' }], datasources: [ORDERS_DB] }, { 'd.json': d })).toThrow(
      'grafana.dashboards[0].file "d.json": uid "stack-health" is already the uid of a built-in dashboard; choose another',
    );
  });

  test('fails if the file was exported for sharing externally', () => {
    const d = { ...exampleDashboard(), __inputs: [{ name: 'DS_PROMETHEUS', type: 'datasource' }] };
    expect(() => stackWith({ dashboards: [{ file: 'd.json' }], datasources: [ORDERS_DB] }, { 'd.json': d })).toThrow(/exported "for sharing externally"/);
  });

  test('fails if a datasource takes the uid or the name of a built-in one', () => {
    expect(() => stackWith({ datasources: [{ ...ORDERS_DB, uid: 'loki' }] })).toThrow(
      'grafana.datasources[0].uid: "loki" is already the uid of a built-in datasource; choose another',
    );
    expect(() => stackWith({ datasources: [{ ...ORDERS_DB, name: 'Prometheus' }] })).toThrow('grafana.datasources[0].name: "Prometheus" is already the name of a built-in datasource');
  });

  test('fails if the metric catalogue does not know a metric the dashboard reads (the check can fail)', () => {
    const d = exampleDashboard();
    d.panels[0].targets[0].expr = 'sum(rate(http_server_request_total{service="order-service"}[5m]))';
    const stack = stackWith({ dashboards: [{ file: 'd.json' }], datasources: [ORDERS_DB] }, { 'd.json': d });
    const queries = dashboardPromQueries(JSON.parse(stack.files.get('dashboards/orders-team.json')!));
    expect(queries.flatMap((q) => queryProblems(q, seriesCatalogue()))).toEqual([expect.stringContaining('unknown metric "http_server_request_total"')]);
  });

  test('fails in the config if a datasource uid or a dashboard path is malformed', () => {
    const base = fs.readFileSync(EXAMPLE, 'utf8');
    expect(() => parseConfig(base.replace('uid: orders-db', 'uid: Orders DB'), 'ha.yaml')).toThrow(/grafana\.datasources\[0\]\.uid.*expected a stable uid/);
    expect(() => parseConfig(base.replace('file: dashboards/orders-team.json', 'file: dashboards/orders-team.yaml'), 'ha.yaml')).toThrow(
      /grafana\.dashboards\[0\]\.file.*expected the path of a Grafana dashboard JSON file/,
    );
  });

  test('GIVEN synth of a config whose dashboard is broken THEN the error names the config file and the output stays as it was', () => {
    const dir = tempDir('user-dashboards-synth');
    const out = path.join(dir, 'out');
    fs.mkdirSync(path.join(out, 'central'), { recursive: true });
    fs.writeFileSync(path.join(out, 'central', 'marker'), 'before');
    fs.mkdirSync(path.join(dir, 'dashboards'));
    fs.writeFileSync(path.join(dir, 'dashboards', 'orders-team.json'), JSON.stringify({ ...exampleDashboard(), uid: 'Orders' }));
    fs.copyFileSync(EXAMPLE, path.join(dir, 'ha.yaml'));
    expect(() => synthesize({ config: path.join(dir, 'ha.yaml'), out, sourceRoot: REPO_ROOT })).toThrow(
      /ha\.yaml: grafana\.dashboards\[0\]\.file "dashboards\/orders-team\.json": dashboard "Orders team": uid "Orders" must be 1-40 lower-case/,
    );
    expect(fs.readdirSync(path.join(out, 'central'))).toEqual(['marker']);
  });
});
