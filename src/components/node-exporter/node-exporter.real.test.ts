/**
 * node_exporter at the image's version, started with the DaemonSet's synthesized arguments for every
 * environment: only the host mounts are read from this machine's own paths and the listen address is a free
 * loopback port. It must answer /metrics, log no error, warning or deprecation, and serve every node_ series the
 * rules and dashboards read.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { METRICS } from '../../catalog/metrics';
import { seriesReadIn } from '../../../test/support/metric-check';
import { executableByOthers, expectCleanLog, freePort, runAsOf, startProcess, stopAll, tempDir } from '../../../test/support/process';
import { allSynthesizedEnvironments } from '../../../test/support/synth-fixture';
import { requireTool } from '../../../test/support/tools';

jest.setTimeout(60_000);
afterAll(stopAll);

const environments = allSynthesizedEnvironments();
/** The node-exporter series any environment's rules or dashboards read (agents ship theirs to the central one). */
const read = new Set(environments.flatMap((e) => [...seriesReadIn(e.dir)]));
const nodeSeries = METRICS.filter((m) => m.source === 'node-exporter' && read.has(m.name)).map((m) => m.name);

test('the rules and dashboards read node-exporter series', () => {
  expect(nodeSeries).toEqual(expect.arrayContaining(['node_cpu_seconds_total', 'node_filesystem_avail_bytes', 'node_memory_MemAvailable_bytes']));
});

describe.each(environments.map((e) => [e.config, e] as const))('%s: node_exporter started with the DaemonSet arguments', (_config, env) => {
  const ds = parseAllDocuments(fs.readFileSync(path.join(env.dir, 'node-exporter.k8s.yaml'), 'utf8'))
    .map((d) => d.toJS())
    .find((o) => o.kind === 'DaemonSet');
  const podSpec = ds.spec.template.spec;
  const container = podSpec.containers.find((c: any) => c.name === 'node-exporter');
  const args: string[] = container.args;
  /** Each host mount: where the container sees it, and the host directory behind it. */
  const mounts: Array<{ mountPath: string; hostPath: string }> = container.volumeMounts.map((m: any) => ({
    mountPath: m.mountPath,
    hostPath: podSpec.volumes.find((v: any) => v.name === m.name).hostPath.path,
  }));
  let metrics = '';
  let log = () => '';

  beforeAll(async () => {
    const port = await freePort();
    const udevStandIn = tempDir('udev-data');
    const local = args.map((arg) => {
      if (arg.startsWith('--web.listen-address=')) return `--web.listen-address=127.0.0.1:${port}`;
      const eq = arg.indexOf('=');
      const value = arg.slice(eq + 1);
      // The longest mount path first: /host/root/run/udev/data is under /host/root.
      const mount = [...mounts].sort((a, b) => b.mountPath.length - a.mountPath.length).find((m) => value === m.mountPath || value.startsWith(`${m.mountPath}/`));
      if (!mount) return arg;
      const onHost = path.join(mount.hostPath, value.slice(mount.mountPath.length));
      // udev's database exists on a node running systemd-udevd; a container running this test may have none.
      if (arg.startsWith('--path.udev.data=') && !fs.existsSync(onHost)) return `--path.udev.data=${udevStandIn}`;
      return `${arg.slice(0, eq)}=${onHost}`;
    });
    // What was rewritten, and only that: the mounts and the address.
    expect(local.filter((a, i) => a !== args[i]).map((a) => a.split('=')[0]).sort()).toEqual(
      args.filter((a) => /^--(path\.|web\.listen-address=)/.test(a)).map((a) => a.split('=')[0]).sort(),
    );
    const account = runAsOf(podSpec, container);
    const binary = requireTool('node_exporter');
    const proc = startProcess(`node_exporter (${env.environment})`, account ? executableByOthers(binary) : binary, local, account ?? {});
    log = proc.log;
    const url = `http://127.0.0.1:${port}/metrics`;
    await proc.waitForHttp(url, 20_000);
    metrics = await (await fetch(url)).text();
  });

  const series = (name: string) => metrics.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));

  test('it runs as the pod does, not as root', () => {
    expect(podSpec.securityContext.runAsUser).toBe(65534);
    expect(log()).not.toMatch(/running as root/);
  });

  test('its log holds no error, warning or deprecation after two scrapes', () => {
    expect(log()).toMatch(/Listening on/);
    expectCleanLog(`node_exporter (${env.environment})`, log());
  });

  test('it serves every node-exporter series the rules and dashboards read', () => {
    expect(nodeSeries.filter((name) => series(name).length === 0)).toEqual([]);
    for (const collector of ['cpu', 'meminfo', 'filesystem', 'loadavg']) {
      expect(series('node_scrape_collector_success').filter((l) => l.includes(`collector="${collector}"`))).toEqual([
        `node_scrape_collector_success{collector="${collector}"} 1`,
      ]);
    }
  });

  test("its filesystem excludes apply: no pseudo or container filesystem, no kubelet or /proc mount", () => {
    const arg = (name: string) => new RegExp(args.find((a) => a.startsWith(`--collector.filesystem.${name}=`))!.split('=').slice(1).join('='));
    const [mountPoints, fsTypes] = [arg('mount-points-exclude'), arg('fs-types-exclude')];
    const filesystems = series('node_filesystem_size_bytes').map((l) => ({
      mountpoint: /mountpoint="([^"]*)"/.exec(l)![1],
      fstype: /fstype="([^"]*)"/.exec(l)![1],
    }));
    expect(filesystems.length).toBeGreaterThan(0);
    expect(filesystems.filter((f) => mountPoints.test(f.mountpoint) || fsTypes.test(f.fstype))).toEqual([]);
    // The excludes are not vacuous on this machine: it has mounts they drop.
    const mounted = fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').filter(Boolean).map((l) => l.split(' '));
    expect(mounted.filter(([, mountpoint, fstype]) => mountPoints.test(mountpoint) || fsTypes.test(fstype)).length).toBeGreaterThan(0);
  });
});
