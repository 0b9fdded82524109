import { Chart, Testing } from 'cdk8s';
import { sharedDatabases } from './module';
import * as kplus from 'cdk8s-plus-28';
import { promqlErrors, logqlErrors } from '../../../test/support/query-parsers';
import { parseConfig } from '../../config/loader';
import { renderDashboard } from '../../kit/dashboard';
import { queryPerformanceDashboard } from './dashboard';
import { initSql } from './init-sql';
import { databaseUrlEnv, ObservablePostgres, ObservablePostgresProps } from './postgres';
import { exporterArgs } from './exporter';
import { autoExplainLokiRules } from './rules';
import { parseServerArgs, serverArgs, serverSettings } from './settings';
import { SharedPostgres } from './shared-postgres';

const secrets = {
  grafanaReaderPassword: { secretName: 'pg-obs', key: 'grafana-reader-password' },
  exporterPassword: { secretName: 'pg-obs', key: 'exporter-password' },
};

/** A user's own PostgreSQL StatefulSet, written so that the official image can start under cdk8s-plus' defaults. */
function userStatefulSet(chart: Chart, args?: string[]) {
  const service = new kplus.Service(chart, 'svc', { metadata: { name: 'db', namespace: 'apps' }, clusterIP: 'None', ports: [{ port: 5432 }] });
  const sts = new kplus.StatefulSet(chart, 'db', {
    metadata: { name: 'db', namespace: 'apps' },
    service,
    securityContext: { user: 999, group: 999, fsGroup: 999 },
  });
  const container = sts.addContainer({
    name: 'postgres',
    image: 'postgres:16.4',
    portNumber: 5432,
    args,
    securityContext: { user: 999, group: 999 },
    envVariables: {
      PGDATA: kplus.EnvValue.fromValue('/var/lib/postgresql/data/pgdata'),
      POSTGRES_PASSWORD: kplus.EnvValue.fromSecretValue({ secret: kplus.Secret.fromSecretName(chart, 'su', 'db-superuser'), key: 'password' }),
    },
  });
  container.mount('/var/run/postgresql', kplus.Volume.fromEmptyDir(chart, 'run', 'run'));
  container.mount('/tmp', kplus.Volume.fromEmptyDir(chart, 'tmp', 'tmp'));
  container.mount(
    '/var/lib/postgresql/data',
    kplus.Volume.fromPersistentVolumeClaim(chart, 'data', kplus.PersistentVolumeClaim.fromClaimName(chart, 'claim', 'db-data'), { name: 'data' }),
  );
  return sts;
}

function synth(extra: Partial<ObservablePostgresProps> = {}, args?: string[]) {
  const chart = Testing.chart();
  const sts = userStatefulSet(chart, args);
  const observable = new ObservablePostgres(chart, 'obs', { statefulSet: sts, databases: ['tasks'], ...secrets, ...extra });
  const objects = Testing.synth(chart) as any[];
  const statefulSet = objects.find((o) => o.kind === 'StatefulSet');
  return { observable, objects, statefulSet, containers: statefulSet.spec.template.spec.containers as any[] };
}

