import * as path from 'path';
import { loadManifestDir, validateObjects } from './support/k8s-schema';
import { environments, synthesizedShippedConfigs } from './support/synth-fixture';

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: any };

const out = synthesizedShippedConfigs();

/** Workloads allowed host access (hostNetwork, hostPID or hostPath), all node agents. */
const HOST_ACCESS = ['DaemonSet/node-exporter', 'DaemonSet/promtail', 'DaemonSet/alloy'];
/** Pods that run as root, and why. */
const RUNS_AS_ROOT: Record<string, string> = {
  'DaemonSet/promtail': 'reads the kubelet\'s root-owned 0640 log files under /var/log/pods',
  'DaemonSet/alloy': 'reads the kubelet\'s root-owned 0640 log files under /var/log/pods',
};
/** The one writable host mount per workload, and why. */
const WRITABLE_HOST_MOUNTS: Record<string, string> = {
  // The read positions, which must survive the pod so a restart neither loses nor re-sends lines.
  'DaemonSet/promtail': '/var/lib/log-agent',
  'DaemonSet/alloy': '/var/lib/log-agent',
};
const envs = environments(out);

function podSpecs(objects: K8sObject[]): Array<{ owner: string; spec: any }> {
  return objects
    .filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'].includes(o.kind))
    .map((o) => ({
      owner: `${o.kind}/${o.metadata.name}`,
      spec: o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template.spec : o.spec.template.spec,
    }));
}

describe('synthesized manifests of the shipped configs', () => {
  test('GIVEN the shipped configs WHEN synthesized THEN both prod and qa exist', () => {
    expect(envs).toEqual(['prod', 'qa']);
  });

  describe.each(envs)('%s', (env) => {
    const objects = loadManifestDir(path.join(out, env)) as K8sObject[];

    test('every object is valid against the Kubernetes 1.28 and 1.36 schemas, strictly (unknown fields fail)', () => {
      expect(objects.length).toBeGreaterThan(15);
      expect(validateObjects(objects)).toEqual([]);
    });

    test('holds the metrics core and Grafana', () => {
      const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
      expect(names).toEqual(
        expect.arrayContaining([
          'StatefulSet/prometheus',
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

    test('every container has requests, limits, probes, a pinned image and the restrictive securityContext', () => {
      const pods = podSpecs(objects);
      expect(pods.length).toBeGreaterThanOrEqual(4);
      for (const { owner, spec } of pods) {
        const root = owner in RUNS_AS_ROOT;
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
          expect({ where, liveness: !!c.livenessProbe, readiness: !!c.readinessProbe }).toEqual({ where, liveness: true, readiness: true });
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

    test('host access is limited to the node agents, in the node-agents namespace, with read-only host mounts', () => {
      const agentNs = objects.find(
        (o) => o.kind === 'Namespace' && o.metadata.labels?.['pod-security.kubernetes.io/enforce'] === 'privileged',
      )!;
      const hostUsers: string[] = [];
      for (const { owner, spec } of podSpecs(objects)) {
        const usesHost = spec.hostNetwork || spec.hostPID || (spec.volumes ?? []).some((v: any) => v.hostPath);
        if (!usesHost) continue;
        hostUsers.push(owner);
        expect(HOST_ACCESS).toContain(owner);
        const workload = objects.find((o) => `${o.kind}/${o.metadata.name}` === owner)!;
        expect({ owner, namespace: workload.metadata.namespace }).toEqual({ owner, namespace: agentNs.metadata.name });
        const mounts = spec.containers.flatMap((c: any) => c.volumeMounts ?? []);
        const hostVolumes = new Map((spec.volumes ?? []).filter((v: any) => v.hostPath).map((v: any) => [v.name, v.hostPath.path]));
        for (const m of mounts.filter((m: any) => hostVolumes.has(m.name))) {
          const writable = WRITABLE_HOST_MOUNTS[owner] === m.mountPath;
          expect({ owner, mount: m.mountPath, readOnly: m.readOnly === true }).toEqual({ owner, mount: m.mountPath, readOnly: !writable });
        }
      }
      expect(hostUsers).toContain('DaemonSet/node-exporter');
    });

    test('the monitoring namespace enforces the restricted Pod Security level', () => {
      const prometheus = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'prometheus')!;
      const ns = objects.find((o) => o.kind === 'Namespace' && o.metadata.name === prometheus.metadata.namespace)!;
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

    test('Prometheus keeps its TSDB on a PersistentVolumeClaim with retention by time and by size', () => {
      const sts = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'prometheus')!;
      const args: string[] = sts.spec.template.spec.containers[0].args;
      expect(args).toEqual(expect.arrayContaining([expect.stringMatching(/^--storage\.tsdb\.retention\.time=\d+d$/)]));
      expect(args).toEqual(expect.arrayContaining([expect.stringMatching(/^--storage\.tsdb\.retention\.size=\d+GB$/)]));
      expect(sts.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
      const dataMount = sts.spec.template.spec.containers[0].volumeMounts.find((m: any) => m.name === 'data');
      expect(dataMount.mountPath).toBe('/prometheus');
    });
  });
});
