import type { GpuConfig } from './config';
import { ComponentModule, SyncWave } from '../../kit/module';
import { gpuDashboard } from './dashboard';
import { NvidiaDevicePlugin } from './device-plugin';
import { GpuExporter } from './gpu-exporter';
import { gpuRules } from './rules';

type GpuSection = { readonly gpu: GpuConfig };

function gpuRuleGroup(config: GpuSection) {
  const gpu = config.gpu;
  return gpuRules({
    exporter: gpu.exporter,
    aiService: gpu.aiService,
    temperatureCelsius: gpu.thresholds.temperatureCelsius,
    memoryUsedRatio: gpu.thresholds.memoryUsedRatio,
  });
}

/**
 * GPU nodes: the device plugin and the exporter in the node-agents namespace
 * (chart `gpu`), plus the GPU alerts and dashboard. Nothing when gpu.enabled is false.
 */
export const gpuModule: ComponentModule<GpuSection> = {
  name: 'gpu',
  rules: (config) => [gpuRuleGroup(config)],
  build(ctx, config) {
    const gpu = config.gpu;
    if (!gpu.enabled) return {};
    const namespace = ctx.namespaces.nodeAgents;
    const chart = ctx.chart('gpu', namespace, SyncWave.COLLECTORS);
    const runtimeClassName = gpu.runtimeClassName;
    const timeSlicingReplicas = gpu.timeSlicing?.replicas;
    const priorityClassName = ctx.nodeAgentPriorityClass;
    new NvidiaDevicePlugin(chart, 'device-plugin', {
      namespace,
      priorityClassName,
      nodeSelector: gpu.nodeSelector,
      runtimeClassName,
      timeSlicingReplicas,
    });
    const exporter = new GpuExporter(chart, 'exporter', {
      namespace,
      priorityClassName,
      nodeSelector: gpu.nodeSelector,
      exporter: gpu.exporter,
      runtimeClassName,
      requestGpu: gpu.exporterRequestsGpu,
      timeSlicingReplicas,
    });
    return {
      scrapeJobs: [exporter.scrapeJob],
      ruleGroups: [gpuRuleGroup(config)],
      dashboards: [
        gpuDashboard({
          exporter: gpu.exporter,
          temperatureCelsius: gpu.thresholds.temperatureCelsius,
          memoryUsedRatio: gpu.thresholds.memoryUsedRatio,
        }),
      ],
    };
  },
};
