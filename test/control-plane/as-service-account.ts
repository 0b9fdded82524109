/**
 * Components run against the test's API server as their own ServiceAccount: a token from the TokenRequest API
 * (as the kubelet would project into the pod) in a kubeconfig. Prometheus' discovered targets, and
 * kube-state-metrics started with its Deployment's arguments.
 */
import * as fs from 'fs';
import * as path from 'path';
import { executableByOthers, freePort, RunningProcess, runAsOf, startProcess, tempDir } from '../support/process';
import { requireTool } from '../support/tools';
import { K8sObject } from './argocd-sync';
import { ControlPlane } from './cluster';
import { writeKubeconfig } from './pki';

export interface ActiveTarget {
  readonly labels: Record<string, string>;
  readonly discoveredLabels: Record<string, string>;
  readonly scrapePool: string;
}

/** A token of the ServiceAccount `namespace/name`, from the TokenRequest API as the kubelet gets it. */
async function serviceAccountToken(cp: ControlPlane, namespace: string, name: string): Promise<string> {
  const review = await cp.client.create(`/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { expirationSeconds: 3600 },
  });
  return review.status.token;
}

/** A kubeconfig that reaches the API server with a token of `namespace/name`. */
export async function serviceAccountKubeconfig(cp: ControlPlane, namespace: string, name: string): Promise<string> {
  const file = path.join(tempDir(`kubeconfig-${name}`), 'kubeconfig');
  return writeKubeconfig(file, cp.server, cp.pki.caCert, { token: await serviceAccountToken(cp, namespace, name) });
}

/** Where the kubelet mounts a pod's ServiceAccount volume, and client-go and leader election read it. */
const SERVICE_ACCOUNT_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface InPod {
  /** The pod's namespace (the ServiceAccount's). */
  readonly namespace: string;
  readonly podSpec: any;
  readonly container: any;
  readonly binary: string;
  /** The container's arguments, with the test's ports and paths. */
  readonly args: string[];
}

/**
 * Starts a container's binary the way the pod runs it, as far as the Kubernetes API can tell: in a mount
 * namespace of its own where the ServiceAccount volume is at its real path (a TokenRequest token of the pod's
 * ServiceAccount, the cluster CA, the pod's namespace), with KUBERNETES_SERVICE_HOST and _PORT set, as the
 * container's user. So client-go's in-cluster config, and code that reads the namespace file (leader
 * election's lock namespace), behave exactly as in the cluster; nothing on the host is changed.
 * Needs root, for the mount namespace (CI runs as root).
 */
export async function startInPod(cp: ControlPlane, name: string, pod: InPod): Promise<RunningProcess> {
  if (process.getuid?.() !== 0) throw new Error(`${name}: running a binary as in a pod needs root (a mount namespace for ${SERVICE_ACCOUNT_MOUNT}); run the tests as root`);
  const volume = tempDir(`serviceaccount-${pod.podSpec.serviceAccountName}`);
  fs.chmodSync(volume, 0o755);
  const files: Record<string, string> = {
    token: await serviceAccountToken(cp, pod.namespace, pod.podSpec.serviceAccountName),
    'ca.crt': fs.readFileSync(cp.pki.caCert, 'utf8'),
    namespace: pod.namespace,
  };
  for (const [file, content] of Object.entries(files)) fs.writeFileSync(path.join(volume, file), content, { mode: 0o644 });
  const account = runAsOf(pod.podSpec, pod.container);
  const binary = account ? executableByOthers(pod.binary) : pod.binary;
  // /var/run is /run here: a private tmpfs over /run holds the mount point, so the host's /run stays untouched.
  const script = [
    'set -e',
    'mount -t tmpfs -o mode=0755 tmpfs /run',
    `mkdir -p ${SERVICE_ACCOUNT_MOUNT}`,
    `mount --bind -o ro "$0" ${SERVICE_ACCOUNT_MOUNT}`,
    account ? `exec setpriv --reuid=${account.uid} --regid=${account.gid} --clear-groups -- "$@"` : 'exec "$@"',
  ].join('\n');
  const api = new URL(cp.server);
  const env: Record<string, string> = { KUBERNETES_SERVICE_HOST: api.hostname, KUBERNETES_SERVICE_PORT: api.port };
  for (const e of pod.container.env ?? []) if (typeof e.value === 'string') env[e.name] = e.value;
  return startProcess(name, 'unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, volume, binary, ...pod.args], { env });
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
