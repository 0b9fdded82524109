import { backendSwitch } from '../support/metrics-backend';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';
import { parse } from 'yaml';
import { IMAGES } from '../../src/lib/images';
import { toYaml } from '../../src/lib/yaml';
import { synthesize } from '../../src/synth';
import { semverOfTag } from '../../scripts/tools/catalog';
import { VM_FLAGS_REFERENCE, VmFlagsReference } from '../../scripts/tools/vm-cluster-flags';
import { FakeKubeApi, startFakeKubeApi } from '../support/fake-kube-api';
import { loadManifestDir } from '../support/k8s-schema';
import { expectCleanLog, freePort, problemLines, RunningProcess, startProcess, stopAll, tempDir } from '../support/process';
import { ruleFiles } from '../support/dist-files';
import { copyConfig, REPO_ROOT } from '../support/synth-fixture';
import { requireTool, run } from '../support/tools';

/**
 * VictoriaMetrics on its own binaries at the images' version (victoria-metrics, vmagent and vmalert built from
 * the Go module at the image tag), for every config that runs it:
 *   - examples/ha.yaml: the cluster (vminsert, vmselect, vmstorage), vmagent, vmalert notifying Alertmanager;
 *   - examples/agent.yaml: vmagent alone, remote-writing to the central cluster;
 *   - config/prod.yaml and config/qa.yaml with metrics.backend "victoriametrics": the single node (qa's
 *     alerting.engine "grafana" leaves vmalert without an Alertmanager: -notifier.blackhole).
 * vmagent and vmalert first check their synthesized flags (-promscrape.config.dryRun, -dryRun); then each binary
 * starts with exactly its synthesized flags, only addresses and paths rewritten to loopback and temp
 * directories, wired as in the cluster (vmagent remote-writes to the store, vmalert reads and writes it and
 * notifies a loopback stand-in for Alertmanager), reports ready on its probe's endpoint, does its work, stops,
 * and its log must hold no error and no warning.
 *
 * The cluster binaries are built from the `-cluster` tags, which the Go module proxy does not serve, so they do
 * not run here: their flags are checked against the flags those binaries register at the image version
 * (test/references/victoriametrics-flags.json, refreshed by scripts/tools/vm-cluster-flags.ts), and the values
 * of the flags they share with the single node are checked by starting victoria-metrics with them.
 */
type K8sObject = { kind: string; metadata: { name: string; namespace?: string }; spec?: any; data?: Record<string, string> };
type Container = { name: string; args: string[]; volumeMounts?: Array<{ name: string; mountPath: string }>; readinessProbe?: any };

const work = tempDir('vm-real');
const out = path.join(work, 'out');
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** config/<env>.yaml with metrics.backend "victoriametrics", comments and all else kept. */
function singleNodeVariant(env: string): string {
  const file = path.join(work, `${env}-victoriametrics.yaml`);
  copyConfig(path.join(REPO_ROOT, 'config', `${env}.yaml`), file, backendSwitch('victoriametrics'));
  return file;
}

interface Case {
  readonly title: string;
  readonly env: string;
  readonly config: string;
  /** Where the store is: the synthesized single node, the cluster (vminsert/vmselect), or the central cluster. */
  readonly store: 'single' | 'cluster' | 'central';
}

const CASES: Case[] = [
  { title: 'examples/ha.yaml (the cluster)', env: 'central', config: path.join(REPO_ROOT, 'examples', 'ha.yaml'), store: 'cluster' },
  { title: 'examples/agent.yaml (vmagent shipping to the central cluster)', env: 'edge-a', config: path.join(REPO_ROOT, 'examples', 'agent.yaml'), store: 'central' },
  { title: 'config/prod.yaml on the single node', env: 'prod', config: singleNodeVariant('prod'), store: 'single' },
  { title: 'config/qa.yaml on the single node', env: 'qa', config: singleNodeVariant('qa'), store: 'single' },
];
for (const c of CASES) synthesize({ config: c.config, out });

