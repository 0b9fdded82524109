/**
 * The synthesized PostgreSQL pod of an environment, read from its manifests and run for real: the server with
 * the synthesized settings and init SQL (test/support/postgres.ts), and postgres_exporter with the synthesized
 * command line and environment. Only addresses, paths and the Secrets' values are the test's own.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { parseServerArgs } from '../../src/components/postgres/settings';
import { startPostgres, PostgresServer } from './postgres';
import { freePort, RunningProcess, startProcess } from './process';
import { requireTool } from './tools';

type Obj = { kind: string; metadata: { name: string; namespace?: string }; data?: Record<string, string>; spec?: any };
type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } };

/** The values the tests give the Secrets the manifests reference (`<secret>/<key>`). */
export const SECRET_VALUES: Record<string, string> = {
  'postgres-observability/exporter-password': 'exp-Secret-1',
  'postgres-observability/grafana-reader-password': 'reader-Secret-1',
  'postgres-superuser/postgres-password': 'super-Secret-1',
};

/** Resolves a container's environment as the kubelet would, with the test's Secret values. */
export function resolveEnv(env: EnvVar[] = []): Record<string, string> {
  return Object.fromEntries(
    env.map((e) => {
      if (e.value !== undefined) return [e.name, e.value];
      const ref = e.valueFrom?.secretKeyRef;
      const value = ref && SECRET_VALUES[`${ref.name}/${ref.key}`];
      if (value === undefined) throw new Error(`no test value for ${e.name} (${JSON.stringify(e.valueFrom)})`);
      return [e.name, value];
    }),
  );
}

/** What an environment's postgres.k8s.yaml says about its PostgreSQL pod. */
export function synthesizedPostgres(envDir: string) {
  const objects = parseAllDocuments(fs.readFileSync(path.join(envDir, 'postgres.k8s.yaml'), 'utf8')).map((d) => d.toJS() as Obj);
  const sts = objects.find((o) => o.kind === 'StatefulSet')!;
  const podSpec = sts.spec.template.spec;
  const serverContainer = podSpec.containers.find((c: any) => c.name === 'postgres');
  const exporterContainer = podSpec.containers.find((c: any) => c.name === 'postgres-exporter');
  /** The file a container sees at `file`, from the ConfigMap volume mounted there. */
  const mountedFile = (container: any, file: string): string => {
    const mount = container.volumeMounts.find((m: any) => file.startsWith(`${m.mountPath}/`));
    if (!mount) throw new Error(`${container.name}: nothing is mounted at ${file}`);
    const volume = podSpec.volumes.find((v: any) => v.name === mount.name);
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === volume?.configMap?.name);
    const data = cm?.data?.[file.slice(mount.mountPath.length + 1)];
    if (data === undefined) throw new Error(`${container.name}: ${file} is not in the ConfigMap mounted at ${mount.mountPath}`);
    return data;
  };
  const initSql = mountedFile(serverContainer, '/docker-entrypoint-initdb.d/50-observability.sql');
  const exporterArgs: string[] = exporterContainer.args;
  const configFlag = exporterArgs.find((a) => a.startsWith('--config.file='))!;
  return {
    sts,
    settings: parseServerArgs(serverContainer.args),
    initSql,
    serverEnv: resolveEnv(serverContainer.env),
    exporterEnv: resolveEnv(exporterContainer.env),
    exporterArgs,
    exporterConfig: mountedFile(exporterContainer, configFlag.slice('--config.file='.length)),
    /** The first application database the synthesized init SQL creates. */
    database: [...initSql.matchAll(/SELECT 'CREATE DATABASE (\w+)'/g)].map((m) => m[1]).find((d) => d !== 'postgres')!,
  };
}
export type SynthesizedPostgres = ReturnType<typeof synthesizedPostgres>;

/** Starts the server with the synthesized settings and runs the init SQL as the image's entrypoint would. */
export async function startSynthesizedServer(spec: SynthesizedPostgres): Promise<PostgresServer> {
  const pg = await startPostgres({ settings: spec.settings });
  const r = pg.psql(['-f', '-'], { input: spec.initSql, env: spec.serverEnv });
  if (r.code !== 0) throw new Error(`init SQL failed: ${r.stderr}`);
  return pg;
}

/** The exporter with its own arguments, its config file from its ConfigMap and a loopback port, reading `pg`. */
export async function startSynthesizedExporter(
  name: string,
  spec: SynthesizedPostgres,
  pg: PostgresServer,
  workDir: string,
): Promise<{ exporter: RunningProcess; metricsUrl: string }> {
  const configFile = path.join(workDir, 'postgres_exporter.yml');
  fs.writeFileSync(configFile, spec.exporterConfig);
  const port = await freePort();
  const args = spec.exporterArgs.map((a) =>
    a.startsWith('--config.file=') ? `--config.file=${configFile}` : a.startsWith('--web.listen-address=') ? `--web.listen-address=127.0.0.1:${port}` : a,
  );
  const uri = spec.exporterEnv.DATA_SOURCE_URI.replace(/^localhost:\d+\//, `127.0.0.1:${pg.port}/`);
  // Only the pod's variables: nothing of this machine's PG* environment leaks in.
  const exporter = startProcess(name, requireTool('postgres_exporter'), args, {
    cwd: workDir,
    env: { ...Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith('PG')).map((k) => [k, undefined])), ...spec.exporterEnv, DATA_SOURCE_URI: uri },
  });
  const metricsUrl = `http://127.0.0.1:${port}/metrics`;
  await exporter.waitForHttp(metricsUrl, 30_000);
  return { exporter, metricsUrl };
}

/** The StatefulSet's first pod as the API would list it, its exporter on `metricsUrl`'s loopback port. */
export function exporterPod(spec: SynthesizedPostgres, metricsUrl: string): Record<string, unknown> {
  const template = spec.sts.spec.template;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${spec.sts.metadata.name}-0`,
      namespace: spec.sts.metadata.namespace,
      labels: template.metadata.labels,
      annotations: { ...template.metadata.annotations, 'prometheus.io/port': new URL(metricsUrl).port },
    },
    spec: { ...template.spec, nodeName: 'node-a' },
    status: { phase: 'Running', podIP: '127.0.0.1' },
  };
}

/**
 * A logical replication slot, as Debezium creates one, with a consumer reading it (so the slot is active):
 * pg_recvlogical, from the PostgreSQL client on PATH like psql, writing the changes to `outFile`.
 * Stopping the consumer leaves the slot inactive where it last confirmed, as a stopped connector does.
 */
export async function logicalSlotWithConsumer(pg: PostgresServer, dbname: string, slot: string, outFile: string): Promise<RunningProcess> {
  // test_decoding is PostgreSQL's own text output plugin; Debezium uses pgoutput, which needs a publication.
  const created = pg.psql(['-c', `SELECT pg_create_logical_replication_slot('${slot}', 'test_decoding')`], { conn: pg.conninfo(dbname) });
  if (created.code !== 0) throw new Error(`creating slot ${slot}: ${created.stderr}`);
  const consumer = startProcess(`pg_recvlogical ${slot}`, 'pg_recvlogical', ['-d', pg.conninfo(dbname), '--slot', slot, '--start', '-f', outFile, '--no-loop']);
  for (let i = 0; pg.psql(['-c', `SELECT active FROM pg_replication_slots WHERE slot_name = '${slot}'`]).stdout.trim() !== 't'; i++) {
    if (i > 300) throw new Error(`the consumer of slot ${slot} did not connect: ${consumer.log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return consumer;
}
