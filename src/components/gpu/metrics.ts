import { IMAGES, ImageRef } from '../../lib/images';

/** The GPU exporters the stack can run. */
export const GPU_EXPORTERS = ['nvidia-smi', 'dcgm'] as const;
export type GpuExporterKind = (typeof GPU_EXPORTERS)[number];

/**
 * What one exporter exposes, in the stack's units: every query yields a ratio
 * (0-1), degrees Celsius, bytes or watts, whichever exporter is chosen.
 * Dashboards and alerts take their queries from here and nowhere else.
 */
export interface GpuMetricSet {
  readonly image: ImageRef;
  readonly port: number;
  /** Path the liveness and readiness probes use (cheap: it does not query the GPUs). */
  readonly healthPath: string;
  /** The label that names one GPU. */
  readonly gpuLabel: string;
  /** Series whose absence means the exporter sees no GPU. */
  readonly presence: string;
  readonly utilisationRatio: string;
  readonly temperatureCelsius: string;
  readonly memoryUsedBytes: string;
  readonly memoryTotalBytes: string;
  readonly powerWatts: string;
  /**
   * Per-pod attribution: the labels naming the pod that holds a GPU. Only
   * dcgm-exporter gives it (through the kubelet pod-resources API). Its own
   * `namespace` and `pod` labels clash with the target labels Prometheus adds,
   * so they arrive renamed to `exported_*`.
   */
  readonly perPod?: { readonly namespaceLabel: string; readonly podLabel: string };
}

const MIB = 1048576;

export const GPU_METRICS: Readonly<Record<GpuExporterKind, GpuMetricSet>> = {
  // utkuozdemir/nvidia_gpu_exporter runs nvidia-smi and already converts to ratios and bytes.
  'nvidia-smi': {
    image: IMAGES.nvidiaGpuExporter,
    port: 9835,
    healthPath: '/',
    gpuLabel: 'uuid',
    presence: 'nvidia_smi_gpu_info',
    utilisationRatio: 'nvidia_smi_utilization_gpu_ratio',
    temperatureCelsius: 'nvidia_smi_temperature_gpu',
    memoryUsedBytes: 'nvidia_smi_memory_used_bytes',
    memoryTotalBytes: 'nvidia_smi_memory_total_bytes',
    powerWatts: 'nvidia_smi_power_draw_watts',
  },
  // dcgm-exporter reports percent and MiB; total framebuffer is used + free.
  dcgm: {
    image: IMAGES.dcgmExporter,
    port: 9400,
    healthPath: '/health',
    gpuLabel: 'UUID',
    presence: 'DCGM_FI_DEV_GPU_TEMP',
    utilisationRatio: 'DCGM_FI_DEV_GPU_UTIL / 100',
    temperatureCelsius: 'DCGM_FI_DEV_GPU_TEMP',
    memoryUsedBytes: `DCGM_FI_DEV_FB_USED * ${MIB}`,
    memoryTotalBytes: `(DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE) * ${MIB}`,
    powerWatts: 'DCGM_FI_DEV_POWER_USAGE',
    perPod: { namespaceLabel: 'exported_namespace', podLabel: 'exported_pod' },
  },
};