describe('ObservablePostgres', () => {
  test('GIVEN a user-owned StatefulSet WHEN made observable THEN the manifests match the snapshot', () => {
    expect(synth().objects).toMatchSnapshot();
  });

  test('GIVEN a plain postgres StatefulSet under cdk8s-plus defaults THEN it is refused with everything the image needs to start', () => {
    const chart = Testing.chart();
    const service = new kplus.Service(chart, 'svc', { metadata: { name: 'db' }, clusterIP: 'None', ports: [{ port: 5432 }] });
    const sts = new kplus.StatefulSet(chart, 'db', { metadata: { name: 'db' }, service, containers: [{ name: 'postgres', image: 'postgres:17', portNumber: 5432 }] });
    let message = '';
    try {
      new ObservablePostgres(chart, 'obs', { statefulSet: sts, ...secrets });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message.split('\n')).toEqual([
      'ObservablePostgres: statefulSet "db" (container "postgres") cannot start the official PostgreSQL image as written:',
      expect.stringMatching(/^ {2}- no POSTGRES_PASSWORD \(or POSTGRES_PASSWORD_FILE\)/),
      expect.stringMatching(/^ {2}- runAsNonRoot without a non-root user: .* set securityContext user and group 999/),
      expect.stringMatching(/^ {2}- no volume holds PGDATA \(\/var\/lib\/postgresql\/data\)/),
      expect.stringMatching(/^ {2}- the root filesystem is read-only and nothing is mounted at \/var\/run\/postgresql/),
      expect.stringMatching(/^ {2}- the root filesystem is read-only and nothing is mounted at \/tmp/),
    ]);
  });

  test('GIVEN PGDATA at the root of a persistent volume THEN it is refused: initdb would find lost+found', () => {
    const chart = Testing.chart();
    const sts = userStatefulSet(chart);
    sts.containers[0].env.addVariable('PGDATA', kplus.EnvValue.fromValue('/var/lib/postgresql/data'));
    expect(() => new ObservablePostgres(chart, 'obs', { statefulSet: sts, ...secrets })).toThrow(
      /PGDATA \(\/var\/lib\/postgresql\/data\) is the root of a persistent volume.*like \/var\/lib\/postgresql\/data\/pgdata/,
    );
  });

  test('GIVEN it is applied twice with the same options THEN the manifests are those of one application', () => {
    const once = synth().objects;
    const chart = Testing.chart();
    const sts = userStatefulSet(chart);
    new ObservablePostgres(chart, 'obs', { statefulSet: sts, databases: ['tasks'], ...secrets });
    const again = new ObservablePostgres(chart, 'obs-again', { statefulSet: sts, databases: ['tasks'], ...secrets });
    expect(Testing.synth(chart)).toEqual(once);
    expect(again.initSqlConfigMapName).toBe('db-observability-init');
  });

  test('fails if it is applied twice with different options', () => {
    const chart = Testing.chart();
    const sts = userStatefulSet(chart);
    new ObservablePostgres(chart, 'obs', { statefulSet: sts, databases: ['tasks'], ...secrets });
    expect(() => new ObservablePostgres(chart, 'obs-again', { statefulSet: sts, databases: ['billing'], ...secrets })).toThrow(
      'ObservablePostgres: statefulSet "db" is already observable (test/obs) with other options; apply ObservablePostgres to it once',
    );
  });

  test('GIVEN defaults THEN the server gets the default settings as -c arguments', () => {
    const { containers } = synth();
    const settings = parseServerArgs(containers[0].args);
    expect(settings).toEqual(
      expect.objectContaining({
        shared_preload_libraries: 'pg_stat_statements,auto_explain',
        compute_query_id: 'on',
        'auto_explain.log_min_duration': '500ms',
        'auto_explain.log_format': 'json',
        'auto_explain.log_verbose': 'on',
        'auto_explain.log_analyze': 'off',
      }),
    );
  });

  test('GIVEN a container with its own args THEN they are kept and the settings appended', () => {
    const { containers } = synth({}, ['-c', 'max_connections=200']);
    expect(containers[0].args.slice(0, 2)).toEqual(['-c', 'max_connections=200']);
    expect(parseServerArgs(containers[0].args).compute_query_id).toBe('on');
  });

  test('THEN the exporter sidecar reads its password from the Secret and is scraped through annotations', () => {
    const { statefulSet, containers } = synth();
    const exporter = containers.find((c) => c.name === 'postgres-exporter');
    expect(exporter.image).toBe('quay.io/prometheuscommunity/postgres-exporter:v0.19.1');
    expect(exporter.env.find((e: any) => e.name === 'DATA_SOURCE_PASS')).toEqual({
      name: 'DATA_SOURCE_PASS',
      valueFrom: { secretKeyRef: { name: 'pg-obs', key: 'exporter-password' } },
    });
    expect(exporter.resources.limits).toEqual({ cpu: '200m', memory: '128Mi' });
    expect(exporter.livenessProbe.httpGet.port).toBe('pg-metrics');
    expect(statefulSet.spec.template.metadata.annotations).toEqual(
      expect.objectContaining({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9187', 'prometheus.io/path': '/metrics' }),
    );
  });

  test('THEN the init SQL is mounted where the image runs it and its passwords come from Secrets, never from the manifests', () => {
    const { objects, containers } = synth();
    expect(containers[0].volumeMounts).toEqual(
      expect.arrayContaining([{ name: 'observability-init-sql', mountPath: '/docker-entrypoint-initdb.d', readOnly: true }]),
    );
    const env = containers[0].env.map((e: any) => [e.name, e.valueFrom?.secretKeyRef?.key]);
    expect(env).toEqual(expect.arrayContaining([['GRAFANA_READER_PASSWORD', 'grafana-reader-password'], ['POSTGRES_EXPORTER_PASSWORD', 'exporter-password']]));
    const sql = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'db-observability-init').data['50-observability.sql'];
    expect(sql).toMatch(/\\getenv grafana_reader_password GRAFANA_READER_PASSWORD/);
    expect(sql).toMatch(/PASSWORD :'grafana_reader_password'/);
    expect(sql).toMatch(/CREATE EXTENSION IF NOT EXISTS pg_stat_statements/);
    expect(sql).toMatch(/GRANT pg_monitor TO grafana_reader/);
  });

  test('THEN each database gets a Grafana datasource as grafana_reader with the password from the environment', () => {
    const { observable } = synth();
    expect(observable.grafanaDatasources({ passwordEnv: 'PG_PW', postgresVersion: 17 })).toEqual([
      expect.objectContaining({
        uid: 'postgres-tasks',
        type: 'grafana-postgresql-datasource',
        url: 'db.apps.svc:5432',
        user: 'grafana_reader',
        jsonData: expect.objectContaining({ database: 'tasks', postgresVersion: 1700 }),
        secureJsonData: { password: '$__env{PG_PW}' },
      }),
    ]);
  });

  test('fails if the StatefulSet has no container', () => {
    const chart = Testing.chart();
    const service = new kplus.Service(chart, 'svc', { ports: [{ port: 5432 }] });
    const sts = new kplus.StatefulSet(chart, 'db', { metadata: { name: 'db' }, service });
    expect(() => new ObservablePostgres(chart, 'obs', { statefulSet: sts, ...secrets })).toThrow(/statefulSet "db" has no containers/);
  });

  test('fails if the StatefulSet has its own container named like the sidecar', () => {
    const chart = Testing.chart();
    const sts = userStatefulSet(chart);
    sts.addContainer({ name: 'postgres-exporter', image: 'x:1' });
    expect(() => new ObservablePostgres(chart, 'obs', { statefulSet: sts, ...secrets })).toThrow(
      'statefulSet "db" already has a container named "postgres-exporter", the name of the sidecar it adds',
    );
  });

  test('fails if the port is out of range', () => {
    expect(() => synth({ port: 70000 })).toThrow(/port must be 1-65535, got 70000/);
  });
});

describe('server settings', () => {
  test('GIVEN logAnalyze THEN timing and buffers follow it', () => {
    expect(serverSettings({ logAnalyze: true })).toEqual(
      expect.objectContaining({ 'auto_explain.log_analyze': 'on', 'auto_explain.log_timing': 'on', 'auto_explain.log_buffers': 'on' }),
    );
    expect(serverSettings()['auto_explain.log_timing']).toBe('off');
  });

  test('serverArgs and parseServerArgs are inverse', () => {
    const s = serverSettings({ slowStatementThresholdMs: 250 });
    expect(parseServerArgs(serverArgs(s))).toEqual(s);
  });

  test('fails if the threshold is not a positive whole number of milliseconds', () => {
    expect(() => serverSettings({ slowStatementThresholdMs: 0.5 })).toThrow(/slowStatementThresholdMs must be a whole number of milliseconds >= 1, got 0.5/);
  });

  test('fails if pg_stat_statements.max is below the extension minimum', () => {
    expect(() => serverSettings({ pgStatStatementsMax: 10 })).toThrow(/pgStatStatementsMax must be a whole number >= 100/);
  });

  test('fails if a -c argument is not name=value', () => {
    expect(() => parseServerArgs(['-c', 'oops'])).toThrow(/"-c oops" is not name=value/);
  });
});

describe('init SQL', () => {
  const opts = { databases: ['tasks'], grafanaReaderRole: 'grafana_reader', exporterRole: 'postgres_exporter', grafanaReaderPasswordEnv: 'A', exporterPasswordEnv: 'B' };

  test('GIVEN databases THEN each is created if missing and gets the extension, postgres included', () => {
    const sql = initSql(opts);
    expect(sql).toMatch(/WHERE NOT EXISTS \(SELECT FROM pg_catalog.pg_database WHERE datname = 'tasks'\) \\gexec/);
    expect(sql.match(/\\connect (\w+)\nCREATE EXTENSION IF NOT EXISTS pg_stat_statements;/g)).toEqual([
      '\\connect postgres\nCREATE EXTENSION IF NOT EXISTS pg_stat_statements;',
      '\\connect tasks\nCREATE EXTENSION IF NOT EXISTS pg_stat_statements;',
    ]);
  });

  test('fails if a database name is not a plain SQL identifier', () => {
    expect(() => initSql({ ...opts, databases: ["x'; DROP"] })).toThrow(/database name must be a lower-case SQL identifier.*got "x'; DROP"/);
  });

  test('fails if a password variable is not an environment variable name', () => {
    expect(() => initSql({ ...opts, exporterPasswordEnv: 'not-env' })).toThrow(/got "not-env"/);
  });
});

describe('exporter command line', () => {
  const args = exporterArgs({ configPath: '/etc/postgres-exporter/postgres_exporter.yml', port: 9187 });

  test('THEN only built-in collectors run: stat_statements with the statement text, for the top 50', () => {
    expect(args).toEqual(expect.arrayContaining(['--collector.stat_statements', '--collector.stat_statements.include_query', '--collector.stat_statements.limit=50']));
    expect(exporterArgs({ configPath: 'c', port: 1, topStatements: 10 })).toContain('--collector.stat_statements.limit=10');
  });

  test('THEN no deprecated flag is passed (custom queries, auto-discovery, constant labels)', () => {
    for (const arg of args) expect(arg).not.toMatch(/^--(extend\.query-path|auto-discover-databases|constantLabels|exclude-databases|include-databases)/);
  });

  test('THEN the configuration file is mounted where the exporter is told to read it', () => {
    const { objects, containers, statefulSet } = synth();
    const exporter = containers.find((c) => c.name === 'postgres-exporter');
    const file: string = exporter.args.find((a: string) => a.startsWith('--config.file=')).slice('--config.file='.length);
    const mount = exporter.volumeMounts.find((m: any) => file.startsWith(`${m.mountPath}/`));
    const volume = statefulSet.spec.template.spec.volumes.find((v: any) => v.name === mount.name);
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === volume.configMap.name);
    expect(cm.data[file.slice(mount.mountPath.length + 1)]).toBe('auth_modules: {}\n');
  });

  test('fails if topStatements is out of range', () => {
    expect(() => exporterArgs({ configPath: 'c', port: 1, topStatements: 0 })).toThrow(/topStatements must be a whole number from 1 to 500/);
  });
});