const objectsOf = (env: string) => loadManifestDir(path.join(out, env)) as K8sObject[];
const find = (objects: K8sObject[], kind: string, name: string): K8sObject | undefined =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);
const get = (objects: K8sObject[], kind: string, name: string): K8sObject => {
  const found = find(objects, kind, name);
  if (!found) throw new Error(`no ${kind}/${name}`);
  return found;
};
const containerOf = (workload: K8sObject): Container => workload.spec.template.spec.containers[0];

/** `http://<service>.<namespace>.svc:<port>`: how the stack addresses a Service (its first port). */
function serviceOrigin(objects: K8sObject[], name: string): string {
  const svc = get(objects, 'Service', name);
  return `http://${name}.${svc.metadata.namespace}.svc:${svc.spec.ports[0].port}`;
}

/**
 * The pod's volumes as temp directories: a ConfigMap (plain or projected) becomes its files, a claim or an
 * emptyDir an empty directory, and the service account token (mounted where the pod asks for it) a stand-in.
 * Returns mount path → local directory.
 */
function mountVolumes(objects: K8sObject[], workload: K8sObject, root: string): Map<string, string> {
  const pod = workload.spec.template.spec;
  const mounts = new Map<string, string>();
  const configMapFiles = (name: string, dir: string) => {
    for (const [key, text] of Object.entries(get(objects, 'ConfigMap', name).data ?? {})) fs.writeFileSync(path.join(dir, key), text);
  };
  for (const m of containerOf(workload).volumeMounts ?? []) {
    const dir = path.join(root, m.name);
    fs.mkdirSync(dir, { recursive: true });
    const volume = (pod.volumes ?? []).find((v: any) => v.name === m.name);
    const claim = (workload.spec.volumeClaimTemplates ?? []).find((t: any) => t.metadata.name === m.name);
    if (volume?.configMap) configMapFiles(volume.configMap.name, dir);
    else if (volume?.projected) for (const s of volume.projected.sources) configMapFiles(s.configMap.name, dir);
    else if (!claim && !volume?.emptyDir) throw new Error(`${workload.metadata.name}: volume ${m.name} is of a kind this test does not stand in`);
    mounts.set(m.mountPath, dir);
  }
  if (pod.automountServiceAccountToken) {
    const dir = path.join(root, 'serviceaccount');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'token'), 'loopback');
    fs.writeFileSync(path.join(dir, 'namespace'), workload.metadata.namespace ?? 'default');
    mounts.set(SA_DIR, dir);
  }
  return mounts;
}

function localPath(value: string, mounts: Map<string, string>): string | undefined {
  for (const [mountPath, dir] of mounts) {
    if (value === mountPath || value.startsWith(`${mountPath}/`)) return dir + value.slice(mountPath.length);
  }
  return undefined;
}

/** Flags whose URL is a link written into alerts and pages, never connected to. */
const LINK_FLAGS = new Set(['external.url']);

/**
 * A synthesized argument as it runs on loopback: the listen address, paths under the pod's mounts and (given
 * `origins`) in-cluster URLs are rewritten; anything else is passed unchanged. A URL with no stand-in fails.
 */
function localArgs(args: readonly string[], opts: { listen: string; mounts: Map<string, string>; origins?: Record<string, string> }): string[] {
  return args.map((arg) => {
    const m = /^-([^=]+)=(.*)$/.exec(arg);
    if (!m) return arg;
    const [, name, value] = m;
    if (name === 'httpListenAddr') return `-${name}=${opts.listen}`;
    const file = localPath(value, opts.mounts);
    if (file) return `-${name}=${file}`;
    if (opts.origins && /^https?:\/\//.test(value) && !LINK_FLAGS.has(name)) {
      const origin = new URL(value).origin;
      const local = opts.origins[origin];
      if (!local) throw new Error(`${arg}: no loopback stand-in for ${origin}`);
      return `-${name}=${local}${value.slice(origin.length)}`;
    }
    return arg;
  });
}

/** Tests run processes on free loopback ports. */
async function loopback(): Promise<{ port: number; addr: string; url: string }> {
  const port = await freePort();
  return { port, addr: `127.0.0.1:${port}`, url: `http://127.0.0.1:${port}` };
}

