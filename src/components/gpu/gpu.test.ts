import { DEFAULT_GPU_RUNTIME_CLASS } from './request-gpu';
import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import { parseConfig } from '../../config/loader';
import { NvidiaDevicePlugin } from './device-plugin';
import { GpuExporter, GpuExporterProps } from './gpu-exporter';
import { GPU_METRICS } from './metrics';

const NODE = { 'nvidia.com/gpu.present': 'true' };

function devicePlugin(props: { timeSlicingReplicas?: number; runtimeClassName?: string | null } = {}) {
  const chart = Testing.chart();
  new NvidiaDevicePlugin(chart, 'dp', { namespace: 'monitoring-agents', priorityClassName: 'node-agent', nodeSelector: NODE, ...props });
  return Testing.synth(chart) as any[];
}

function exporter(props: Partial<GpuExporterProps> = {}) {
  const chart = Testing.chart();
  const e = new GpuExporter(chart, 'e', { namespace: 'monitoring-agents', priorityClassName: 'node-agent', nodeSelector: NODE, ...props });
  const objects = Testing.synth(chart) as any[];
  const spec = objects.find((o) => o.kind === 'DaemonSet').spec.template.spec;
  return { objects, spec, container: spec.containers[0], scrapeJob: e.scrapeJob };
}

