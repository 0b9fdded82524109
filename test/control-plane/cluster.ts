/**
 * A real Kubernetes control plane on loopback for the tests: etcd, kube-apiserver, kube-controller-manager
 * and kube-scheduler, at the versions of the catalogue (scripts/tools/catalog.ts), with certificates, a
 * ServiceAccount signing key and an admin credential made for the run (pki.ts).
 *
 * There is no kubelet, no container runtime and no CNI: nodes are API objects (nodes.ts), and what a kubelet
 * would report about a pod is written by the test.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as https from 'https';
import * as path from 'path';
import { freePort, RunningProcess, startProcess, tempDir } from '../support/process';
import { requireTool } from '../support/tools';
import { KubeClient } from './kube-client';
import { makePki, Pki, writeKubeconfig } from './pki';

/** The Service network; its first address is the `kubernetes` Service, in the API server's certificate. */
const SERVICE_CIDR = '10.96.0.0/16';
const KUBERNETES_SERVICE_IP = '10.96.0.1';
/** The control plane's address on the simulated node network (nodes.ts uses 10.0.0.11 and up). */
const ADVERTISE_ADDRESS = '10.0.0.2';
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export interface ControlPlane {
  readonly server: string;
  readonly dir: string;
  readonly pki: Pki;
  /** The admin kubeconfig (system:masters). */
  readonly kubeconfig: string;
  /** The admin's client. */
  readonly client: KubeClient;
  readonly processes: readonly RunningProcess[];
  /** Runs the catalogue's kubectl with the admin kubeconfig (asynchronously: the simulated nodes keep
   * renewing their leases meanwhile). */
  kubectl(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }>;
  /** How long each step of the start took, in ms. */
  readonly startup: Readonly<Record<string, number>>;
  stop(): Promise<void>;
}

