import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { sizeBytes } from '../src/lib/units';
import { toYaml } from '../src/lib/yaml';
import { prometheusYaml } from './support/dist-files';
import { loadManifestDir } from './support/k8s-schema';
import { loopbackPod } from './support/loopback-pod';
import { deprecatedFlags, flagValue } from './support/prometheus-pods';
import { prometheusEnvDirs } from './support/prometheus-envs';
import { shippedConfigOf, shippedConfigs, shippedEnvironments } from './support/synth-fixture';
import { requireTool, run } from './support/tools';

/**
 * Every synthesized prometheus.yml is checked by the Prometheus it is written for, at the image's version:
 * `promtool check config` on the whole file, Kubernetes discovery included. (test/integration/prometheus.test.ts
 * starts the server itself with each file.)
 */
const { out, examples, all: ENV_DIRS, shipped: SHIPPED_PROMETHEUS_ENVS, checked: PROMETHEUS_ENVS } = prometheusEnvDirs();

test('every environment whose config runs Prometheus is checked (the examples run VictoriaMetrics)', () => {
  const expected = shippedConfigs()
    .filter(({ config }) => config.metrics.backend === 'prometheus' && config.topology.role !== 'agent')
    .map(({ config }) => config.environment);
  expect(SHIPPED_PROMETHEUS_ENVS.filter((d) => d.startsWith(out)).map((d) => path.basename(d)).sort()).toEqual(expected.sort());
  expect(SHIPPED_PROMETHEUS_ENVS.filter((d) => d.startsWith(examples))).toEqual([]);
  expect(ENV_DIRS.map((d) => path.basename(d)).sort()).toEqual([...shippedEnvironments(), 'central', 'edge-a'].sort());
});

/** The parsed config an environment was synthesized from (only shipped configs run Prometheus). */
function shippedConfig(env: string) {
  return shippedConfigOf(env).config;
}

/** prometheus.yml with the pod's mounts (config, rule ConfigMaps, service account) at temp paths; nothing else changed. */
function checkableConfig(envDir: string): string {
  const pod = loopbackPod(loadManifestDir(envDir) as any[], 'prometheus');
  const file = flagValue(pod.args, 'config.file');
  fs.writeFileSync(file, toYaml(pod.rewritePaths(parse(fs.readFileSync(file, 'utf8')))));
  return file;
}

function promtoolCheckConfig(file: string) {
  return run(requireTool('promtool'), ['check', 'config', file]);
}

describe.each(PROMETHEUS_ENVS.map((d): [string, string] => [path.basename(d), d]))('prometheus.yml of %s', (env, envDir) => {
  const text = prometheusYaml(envDir);

  test('promtool check config accepts the whole file, Kubernetes discovery and the mounted rule files included', () => {
    const result = promtoolCheckConfig(checkableConfig(envDir));
    expect({ code: result.code, output: result.code === 0 ? '' : result.stdout + result.stderr }).toEqual({ code: 0, output: '' });
    expect(result.stdout).toMatch(/SUCCESS: \d+ rule files found/);
    expect((result.stdout + result.stderr).split('\n').filter((l) => /warn|deprecat/i.test(l))).toEqual([]);
  });

  test('no flag of the container is one that prometheus --help marks deprecated; retention is in prometheus.yml', () => {
    const deprecated = deprecatedFlags('prometheus');
    // The parse finds the flags Prometheus 3.13 deprecated, so an empty list cannot pass by accident.
    expect(deprecated).toEqual(expect.arrayContaining(['storage.tsdb.retention.time', 'storage.tsdb.retention.size']));
    const args: string[] = loopbackPod(loadManifestDir(envDir) as any[], 'prometheus').container.args;
    expect(args.filter((a) => deprecated.some((f) => a === `--${f}` || a.startsWith(`--${f}=`)))).toEqual([]);
    const retention = parse(text).storage.tsdb.retention;
    const configured = shippedConfig(env).prometheus;
    expect(retention.time).toBe(configured.retention);
    // Prometheus' GB are powers of two, like the config's Gi.
    expect(Number(/^(\d+)GB$/.exec(retention.size)?.[1]) * 2 ** 30).toBe(sizeBytes(configured.retentionSize));
  });

  test('scrapes annotated pods, every exporter and backend of the stack, the kubelet (cAdvisor, volume stats) and itself at the configured interval', () => {
    const config = parse(text);
    const configured = shippedConfig(env);
    // metrics.scrapeInterval, or its deprecated spelling prometheus.scrapeInterval when a config still writes that.
    expect(config.global.scrape_interval).toBe(configured.prometheus.scrapeInterval ?? configured.metrics.scrapeInterval);
    expect(config.scrape_configs.map((j: any) => j.job_name).sort()).toEqual(
      [
        ...(configured.gpu.enabled ? ['gpu-exporter'] : []),
        'jaeger',
        'kube-event-exporter',
        'kube-state-metrics',
        'kubelet',
        'kubelet-cadvisor',
        'kubernetes-pods',
        'loki',
        'node-exporter',
        'otel-collector',
        'prometheus',
        configured.logs.agent,
        // A broker the config declares (rabbitmq.brokers).
        ...(configured.rabbitmq ? ['rabbitmq'] : []),
      ].sort(),
    );
    const pods = config.scrape_configs.find((j: any) => j.job_name === 'kubernetes-pods');
    const sources = pods.relabel_configs.flatMap((r: any) => r.source_labels ?? []);
    for (const annotation of ['scrape', 'port', 'path', 'scheme']) {
      expect(sources).toContain(`__meta_kubernetes_pod_annotation_prometheus_io_${annotation}`);
    }
    expect(config.global.external_labels).toEqual({ cluster: configured.cluster, environment: configured.environment });
  });
});

describe('the checks can fail', () => {
  test('promtool rejects a misspelled scrape field', () => {
    const file = checkableConfig(PROMETHEUS_ENVS[0]);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('relabel_configs:', 'relabel_config:'));
    const result = promtoolCheckConfig(file);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/relabel_config/);
  });

  test('promtool rejects a discovery role that does not exist', () => {
    const file = checkableConfig(PROMETHEUS_ENVS[0]);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('role: node', 'role: nodes'));
    const result = promtoolCheckConfig(file);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/role/);
  });
});
