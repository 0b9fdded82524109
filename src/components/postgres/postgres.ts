import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { GrafanaDatasource } from '../../kit/grafana-datasource';
import { postgresDatasource } from '../../kit/datasources';
import { contentHash } from '../../lib/hash';
import { IMAGES } from '../../lib/images';
import { checkName } from '../../lib/names';
import { standardLabels } from '../../lib/labels';
import { ResourceSpec, secureContainer } from '../../lib/workload';
import { initSql } from './init-sql';
import { EXPORTER_CONFIG_FILE, EXPORTER_CONFIG_YAML, exporterArgs, TOP_STATEMENTS } from './exporter';
import { postgresStartProblems } from './prerequisites';
import { serverArgs, serverSettings, ServerSettingsOptions } from './settings';

/** A key of an existing Secret; the stack never creates Secrets, so no password is ever in dist/. */
export interface SecretKey {
  readonly secretName: string;
  readonly key: string;
}

export interface ObservablePostgresProps {
  /** The user's PostgreSQL StatefulSet; it is changed in place. */
  readonly statefulSet: kplus.StatefulSet;
  /** The container running `postgres` (the official image's entrypoint). @default the first container */
  readonly container?: kplus.Container;
  /** Databases to create if missing, equip with pg_stat_statements and open to grafana_reader. @default [] */
  readonly databases?: readonly string[];
  /** Password of the `grafana_reader` role. */
  readonly grafanaReaderPassword: SecretKey;
  /** Password of the exporter's role. */
  readonly exporterPassword: SecretKey;
  /** pg_stat_statements / auto_explain settings. @default see `serverSettings()` */
  readonly settings?: ServerSettingsOptions;
  /** Statements the exporter publishes per scrape, by total time. @default 50 */
  readonly topStatements?: number;
  /** @default 5432 */
  readonly port?: number;
  /** @default 10m/32Mi requests, 200m/128Mi limits */
  readonly exporterResources?: ResourceSpec;
}

export const GRAFANA_READER_ROLE = 'grafana_reader';
export const EXPORTER_ROLE = 'postgres_exporter';
export const EXPORTER_PORT = 9187;
/** Where the official image runs `*.sql` files, as the superuser, when it initialises an empty data directory. */
export const INIT_SQL_DIR = '/docker-entrypoint-initdb.d';
export const INIT_SQL_FILE = '50-observability.sql';
const EXPORTER_CONFIG_DIR = '/etc/postgres-exporter';
const GRAFANA_READER_PASSWORD_ENV = 'GRAFANA_READER_PASSWORD';
const EXPORTER_PASSWORD_ENV = 'POSTGRES_EXPORTER_PASSWORD';
const DEFAULT_EXPORTER_RESOURCES: ResourceSpec = {
  requests: { cpu: '10m', memory: '32Mi' },
  limits: { cpu: '200m', memory: '128Mi' },
};

/** StatefulSets already made observable, with the options used and where. */
const APPLIED = new WeakMap<kplus.StatefulSet, { readonly identity: string; readonly path: string }>();

/**
 * Makes a user-owned PostgreSQL StatefulSet observable:
 * - server settings (`-c` arguments) preloading pg_stat_statements and
 *   auto_explain, so slow statements are counted and their plans logged as JSON;
 * - idempotent initialisation SQL (extension, `grafana_reader` and exporter
 *   roles) in a ConfigMap, run by the image at first start and safe to re-run
 *   (`psql -f /docker-entrypoint-initdb.d/50-observability.sql`) on an existing
 *   data directory;
 * - a postgres_exporter sidecar with its built-in collectors (`exporter.ts`),
 *   scraped through the `prometheus.io/*` pod annotations like every workload.
 *
 * The StatefulSet must be able to start the official image (see
 * `prerequisites.ts`): a superuser password, a non-root user when
 * runAsNonRoot is set (cdk8s-plus' default), a volume for PGDATA and, on a
 * read-only root filesystem (cdk8s-plus' default too), writable socket and
 * temp directories. Whatever is missing is listed in one error. Applying it
 * again with the same options changes nothing.
 */