/** Waits for an HTTPS health endpoint that trusts the run's CA; fails with the log if the process exits. */
async function waitForHttps(proc: RunningProcess, url: string, ca: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const caPem = fs.readFileSync(ca);
  let last = '';
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
      throw new Error(`${proc.name} exited (${proc.child.exitCode ?? proc.child.signalCode}) before ${url} answered. Its log:\n${proc.log()}`);
    }
    const status = await new Promise<number | string>((resolve) => {
      const req = https.get(url, { ca: caPem, timeout: 2_000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => resolve(e.message));
    });
    if (status === 200) return;
    last = String(status);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${proc.name}: ${url} did not answer 200 within ${timeoutMs} ms (last: ${last}). Its log:\n${proc.log()}`);
}

/** Kills the control plane's processes if the test process exits without stopping them (a crash, a timeout). */
function killOnExit(procs: RunningProcess[]): void {
  process.on('exit', () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  });
}

export async function startControlPlane(): Promise<ControlPlane> {
  const tools = {
    etcd: requireTool('etcd'),
    apiserver: requireTool('kube-apiserver'),
    controllerManager: requireTool('kube-controller-manager'),
    scheduler: requireTool('kube-scheduler'),
    kubectl: requireTool('kubectl'),
  };
  const dir = tempDir('control-plane');
  const startup: Record<string, number> = {};
  let t = Date.now();
  const lap = (step: string) => {
    startup[step] = Date.now() - t;
    t = Date.now();
  };
  const pki = makePki(path.join(dir, 'pki'), KUBERNETES_SERVICE_IP);
  lap('certificates');

  const procs: RunningProcess[] = [];
  killOnExit(procs);
  const stop = async () => {
    // The reverse of the start order: the API server's clients first, etcd last.
    for (const p of [...procs].reverse()) await p.stop(10_000);
  };
  try {
    const [etcdClient, etcdPeer, apiPort, kcmPort, schedulerPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    const etcd = startProcess('etcd', tools.etcd, [
      '--data-dir', path.join(dir, 'etcd'),
      '--listen-client-urls', `http://127.0.0.1:${etcdClient}`,
      '--listen-peer-urls', `http://127.0.0.1:${etcdPeer}`,
      '--unsafe-no-fsync',
      '--log-level', 'warn',
    ]); // prettier-ignore
    procs.push(etcd);
    await etcd.waitForHttp(`http://127.0.0.1:${etcdClient}/health`, 30_000);
    lap('etcd');

    const server = `https://127.0.0.1:${apiPort}`;
    const apiserver = startProcess('kube-apiserver', tools.apiserver, [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      '--bind-address=127.0.0.1',
      // The address the `kubernetes` Service's endpoints name; the endpoint reconciler refuses a loopback one.
      `--advertise-address=${ADVERTISE_ADDRESS}`,
      `--secure-port=${apiPort}`,
      `--tls-cert-file=${pki.apiserver.cert}`,
      `--tls-private-key-file=${pki.apiserver.key}`,
      `--client-ca-file=${pki.caCert}`,
      `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--authorization-mode=Node,RBAC',
      // The admission plugins of a kubeadm cluster: the defaults (NamespaceLifecycle, ServiceAccount,
      // PodSecurity, Priority, DefaultStorageClass, RuntimeClass, TaintNodesByCondition, ResourceQuota, ...)
      // and NodeRestriction.
      '--enable-admission-plugins=NodeRestriction',
      // As kubeadm: node agents (node-exporter) may use the host's network and PID namespaces.
      '--allow-privileged=true',
      '--profiling=false',
    ]);
    procs.push(apiserver);
    await waitForHttps(apiserver, `${server}/readyz`, pki.caCert, 90_000);
    lap('kube-apiserver');

    const kubeconfig = writeKubeconfig(path.join(dir, 'admin.kubeconfig'), server, pki.caCert, pki.admin);
    const kcmConfig = writeKubeconfig(path.join(dir, 'controller-manager.kubeconfig'), server, pki.caCert, pki.controllerManager);
    const schedulerConfig = writeKubeconfig(path.join(dir, 'scheduler.kubeconfig'), server, pki.caCert, pki.scheduler);
    const serving = (port: number) => [
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      `--tls-cert-file=${pki.componentServing.cert}`,
      `--tls-private-key-file=${pki.componentServing.key}`,
      `--client-ca-file=${pki.caCert}`,
    ];
    const controllerManager = startProcess('kube-controller-manager', tools.controllerManager, [
      `--kubeconfig=${kcmConfig}`,
      `--authentication-kubeconfig=${kcmConfig}`,
      `--authorization-kubeconfig=${kcmConfig}`,
      ...serving(kcmPort),
      // Every controller acts with its own ServiceAccount, as kubeadm sets it up.
      '--use-service-account-credentials=true',
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      `--root-ca-file=${pki.caCert}`,
      `--cluster-signing-cert-file=${pki.caCert}`,
      `--cluster-signing-key-file=${pki.caKey}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--leader-elect=false',
      // Removing an environment's namespaces takes the namespace controller hundreds of requests: above the
      // default 20 per second, so each removal takes seconds instead of most of a minute.
      '--kube-api-qps=200',
      '--kube-api-burst=400',
    ]);
    procs.push(controllerManager);
    const scheduler = startProcess('kube-scheduler', tools.scheduler, [
      `--kubeconfig=${schedulerConfig}`,
      `--authentication-kubeconfig=${schedulerConfig}`,
      `--authorization-kubeconfig=${schedulerConfig}`,
      ...serving(schedulerPort),
      '--leader-elect=false',
    ]);
    procs.push(scheduler);
    await Promise.all([
      waitForHttps(controllerManager, `https://127.0.0.1:${kcmPort}/healthz`, pki.caCert, 60_000),
      waitForHttps(scheduler, `https://127.0.0.1:${schedulerPort}/healthz`, pki.caCert, 60_000),
    ]);
    lap('controller-manager and scheduler');

    const client = new KubeClient(server, { ca: pki.caCert, cert: pki.admin.cert, key: pki.admin.key });
    // Pods can be created once the ServiceAccount controller has made the namespaces' `default` accounts.
    const deadline = Date.now() + 60_000;
    while ((await client.request('GET', '/api/v1/namespaces/default/serviceaccounts/default')).status !== 200) {
      if (Date.now() > deadline) throw new Error(`the controller manager created no default ServiceAccount within 60 s. Its log:\n${controllerManager.log()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    lap('controllers working');

    const kubectlCache = path.join(dir, 'kubectl-cache');
    return {
      server,
      dir,
      pki,
      kubeconfig,
      client,
      processes: procs,
      startup,
      kubectl(args: string[], input?: string) {
        return new Promise((resolve, reject) => {
          const child = spawn(tools.kubectl, [`--kubeconfig=${kubeconfig}`, `--cache-dir=${kubectlCache}`, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
          const out: Buffer[] = [];
          const err: Buffer[] = [];
          child.stdout.on('data', (c: Buffer) => out.push(c));
          child.stderr.on('data', (c: Buffer) => err.push(c));
          const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
          child.on('error', reject);
          child.on('close', (code, signal) => {
            clearTimeout(timer);
            resolve({ code: code ?? 128, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') + (signal ? `\n[kubectl killed by ${signal}]` : '') });
          });
          child.stdin.end(input ?? '');
        });
      },
      async stop() {
        client.close();
        await stop();
      },
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
