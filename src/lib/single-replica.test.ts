import { Testing } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { singleReplicaDeployment, singleReplicaStatefulSet, WorkloadOptions } from './single-replica';
import { podTemplate } from './workload';

const LABELS = { 'app.kubernetes.io/name': 'store', 'app.kubernetes.io/part-of': 'platform', 'app.kubernetes.io/version': '1.2.3' };
const SELECTOR = { 'app.kubernetes.io/name': 'store', 'app.kubernetes.io/part-of': 'platform' };
const CONTAINER: k8s.Container = { name: 'store', image: 'example.org/store:1.2.3' };

const BASE: WorkloadOptions = {
  metadata: { name: 'store', namespace: 'monitoring', labels: LABELS },
  selector: SELECTOR,
  serviceAccountName: 'store-sa',
  automountServiceAccountToken: false,
  security: { runAsUser: 1000, fsGroup: 2000 },
  containers: [CONTAINER],
};

function synthOne(build: (chart: ReturnType<typeof Testing.chart>) => void): any {
  const chart = Testing.chart();
  build(chart);
  const objects = Testing.synth(chart);
  expect(objects).toHaveLength(1);
  return objects[0];
}

describe('singleReplicaStatefulSet', () => {
  test('GIVEN a data volume WHEN built THEN one replica, its own Service name, the pod and a retained claim without the version label', () => {
    const sts = synthOne((chart) =>
      singleReplicaStatefulSet(chart, 'statefulset', {
        ...BASE,
        annotations: { 'checksum/config': 'abc' },
        terminationGracePeriodSeconds: 90,
        volumes: [{ name: 'config', configMap: { name: 'store-config' } }],
        volumeClaim: { name: 'data', size: '7Gi', storageClassName: 'fast' },
      }),
    );
    expect(sts.kind).toBe('StatefulSet');
    expect(sts.metadata).toEqual({ name: 'store', namespace: 'monitoring', labels: LABELS });
    expect(sts.spec.serviceName).toBe('store');
    expect(sts.spec.replicas).toBe(1);
    expect(sts.spec.selector).toEqual({ matchLabels: SELECTOR });
    expect(sts.spec.template.metadata).toEqual({ labels: LABELS, annotations: { 'checksum/config': 'abc' } });
    const pod = sts.spec.template.spec;
    expect(pod.serviceAccountName).toBe('store-sa');
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      fsGroup: 2000,
      fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.terminationGracePeriodSeconds).toBe(90);
    expect(pod.containers).toEqual([CONTAINER]);
    expect(pod.volumes).toEqual([{ name: 'config', configMap: { name: 'store-config' } }]);
    expect(pod.affinity).toBeUndefined();
    expect(sts.spec.volumeClaimTemplates).toEqual([
      {
        metadata: { name: 'data', labels: SELECTOR },
        spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'fast', resources: { requests: { storage: '7Gi' } } },
      },
    ]);
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
  });

  test('GIVEN retain false WHEN built THEN the claim is there and the retention policy is left to Kubernetes', () => {
    const sts = synthOne((chart) =>
      singleReplicaStatefulSet(chart, 'statefulset', { ...BASE, volumeClaim: { name: 'buffer', size: '1Gi', retain: false } }),
    );
    expect(sts.spec.volumeClaimTemplates.map((c: any) => c.metadata.name)).toEqual(['buffer']);
    expect(sts.spec.volumeClaimTemplates[0].spec.storageClassName).toBeUndefined();
    expect(sts.spec).not.toHaveProperty('persistentVolumeClaimRetentionPolicy');
  });

  test('GIVEN no volume claim WHEN built THEN neither claims nor a retention policy, and no optional pod field', () => {
    const sts = synthOne((chart) => singleReplicaStatefulSet(chart, 'statefulset', BASE));
    expect(sts.spec).not.toHaveProperty('volumeClaimTemplates');
    expect(sts.spec).not.toHaveProperty('persistentVolumeClaimRetentionPolicy');
    expect(sts.spec.template.metadata).toEqual({ labels: LABELS });
    expect(Object.keys(sts.spec.template.spec).sort()).toEqual(['automountServiceAccountToken', 'containers', 'securityContext', 'serviceAccountName']);
  });

  test('fails if the selector does not match the pod labels', () => {
    expect(() =>
      singleReplicaStatefulSet(Testing.chart(), 'statefulset', { ...BASE, selector: { ...SELECTOR, 'app.kubernetes.io/name': 'other' } }),
    ).toThrow(
      'singleReplicaStatefulSet(store): selector app.kubernetes.io/name="other" is not among the pod\'s labels (app.kubernetes.io/name is "store"); ' +
        'the API server refuses a workload whose selector does not match its pods',
    );
    expect(() => singleReplicaStatefulSet(Testing.chart(), 'statefulset', { ...BASE, selector: { tier: 'x' } })).toThrow(
      '(tier is missing)',
    );
  });

  test('fails if the selector is empty', () => {
    expect(() => singleReplicaStatefulSet(Testing.chart(), 'statefulset', { ...BASE, selector: {} })).toThrow(
      "singleReplicaStatefulSet(store): selector is empty; it must name at least one of the pod's labels",
    );
  });

  test('fails if the name is not a DNS label', () => {
    expect(() => singleReplicaStatefulSet(Testing.chart(), 'statefulset', { ...BASE, metadata: { ...BASE.metadata, name: 'Store_1' } })).toThrow(
      'singleReplicaStatefulSet: name "Store_1" must be a DNS label',
    );
  });
});

describe('singleReplicaDeployment', () => {
  test('GIVEN a pod WHEN built THEN one replica of it, with no StatefulSet-only field', () => {
    const deployment = synthOne((chart) => singleReplicaDeployment(chart, 'deployment', { ...BASE, automountServiceAccountToken: true }));
    expect(deployment.kind).toBe('Deployment');
    expect(deployment.metadata).toEqual({ name: 'store', namespace: 'monitoring', labels: LABELS });
    expect(Object.keys(deployment.spec).sort()).toEqual(['replicas', 'selector', 'template']);
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.selector).toEqual({ matchLabels: SELECTOR });
    expect(deployment.spec.template.spec.automountServiceAccountToken).toBe(true);
    expect(deployment.spec.template.spec.containers).toEqual([CONTAINER]);
  });

  test('fails if the namespace is not a DNS label', () => {
    expect(() => singleReplicaDeployment(Testing.chart(), 'deployment', { ...BASE, metadata: { ...BASE.metadata, namespace: 'mon.itoring' } })).toThrow(
      'singleReplicaDeployment(store): namespace "mon.itoring" must be a DNS label',
    );
  });
});

describe('podTemplate', () => {
  test('GIVEN an affinity and no fsGroup WHEN built THEN the affinity is kept and no volume ownership change is asked', () => {
    const affinity: k8s.Affinity = { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] } };
    const template = podTemplate({ ...BASE, labels: LABELS, security: { runAsUser: 65534 }, affinity });
    expect(template.spec?.affinity).toBe(affinity);
    expect(template.spec?.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 65534,
      runAsGroup: 65534,
      fsGroup: undefined,
      fsGroupChangePolicy: undefined,
      seccompProfile: { type: 'RuntimeDefault' },
    });
  });
});