export class ObservablePostgres extends Construct {
  public readonly settings: Record<string, string>;
  public readonly initSql: string;
  public readonly exporterArgs: readonly string[];
  public readonly initSqlConfigMapName: string;
  public readonly exporterConfigMapName: string;
  /** `<service>.<namespace>.svc:<port>`, what clients and Grafana connect to. */
  public readonly host: string;
  public readonly port: number;
  public readonly databases: readonly string[];

  constructor(scope: Construct, id: string, props: ObservablePostgresProps) {
    super(scope, id);
    const sts = props.statefulSet;
    const containers = sts.containers;
    const container = props.container ?? containers[0];
    const index = containers.indexOf(container);
    if (!container || index < 0) {
      throw new Error(`ObservablePostgres: statefulSet "${sts.name}" has no container${props.container ? ` named "${props.container.name}"` : 's'}`);
    }
    this.port = props.port ?? 5432;
    if (!Number.isInteger(this.port) || this.port < 1 || this.port > 65535) {
      throw new Error(`ObservablePostgres: port must be 1-65535, got ${props.port}`);
    }
    const namespace = sts.metadata.namespace;
    this.host = `${sts.service.name}.${namespace ?? 'default'}.svc`;
    this.databases = [...(props.databases ?? [])];

    this.settings = serverSettings(props.settings);
    this.initSql = initSql({
      databases: this.databases,
      grafanaReaderRole: GRAFANA_READER_ROLE,
      exporterRole: EXPORTER_ROLE,
      grafanaReaderPasswordEnv: GRAFANA_READER_PASSWORD_ENV,
      exporterPasswordEnv: EXPORTER_PASSWORD_ENV,
    });
    this.exporterArgs = exporterArgs({
      configPath: `${EXPORTER_CONFIG_DIR}/${EXPORTER_CONFIG_FILE}`,
      port: EXPORTER_PORT,
      topStatements: props.topStatements ?? TOP_STATEMENTS,
    });
    this.initSqlConfigMapName = `${sts.name}-observability-init`;
    this.exporterConfigMapName = `${sts.name}-exporter-config`;

    // Applied again with the same options, it changes nothing; with other options, it says so.
    const identity = JSON.stringify({
      container: container.name,
      port: this.port,
      settings: this.settings,
      initSql: this.initSql,
      exporterArgs: this.exporterArgs,
      secrets: [props.grafanaReaderPassword, props.exporterPassword],
      exporterResources: props.exporterResources ?? DEFAULT_EXPORTER_RESOURCES,
    });
    const earlier = APPLIED.get(sts);
    if (earlier) {
      if (earlier.identity !== identity) {
        throw new Error(
          `ObservablePostgres: statefulSet "${sts.name}" is already observable (${earlier.path}) with other options; apply ObservablePostgres to it once`,
        );
      }
      return;
    }

    if (containers.some((c) => c.name === 'postgres-exporter')) {
      throw new Error(`ObservablePostgres: statefulSet "${sts.name}" already has a container named "postgres-exporter", the name of the sidecar it adds`);
    }

    // The pod as written so far, JSON patches included: what the kubelet would get without this construct.
    const rendered = ApiObject.of(sts).toJson();
    const claimTemplates = ((rendered.spec.volumeClaimTemplates ?? []) as { metadata?: { name?: string } }[]).map((t) => t.metadata?.name ?? '');
    const problems = postgresStartProblems(rendered.spec.template.spec, index, claimTemplates);
    if (problems.length > 0) {
      throw new Error(
        `ObservablePostgres: statefulSet "${sts.name}" (container "${container.name}") cannot start the official PostgreSQL image as written:\n` +
          problems.map((p) => `  - ${p}`).join('\n'),
      );
    }
    APPLIED.set(sts, { identity, path: this.node.path });

    const labels = standardLabels({ name: 'postgres-exporter', component: 'database-metrics', image: IMAGES.postgresExporter });
    new k8s.KubeConfigMap(this, 'init-sql', {
      metadata: { name: this.initSqlConfigMapName, namespace, labels },
      data: { [INIT_SQL_FILE]: this.initSql },
    });
    new k8s.KubeConfigMap(this, 'exporter-config', {
      metadata: { name: this.exporterConfigMapName, namespace, labels },
      data: { [EXPORTER_CONFIG_FILE]: EXPORTER_CONFIG_YAML },
    });

    // The server: settings on the command line, role passwords for the init SQL.
    const secret = (key: SecretKey, idSuffix: string) =>
      kplus.EnvValue.fromSecretValue({ secret: kplus.Secret.fromSecretName(this, `secret-${idSuffix}`, key.secretName), key: key.key });
    container.env.addVariable(GRAFANA_READER_PASSWORD_ENV, secret(props.grafanaReaderPassword, 'grafana-reader'));
    container.env.addVariable(EXPORTER_PASSWORD_ENV, secret(props.exporterPassword, 'exporter'));
    container.mount(
      INIT_SQL_DIR,
      kplus.Volume.fromConfigMap(this, 'init-sql-volume', kplus.ConfigMap.fromConfigMapName(this, 'init-sql-ref', this.initSqlConfigMapName), {
        name: 'observability-init-sql',
      }),
      { readOnly: true },
    );
    const sts$ = ApiObject.of(sts);
    const argsPath = `/spec/template/spec/containers/${index}/args`;
    const args = serverArgs(this.settings);
    if (container.args === undefined) sts$.addJsonPatch(JsonPatch.add(argsPath, args));
    else for (const arg of args) sts$.addJsonPatch(JsonPatch.add(`${argsPath}/-`, arg));

    // The exporter sidecar, on localhost: no network path to the database is opened for it.
    sts.addVolume(
      kplus.Volume.fromConfigMap(this, 'exporter-config-volume', kplus.ConfigMap.fromConfigMapName(this, 'exporter-config-ref', this.exporterConfigMapName), {
        name: 'exporter-config',
      }),
    );
    const exporter = secureContainer({
      name: 'postgres-exporter',
      image: IMAGES.postgresExporter,
      args: [...this.exporterArgs],
      env: [
        // URI, user and password apart, so the password needs no URL-escaping and never sits in a URL.
        { name: 'DATA_SOURCE_URI', value: `localhost:${this.port}/postgres?sslmode=disable&application_name=postgres_exporter` },
        { name: 'DATA_SOURCE_USER', value: EXPORTER_ROLE },
        {
          name: 'DATA_SOURCE_PASS',
          valueFrom: { secretKeyRef: { name: props.exporterPassword.secretName, key: props.exporterPassword.key } },
        },
      ],
      ports: [{ name: 'pg-metrics', containerPort: EXPORTER_PORT }],
      resources: props.exporterResources ?? DEFAULT_EXPORTER_RESOURCES,
      liveness: { path: '/', port: 'pg-metrics' },
      readiness: { path: '/', port: 'pg-metrics' },
      volumeMounts: [{ name: 'exporter-config', mountPath: EXPORTER_CONFIG_DIR, readOnly: true }],
      // The image's `nobody` user.
      runAsUser: 65534,
      runAsGroup: 65534,
    });
    // The patched object is serialized by the L1 StatefulSet again, which reads Quantity and
    // IntOrString as `{ value }`: so the L1 container goes in as is, not as JSON.
    sts$.addJsonPatch(JsonPatch.add('/spec/template/spec/containers/-', exporter));

    const pod = sts.podMetadata;
    pod.addAnnotation('prometheus.io/scrape', 'true');
    pod.addAnnotation('prometheus.io/port', String(EXPORTER_PORT));
    pod.addAnnotation('prometheus.io/path', '/metrics');
    // Settings, init SQL and the exporter's command line change together with a rollout.
    pod.addAnnotation('checksum/observability', contentHash(JSON.stringify(this.settings), this.initSql, JSON.stringify(this.exporterArgs)));
  }

