/**
 * WALBloatCritical on real binaries: the stack's PostgreSQL (17.6, the synthesized settings, so wal_level=logical
 * because a service depends on Debezium), a logical replication slot read by a consumer that then stops, as a
 * stalled connector does, and WAL written after it. postgres_exporter (0.19.1, the synthesized command line)
 * publishes the slot, Prometheus (3.13, the synthesized scrape jobs and rules) scrapes it from the annotated pod
 * and fires the alert. The threshold and the hold come from the config under test, set low: the shipped 10 GiB
 * would take minutes of writing.
 */
import * as path from 'path';
import type { StackConfig } from '../../src/config/schema';
import { WAL_SLOT } from '../../src/components/postgres/rules';
import { synthesize } from '../../src/synth';
import { startFakeKubeApi } from '../support/fake-kube-api';
import { backendSwitch } from '../support/metrics-backend';
import { PostgresServer } from '../support/postgres';
import { exporterPod, logicalSlotWithConsumer, startSynthesizedExporter, startSynthesizedServer, synthesizedPostgres } from '../support/postgres-pod';
import { startPrometheus, startReceiverSink } from '../support/prometheus-pods';
import { expectCleanLog, stopAll, tempDir } from '../support/process';
import { configVariant, shippedConfigs } from '../support/synth-fixture';

jest.setTimeout(240_000);
afterAll(stopAll);

/** Low enough that a few thousand rows exceed it. */
const THRESHOLD_BYTES = 2 ** 20;
const SLOT = 'debezium_orders';

const base = shippedConfigs().find((c) => c.config.postgres !== undefined);

/** The config under test with the alert set low, evaluated by Prometheus, and a service that depends on Debezium. */
function variant(file: string, config: StackConfig): string {
  const declares = config.services.some((s) => s.dependencies.includes('debezium'));
  return configVariant(file, `${config.environment}-wal`, [
    ...backendSwitch('prometheus'),
    [['alerting', 'engine'], 'prometheus'],
    [['alerting', 'rules', 'WALBloatCritical'], { for: '0s', thresholds: { bytes: THRESHOLD_BYTES } }],
    ...(declares
      ? []
      : [[['services'], config.services.map((s, i) => (i === 0 ? { ...s, dependencies: [...s.dependencies, 'debezium'] } : s))] as [string[], unknown]]),
  ]);
}

test('a config under test runs the stack\'s PostgreSQL', () => {
  expect(base?.file).toBeDefined();
});

describe(`${base ? path.basename(base.file) : 'no config with postgres'}: a stalled logical slot fires WALBloatCritical`, () => {
  if (!base) return;
  const out = tempDir('wal-slot');
  synthesize({ config: variant(base.file, base.config), out });
  const envDir = path.join(out, base.config.environment);
  const spec = synthesizedPostgres(envDir);
  const namespace = spec.sts.metadata.namespace;

  let pg: PostgresServer;
  beforeAll(async () => {
    pg = await startSynthesizedServer(spec);
  });
  afterAll(async () => pg?.stop());

  test('the server runs with wal_level=logical, which Debezium\'s slot needs', () => {
    expect(spec.settings.wal_level).toBe('logical');
    expect(pg.psql(['-c', 'SHOW wal_level']).stdout.trim()).toBe('logical');
  });

  test('the exporter publishes the slot, Prometheus scrapes it, and once its consumer stops and WAL grows past the threshold the alert fires for that slot', async () => {
    const work = tempDir('wal-slot-run');
    const consumer = await logicalSlotWithConsumer(pg, spec.database, SLOT, path.join(work, 'changes.txt'));
    const { exporter, metricsUrl } = await startSynthesizedExporter('postgres_exporter (wal)', spec, pg, work);
    const api = await startFakeKubeApi({ lists: { pods: [exporterPod(spec, metricsUrl)] } });
    const sink = await startReceiverSink();
    const prometheus = await startPrometheus(envDir, { kubeconfig: api.kubeconfig, alertmanager: new URL(sink.url).host });
    const query = async (q: string) => ((await (await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(q)}`)).json()) as any).data.result;
    const until = async <T>(what: string, probe: () => Promise<T | undefined>, ms = 120_000): Promise<T> => {
      for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((r) => setTimeout(r, 2_000))) {
        const found = await probe();
        if (found !== undefined) return found;
      }
      throw new Error(`${what} within ${ms / 1000} s. Prometheus:\n${prometheus.proc.log().slice(-3000)}`);
    };
    try {
      // While the consumer reads, the exporter publishes where it confirmed; Prometheus keeps the last one.
      const confirmed = await until('no confirmed position scraped', async () => {
        const r = await query(`${WAL_SLOT.confirmed}{slot_name="${SLOT}"}`);
        return r.length > 0 ? r : undefined;
      });
      expect(confirmed.map((s: any) => s.metric)).toEqual([
        expect.objectContaining({ __name__: WAL_SLOT.confirmed, namespace, pod: `${spec.sts.metadata.name}-0`, slot_name: SLOT, slot_type: 'logical' }),
      ]);

      // The connector stops: the slot stays, inactive, and the exporter no longer says where it confirmed.
      await consumer.stop();
      await until('the slot is still active', async () =>
        pg.psql(['-c', `SELECT active FROM pg_replication_slots WHERE slot_name = '${SLOT}'`]).stdout.trim() === 'f' ? true : undefined,
      );
      const published = await (await fetch(metricsUrl)).text();
      expect(published).toMatch(new RegExp(`^${WAL_SLOT.current}\\{slot_name="${SLOT}",slot_type="logical"\\} `, 'm'));
      expect(published).not.toMatch(new RegExp(`^${WAL_SLOT.confirmed}\\{slot_name="${SLOT}"`, 'm'));

      // Writes go on: the slot holds back their WAL.
      const write = pg.psql(['-c', "CREATE TABLE orders AS SELECT g AS id, repeat('x', 200) AS payload FROM generate_series(1, 20000) g"], { conn: pg.conninfo(spec.database) });
      expect({ code: write.code, stderr: write.stderr }).toEqual({ code: 0, stderr: '' });
      const retained = Number(
        pg.psql(['-c', `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn) FROM pg_replication_slots WHERE slot_name = '${SLOT}'`]).stdout,
      );
      expect(retained).toBeGreaterThan(THRESHOLD_BYTES);

      const alert = await until('WALBloatCritical did not fire', async () => {
        const alerts = ((await (await fetch(`${prometheus.url}/api/v1/alerts`)).json()) as any).data.alerts;
        return alerts.find((a: any) => a.labels.alertname === 'WALBloatCritical' && a.state === 'firing');
      });
      expect(alert.labels).toEqual({ alertname: 'WALBloatCritical', namespace, slot_name: SLOT, severity: 'critical' });
      // What Prometheus measured is what the server says the slot holds back, give or take the little WAL the
      // server writes on its own between the scrape and the check.
      expect(Math.abs(Number(alert.value) - retained)).toBeLessThan(2 ** 20);
      expectCleanLog(exporter.name, exporter.log());
      expectCleanLog(prometheus.proc.name, prometheus.proc.log());
    } finally {
      await prometheus.proc.stop();
      await exporter.stop();
      await sink.close();
      await api.close();
    }
  });
});
