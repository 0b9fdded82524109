import { z } from 'zod';
import { dnsLabel, labelKey, labelValue } from '../../config/fields';

export const gpuConfig = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe('Run the NVIDIA device plugin and a GPU exporter on GPU nodes, with the GPU dashboard and alerts. Default: false.'),
    nodeSelector: z
      .record(labelKey, labelValue)
      .refine((v) => Object.keys(v).length > 0, { error: 'expected at least one label: GPU agents must run on GPU nodes only' })
      .default({ 'nvidia.com/gpu.present': 'true' })
      .describe(
        'Node labels that mark GPU nodes; the device plugin and the exporter run there only. ' +
          'Default: {"nvidia.com/gpu.present": "true"} (set by NVIDIA GPU feature discovery).',
      ),
    runtimeClassName: dnsLabel('a RuntimeClass name')
      .nullable()
      .default('nvidia')
      .describe(
        'RuntimeClass that injects the NVIDIA driver and devices into the GPU agents; null when the NVIDIA runtime is ' +
          "the nodes' default. Default: nvidia.",
      ),
    exporter: z
      .enum(['nvidia-smi', 'dcgm'])
      .default('nvidia-smi')
      .describe(
        'GPU exporter: "nvidia-smi" (utkuozdemir/nvidia_gpu_exporter, nvidia_smi_* metrics, runs as non-root) or "dcgm" ' +
          '(dcgm-exporter, DCGM_FI_* metrics with per-pod attribution; runs as root to read the kubelet pod-resources socket). ' +
          'Default: nvidia-smi.',
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
    exporterRequestsGpu: z
      .boolean()
      .default(false)
      .describe(
        'Give the exporter an nvidia.com/gpu share through the device plugin instead of NVIDIA_VISIBLE_DEVICES=all. ' +
          'Only allowed with timeSlicing: a whole GPU per node would be taken from the workloads. Default: false.',
      ),
    aiService: z
      .strictObject({
        name: dnsLabel('a Deployment name').default('ai-service').describe('Deployment of the AI service that runs on the GPU. Default: ai-service.'),
        namespace: dnsLabel('a namespace name').default('go-ai').describe('Namespace of the AI service. Default: go-ai.'),
      })
      .prefault({})
      .describe('The GPU workload AiServiceNotReady watches.'),
    thresholds: z
      .strictObject({
        temperatureCelsius: z
          .number()
          .min(40, { error: 'expected 40 to 110 °C' })
          .max(110, { error: 'expected 40 to 110 °C' })
          .default(85)
          .describe(
            'GpuTemperatureHigh fires above this, held for 10 minutes. Most NVIDIA GPUs start to throttle in the high 80s. Default: 85.',
          ),
        memoryUsedRatio: z
          .number()
          .gt(0, { error: 'expected a ratio above 0 and at most 1' })
          .max(1, { error: 'expected a ratio above 0 and at most 1' })
          .default(0.95)
          .describe(
            'GpuMemoryHigh fires when used VRAM is above this share of total for 15 minutes. An LLM runtime keeps its model ' +
              'resident, so 80-90% is its normal state; above 95% the next model or a longer context fails. Default: 0.95.',
          ),
      })
      .prefault({})
      .describe('Alert thresholds, also drawn on the GPU dashboard.'),
  })
  .prefault({})
  .describe('GPU observability: the NVIDIA device plugin, a GPU exporter, the GPU dashboard and alerts.');

export type GpuConfig = z.output<typeof gpuConfig>;
