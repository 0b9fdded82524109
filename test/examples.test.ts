import { Testing } from 'cdk8s';
import { gpuWorkloadChart } from '../examples/gpu-workload';
import { validateObjects } from './support/k8s-schema';

describe('examples/gpu-workload.ts', () => {
  const objects = Testing.synth(gpuWorkloadChart(Testing.app())) as any[];

  test('synthesizes objects that are valid against the Kubernetes schemas, strictly', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'PersistentVolumeClaim/ollama-models',
      'Deployment/ollama',
      'Service/ollama',
    ]);
    expect(validateObjects(objects)).toEqual([]);
  });

  test('the Ollama server gets one GPU on a GPU node through the NVIDIA runtime, and stays non-root', () => {
    const spec = objects.find((o) => o.kind === 'Deployment').spec.template.spec;
    expect(spec.containers[0].resources.limits['nvidia.com/gpu']).toBe('1');
    expect(spec.runtimeClassName).toBe('nvidia');
    expect(spec.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution).toBeDefined();
    expect(spec.securityContext.runAsNonRoot).toBe(true);
    expect(spec.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
  });
});
