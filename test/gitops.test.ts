import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse, parseAllDocuments, parseDocument } from 'yaml';
import { APPLICATIONS_FILE, ARGOCD_DIRECTORY, ROOT_FILE } from '../src/gitops/applications';
import { loadConfig } from '../src/config/loader';
import { sourceIdentity } from '../src/gitops/source-identity';
import { SYNC_OPTIONS_ANNOTATION, SYNC_WAVE_ANNOTATION, SyncWave } from '../src/gitops/sync-waves';
import { syncedBefore } from './support/argocd-sync-order';
import { metricsBackend } from './support/metrics-backend';
import { SynthError, synthesize } from '../src/synth';
import { registerArgoCdCrds } from './support/argocd-crd';
import { loadManifestDir, validateObjects } from './support/k8s-schema';
import { environments, listFiles, REPO_ROOT, SHIPPED_CONFIG_DIR, shippedConfigOf, shippedConfigs, synthesizedShippedConfigs } from './support/synth-fixture';

type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  subjects?: Array<{ kind: string; name: string; namespace?: string }>;
  roleRef?: { kind: string; name: string };
};

const out = synthesizedShippedConfigs();
const envs = environments(out);
registerArgoCdCrds();

function loadFile(file: string): K8sObject[] {
  return parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS() as K8sObject);
}

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'];
const id = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;

/** What a workload needs to exist before its pods can start: namespace, ServiceAccount, its RBAC, ConfigMaps, PriorityClass. */
function dependencies(workload: K8sObject, objects: K8sObject[]): { found: K8sObject[]; missing: string[] } {
  const ns = workload.metadata.namespace;
  const pod = workload.kind === 'CronJob' ? workload.spec.jobTemplate.spec.template.spec : workload.spec.template.spec;
  const found: K8sObject[] = [];
  const missing: string[] = [];
  const need = (kind: string, name: string, namespaced: boolean) => {
    const o = objects.find((x) => x.kind === kind && x.metadata.name === name && (!namespaced || x.metadata.namespace === ns));
    if (o) found.push(o);
    else missing.push(`${kind}/${name}`);
  };
  need('Namespace', ns!, false);
  const sa = pod.serviceAccountName;
  if (sa && sa !== 'default') {
    need('ServiceAccount', sa, true);
    for (const binding of objects.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding')) {
      if (!binding.subjects?.some((s) => s.kind === 'ServiceAccount' && s.name === sa && s.namespace === ns)) continue;
      found.push(binding);
      need(binding.roleRef!.kind, binding.roleRef!.name, binding.roleRef!.kind === 'Role');
    }
  }
  if (pod.priorityClassName) need('PriorityClass', pod.priorityClassName, false);
  const configMaps = new Set<string>();
  for (const v of pod.volumes ?? []) {
    if (v.configMap) configMaps.add(v.configMap.name);
    for (const s of v.projected?.sources ?? []) if (s.configMap) configMaps.add(s.configMap.name);
  }
  for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
    for (const e of c.envFrom ?? []) if (e.configMapRef) configMaps.add(e.configMapRef.name);
    for (const e of c.env ?? []) if (e.valueFrom?.configMapKeyRef) configMaps.add(e.valueFrom.configMapKeyRef.name);
  }
  for (const cm of configMaps) need('ConfigMap', cm, true);
  return { found, missing };
}

