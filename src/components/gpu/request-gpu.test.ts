import { Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { requestGpu } from './request-gpu';

const LIMITS = { cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.units(1) }, memory: { request: Size.mebibytes(128), limit: Size.gibibytes(1) } };

function deployment(containers: kplus.ContainerProps[]) {
  const chart = Testing.chart();
  const d = new kplus.Deployment(chart, 'llm', { metadata: { name: 'llm' }, containers });
  return { chart, d };
}

function podSpec(chart: any) {
  return (Testing.synth(chart) as any[]).find((o) => o.kind === 'Deployment').spec.template.spec;
}

test('GIVEN a Deployment WHEN requestGpu is called THEN it gets the GPU limit, toleration, RuntimeClass and GPU-node affinity', () => {
  const { chart, d } = deployment([{ name: 'llm', image: 'example/llm:1.0', portNumber: 8080, resources: LIMITS }]);
  requestGpu(d);
  const spec = podSpec(chart);
  expect(spec.containers[0].resources.limits).toStrictEqual({ cpu: '1', memory: '1024Mi', 'nvidia.com/gpu': '1' });
  expect(spec.tolerations).toStrictEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
  expect(spec.runtimeClassName).toBe('nvidia');
  expect(spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toStrictEqual([
    { matchExpressions: [{ key: 'nvidia.com/gpu.present', operator: 'In', values: ['true'] }] },
  ]);
});

test('GIVEN a StatefulSet with two containers WHEN the named one gets 2 GPUs on custom nodes without a RuntimeClass THEN only it gets them', () => {
  const chart = Testing.chart();
  const service = new kplus.Service(chart, 'svc', { ports: [{ port: 80 }] });
  const sts = new kplus.StatefulSet(chart, 'sts', {
    service,
    containers: [
      { name: 'proxy', image: 'example/proxy:1.0', portNumber: 80, resources: LIMITS },
      { name: 'model', image: 'example/model:1.0', portNumber: 8080, resources: LIMITS },
    ],
  });
  requestGpu(sts, { container: 'model', count: 2, nodeSelector: { 'gpu-type': 'a100' }, runtimeClassName: null });
  const spec = (Testing.synth(chart) as any[]).find((o) => o.kind === 'StatefulSet').spec.template.spec;
  expect(spec.containers[0].resources.limits['nvidia.com/gpu']).toBeUndefined();
  expect(spec.containers[1].resources.limits['nvidia.com/gpu']).toBe('2');
  expect(spec.runtimeClassName).toBeUndefined();
  expect(spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions).toStrictEqual([
    { key: 'gpu-type', operator: 'In', values: ['a100'] },
  ]);
});

test('fails if the workload has several containers and none is named', () => {
  const { d } = deployment([
    { name: 'a', image: 'example/a:1', portNumber: 80, resources: LIMITS },
    { name: 'b', image: 'example/b:1', portNumber: 81, resources: LIMITS },
  ]);
  expect(() => requestGpu(d)).toThrow('the workload has 2 containers ("a", "b"); name the one that gets the GPU with "container"');
});

test('fails if the named container does not exist', () => {
  const { d } = deployment([{ name: 'a', image: 'example/a:1', portNumber: 80, resources: LIMITS }]);
  expect(() => requestGpu(d, { container: 'b' })).toThrow('no container named "b"; the workload has "a"');
});

test('fails if the count is not a whole number of at least 1', () => {
  const { d } = deployment([{ name: 'a', image: 'example/a:1', portNumber: 80, resources: LIMITS }]);
  expect(() => requestGpu(d, { count: 0 })).toThrow('count must be a whole number of at least 1, got 0');
  expect(() => requestGpu(d, { count: 1.5 })).toThrow('got 1.5');
});

test('fails if the container has no CPU or memory limit', () => {
  const { d } = deployment([
    { name: 'a', image: 'example/a:1', portNumber: 80, resources: { cpu: { request: kplus.Cpu.millis(100) }, memory: LIMITS.memory } },
  ]);
  expect(() => requestGpu(d)).toThrow('container "a" needs CPU and memory limits before it gets a GPU');
});

test('fails if the node selector is empty', () => {
  const { d } = deployment([{ name: 'a', image: 'example/a:1', portNumber: 80, resources: LIMITS }]);
  expect(() => requestGpu(d, { nodeSelector: {} })).toThrow('nodeSelector is empty');
});

test('GIVEN requestGpu called twice with the same options THEN the pod is that of one call: no duplicated toleration or affinity', () => {
  const once = deployment([{ name: 'llm', image: 'example/llm:1.0', portNumber: 8080, resources: LIMITS }]);
  requestGpu(once.d);
  const twice = deployment([{ name: 'llm', image: 'example/llm:1.0', portNumber: 8080, resources: LIMITS }]);
  requestGpu(twice.d);
  requestGpu(twice.d, { count: 1 });
  const spec = podSpec(twice.chart);
  expect(spec.tolerations).toHaveLength(1);
  expect(spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toHaveLength(1);
  expect(spec).toStrictEqual(podSpec(once.chart));
});

test('GIVEN a workload that already tolerates the GPU taint THEN requestGpu does not add it again', () => {
  const { chart, d } = deployment([{ name: 'llm', image: 'example/llm:1.0', portNumber: 8080, resources: LIMITS }]);
  d.scheduling.tolerate(kplus.Node.tainted(kplus.NodeTaintQuery.exists('nvidia.com/gpu', { effect: kplus.TaintEffect.NO_SCHEDULE })));
  requestGpu(d);
  expect(podSpec(chart).tolerations).toStrictEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
});

test('fails if called again with other options', () => {
  const { d } = deployment([{ name: 'a', image: 'example/a:1', portNumber: 80, resources: LIMITS }]);
  requestGpu(d);
  expect(() => requestGpu(d, { count: 2 })).toThrow(/the workload already has GPUs requested with .*"count":1.*; call requestGpu once per workload/);
});
