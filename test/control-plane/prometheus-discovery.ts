/**
 * Prometheus, at the image's version, run with the synthesized scrape configuration against the test's API
 * server, as its own ServiceAccount (a token from the TokenRequest API): the only changes are where the API
 * server is and where the token and CA are, which in a pod come from the in-cluster environment.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse, stringify } from 'yaml';
import { prometheusYaml } from '../support/dist-files';
import { freePort, RunningProcess, startProcess, tempDir } from '../support/process';
import { requireTool } from '../support/tools';
import { ControlPlane } from './cluster';

export interface ActiveTarget {
  readonly labels: Record<string, string>;
  readonly discoveredLabels: Record<string, string>;
  readonly scrapePool: string;
}

/** A token for a ServiceAccount, as the kubelet would project into its pod. */
export async function serviceAccountToken(cp: ControlPlane, namespace: string, name: string): Promise<string> {
  const review = await cp.client.create(`/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { expirationSeconds: 3600 },
  });
  return review.status.token;
}

/** Starts Prometheus on the environment's prometheus.yml, discovering through `cp` as `namespace/serviceAccount`. */
export async function startPrometheus(cp: ControlPlane, envDir: string, namespace: string, serviceAccount: string): Promise<{ proc: RunningProcess; url: string }> {
  const dir = tempDir('control-plane-prometheus');
  const tokenFile = path.join(dir, 'token');
  fs.writeFileSync(tokenFile, await serviceAccountToken(cp, namespace, serviceAccount));
  const config = parse(prometheusYaml(envDir));
  for (const job of config.scrape_configs ?? []) {
    for (const sd of job.kubernetes_sd_configs ?? []) {
      sd.api_server = cp.server;
      sd.tls_config = { ca_file: cp.pki.caCert };
      sd.authorization = { credentials_file: tokenFile };
    }
  }
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), stringify(config));
  const port = await freePort();
  const proc = startProcess('prometheus', requireTool('prometheus'), [
    `--config.file=${path.join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
  ]);
  const url = `http://127.0.0.1:${port}`;
  await proc.waitForHttp(`${url}/-/ready`, 60_000);
  return { proc, url };
}

/** The active targets of one scrape pool, once there are `count` of them (or what there is after `timeoutMs`). */
export async function activeTargets(url: string, pool: string, count: number, timeoutMs = 30_000): Promise<ActiveTarget[]> {
  const deadline = Date.now() + timeoutMs;
  let targets: ActiveTarget[] = [];
  while (Date.now() < deadline) {
    const body = (await (await fetch(`${url}/api/v1/targets?state=active&scrapePool=${encodeURIComponent(pool)}`)).json()) as any;
    targets = body.data.activeTargets;
    if (targets.length >= count) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  return targets;
}
