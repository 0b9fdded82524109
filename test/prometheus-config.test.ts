import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { toYaml } from '../src/lib/yaml';
import { prometheusYaml } from './support/dist-files';
import { environments, synthesizedShippedConfigs } from './support/synth-fixture';
import { requireTool, run } from './support/tools';

/**
 * The scrape config is checked by two real tools, because neither checks all
 * of it: Debian's promtool is built without Kubernetes discovery, and vmagent
 * only knows the scrape part. vmagent checks the scrape jobs, discovery
 * included; promtool checks the rest with discovery swapped for a static target.
 */
const out = synthesizedShippedConfigs();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'prom-config-'));

/** The service account files exist only inside a pod, and both checkers open them: stand them in. */
function standInServiceAccountFiles(config: any): void {
  const token = path.join(work, 'token');
  const ca = path.join(work, 'ca.crt');
  fs.writeFileSync(token, 'x');
  fs.writeFileSync(ca, '');
  for (const job of config.scrape_configs) {
    if (job.authorization?.credentials_file) job.authorization.credentials_file = token;
    if (job.tls_config?.ca_file) job.tls_config.ca_file = ca;
  }
}

function vmagentDryRun(configText: string, name: string) {
  const file = path.join(work, `${name}.vmagent.yml`);
  const config = parse(configText);
  standInServiceAccountFiles(config);
  // Keys vmagent does not know (rule evaluation, the Alertmanagers) are checked by promtool below.
  delete config.rule_files;
  delete config.global.evaluation_interval;
  delete config.alerting;
  fs.writeFileSync(file, toYaml(config));
  return run(requireTool('vmagent'), [`-promscrape.config=${file}`, '-promscrape.config.dryRun', '-promscrape.config.strictParse'], {
    cwd: work,
  });
}

describe.each(environments(out))('prometheus.yml of %s', (env) => {
  const text = prometheusYaml(path.join(out, env));

  test('vmagent accepts every scrape job, Kubernetes discovery included', () => {
    const result = vmagentDryRun(text, env);
    expect({ code: result.code, err: result.code === 0 ? '' : result.stderr }).toEqual({ code: 0, err: '' });
  });

  test('promtool check config accepts the rest, with discovery replaced by a static target', () => {
    const config = parse(text);
    for (const job of config.scrape_configs) {
      if (job.kubernetes_sd_configs) {
        delete job.kubernetes_sd_configs;
        job.static_configs = [{ targets: ['localhost:1'] }];
      }
    }
    standInServiceAccountFiles(config);
    fs.mkdirSync(path.join(work, env), { recursive: true });
    config.rule_files = [path.join(out, env, 'rules', '*.yaml')];
    const file = path.join(work, env, 'prometheus.yml');
    fs.writeFileSync(file, toYaml(config));
    const result = run(requireTool('promtool'), ['check', 'config', file]);
    expect({ code: result.code, output: result.code === 0 ? '' : result.stdout + result.stderr }).toEqual({ code: 0, output: '' });
  });

  test('scrapes annotated pods, every exporter and backend of the stack, the kubelet (cAdvisor, volume stats) and itself every 15 s', () => {
    const config = parse(text);
    expect(config.global.scrape_interval).toBe('15s');
    expect(config.scrape_configs.map((j: any) => j.job_name).sort()).toEqual(
      [
        'gpu-exporter',
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
        'promtail',
      ].sort(),
    );
    const pods = config.scrape_configs.find((j: any) => j.job_name === 'kubernetes-pods');
    const sources = pods.relabel_configs.flatMap((r: any) => r.source_labels ?? []);
    for (const annotation of ['scrape', 'port', 'path', 'scheme']) {
      expect(sources).toContain(`__meta_kubernetes_pod_annotation_prometheus_io_${annotation}`);
    }
    expect(config.global.external_labels).toEqual({ cluster: env, environment: env });
  });
});

describe('the checkers can fail', () => {
  test('vmagent rejects a misspelled scrape field', () => {
    const broken = prometheusYaml(path.join(out, 'prod')).replace('relabel_configs:', 'relabel_config:');
    const result = vmagentDryRun(broken, 'broken');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/relabel_config/);
  });
});
