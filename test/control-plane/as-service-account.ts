/**
 * Components run against the test's API server as their own ServiceAccount: a token from the TokenRequest API
 * (as the kubelet would project into the pod) in a kubeconfig. Prometheus' discovered targets, and
 * kube-state-metrics started with its Deployment's arguments.
 */
import * as path from 'path';
import { freePort, RunningProcess, startProcess, tempDir } from '../support/process';
import { requireTool } from '../support/tools';
import { K8sObject } from './argocd-sync';
import { ControlPlane } from './cluster';
import { writeKubeconfig } from './pki';

export interface ActiveTarget {
  readonly labels: Record<string, string>;
  readonly discoveredLabels: Record<string, string>;
  readonly scrapePool: string;
}

/** A kubeconfig that reaches the API server with a token of `namespace/name`. */
export async function serviceAccountKubeconfig(cp: ControlPlane, namespace: string, name: string): Promise<string> {
  const review = await cp.client.create(`/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { expirationSeconds: 3600 },
  });
  const file = path.join(tempDir(`kubeconfig-${name}`), 'kubeconfig');
  return writeKubeconfig(file, cp.server, cp.pki.caCert, { token: review.status.token });
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

/**
 * kube-state-metrics with the arguments of the synthesized Deployment, as its ServiceAccount; only the ports (free
 * loopback ports), the hosts and the kubeconfig are the test's. Resolves once its probes' endpoints answer.
 */
export async function startKubeStateMetrics(cp: ControlPlane, deployment: K8sObject): Promise<{ proc: RunningProcess; metricsUrl: string }> {
  const pod = deployment.spec.template.spec;
  const container = pod.containers.find((c: any) => c.name === 'kube-state-metrics');
  const port: Record<string, number> = {};
  for (const p of container.ports) port[p.name] = await freePort();
  const byNumber = (n: number) => port[container.ports.find((p: any) => p.containerPort === n).name];
  const args = (container.args as string[]).map((a) => {
    const m = /^--(port|telemetry-port)=(\d+)$/.exec(a);
    return m ? `--${m[1]}=${byNumber(Number(m[2]))}` : a;
  });
  const kubeconfig = await serviceAccountKubeconfig(cp, deployment.metadata.namespace!, pod.serviceAccountName);
  const proc = startProcess('kube-state-metrics', requireTool('kube-state-metrics'), [...args, '--host=127.0.0.1', '--telemetry-host=127.0.0.1', `--kubeconfig=${kubeconfig}`]);
  for (const probe of [container.livenessProbe, container.readinessProbe]) {
    await proc.waitForHttp(`http://127.0.0.1:${port[probe.httpGet.port]}${probe.httpGet.path}`, 60_000);
  }
  return { proc, metricsUrl: `http://127.0.0.1:${port.metrics}/metrics` };
}