  /** One Grafana datasource per database, logging in as grafana_reader with the password from `passwordEnv`. */
  grafanaDatasources(opts: { readonly passwordEnv: string; readonly postgresVersion: number }): GrafanaDatasource[] {
    return this.databases.map((database) => ({
      name: `PostgreSQL ${database}`,
      type: postgresDatasource(database).type,
      uid: postgresDatasource(database).uid,
      url: `${this.host}:${this.port}`,
      editable: false,
      user: GRAFANA_READER_ROLE,
      jsonData: {
        database,
        sslmode: 'disable',
        postgresVersion: opts.postgresVersion * 100,
        maxOpenConns: 2,
        connMaxLifetime: 14400,
      },
      // Grafana expands $__env{...} at provisioning time; the value comes from a Secret in its pod.
      secureJsonData: { password: `$__env{${opts.passwordEnv}}` },
    }));
  }

  /** A client's DATABASE_URL for one of this server's databases; see `databaseUrlEnv`. */
  databaseUrlEnv(opts: Omit<DatabaseUrlOptions, 'host' | 'port'>): k8s.EnvVar[] {
    return databaseUrlEnv({ ...opts, host: this.host, port: this.port });
  }
}

export interface DatabaseUrlOptions {
  /** The service that connects; becomes `application_name`, so every connection is attributed. */
  readonly service: string;
  readonly host: string;
  /** @default 5432 */
  readonly port?: number;
  readonly database: string;
  /** The role to log in as: its name, or the Secret key that holds it. */
  readonly user: string | SecretKey;
  /** The role's password; referenced, never copied. */
  readonly password: SecretKey;
  /**
   * @default 'disable': the stack's own PostgreSQL serves no TLS (in-cluster traffic, limited by its
   * NetworkPolicy), and libpq's `require` fails against it with "server does not support SSL".
   * Use 'require' or 'verify-full' for a server that has a certificate.
   */
  readonly sslmode?: PostgresSslMode;
}