interface StandIn {
  readonly url: string;
  /** `METHOD path` of every request. */
  readonly requests: string[];
  close(): Promise<void>;
}

async function serve(handler: (req: http.IncomingMessage, res: http.ServerResponse, requests: string[]) => void): Promise<StandIn> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}`);
    handler(req, res, requests);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A loopback stand-in for vminsert and vmselect: the cluster's tenant URLs (`/insert/0/prometheus/…`,
 * `/select/0/prometheus/…`) in front of a real single-node VictoriaMetrics, which serves the same APIs under
 * `/prometheus/…`. Any other path is a 404, so a wrong URL in the stack shows.
 */
function clusterFront(store: string): Promise<StandIn> {
  return serve((req, res) => {
    const m = /^\/(insert|select)\/0(\/prometheus\/.*)$/.exec(req.url ?? '');
    if (!m) {
      res.writeHead(404).end('not a tenant-0 URL of vminsert or vmselect');
      return;
    }
    const upstream = http.request(`${store}${m[2]}`, { method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    upstream.on('error', (e) => res.writeHead(502).end(e.message));
    req.pipe(upstream);
  });
}

/** A loopback stand-in for Alertmanager's v2 API: takes alerts, keeps their names. */
function alertmanagerStandIn(received: string[]): Promise<StandIn> {
  return serve((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/api/v2/alerts') {
        for (const a of JSON.parse(body) as Array<{ labels: Record<string, string> }>) received.push(a.labels.alertname);
        res.writeHead(200).end();
      } else {
        res.writeHead(404).end();
      }
    });
  });
}

/** The scrape config as vmagent reads it on loopback: discovery through the stand-in API, vmagent's self-scrape at its port. */
function localScrapeConfig(text: string, opts: { kubeconfig: string; mounts: Map<string, string>; selfTarget: string; self: string }): string {
  const config = parse(text);
  for (const job of config.scrape_configs) {
    for (const sd of job.kubernetes_sd_configs ?? []) sd.kubeconfig_file = opts.kubeconfig;
    for (const holder of [job.authorization, job.tls_config]) {
      for (const key of ['credentials_file', 'ca_file']) {
        if (holder?.[key]) holder[key] = localPath(holder[key], opts.mounts) ?? holder[key];
      }
    }
    for (const sc of job.static_configs ?? []) {
      sc.targets = sc.targets.map((t: string) => {
        if (t !== opts.selfTarget) throw new Error(`${job.job_name}: static target ${t} has no loopback stand-in`);
        return opts.self;
      });
    }
  }
  return toYaml(config);
}

async function getJson(url: string): Promise<any> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}: ${await res.text()}`);
  return res.json();
}