describe('databaseUrlEnv', () => {
  test('GIVEN a service THEN the user and password are Secret or plain variables and DATABASE_URL carries application_name, no credential', () => {
    const env = databaseUrlEnv({ service: 'task-service', host: 'postgres.java-tasks.svc', database: 'tasks', user: 'tasks', password: { secretName: 's', key: 'k' } });
    expect(env).toEqual([
      { name: 'PGUSER', value: 'tasks' },
      { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
      { name: 'DATABASE_URL', value: 'postgres://postgres.java-tasks.svc:5432/tasks?sslmode=disable&application_name=task-service' },
    ]);
  });

  test('fails if the service name would break the URL', () => {
    expect(() =>
      databaseUrlEnv({ service: 'task service', host: 'h', database: 'd', user: 'u', password: { secretName: 's', key: 'k' } }),
    ).toThrow(/service must be letters, digits, "-", "_" and ".", got "task service"/);
  });

  test('fails if the Secret reference or the TLS mode is not one Kubernetes or libpq accepts', () => {
    const ok = { service: 'svc', host: 'h', database: 'd', user: 'u', password: { secretName: 's', key: 'k' } };
    expect(() => databaseUrlEnv({ ...ok, password: { secretName: 's', key: 'pass word' } })).toThrow('databaseUrlEnv: password.key "pass word" must be a Secret key');
    expect(() => databaseUrlEnv({ ...ok, sslmode: 'prefer' as 'disable' })).toThrow('databaseUrlEnv: sslmode "prefer" must be one of disable, require, verify-full');
    expect(() => databaseUrlEnv({ ...ok, port: 0 })).toThrow('databaseUrlEnv: port must be 1-65535, got 0');
  });
});

describe('Query Performance dashboard and plan counting', () => {
  const dashboard = renderDashboard(queryPerformanceDashboard({ namespace: 'java-tasks', app: 'postgres' }));
  const panels = dashboard.json.panels as any[];

  test('THEN it has its title, the queryid variable and the panels for slow, drifting and heavy statements, plans and connections', () => {
    expect(dashboard.title).toBe('PostgreSQL Query Performance');
    expect((dashboard.json as any).templating.list.map((v: any) => v.name)).toEqual(['queryid']);
    expect(panels.map((p) => p.title)).toEqual(
      expect.arrayContaining(['Connections by Service', 'Slow-query call rate', 'Plan viewer (auto_explain)', 'Cache hit ratio']),
    );
  });

  test('THEN the latency panel says it is not a percentile', () => {
    expect(panels.find((p) => /Mean latency per queryid/.test(p.title)).title).toMatch(/not p95/);
  });

  test('THEN the plan viewer runs the auto_explain query over Loki', () => {
    const viewer = panels.find((p) => p.type === 'logs');
    expect(viewer.datasource).toEqual({ type: 'loki', uid: 'loki' });
    expect(viewer.targets[0].expr).toBe('{namespace="java-tasks", app="postgres"} |= "auto_explain" | json | query_id=~"$queryid"');
    expect(logqlErrors(viewer.targets[0].expr)).toEqual([]);
  });

  test('THEN every Prometheus query parses', () => {
    for (const p of panels.filter((x) => x.type !== 'logs')) {
      for (const t of p.targets) expect({ panel: p.title, errors: promqlErrors(t.expr) }).toEqual({ panel: p.title, errors: [] });
    }
  });

  test('THEN the Loki recording rule for plans parses as LogQL', () => {
    const rule = autoExplainLokiRules({ namespace: 'java-tasks', app: 'postgres' }).rules[0];
    expect(logqlErrors(rule.expr)).toEqual([]);
  });
});

describe('the shared PostgreSQL 17', () => {
  test('GIVEN the shared database THEN it runs restricted with its data on a claim and keeps it when deleted', () => {
    const chart = Testing.chart();
    const pg = new SharedPostgres(chart, 'pg', { namespace: 'java-tasks', superuserPassword: { secretName: 'su', key: 'pw' } });
    new ObservablePostgres(chart, 'obs', { statefulSet: pg.statefulSet, ...secrets });
    const sts = (Testing.synth(chart) as any[]).find((o) => o.kind === 'StatefulSet');
    expect(sts.spec.template.spec.securityContext).toEqual(expect.objectContaining({ runAsUser: 999, seccompProfile: { type: 'RuntimeDefault' } }));
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('20Gi');
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    expect(sts.spec.template.metadata.labels.app).toBe('postgres');
    // Only the exporter declares a port, so the annotation scrape job finds exactly one target per pod.
    expect(sts.spec.template.spec.containers.flatMap((c: any) => (c.ports ?? []).map((p: any) => p.containerPort))).toEqual([9187]);
  });
});

describe('config', () => {
  const base = [
    'environment: prod',
    'cluster: prod',
    'repository: { url: "https://example.com/repo" }',
    'grafana: { adminCredentials: { secretName: grafana-admin } }',
  ].join('\n');
  const pg = (extra: string) => `${base}\npostgres: { superuserCredentials: { secretName: su }, observabilityCredentials: { secretName: obs }, ${extra} }`;

  test('GIVEN a minimal postgres section THEN the defaults apply', () => {
    const config = parseConfig(pg('databases: [tasks]'), 'c.yaml');
    expect(config.postgres).toEqual(
      expect.objectContaining({ namespace: 'java-tasks', name: 'postgres', slowStatementThresholdMs: 500, logAnalyze: false, topStatements: 50 }),
    );
  });

  test("GIVEN services with a database THEN the shared server has each one on it (after the listed ones, once), not those on the services' own servers", () => {
    const services = [
      '  - { name: orders, namespace: shop, stack: go, database: orderdb }',
      '  - { name: tasks, namespace: shop, stack: java, database: tasks }',
      '  - { name: iam, namespace: auth, stack: go, database: iam, databaseServer: own }',
      '  - { name: cart, namespace: shop, stack: go }',
    ].join('\n');
    const config = parseConfig(`${pg('databases: [reporting, tasks]')}\nservices:\n${services}`, 'c.yaml');
    expect(sharedDatabases(config.postgres!, config)).toEqual(['reporting', 'tasks', 'orderdb']);
  });

  test('fails if a database is listed twice', () => {
    expect(() => parseConfig(pg('databases: [tasks, tasks]'), 'c.yaml')).toThrow(/postgres\.databases\[1\]: "tasks" is listed twice/);
  });

  test('fails if a database name is not an SQL identifier', () => {
    expect(() => parseConfig(pg('databases: [Tasks-DB]'), 'c.yaml')).toThrow(/postgres\.databases\[0\]: expected a lower-case SQL identifier/);
  });

  test('fails if the database would live in the privileged node-agents namespace', () => {
    expect(() => parseConfig(pg('namespace: monitoring-agents'), 'c.yaml')).toThrow(/postgres\.namespace: "monitoring-agents" is namespaces\.nodeAgents/);
  });
});
