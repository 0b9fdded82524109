import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { synthesize } from '../src/synth';
import { registerArgoCdCrds } from './support/argocd-crd';
import { NODE_AGENTS } from '../src/lib/node-agents';
import { loadManifestDir, validateObjects } from './support/k8s-schema';
import { loadConfigFile } from '../src/config/loader';
import { StackConfig } from '../src/config/schema';
import { metricsBackend } from './support/metrics-backend';
import { configVariant, environments, shippedConfigOf, shippedConfigs, shippedEnvironments, synthesizedShippedConfigs } from './support/synth-fixture';

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: any };

registerArgoCdCrds();
const out = synthesizedShippedConfigs();

const envs = environments(out);

/**
 * The riskiest GPU variant, held to the same rules as the shipped configs:
 * dcgm-exporter (root, a kubelet socket mount) taking a time-sliced GPU share.
 */
const GPU_VARIANT = 'gpu-dcgm';
function synthesizeGpuVariant(): { out: string; config: StackConfig } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gpu-variant-'));
  const file = configVariant(shippedConfigs()[0].file, GPU_VARIANT, [
    [['environment'], GPU_VARIANT],
    [['gpu', 'enabled'], true],
    [['gpu', 'exporter'], 'dcgm'],
    [['gpu', 'exporterRequestsGpu'], true],
    [['gpu', 'timeSlicing'], { replicas: 4 }],
  ]);
  synthesize({ config: file, out: path.join(dir, 'out') });
  return { out: path.join(dir, 'out'), config: loadConfigFile(file) };
}
const variant = synthesizeGpuVariant();
/** Each environment's output directory and the config it was synthesized from. */
const sources: Array<[string, string, StackConfig]> = [
  ...envs.map((e) => [e, path.join(out, e), shippedConfigOf(e).config] as [string, string, StackConfig]),
  [GPU_VARIANT, path.join(variant.out, GPU_VARIANT), variant.config],
];

function podSpecs(objects: K8sObject[]): Array<{ owner: string; spec: any; runsToCompletion: boolean; jobSpec?: any }> {
  return objects
    .filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'].includes(o.kind))
    .map((o) => ({
      owner: `${o.kind}/${o.metadata.name}`,
      spec: o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template.spec : o.spec.template.spec,
      runsToCompletion: o.kind === 'Job' || o.kind === 'CronJob',
      jobSpec: o.kind === 'CronJob' ? o.spec.jobTemplate.spec : o.kind === 'Job' ? o.spec : undefined,
    }));
}

