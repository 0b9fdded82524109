import { RuleGroupSpec } from '../../kit/rule-model';
import { GPU_EXPORTER_NAME } from './gpu-exporter';
import { GPU_METRICS, GpuExporterKind } from './metrics';

export interface GpuRulesOptions {
  readonly exporter: GpuExporterKind;
  /** The Deployment of the AI service (like `ai-service`, running a local LLM on the GPU). */
  readonly aiService: { readonly name: string; readonly namespace: string };
  readonly temperatureCelsius: number;
  /** Used VRAM as a share of total, 0-1. */
  readonly memoryUsedRatio: number;
}

/** The GPU alert group: exporter health, AI service readiness, GPU temperature and VRAM usage. */
export function gpuRules(opts: GpuRulesOptions): RuleGroupSpec {
  const m = GPU_METRICS[opts.exporter];
  const perGpu = `node, ${m.gpuLabel}`;
  const svc = `namespace="${opts.aiService.namespace}", deployment="${opts.aiService.name}"`;
  return {
    name: 'gpu',
    rules: [
      {
        alert: 'GpuExporterDown',
        expr: `up{job="${GPU_EXPORTER_NAME}"} == 0`,
        // A rollout or a node reboot takes the exporter away for a minute or two; 5 minutes is a real gap.
        for: '5m',
        severity: 'warning',
        summary: 'The GPU exporter cannot be scraped.',
        description:
          'The GPU exporter on node {{ $labels.node }} (pod {{ $labels.pod }}) has not been scraped for 5 minutes; ' +
          'GPU temperature and VRAM alerts for that node cannot fire.',
      },
      {
        alert: 'AiServiceNotReady',
        // Only when replicas are wanted: a Deployment scaled to zero on purpose is not an outage.
        expr: `kube_deployment_status_replicas_ready{${svc}} == 0 and on (namespace, deployment) kube_deployment_spec_replicas{${svc}} > 0`,
        // Loading a model into VRAM takes minutes after a restart; 5 minutes without any ready replica is an outage.
        for: '5m',
        severity: 'critical',
        summary: 'The AI service has no ready replica.',
        description:
          'Deployment {{ $labels.namespace }}/{{ $labels.deployment }} has had no ready replica for 5 minutes; every request to the AI service fails.',
      },
      {
        alert: 'GpuTemperatureHigh',
        expr: `max by (${perGpu}) (${m.temperatureCelsius}) > %{celsius}`,
        // Default from gpu.thresholds, which the GPU dashboard also draws.
        thresholds: { celsius: { value: opts.temperatureCelsius, description: 'GPU temperature in °C' } },
        // Brief peaks under a burst of inference are normal; 10 minutes hot means cooling or airflow is failing.
        for: '10m',
        severity: 'warning',
        summary: 'A GPU is running hot.',
        description: `GPU {{ $labels.${m.gpuLabel} }} on node {{ $labels.node }} has been at {{ $value }} °C for 10 minutes (threshold %{celsius} °C); it will throttle, then shut down.`,
      },
      {
        alert: 'GpuMemoryHigh',
        expr: `max by (${perGpu}) (${m.memoryUsedBytes}) / max by (${perGpu}) (${m.memoryTotalBytes}) > %{ratio}`,
        thresholds: { ratio: { value: opts.memoryUsedRatio, description: 'used VRAM as a share of total, 0-1' } },
        // A model load fills VRAM in seconds and is meant to stay; 15 minutes above the line is the steady state.
        for: '15m',
        severity: 'warning',
        summary: 'GPU memory is nearly full.',
        description: `GPU {{ $labels.${m.gpuLabel} }} on node {{ $labels.node }} has used {{ $value | humanizePercentage }} of its memory for 15 minutes (threshold %{ratio}); a larger model or context will fail to load.`,
      },
    ],
  };
}