/** Polls until `check` returns a value (not undefined), or fails with the last state after `timeoutMs`. */
async function eventually<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms${last ? ` (last: ${(last as Error).message})` : ''}`);
}

/** The probe endpoint the stack gives a container, on a loopback address. */
function probeUrl(container: Container, base: string): string {
  return `${base}${container.readinessProbe.httpGet.path}`;
}

// ---------------------------------------------------------------------------------------------------------------
// The cluster binaries' flags against the flags they register at the image version.

const reference = JSON.parse(fs.readFileSync(VM_FLAGS_REFERENCE, 'utf8')) as VmFlagsReference;
type ClusterBinary = 'vminsert' | 'vmselect' | 'vmstorage';

/** Values of the types the test can read itself; a flag of another type must be checked by a real binary. */
const VALUE_CHECKS: Record<string, (v: string) => boolean> = {
  int: (v) => /^-?\d+$/.test(v),
  duration: (v) => /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(v),
  string: () => true,
  bool: (v) => v === 'true' || v === 'false',
  // A comma-separated list; vmselect's -replicationFactor is one too (`N` or `group:N` items).
  array: (v) => v.split(',').every((item) => item.length > 0),
};

/**
 * What is wrong with a binary's flags: a flag it does not register, a deprecated one, or a value that does not
 * read as the flag's type. Flags in `checkedByBinary` are left to a real binary that registers them.
 */
function flagProblems(binary: ClusterBinary | 'victoria-metrics', args: readonly string[], checkedByBinary: ReadonlySet<string> = new Set()): string[] {
  const known = reference.binaries[binary];
  const problems: string[] = [];
  for (const arg of args) {
    const m = /^-([^=]+)(?:=(.*))?$/.exec(arg);
    if (!m) {
      problems.push(`${arg}: not a flag`);
      continue;
    }
    const [, name, value] = m;
    const info = known[name];
    if (!info) problems.push(`${arg}: ${binary} ${reference.moduleVersion} has no flag -${name}`);
    else if (info.deprecated) problems.push(`${arg}: deprecated in ${binary} ${reference.moduleVersion}`);
    else if (checkedByBinary.has(name)) continue;
    else if (value === undefined ? info.type !== 'bool' : !VALUE_CHECKS[info.type]?.(value)) {
      problems.push(`${arg}: not a value of type ${info.type}${VALUE_CHECKS[info.type] ? '' : ' (no real binary checks it)'}`);
    }
  }
  return problems;
}

describe('the cluster binaries (vminsert, vmselect, vmstorage): flags against the reference at the image version', () => {
  const objects = objectsOf('central');
  const argsOf = (binary: ClusterBinary) => containerOf(get(objects, binary === 'vmstorage' ? 'StatefulSet' : 'Deployment', binary)).args;

  test('the reference is of the images’ release', () => {
    for (const image of ['vminsert', 'vmselect', 'vmstorage', 'victoriaMetrics'] as const) {
      expect(`${image} ${reference.moduleVersion}`).toBe(`${image} v${semverOfTag(IMAGES[image].tag)}`);
    }
    expect(Object.keys(reference.binaries.vmselect)).toEqual(expect.arrayContaining(['storageNode', 'replicationFactor', 'dedup.minScrapeInterval']));
  });

  test('the checker can fail: an unknown flag, a deprecated one and a value of the wrong type are reported', () => {
    expect(flagProblems('vmstorage', ['-storageNodes=a:1', '-bigMergeConcurrency=2', '-retentionPeriod=30d', '-dedup.minScrapeInterval=1x'])).toEqual([
      expect.stringMatching(/^-storageNodes=a:1: vmstorage v[\d.]+ has no flag -storageNodes$/),
      expect.stringMatching(/^-bigMergeConcurrency=2: deprecated/),
      '-retentionPeriod=30d: not a value of type value (no real binary checks it)',
      '-dedup.minScrapeInterval=1x: not a value of type duration',
    ]);
    expect(flagProblems('vminsert', ['-replicationFactor=two'])).toEqual(['-replicationFactor=two: not a value of type int']);
  });

  // The flags the single node registers too are the same code (lib/ at the same release): their values are
  // checked by starting victoria-metrics with them below.
  const shared = (args: readonly string[]) => args.filter((a) => reference.binaries['victoria-metrics'][/^-([^=]+)/.exec(a)![1]] !== undefined);
  const sharedNames = new Set([...argsOf('vmstorage'), ...argsOf('vmselect')].flatMap((a) => (shared([a]).length ? [/^-([^=]+)/.exec(a)![1]] : [])));

  test.each(['vminsert', 'vmselect', 'vmstorage'] as const)('%s registers every synthesized flag, none deprecated, each value of its type', (binary) => {
    const args = argsOf(binary);
    expect(args.length).toBeGreaterThanOrEqual(3);
    expect(flagProblems(binary, args, binary === 'vminsert' ? new Set() : sharedNames)).toEqual([]);
  });

  test('victoria-metrics starts with the flags vmstorage and vmselect share with it (retention, dedup, data path, log format)', async () => {
    const root = path.join(work, 'cluster-shared');
    const vmstorage = get(objects, 'StatefulSet', 'vmstorage');
    const vmselect = get(objects, 'Deployment', 'vmselect');
    const mounts = new Map([...mountVolumes(objects, vmstorage, path.join(root, 'vmstorage')), ...mountVolumes(objects, vmselect, path.join(root, 'vmselect'))]);
    const local = await loopback();
    // Neither sets -httpListenAddr (each keeps its own default port), so the loopback one is added.
    const synthesized = shared([...containerOf(vmstorage).args, ...containerOf(vmselect).args]);
    expect(synthesized.filter((a) => a.startsWith('-httpListenAddr='))).toEqual([]);
    const args = [...new Set(localArgs(synthesized, { listen: local.addr, mounts })), `-httpListenAddr=${local.addr}`];
    expect(args).toEqual(expect.arrayContaining([expect.stringMatching(/^-retentionPeriod=/), expect.stringMatching(/^-dedup\.minScrapeInterval=/)]));
    expect(flagProblems('victoria-metrics', args, sharedNames)).toEqual([]);
    const vm = startProcess('victoria-metrics', requireTool('victoria-metrics'), args);
    await vm.waitForHttp(`${local.url}/health`, 60_000);
    const flags = await (await fetch(`${local.url}/flags`)).text();
    expect(flags).toMatch(/retentionPeriod="\d+[hdwy]"/);
    await vm.stop();
    expectCleanLog('victoria-metrics', vm.log());
  });
});

// ---------------------------------------------------------------------------------------------------------------
// vmagent, vmalert and the single node: dry runs, then the real start.

describe.each(CASES)('$title', (c) => {
  const objects = objectsOf(c.env);
  const vmagent = get(objects, 'StatefulSet', 'vmagent');
  const vmalert = find(objects, 'Deployment', 'vmalert');
  const single = find(objects, 'StatefulSet', 'victoriametrics');
  const root = path.join(work, c.env);

  test('runs the VictoriaMetrics parts its backend says', () => {
    const workloads = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet').map((o) => o.metadata.name);
    const kinds = ['vmagent', 'vmalert', 'victoriametrics', 'vminsert', 'vmselect', 'vmstorage'].filter((n) => workloads.includes(n));
    const expected = { single: ['vmagent', 'vmalert', 'victoriametrics'], cluster: ['vmagent', 'vmalert', 'vminsert', 'vmselect', 'vmstorage'], central: ['vmagent'] }[c.store];
    expect(kinds).toEqual(expected);
  });

  const flagValue = (container: Container, name: string): string => {
    const arg = container.args.find((a) => a.startsWith(`-${name}=`));
    if (!arg) throw new Error(`${container.name} has no -${name}`);
    return arg.slice(name.length + 2);
  };

  // The dry runs take the synthesized flags as they are, in-cluster URLs included (they connect nowhere).
  /** The rule groups in the files vmalert's -rule pattern matches, with their file names. */
  const ruleGroups = (mounts: Map<string, string>): Array<{ file: string; name: string; rules: number }> => {
    const pattern = localPath(flagValue(containerOf(vmalert!), 'rule'), mounts)!;
    const dir = path.dirname(pattern);
    const suffix = path.basename(pattern).replace(/^\*/, '');
    return fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(suffix))
      .sort()
      .flatMap((file) => parse(fs.readFileSync(path.join(dir, file), 'utf8')).groups.map((g: any) => ({ file, name: g.name, rules: g.rules.length })));
  };

  test("vmagent -promscrape.config.dryRun accepts the StatefulSet's own flags and scrape config", () => {
    const mounts = mountVolumes(objects, vmagent, path.join(root, 'dry-vmagent'));
    const args = localArgs(containerOf(vmagent).args, { listen: '127.0.0.1:0', mounts });
    // The scrape config as synthesized, but for the token file, which exists only in a pod.
    const scrape = localPath(flagValue(containerOf(vmagent), 'promscrape.config'), mounts)!;
    fs.writeFileSync(scrape, fs.readFileSync(scrape, 'utf8').split(`${SA_DIR}/token`).join(path.join(mounts.get(SA_DIR)!, 'token')));
    const result = run(requireTool('vmagent'), ['-promscrape.config.dryRun', ...args], { cwd: root });
    expect({ code: result.code, err: result.code === 0 ? '' : result.stderr }).toEqual({ code: 0, err: '' });
  });

  if (vmalert) {
    test("vmalert -dryRun accepts the Deployment's own flags and the rule files it mounts", () => {
      const mounts = mountVolumes(objects, vmalert, path.join(root, 'dry-vmalert'));
      const args = localArgs(containerOf(vmalert).args, { listen: '127.0.0.1:0', mounts });
      // Every rule ConfigMap the pod mounts is there, and holds rules.
      const sources = vmalert.spec.template.spec.volumes.flatMap((v: any) => v.projected?.sources ?? []);
      expect([...new Set(ruleGroups(mounts).map((g) => g.file))]).toEqual(sources.flatMap((src: any) => Object.keys(get(objects, 'ConfigMap', src.configMap.name).data!)).sort());
      const result = run(requireTool('vmalert'), ['-dryRun', ...args], { cwd: root });
      expect({ code: result.code, err: result.code === 0 ? '' : result.stderr }).toEqual({ code: 0, err: '' });
      expect(problemLines(result.stdout + result.stderr)).toEqual([]);
    });
  }

  describe('started with the synthesized flags, wired as in the cluster', () => {
    let kube: FakeKubeApi;
    const standIns: StandIn[] = [];
    const procs: RunningProcess[] = [];
    const alerts: string[] = [];
    let storeUrl = '';
    let front: StandIn | undefined;
    let agentUrl = '';
    let alertUrl = '';
    let vmalertMounts = new Map<string, string>();
    let datasourceUrl = '';
    const started = Date.now();

    beforeAll(async () => {
      kube = await startFakeKubeApi();
      // The store: the synthesized single node, or (cluster, central) a single node behind the tenant URLs.
      const store = await loopback();
      storeUrl = store.url;
      const storeArgs = single
        ? localArgs(containerOf(single).args, { listen: store.addr, mounts: mountVolumes(objects, single, path.join(root, 'victoriametrics')) })
        : [`-storageDataPath=${path.join(root, 'store')}`, `-httpListenAddr=${store.addr}`, '-loggerFormat=json'];
      procs.push(startProcess('victoria-metrics', requireTool('victoria-metrics'), storeArgs));
      await procs[0].waitForHttp(single ? probeUrl(containerOf(single), store.url) : `${store.url}/health`, 60_000);

      const origins: Record<string, string> = {};
      if (single) origins[serviceOrigin(objects, 'victoriametrics')] = store.url;
      if (c.store !== 'single') {
        front = await clusterFront(store.url);
        standIns.push(front);
        if (c.store === 'cluster') {
          origins[serviceOrigin(objects, 'vminsert')] = front.url;
          origins[serviceOrigin(objects, 'vmselect')] = front.url;
        } else {
          // The central cluster's ingress; no TLS on loopback.
          origins[new URL(flagValue(containerOf(vmagent), 'remoteWrite.url')).origin] = front.url;
        }
      }
      if (find(objects, 'Service', 'alertmanager')) {
        const am = await alertmanagerStandIn(alerts);
        standIns.push(am);
        origins[serviceOrigin(objects, 'alertmanager')] = am.url;
      }

      const agent = await loopback();
      agentUrl = agent.url;
      const agentMounts = mountVolumes(objects, vmagent, path.join(root, 'vmagent'));
      const scrape = localPath(flagValue(containerOf(vmagent), 'promscrape.config'), agentMounts)!;
      const listenPort = /:(\d+)$/.exec(flagValue(containerOf(vmagent), 'httpListenAddr'))![1];
      fs.writeFileSync(scrape, localScrapeConfig(fs.readFileSync(scrape, 'utf8'), { kubeconfig: kube.kubeconfig, mounts: agentMounts, selfTarget: `localhost:${listenPort}`, self: agent.addr }));
      const agentProc = startProcess('vmagent', requireTool('vmagent'), localArgs(containerOf(vmagent).args, { listen: agent.addr, mounts: agentMounts, origins }), { cwd: root });
      procs.push(agentProc);

      if (vmalert) {
        const alert = await loopback();
        alertUrl = alert.url;
        vmalertMounts = mountVolumes(objects, vmalert, path.join(root, 'vmalert'));
        const args = localArgs(containerOf(vmalert).args, { listen: alert.addr, mounts: vmalertMounts, origins });
        datasourceUrl = args.find((a) => a.startsWith('-datasource.url='))!.slice('-datasource.url='.length);
        procs.push(startProcess('vmalert', requireTool('vmalert'), args, { cwd: root }));
      }
    }, 120_000);

    afterAll(async () => {
      await stopAll();
      await Promise.all(standIns.map((s) => s.close()));
      await kube?.close();
    });

    test('vmagent reports ready on its probe, and ready once its Kubernetes discovery has listed from the API', async () => {
      await procs[1].waitForHttp(probeUrl(containerOf(vmagent), agentUrl), 60_000);
      await eventually('a pod list from vmagent', 60_000, async () => (kube.requests.some((r) => /^GET \/api\/v1\/(namespaces\/[^/]+\/)?pods\?/.test(r)) ? true : undefined));
      await procs[1].waitForHttp(`${agentUrl}/ready`, 60_000);
    }, 130_000);

    test('what vmagent scrapes arrives in the store with the external labels, through the URL the stack gives it', async () => {
      const series = await eventually('vmagent series in the store', 90_000, async () => {
        const body = await getJson(`${storeUrl}/api/v1/series?match[]=${encodeURIComponent('up{job="vmagent"}')}`);
        return body.data.length > 0 ? body.data : undefined;
      });
      expect(series[0]).toMatchObject({ __name__: 'up', job: 'vmagent', cluster: c.env });
      if (front) expect(front.requests).toContain('POST /insert/0/prometheus/api/v1/write');
    }, 100_000);

    if (vmalert) {
      test('vmalert reports ready and evaluates every group of the default interval against the store without an error', async () => {
        const container = containerOf(vmalert);
        await procs[2].waitForHttp(probeUrl(container, alertUrl), 60_000);
        const interval = Number(/^(\d+)s$/.exec(flagValue(container, 'evaluationInterval'))![1]);
        // A group starts within its interval (vmalert spreads the starts); groups of a longer interval are left
        // to the dry run and to the direct queries below.
        const groups = await eventually('one evaluation of every group', (interval + 30) * 1000, async () => {
          const body = await getJson(`${alertUrl}/api/v1/rules`);
          const due = body.data.groups.filter((g: any) => g.interval <= interval);
          return due.length > 0 && due.every((g: any) => new Date(g.lastEvaluation).getTime() >= started) ? body.data.groups : undefined;
        });
        const evaluated = groups.filter((g: any) => g.interval <= interval);
        expect(evaluated.length).toBeGreaterThan(0);
        const failing = evaluated.flatMap((g: any) => g.rules.filter((r: any) => r.health !== 'ok' || r.lastError).map((r: any) => `${g.name}/${r.name}: ${r.lastError}`));
        expect(failing).toEqual([]);
        if (container.args.includes('-notifier.blackhole')) {
          expect(alerts).toEqual([]);
        } else {
          // The always-firing Watchdog reaches the Alertmanager the stack names.
          await eventually('Watchdog at the Alertmanager stand-in', 30_000, async () => (alerts.includes('Watchdog') ? true : undefined));
        }
      }, 150_000);

      test('every rule expression, of every group, runs on the store through the datasource URL the stack gives vmalert', async () => {
        const body = await getJson(`${alertUrl}/api/v1/rules`);
        // vmalert loaded every group and rule of the files it mounts.
        const files = ruleGroups(vmalertMounts);
        expect(body.data.groups.map((g: any) => `${g.name}: ${g.rules.length}`).sort()).toEqual(files.map((g) => `${g.name}: ${g.rules}`).sort());
        const rules = body.data.groups.flatMap((g: any) => g.rules.map((r: any) => ({ group: g.name, name: r.name, query: r.query })));
        const failed: string[] = [];
        for (const r of rules) {
          const res = await fetch(`${datasourceUrl}/api/v1/query?query=${encodeURIComponent(r.query)}`, { signal: AbortSignal.timeout(10_000) });
          if (!res.ok) failed.push(`${r.group}/${r.name}: HTTP ${res.status}: ${await res.text()}`);
        }
        expect(failed).toEqual([]);
      }, 120_000);
    }

    if (vmalert) {
      test('every VictoriaMetrics series the self-monitoring rules read is on the /metrics of a started binary', async () => {
        const served = new Set<string>();
        for (const url of [storeUrl, agentUrl, alertUrl]) {
          for (const line of (await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) })).text()).split('\n')) {
            const name = /^[a-zA-Z_:][\w:]*/.exec(line)?.[0];
            if (name) served.add(name);
          }
        }
        const groups = ruleFiles(path.join(out, c.env)).flatMap((f) => f.groups);
        const read = new Set(
          groups
            .filter((g) => /^(victoriametrics|vmagent|vmalert)-/.test(g.name))
            .flatMap((g) => g.rules.flatMap((r) => r.expr.match(/(?<![\w:])(vm|vmagent|vmalert)_\w+/g) ?? [])),
        );
        // Only vminsert (vm_rpc_*) and vmselect (vm_request_errors_total{name="vmselect"}) export these, and the cluster
        // binaries do not run here (see the top); their names are from the cluster sources at the image tag.
        const clusterOnly = new Set(['vm_rpc_vmstorage_is_reachable', 'vm_request_errors_total']);
        // vmalert registers a rule's counters only for the kinds of rule it loaded: with alerting.engine "grafana" it
        // evaluates the recording rules alone.
        const loaded = await getJson(`${alertUrl}/api/v1/rules`);
        const kinds = new Set<string>(loaded.data.groups.flatMap((g: any) => g.rules.map((r: any) => r.type)));
        const perKind: Record<string, string> = { alerting: 'vmalert_alerting_rules_errors_total', recording: 'vmalert_recording_rules_errors_total' };
        const notLoaded = new Set(Object.entries(perKind).flatMap(([kind, name]) => (kinds.has(kind) ? [] : [name])));
        const expected = [...read].filter((n) => !clusterOnly.has(n) && !notLoaded.has(n));
        expect(expected.length).toBeGreaterThan(10);
        expect(expected.filter((n) => !served.has(n))).toEqual([]);
      }, 60_000);
    }

    test('each process stops on SIGTERM, and no log holds an error or a warning', async () => {
      for (const p of [...procs].reverse()) {
        await p.stop(30_000);
        expect({ name: p.name, signal: p.child.signalCode, code: p.child.exitCode }).toEqual({ name: p.name, signal: null, code: 0 });
      }
      for (const p of procs) expectCleanLog(`${p.name} (${c.env})`, p.log());
    }, 120_000);
  });
});

describe('the checks can fail', () => {
  test('vmalert -dryRun rejects a rule with a broken expression, and its log lines read as errors in each log format', () => {
    const broken = path.join(work, 'broken-rules.yaml');
    fs.writeFileSync(broken, 'groups:\n  - name: broken\n    rules:\n      - alert: Broken\n        expr: rate(up[5m]\n');
    for (const format of [['-loggerFormat=json'], ['-loggerFormat=default'], ['-loggerFormat=default', '-loggerDisableTimestamps']]) {
      const result = run(requireTool('vmalert'), ['-dryRun', `-rule=${broken}`, ...format]);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/invalid expression for rule \\?"Broken\\?": bad MetricsQL expr/);
      expect(problemLines(result.stdout + result.stderr).length).toBeGreaterThan(0);
    }
  });

  test('vmagent -promscrape.config.dryRun rejects a misspelled scrape field (strictParse, as synthesized)', () => {
    const objects = objectsOf('prod');
    const scrape = path.join(work, 'misspelled.scrape.yml');
    fs.writeFileSync(scrape, get(objects, 'ConfigMap', 'vmagent-config').data!['scrape.yml'].replace('relabel_configs:', 'relabel_config:'));
    const result = run(requireTool('vmagent'), [`-promscrape.config=${scrape}`, '-promscrape.config.dryRun', '-promscrape.config.strictParse']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/relabel_config/);
  });
});