describe('synthesized manifests of the shipped configs', () => {
  test('GIVEN the configs WHEN synthesized THEN each environment exists', () => {
    expect(envs).toEqual(shippedEnvironments());
  });

  describe.each(sources)('%s', (_env, envDir, config) => {
    const objects = loadManifestDir(envDir) as K8sObject[];
    const backend = metricsBackend(config);

    test('every object is valid against the Kubernetes 1.28 and 1.36 schemas, strictly (unknown fields fail)', () => {
      expect(objects.length).toBeGreaterThan(15);
      expect(validateObjects(objects)).toEqual([]);
    });

    test('holds the metrics core and Grafana', () => {
      const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
      expect(names).toEqual(
        expect.arrayContaining([
          ...backend.stores,
          backend.scraper.owner,
          'Deployment/kube-state-metrics',
          'DaemonSet/node-exporter',
          'StatefulSet/grafana',
        ]),
      );
    });

    test('every object carries the recommended labels', () => {
      for (const o of objects) {
        const labels = o.metadata.labels ?? {};
        expect({ object: `${o.kind}/${o.metadata.name}`, partOf: labels['app.kubernetes.io/part-of'] }).toEqual({
          object: `${o.kind}/${o.metadata.name}`,
          partOf: 'observability-platform',
        });
        expect(labels['app.kubernetes.io/managed-by']).toBe('cdk8s');
        if (o.kind !== 'Namespace' && o.kind !== 'PriorityClass') {
          expect(labels['app.kubernetes.io/name']).toBeTruthy();
          expect(labels['app.kubernetes.io/component']).toBeTruthy();
        }
      }
    });

    test('names are stable: no generated hashes', () => {
      for (const o of objects) expect(o.metadata.name).not.toMatch(/-c8[0-9a-f]{6,}$/);
    });

    test('every container has requests, limits, probes, a pinned image and the restrictive securityContext (root only where NODE_AGENTS says why)', () => {
      const pods = podSpecs(objects);
      expect(pods.length).toBeGreaterThanOrEqual(4);
      for (const { owner, spec, runsToCompletion, jobSpec } of pods) {
        // A Job has no probes (nothing to be ready for); its deadline ends a hung run instead.
        if (runsToCompletion) expect({ owner, deadline: jobSpec.activeDeadlineSeconds > 0 }).toEqual({ owner, deadline: true });
        const root = NODE_AGENTS[owner]?.runsAsRoot !== undefined && spec.securityContext?.runAsNonRoot === false;
        expect({ owner, seccomp: spec.securityContext?.seccompProfile?.type, nonRoot: spec.securityContext?.runAsNonRoot }).toEqual({
          owner,
          seccomp: 'RuntimeDefault',
          nonRoot: !root,
        });
        for (const c of spec.containers) {
          const where = `${owner} container ${c.name}`;
          expect({ where, image: c.image }).toEqual({ where, image: expect.stringMatching(/^[^@]+:[^:@]+$/) });
          expect(c.image).not.toMatch(/:latest$/);
          for (const field of ['requests', 'limits']) {
            expect({ where, field, cpu: !!c.resources?.[field]?.cpu, memory: !!c.resources?.[field]?.memory }).toEqual({
              where,
              field,
              cpu: true,
              memory: true,
            });
          }
          const probes = { where, liveness: !!c.livenessProbe, readiness: !!c.readinessProbe };
          expect(probes).toEqual({ where, liveness: !runsToCompletion, readiness: !runsToCompletion });
          // Even a root node agent keeps every capability dropped, no escalation and a read-only root filesystem.
          expect({ where, securityContext: c.securityContext }).toEqual({
            where,
            securityContext: expect.objectContaining({
              allowPrivilegeEscalation: false,
              privileged: false,
              readOnlyRootFilesystem: true,
              runAsNonRoot: !root,
              capabilities: { drop: ['ALL'] },
            }),
          });
        }
      }
    });

    test('host access only for the node agents listed in NODE_AGENTS, in the node-agents namespace; host mounts read-only unless listed with a reason', () => {
      const agentNs = objects.filter(
        (o) => o.kind === 'Namespace' && o.metadata.labels?.['pod-security.kubernetes.io/enforce'] === 'privileged',
      );
      expect(agentNs.length).toBe(1);
      const byOwner = new Map(objects.map((o) => [`${o.kind}/${o.metadata.name}`, o]));
      const hostUsers: string[] = [];
      for (const { owner, spec } of podSpecs(objects)) {
        const hostVolumes = (spec.volumes ?? []).filter((v: any) => v.hostPath);
        const root = spec.securityContext?.runAsNonRoot === false;
        const usesHost = spec.hostNetwork || spec.hostPID || spec.hostIPC || hostVolumes.length > 0 || root;
        if (!usesHost) continue;
        hostUsers.push(owner);
        const allowed = NODE_AGENTS[owner];
        expect({ owner, listed: allowed !== undefined }).toEqual({ owner, listed: true });
        expect({ owner, namespace: byOwner.get(owner)!.metadata.namespace }).toEqual({ owner, namespace: agentNs[0].metadata.name });
        expect({ owner, hostIPC: !!spec.hostIPC }).toEqual({ owner, hostIPC: false });
        expect({ owner, hostNetwork: !!spec.hostNetwork }).toEqual({ owner, hostNetwork: spec.hostNetwork ? !!allowed.hostNetwork : false });
        expect({ owner, hostPID: !!spec.hostPID }).toEqual({ owner, hostPID: spec.hostPID ? !!allowed.hostPID : false });
        expect({ owner, root }).toEqual({ owner, root: root ? !!allowed.runsAsRoot : false });
        const writableAllowed = allowed.writableHostPaths ?? {};
        const pathOf = new Map<string, string>(hostVolumes.map((v: any) => [v.name, v.hostPath.path]));
        const mounts = [...spec.containers, ...(spec.initContainers ?? [])].flatMap((c: any) => c.volumeMounts ?? []);
        let written = 0;
        for (const m of mounts.filter((m: any) => pathOf.has(m.name))) {
          const hostPath = pathOf.get(m.name)!;
          // A key ending in "/" allows the directories under it (one per environment and agent).
          const writable = Object.keys(writableAllowed).some((k) => hostPath === k || (k.endsWith('/') && hostPath.startsWith(k)));
          // A listed path may still be mounted read-only (Alloy reads the positions Promtail left, under the same key).
          if (!writable) expect({ owner, hostPath, readOnly: m.readOnly === true }).toEqual({ owner, hostPath, readOnly: true });
          if (m.readOnly !== true) written++;
        }
        // What is listed as written is written: the agent mounts some listed path read-write.
        expect({ owner, writesHost: written > 0 }).toEqual({ owner, writesHost: Object.keys(writableAllowed).length > 0 });
      }
      // Proof the check ran: node-exporter, the device plugin and (dcgm only) the GPU exporter use the host.
      expect(hostUsers).toEqual(expect.arrayContaining(['DaemonSet/node-exporter', 'DaemonSet/nvidia-device-plugin']));
      if (_env === GPU_VARIANT) expect(hostUsers).toContain('DaemonSet/gpu-exporter');
    });

    test('the GPU agents run on GPU nodes only, tolerate the GPU taint, and take a GPU only as a time-sliced share', () => {
      const timeSliced = objects.some((o) => o.kind === 'ConfigMap' && o.metadata.name === 'nvidia-device-plugin-config');
      for (const name of ['nvidia-device-plugin', 'gpu-exporter']) {
        const ds = objects.find((o) => o.kind === 'DaemonSet' && o.metadata.name === name)!;
        const spec = ds.spec.template.spec;
        expect({ name, nodeSelector: spec.nodeSelector, runtimeClassName: spec.runtimeClassName }).toEqual({
          name,
          nodeSelector: { 'nvidia.com/gpu.present': 'true' },
          runtimeClassName: 'nvidia',
        });
        expect(spec.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
        for (const c of spec.containers) {
          const takesGpu = 'nvidia.com/gpu' in c.resources.limits;
          expect({ name, takesGpu }).toEqual({ name, takesGpu: takesGpu && timeSliced });
        }
      }
    });

    test('the monitoring namespace enforces the restricted Pod Security level', () => {
      const store = objects.find((o) => `${o.kind}/${o.metadata.name}` === backend.stores[0])!;
      expect(store.metadata.namespace).toBe(config.namespaces.monitoring);
      const ns = objects.find((o) => o.kind === 'Namespace' && o.metadata.name === config.namespaces.monitoring)!;
      expect(ns.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    });

    test('no Secret objects and no credential values: Grafana reads its admin password from an existing Secret', () => {
      expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
      const grafana = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'grafana')!;
      const env: any[] = grafana.spec.template.spec.containers[0].env;
      const password = env.find((e) => e.name === 'GF_SECURITY_ADMIN_PASSWORD');
      expect(password.value).toBeUndefined();
      expect(password.valueFrom.secretKeyRef).toEqual({ name: 'grafana-admin', key: 'admin-password' });
      expect(env.find((e) => e.name === 'GF_AUTH_ANONYMOUS_ORG_ROLE').value).toBe('Viewer');
    });

    test('RBAC never uses wildcards and only reads, except namespaced leader-election locks', () => {
      const roles = objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role') as any[];
      expect(roles.length).toBeGreaterThan(0);
      for (const role of roles) {
        for (const rule of role.rules) {
          expect(rule.verbs).not.toContain('*');
          expect(rule.resources).not.toContain('*');
          const writes = rule.verbs.filter((v: string) => !['get', 'list', 'watch'].includes(v));
          if (writes.length === 0) continue;
          // A leader-election lock: a Role (never cluster-wide), create, and update only of the named lock.
          const where = `${role.kind}/${role.metadata.name}`;
          expect({ where, kind: role.kind, resources: rule.resources }).toEqual({
            where,
            kind: 'Role',
            resources: [expect.stringMatching(/^(leases|configmaps)$/)],
          });
          expect(writes.every((v: string) => v === 'create' || (v === 'update' && rule.resourceNames?.length > 0))).toBe(true);
        }
      }
    });

    test('the metrics store keeps its data on a PersistentVolumeClaim with retention by time (and by size, Prometheus)', () => {
      for (const owner of backend.stores) {
        const sts = objects.find((o) => `${o.kind}/${o.metadata.name}` === owner)!;
        const container = sts.spec.template.spec.containers[0];
        expect({ owner, claims: sts.spec.volumeClaimTemplates.map((t: any) => t.metadata.name) }).toEqual({ owner, claims: ['data'] });
        const dataMount = container.volumeMounts.find((m: any) => m.name === 'data');
        if (config.metrics.backend === 'prometheus') {
          // Retention is in prometheus.yml (storage.tsdb.retention), not in the flags Prometheus 3.13 deprecates.
          const cm: any = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'prometheus-config');
          expect(parse(cm.data['prometheus.yml']).storage.tsdb.retention).toEqual({ time: expect.stringMatching(/^\d+[dw]$/), size: expect.stringMatching(/^\d+GB$/) });
          expect(container.args.filter((a: string) => a.includes('retention'))).toEqual([]);
          expect(dataMount.mountPath).toBe('/prometheus');
        } else {
          expect({ owner, retention: container.args.filter((a: string) => a.startsWith('-retentionPeriod=')) }).toEqual({
            owner,
            retention: [`-retentionPeriod=${config.metrics.victoriaMetrics.retention}`],
          });
          expect({ owner, dataPath: container.args.filter((a: string) => a.startsWith('-storageDataPath=')) }).toEqual({ owner, dataPath: [`-storageDataPath=${dataMount.mountPath}`] });
        }
      }
    });
  });
});
