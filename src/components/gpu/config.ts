import { z } from 'zod';
import { dnsLabel, labelKey, labelValue, withDefault } from '../../config/fields';
import { GPU_EXPORTER_DEFAULTS } from './gpu-exporter';
import { DEFAULT_GPU_NODE_SELECTOR, DEFAULT_GPU_RUNTIME_CLASS } from './request-gpu';

export const gpuConfig = z
  .strictObject({
    enabled: withDefault(
      z.boolean(),
      false,
      'Run the NVIDIA device plugin and a GPU exporter on GPU nodes, with the GPU dashboard and alerts.',
    ),
    nodeSelector: withDefault(
      z
        .record(labelKey, labelValue)
        .refine((v) => Object.keys(v).length > 0, { error: 'expected at least one label: GPU agents must run on GPU nodes only' }),
      { ...DEFAULT_GPU_NODE_SELECTOR },
      'Node labels that mark GPU nodes; the device plugin and the exporter run there only.',
      '(set by NVIDIA GPU feature discovery)',
    ),
    runtimeClassName: withDefault(
      dnsLabel('a RuntimeClass name').nullable(),
      DEFAULT_GPU_RUNTIME_CLASS,
      'RuntimeClass that injects the NVIDIA driver and devices into the GPU agents; null when the NVIDIA runtime is ' +
        "the nodes' default.",
    ),
    exporter: withDefault(
      z.enum(['nvidia-smi', 'dcgm']),
      GPU_EXPORTER_DEFAULTS.exporter,
      'GPU exporter: "nvidia-smi" (utkuozdemir/nvidia_gpu_exporter, nvidia_smi_* metrics, runs as non-root) or "dcgm" ' +
        '(dcgm-exporter, DCGM_FI_* metrics with per-pod attribution; runs as root to read the kubelet pod-resources socket).',
    ),
    timeSlicing: z
      .strictObject({
        replicas: z
          .number()
          .int()
          .min(2, { error: 'expected at least 2 (1 is no sharing: omit timeSlicing instead)' })
          .max(64, { error: 'expected at most 64 pods per GPU' })
          .describe('How many pods may share one GPU; the device plugin advertises each GPU this many times.'),
      })
      .optional()
      .describe('Time-slicing: several pods share one GPU, with no memory isolation between them. Default: off.'),
    exporterRequestsGpu: withDefault(
      z.boolean(),
      GPU_EXPORTER_DEFAULTS.requestGpu,
      'Give the exporter an nvidia.com/gpu share through the device plugin instead of NVIDIA_VISIBLE_DEVICES=all. ' +
        'Only allowed with timeSlicing: a whole GPU per node would be taken from the workloads.',
    ),
    aiService: z
      .strictObject({
        name: withDefault(dnsLabel('a Deployment name'), 'ai-service', 'Deployment of the AI service that runs on the GPU.'),
        namespace: withDefault(dnsLabel('a namespace name'), 'go-ai', 'Namespace of the AI service.'),
      })
      .prefault({})
      .describe('The GPU workload AiServiceNotReady watches.'),
    thresholds: z
      .strictObject({
        temperatureCelsius: withDefault(
          z.number().min(40, { error: 'expected 40 to 110 °C' }).max(110, { error: 'expected 40 to 110 °C' }),
          85,
          'GpuTemperatureHigh fires above this, held for 10 minutes. Most NVIDIA GPUs start to throttle in the high 80s.',
        ),
        memoryUsedRatio: withDefault(
          z.number().gt(0, { error: 'expected a ratio above 0 and at most 1' }).max(1, { error: 'expected a ratio above 0 and at most 1' }),
          0.95,
          'GpuMemoryHigh fires when used VRAM is above this share of total for 15 minutes. An LLM runtime keeps its model ' +
            'resident, so 80-90% is its normal state; above 95% the next model or a longer context fails.',
        ),
      })
      .prefault({})
      .describe('Alert thresholds, also drawn on the GPU dashboard.'),
  })
  .prefault({})
  .describe('GPU observability: the NVIDIA device plugin, a GPU exporter, the GPU dashboard and alerts.');

export type GpuConfig = z.output<typeof gpuConfig>;