describe.each(envs)('GitOps output of %s', (env) => {
  const envDir = path.join(out, env);
  const objects = loadManifestDir(envDir) as K8sObject[];
  const applications = objects.filter((o) => o.kind === 'Application');
  const managed = objects.filter((o) => o.kind !== 'Application');

  test('the Applications are valid against the Application CRD schema, strictly', () => {
    expect(applications.map(id).sort()).toEqual([`Application/observability-platform-${env}`, `Application/observability-platform-${env}-root`]);
    expect(validateObjects(applications)).toEqual([]);
  });

  test('GIVEN an Application with a misspelt field WHEN validated THEN the CRD schema rejects it', () => {
    const broken = structuredClone(applications[0]);
    broken.spec.source.directroy = broken.spec.source.directory;
    expect(validateObjects([broken])).toEqual([expect.stringContaining('$.spec.source.directroy: unknown field')]);
  });

  test('every object carries the environment label', () => {
    for (const o of objects) expect({ object: id(o), environment: o.metadata.labels?.environment }).toEqual({ object: id(o), environment: env });
  });

  test('every object the environment Application manages has a sync wave from 1 to 4', () => {
    for (const o of managed) {
      expect({ object: id(o), wave: o.metadata.annotations?.[SYNC_WAVE_ANNOTATION] }).toEqual({
        object: id(o),
        wave: expect.stringMatching(/^[1-4]$/),
      });
    }
  });

  test('waves: foundation 1, the stores 2, collectors and agents 3, Grafana and its dashboards 4', () => {
    const config = shippedConfigOf(env).config;
    const backend = metricsBackend(config);
    const wave = (kind: string, name: string) => {
      const o = managed.find((x) => x.kind === kind && x.metadata.name === name);
      if (!o) throw new Error(`${env} has no ${kind}/${name}`);
      return Number(o.metadata.annotations![SYNC_WAVE_ANNOTATION]);
    };
    const waveOf = (owner: string) => wave(owner.split('/')[0], owner.split('/')[1]);
    // Prometheus scrapes for itself, a backend; vmagent is a collector in front of VictoriaMetrics.
    const scraperWave = backend.stores.includes(backend.scraper.owner) ? SyncWave.BACKENDS : SyncWave.COLLECTORS;
    expect({
      namespaces: new Set(managed.filter((o) => o.kind === 'Namespace').map((o) => wave('Namespace', o.metadata.name))),
      rbac: managed.filter((o) => /Role|ServiceAccount|PriorityClass/.test(o.kind)).map((o) => wave(o.kind, o.metadata.name)),
      metricsStores: backend.stores.map(waveOf),
      scraper: waveOf(backend.scraper.owner),
      scrapeConfig: wave('ConfigMap', backend.scraper.configMap),
      loki: wave('StatefulSet', 'loki'),
      jaeger: wave('StatefulSet', 'jaeger'),
      postgres: config.postgres && wave('StatefulSet', config.postgres.name),
      logAgent: wave('DaemonSet', config.logs.agent),
      collector: wave('Deployment', 'otel-collector'),
      kubeStateMetrics: wave('Deployment', 'kube-state-metrics'),
      nodeExporter: wave('DaemonSet', 'node-exporter'),
      grafana: wave('StatefulSet', 'grafana'),
      dashboard: wave('ConfigMap', 'grafana-dashboard-stack-health'),
    }).toEqual({
      namespaces: new Set([SyncWave.FOUNDATION]),
      rbac: expect.arrayContaining([SyncWave.FOUNDATION]),
      metricsStores: backend.stores.map(() => SyncWave.BACKENDS),
      scraper: scraperWave,
      scrapeConfig: scraperWave,
      loki: SyncWave.BACKENDS,
      jaeger: SyncWave.BACKENDS,
      postgres: config.postgres && SyncWave.BACKENDS,
      logAgent: SyncWave.COLLECTORS,
      collector: SyncWave.COLLECTORS,
      kubeStateMetrics: SyncWave.COLLECTORS,
      nodeExporter: SyncWave.COLLECTORS,
      grafana: SyncWave.GRAFANA,
      dashboard: SyncWave.GRAFANA,
    });
    expect(new Set(managed.filter((o) => /Role|ServiceAccount|PriorityClass/.test(o.kind)).map((o) => wave(o.kind, o.metadata.name)))).toEqual(
      new Set([SyncWave.FOUNDATION]),
    );
  });

  test('no workload is synced before its namespace, ServiceAccount, RBAC, PriorityClass or ConfigMaps', () => {
    const workloads = managed.filter((o) => WORKLOAD_KINDS.includes(o.kind));
    expect(workloads.length).toBeGreaterThanOrEqual(5);
    let checked = 0;
    for (const w of workloads) {
      const { found, missing } = dependencies(w, managed);
      expect({ workload: id(w), missing }).toEqual({ workload: id(w), missing: [] });
      for (const dep of found) {
        expect({ workload: id(w), dependency: id(dep), before: syncedBefore(dep, w) }).toEqual({
          workload: id(w),
          dependency: id(dep),
          before: true,
        });
        checked++;
      }
    }
    // Namespaces, ServiceAccounts, bindings, roles and ConfigMaps of five workloads.
    expect(checked).toBeGreaterThanOrEqual(15);
  });

  test('GIVEN the wave-order check WHEN a ConfigMap is moved to a later wave than its workload THEN it fails', () => {
    const { scraper } = metricsBackend(shippedConfigOf(env).config);
    const copy = structuredClone(managed);
    const cm = copy.find((o) => o.kind === 'ConfigMap' && o.metadata.name === scraper.configMap)!;
    const workload = copy.find((o) => id(o) === scraper.owner)!;
    cm.metadata.annotations![SYNC_WAVE_ANNOTATION] = String(Number(workload.metadata.annotations![SYNC_WAVE_ANNOTATION]) + 1);
    const dep = dependencies(workload, copy).found.find((o) => o === cm);
    expect(dep).toBe(cm);
    expect(syncedBefore(cm, workload)).toBe(false);
  });

  test('dashboard ConfigMaps use server-side apply (client-side apply fails above 256 KiB)', () => {
    const dashboards = managed.filter((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('grafana-dashboard-'));
    expect(dashboards.length).toBeGreaterThan(0);
    for (const d of dashboards) expect(d.metadata.annotations?.[SYNC_OPTIONS_ANNOTATION]).toBe('ServerSideApply=true');
  });

  test('the deploy annotation Job is a PostSync hook, recreated at every sync, tagged with namespace and source identity', () => {
    const job = managed.find((o) => o.kind === 'Job' && o.metadata.name === 'deploy-annotation')!;
    expect(job.metadata.annotations).toEqual(
      expect.objectContaining({
        'argocd.argoproj.io/hook': 'PostSync',
        'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
      }),
    );
    // PostSync: after every wave of the Sync phase, so after Grafana is healthy.
    for (const o of managed.filter((x) => x !== job)) expect({ object: id(o), before: syncedBefore(o, job) }).toEqual({ object: id(o), before: true });
    const args: string[] = job.spec.template.spec.containers[0].args;
    const body = JSON.parse(args[args.indexOf('--data') + 1]);
    const config = shippedConfigOf(env).config;
    const monitoring = config.namespaces.monitoring;
    const token = config.gitops.deployAnnotation.tokenSecret;
    expect(body.tags).toEqual(['deploy', `environment:${env}`, `namespace:${monitoring}`, `source:${sourceIdentity(REPO_ROOT, loadConfig(shippedConfigOf(env).file).files)}`]);
    expect(args[args.length - 1]).toBe(`http://grafana.${monitoring}.svc:3000/api/annotations`);
    expect(job.spec.template.spec.containers[0].env).toEqual([
      { name: 'GRAFANA_TOKEN', valueFrom: { secretKeyRef: { name: token.name, key: token.key, optional: true } } },
    ]);
  });

  // Argo CD's directory source (reposerver findManifests): files of `path` (subdirectories only with
  // recurse) whose name is a manifest, filtered by include/exclude globs on the path relative to `path`.
  function filesSyncedBy(app: K8sObject): string[] {
    const manifestsDirectory = 'dist';
    const rel = path.relative(manifestsDirectory, app.spec.source.path);
    const dir = path.join(out, rel);
    const glob = (g: string) => new RegExp(`^${g.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    return listFiles(dir)
      .filter((f) => app.spec.source.directory.recurse || !f.includes('/'))
      .filter((f) => /\.(yaml|yml|json|jsonnet)$/.test(f))
      .filter((f) => !app.spec.source.directory.exclude || !glob(app.spec.source.directory.exclude).test(f))
      .filter((f) => !app.spec.source.directory.include || glob(app.spec.source.directory.include).test(f))
      .map((f) => path.join(rel, f));
  }

  test('app of apps: the root syncs only the environment Application, never itself; the environment Application syncs only the manifests', () => {
    const root = applications.find((a) => a.metadata.name.endsWith('-root'))!;
    const child = applications.find((a) => a !== root)!;
    expect(filesSyncedBy(root)).toEqual([path.join(env, ARGOCD_DIRECTORY, APPLICATIONS_FILE)]);
    expect(loadFile(path.join(out, env, ARGOCD_DIRECTORY, APPLICATIONS_FILE)).map(id)).toEqual([id(child)]);
    expect(filesSyncedBy(child)).toEqual(
      fs.readdirSync(envDir).filter((f) => f.endsWith('.k8s.yaml')).sort().map((f) => path.join(env, f)),
    );
    // Rule and dashboard files and the Argo CD objects are not objects of the environment.
    expect(filesSyncedBy(child).some((f) => /rules|dashboards|argocd|\.json$/.test(f))).toBe(false);
    expect(filesSyncedBy(root)).not.toContain(path.join(env, ARGOCD_DIRECTORY, ROOT_FILE));
  });

  test('the Applications follow the repository and sync policy of the config', () => {
    const config = shippedConfigOf(env).config;
    for (const app of applications) {
      expect(app.metadata.namespace).toBe(config.gitops.argocdNamespace);
      expect(app.spec.source).toEqual(
        expect.objectContaining({ repoURL: config.repository.url, targetRevision: config.repository.revision }),
      );
      expect(app.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    }
    const child = applications.find((a) => !a.metadata.name.endsWith('-root'))!;
    expect(child.spec.source.path).toBe(`dist/${env}`);
    expect(child.spec.source.directory).toEqual({ include: '*.k8s.yaml', recurse: false });
    expect(child.spec.destination.namespace).toBe(config.namespaces.monitoring);
  });
});

describe('environments', () => {
  test.each(shippedConfigs().map(({ config }) => [config.environment, config.alerting.paging] as const))(
    'the output of %s names a PagerDuty receiver exactly when its config allows paging (%s)',
    (env, paging) => {
      const dir = path.join(out, env);
      const mentions = listFiles(dir).filter((f) => /pagerduty/i.test(fs.readFileSync(path.join(dir, f), 'utf8')));
      expect(mentions.length > 0).toBe(paging);
    },
  );

  test('no two environments share a namespace or a cluster-scoped object name', () => {
    const owned = (env: string) => {
      const objs = loadManifestDir(path.join(out, env)) as K8sObject[];
      // Cluster-scoped names must differ too, or one environment's sync would overwrite the other's.
      return objs.filter((o) => !o.metadata.namespace).map((o) => `${o.kind}/${o.metadata.name}`);
    };
    const owner = new Map<string, string>();
    const shared: string[] = [];
    for (const env of envs) {
      for (const name of owned(env)) {
        if (owner.has(name)) shared.push(`${name}: ${owner.get(name)} and ${env}`);
        else owner.set(name, env);
      }
    }
    expect(envs.length).toBe(shippedConfigs().length);
    expect(shared).toEqual([]);
  });

  test("GIVEN a service added to one environment and a backup file beside its config THEN every other environment's output is byte-identical", () => {
    const configs = shippedConfigs();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'obs-identity-configs-'));
    fs.cpSync(SHIPPED_CONFIG_DIR, dir, { recursive: true });
    const before = fs.mkdtempSync(path.join(os.tmpdir(), 'obs-identity-before-'));
    synthesize({ config: dir, out: before, sourceRoot: REPO_ROOT });
    const changed = path.join(dir, path.basename(configs[0].file));
    fs.copyFileSync(changed, `${changed}.bak`);
    const doc = parseDocument(fs.readFileSync(changed, 'utf8'));
    // As a user adds a service to one environment: its own whole list, the one it had (its own, or the shared file's it
    // extends) plus the new service, so the alerts the existing services declare (and its channels name) stay.
    const base = doc.get('extends');
    const services = doc.toJS().services ?? (typeof base === 'string' ? parse(fs.readFileSync(path.resolve(dir, base), 'utf8')).services : undefined) ?? [];
    doc.setIn(['services'], [...services, { name: 'identity-probe', namespace: 'probe', stack: 'go' }]);
    fs.writeFileSync(changed, doc.toString());
    const after = fs.mkdtempSync(path.join(os.tmpdir(), 'obs-identity-after-'));
    synthesize({ config: dir, out: after, sourceRoot: REPO_ROOT });
    const content = (root: string, env: string) => listFiles(path.join(root, env)).map((f) => [f, fs.readFileSync(path.join(root, env, f), 'utf8')]);
    expect(configs.length).toBeGreaterThan(1);
    for (const { config } of configs.slice(1)) expect(content(after, config.environment)).toEqual(content(before, config.environment));
    // The changed environment itself is redeployed with a new identity.
    const tag = (root: string) => /source:([0-9a-f]{12})/.exec(fs.readFileSync(path.join(root, configs[0].config.environment, 'deploy-annotation.k8s.yaml'), 'utf8'))![1];
    expect(tag(after)).not.toBe(tag(before));
  });

  describe('synthesizing environments together', () => {
    function writeConfigs(files: Record<string, string>): string {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'obs-gitops-config-'));
      for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
      return dir;
    }
    const config = (env: string, monitoring: string, nodeAgents: string) =>
      [
        `environment: ${env}`,
        `cluster: ${env}`,
        'repository: {url: "https://github.com/example-org/observability-platform"}',
        `namespaces: {monitoring: ${monitoring}, nodeAgents: ${nodeAgents}}`,
        'grafana: {adminCredentials: {secretName: grafana-admin}}',
        // Environments on one cluster need their own host ports.
        `nodeExporter: {port: ${env === 'prod' ? 9100 : 9110}}`,
      ].join('\n');

    test('fails if two environments share a backend namespace, naming both files and leaving the output untouched', () => {
      const configDir = writeConfigs({
        'prod.yaml': config('prod', 'monitoring', 'monitoring-agents'),
        'qa.yaml': config('qa', 'monitoring-qa', 'monitoring'),
      });
      const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'obs-gitops-out-'));
      fs.writeFileSync(path.join(outDir, 'marker'), 'untouched');
      let error: unknown;
      try {
        synthesize({ config: configDir, out: outDir, sourceRoot: REPO_ROOT });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(SynthError);
      expect((error as SynthError).problems).toEqual([
        `${path.join(configDir, 'qa.yaml')}: namespaces.nodeAgents: namespace "monitoring" (line 4) is also namespaces.monitoring of environment "prod" ` +
          `(${path.join(configDir, 'prod.yaml')}, line 4); each environment needs its own namespaces, so one can never read or write the backends of another`,
      ]);
      expect(fs.readdirSync(outDir)).toEqual(['marker']);
    });

    test('GIVEN separate namespaces WHEN synthesized together THEN both environments are written', () => {
      const configDir = writeConfigs({
        'prod.yaml': config('prod', 'monitoring', 'monitoring-agents'),
        'qa.yaml': config('qa', 'monitoring-qa', 'monitoring-agents-qa'),
      });
      const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'obs-gitops-out-'));
      const summaries = synthesize({ config: configDir, out: outDir, sourceRoot: REPO_ROOT });
      expect(summaries.map((s) => s.environment)).toEqual(['prod', 'qa']);
      expect(summaries[0].kinds.Application).toBe(2);
    });

    test('fails if the source root has no src/ to compute the deploy identity from', () => {
      const emptyRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'obs-gitops-root-'));
      const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'obs-gitops-out-'));
      expect(() => synthesize({ config: SHIPPED_CONFIG_DIR, out: outDir, sourceRoot: emptyRoot })).toThrow(
        /cannot compute the source identity: ".*src" is not a directory; run the synth from the project root/,
      );
    });
  });
});