export type PostgresSslMode = 'disable' | 'require' | 'verify-full';
const SSL_MODES: readonly PostgresSslMode[] = ['disable', 'require', 'verify-full'];
const SQL_NAME = /^[a-zA-Z0-9][-_.a-zA-Z0-9]*$/;

/**
 * A client's connection environment: `PGUSER` and `PGPASSWORD` from the
 * Secret, and `DATABASE_URL` without any credential, carrying
 * `application_name=<service>`. libpq (psql, psycopg), pgx, node-postgres and
 * asyncpg take the user and password from those variables when the URL has
 * none, so the password needs no URL-escaping and is never in a manifest or a
 * URL a client might log.
 */
export function databaseUrlEnv(opts: DatabaseUrlOptions): k8s.EnvVar[] {
  const where = 'databaseUrlEnv';
  for (const [field, value] of [['service', opts.service], ['database', opts.database]] as const) {
    if (!SQL_NAME.test(value)) throw new Error(`${where}: ${field} must be letters, digits, "-", "_" and ".", got "${value}"`);
  }
  checkName(where, 'host', opts.host, 'subdomain');
  const port = opts.port ?? 5432;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${where}: port must be 1-65535, got ${opts.port}`);
  const sslmode = opts.sslmode ?? 'disable';
  if (!SSL_MODES.includes(sslmode)) throw new Error(`${where}: sslmode "${sslmode}" must be one of ${SSL_MODES.join(', ')}`);
  const secretRef = (field: string, ref: SecretKey) => {
    checkName(where, `${field}.secretName`, ref.secretName, 'subdomain');
    checkName(where, `${field}.key`, ref.key, 'key');
    return { secretKeyRef: { name: ref.secretName, key: ref.key } };
  };
  let user: k8s.EnvVar;
  if (typeof opts.user === 'string') {
    if (!SQL_NAME.test(opts.user)) throw new Error(`${where}: user must be letters, digits, "-", "_" and ".", got "${opts.user}"`);
    user = { name: 'PGUSER', value: opts.user };
  } else {
    user = { name: 'PGUSER', valueFrom: secretRef('user', opts.user) };
  }
  return [
    user,
    { name: 'PGPASSWORD', valueFrom: secretRef('password', opts.password) },
    { name: 'DATABASE_URL', value: `postgres://${opts.host}:${port}/${opts.database}?sslmode=${sslmode}&application_name=${opts.service}` },
  ];
}
