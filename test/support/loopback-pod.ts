/**
 * A synthesized pod's files and arguments, made runnable on this machine: every volume the container mounts
 * becomes a temp directory holding what the pod would see there (ConfigMap and Secret keys as files, an empty
 * directory for a volume claim), and every path under a mount, in the arguments or in a config file, is
 * rewritten to that directory. Nothing else changes, so the binary reads the synthesized text.
 */
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from './process';

type K8sObject = { kind: string; metadata: { name: string }; data?: Record<string, string>; spec?: any };

/** Where Kubernetes puts a pod's service account token when it is mounted. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface LoopbackPod {
  /** The container as synthesized. */
  readonly container: any;
  /** The container's arguments, paths under its mounts rewritten. */
  readonly args: string[];
  /** Mount path in the pod → the temp directory standing in for it. */
  readonly mounts: ReadonlyMap<string, string>;
  /** A path inside the pod → the same file here (throws if no mount holds it). */
  local(podPath: string): string;
  /** Every string of a parsed config that is a path under a mount, rewritten; returns the same object. */
  rewritePaths<T>(config: T): T;
}

export interface LoopbackPodOptions {
  /** The keys of each Secret the pod mounts, by Secret name: the test's stand-ins for what the cluster holds. */
  readonly secrets?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** The container to take; @default the first. */
  readonly container?: string;
}

/** The pod of a StatefulSet, Deployment or DaemonSet named `workload` among `objects`. */
export function loopbackPod(objects: readonly K8sObject[], workload: string, opts: LoopbackPodOptions = {}): LoopbackPod {
  const owner = objects.find((o) => ['StatefulSet', 'Deployment', 'DaemonSet'].includes(o.kind) && o.metadata.name === workload);
  if (!owner) throw new Error(`no workload ${workload}`);
  const podSpec = owner.spec.template.spec;
  const container = opts.container ? podSpec.containers.find((c: any) => c.name === opts.container) : podSpec.containers[0];
  if (!container) throw new Error(`${workload} has no container ${opts.container}`);
  const root = tempDir(`pod-${workload}`);
  const configMap = (name: string): Record<string, string> => {
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name);
    if (!cm) throw new Error(`${workload} mounts ConfigMap ${name}, which is not synthesized`);
    return cm.data ?? {};
  };
  const secret = (name: string): Record<string, string> => {
    const s = opts.secrets?.[name];
    if (!s) throw new Error(`${workload} mounts Secret ${name}: give its keys in opts.secrets`);
    return { ...s };
  };
  const volumeFiles = (volumeName: string): Record<string, string> | undefined => {
    const v = (podSpec.volumes ?? []).find((x: any) => x.name === volumeName);
    if (v?.configMap) return configMap(v.configMap.name);
    if (v?.secret) return secret(v.secret.secretName);
    if (v?.projected) {
      return Object.assign({}, ...v.projected.sources.map((s: any) => (s.configMap ? configMap(s.configMap.name) : s.secret ? secret(s.secret.name) : {})));
    }
    if (v?.emptyDir) return {};
    // A volume claim (a template of the StatefulSet): an empty directory, as on first start.
    if ((owner.spec.volumeClaimTemplates ?? []).some((t: any) => t.metadata.name === volumeName)) return {};
    return undefined;
  };

  const mounts = new Map<string, string>();
  for (const m of container.volumeMounts ?? []) {
    const files = volumeFiles(m.name);
    if (!files) throw new Error(`${workload}: volume ${m.name} is of a kind this helper does not stand in for`);
    const dir = path.join(root, m.name);
    fs.mkdirSync(dir, { recursive: true });
    for (const [key, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, key), text);
    mounts.set(m.mountPath, dir);
  }
  if (podSpec.automountServiceAccountToken) {
    const dir = path.join(root, 'serviceaccount');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'token'), 'loopback');
    fs.writeFileSync(path.join(dir, 'ca.crt'), '');
    fs.writeFileSync(path.join(dir, 'namespace'), 'default');
    mounts.set(SERVICE_ACCOUNT_DIR, dir);
  }
  // Longest first, so a mount inside another mount wins.
  const byLength = [...mounts.keys()].sort((a, b) => b.length - a.length);
  const rewrite = (value: string): string | undefined => {
    const mount = byLength.find((m) => value === m || value.startsWith(`${m}/`));
    return mount === undefined ? undefined : mounts.get(mount)! + value.slice(mount.length);
  };
  const walk = (value: any): any => {
    if (typeof value === 'string') return rewrite(value) ?? value;
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === 'object') {
      for (const k of Object.keys(value)) value[k] = walk(value[k]);
    }
    return value;
  };
  const args = (container.args ?? []).map((a: string) => {
    const m = /^(--?[\w.-]+=)(.*)$/.exec(a);
    return m ? m[1] + (rewrite(m[2]) ?? m[2]) : rewrite(a) ?? a;
  });
  return {
    container,
    args,
    mounts,
    local(podPath: string): string {
      const p = rewrite(podPath);
      if (p === undefined) throw new Error(`${podPath} is under none of ${workload}'s mounts`);
      return p;
    },
    rewritePaths: walk,
  };
}