describe('NvidiaDevicePlugin', () => {
  test('snapshot: the device plugin with time-slicing and the nvidia RuntimeClass', () => {
    expect(devicePlugin({ timeSlicingReplicas: 4, runtimeClassName: 'nvidia' })).toMatchSnapshot();
  });

  test('GIVEN defaults THEN it runs on GPU nodes only, tolerates their taint, and writes only the kubelet device-plugin directory', () => {
    const objects = devicePlugin();
    const spec = objects.find((o) => o.kind === 'DaemonSet').spec.template.spec;
    expect(spec.nodeSelector).toEqual(NODE);
    expect(spec.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    // The default RuntimeClass is the config's default, the one the NVIDIA GPU operator installs.
    expect(spec.runtimeClassName).toBe(DEFAULT_GPU_RUNTIME_CLASS);
    expect(devicePlugin({ runtimeClassName: null }).find((o) => o.kind === 'DaemonSet').spec.template.spec.runtimeClassName).toBeUndefined();
    expect(spec.volumes).toEqual([{ name: 'device-plugins', hostPath: { path: '/var/lib/kubelet/device-plugins', type: 'Directory' } }]);
    expect(spec.containers[0].volumeMounts).toEqual([{ name: 'device-plugins', mountPath: '/var/lib/kubelet/device-plugins' }]);
    expect(spec.containers[0].securityContext).toEqual(
      expect.objectContaining({ runAsUser: 0, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }),
    );
    expect(spec.containers[0].args).toBeUndefined();
    expect(objects.filter((o) => o.kind === 'ConfigMap')).toEqual([]);
  });

  test('GIVEN time-slicing with 4 replicas THEN the plugin reads the v1 sharing config that advertises each GPU 4 times', () => {
    const objects = devicePlugin({ timeSlicingReplicas: 4 });
    const config = objects.find((o) => o.kind === 'ConfigMap');
    expect(parse(config.data['config.yaml'])).toStrictEqual({
      version: 'v1',
      sharing: { timeSlicing: { resources: [{ name: 'nvidia.com/gpu', replicas: 4 }] } },
    });
    const ds = objects.find((o) => o.kind === 'DaemonSet');
    expect(ds.spec.template.spec.containers[0].args).toEqual(['--config-file=/etc/nvidia-device-plugin/config.yaml']);
    expect(ds.spec.template.metadata.annotations['checksum/config']).toMatch(/^[0-9a-f]{16}$/);
  });

  test('fails if time-slicing asks for fewer than 2 replicas', () => {
    expect(() => devicePlugin({ timeSlicingReplicas: 1 })).toThrow('timeSlicingReplicas must be a whole number of at least 2, got 1');
  });

  test('fails if the node selector is empty (it would run on every node)', () => {
    const chart = Testing.chart();
    expect(
      () => new NvidiaDevicePlugin(chart, 'dp', { namespace: 'a', priorityClassName: 'p', nodeSelector: {} }),
    ).toThrow('nodeSelector is empty');
  });
});

describe('GpuExporter', () => {
  test('snapshot: the default nvidia-smi exporter', () => {
    expect(exporter({ runtimeClassName: 'nvidia' }).objects).toMatchSnapshot();
  });

  test('GIVEN defaults THEN it sees every GPU through the runtime, requests none, and runs as nobody without host mounts', () => {
    const { spec, container, scrapeJob } = exporter({ runtimeClassName: 'nvidia' });
    expect(container.image).toBe('docker.io/utkuozdemir/nvidia_gpu_exporter:1.14.0');
    expect(container.env).toEqual([{ name: 'NVIDIA_VISIBLE_DEVICES', value: 'all' }]);
    expect(Object.keys(container.resources.limits)).toEqual(['cpu', 'memory']);
    expect(container.ports).toEqual([{ name: 'metrics', containerPort: 9835 }]);
    expect(spec.runtimeClassName).toBe('nvidia');
    expect(spec.nodeSelector).toEqual(NODE);
    expect(spec.securityContext.runAsNonRoot).toBe(true);
    expect(spec.volumes).toBeUndefined();
    expect(scrapeJob.job_name).toBe('gpu-exporter');
    expect(scrapeJob.kubernetes_sd_configs).toEqual([{ role: 'pod', namespaces: { names: ['monitoring-agents'] } }]);
  });

  test('GIVEN time-slicing WHEN the exporter requests a GPU THEN it takes one share through the device plugin', () => {
    const { container } = exporter({ requestGpu: true, timeSlicingReplicas: 4 });
    expect(container.resources.limits['nvidia.com/gpu']).toBe('1');
    // The device plugin sets NVIDIA_VISIBLE_DEVICES to the share it hands out.
    expect(container.env).toEqual([]);
  });

  test('fails if the exporter requests a GPU without time-slicing, and says why', () => {
    expect(() => exporter({ requestGpu: true })).toThrow(
      'GpuExporter: requestGpu is true without timeSlicingReplicas: a DaemonSet that requests nvidia.com/gpu takes a whole GPU on every GPU node away from the workloads',
    );
  });

  test('fails if the config asks the exporter for a GPU without time-slicing, naming the field and what is allowed', () => {
    const text = [
      'environment: dev',
      'cluster: dev',
      'repository:',
      '  url: https://git.example.test/platform/observability',
      'grafana:',
      '  adminCredentials:',
      '    secretName: grafana-admin',
      'gpu:',
      '  enabled: true',
      '  exporterRequestsGpu: true',
    ].join('\n');
    expect(() => parseConfig(text, 'dev.yaml')).toThrow(
      'dev.yaml: gpu.exporterRequestsGpu: true is not allowed without gpu.timeSlicing: a DaemonSet that requests nvidia.com/gpu ' +
        'takes a whole GPU on every GPU node away from the workloads; request one only with time-slicing on (gpu.timeSlicing.replicas), ' +
        'or leave it off so the exporter sees the GPUs through the NVIDIA runtime (NVIDIA_VISIBLE_DEVICES=all) (line 10)',
    );
    // The same request with time-slicing is accepted.
    expect(parseConfig(`${text}\n  timeSlicing:\n    replicas: 4\n`, 'dev.yaml').gpu.exporterRequestsGpu).toBe(true);
  });

  test('GIVEN dcgm THEN it attributes GPUs to pods through a read-only pod-resources mount, as root with no capabilities', () => {
    const { spec, container } = exporter({ exporter: 'dcgm' });
    expect(container.image).toBe('nvcr.io/nvidia/k8s/dcgm-exporter:4.5.3-4.8.2-distroless');
    expect(container.ports).toEqual([{ name: 'metrics', containerPort: 9400 }]);
    expect(container.env).toEqual(
      expect.arrayContaining([
        { name: 'NVIDIA_VISIBLE_DEVICES', value: 'all' },
        { name: 'DCGM_EXPORTER_KUBERNETES', value: 'true' },
      ]),
    );
    expect(spec.volumes).toEqual([{ name: 'pod-resources', hostPath: { path: '/var/lib/kubelet/pod-resources', type: 'Directory' } }]);
    expect(container.volumeMounts).toEqual([{ name: 'pod-resources', mountPath: '/var/lib/kubelet/pod-resources', readOnly: true }]);
    expect(spec.securityContext.runAsUser).toBe(0);
    expect(container.securityContext.capabilities).toEqual({ drop: ['ALL'] });
    expect(container.livenessProbe.httpGet.path).toBe('/health');
  });

  test('the metric table names the default exporter metric and DCGM fields for dcgm', () => {
    expect(GPU_METRICS['nvidia-smi'].temperatureCelsius).toBe('nvidia_smi_temperature_gpu');
    expect(GPU_METRICS.dcgm.temperatureCelsius).toBe('DCGM_FI_DEV_GPU_TEMP');
    expect(GPU_METRICS['nvidia-smi'].perPod).toBeUndefined();
    expect(GPU_METRICS.dcgm.perPod).toEqual({ namespaceLabel: 'exported_namespace', podLabel: 'exported_pod' });
  });
});
