import { AlertTests } from '../../kit/alert-tests';

/**
 * Unit tests of the `gpu` group as the shipped configs render it: the default
 * nvidia-smi exporter, the AI service `go-ai/ai-service`, and the default
 * thresholds (85 °C, 95% of VRAM). The dcgm variant is tested in gpu.test.ts.
 */
export const gpuAlertTests: AlertTests = {
  group: 'gpu',
  cases: [
    {
      name: 'GpuExporterDown fires after 5 minutes of failed scrapes, not before, and only for the exporter that is down',
      series: [
        { series: 'up{job="gpu-exporter", node="gpu-1", pod="gpu-exporter-a", namespace="monitoring-agents"}', values: '1x5 0x15' },
        { series: 'up{job="gpu-exporter", node="gpu-2", pod="gpu-exporter-b", namespace="monitoring-agents"}', values: '1x20' },
        { series: 'up{job="node-exporter", node="gpu-2", pod="node-exporter-b", namespace="monitoring-agents"}', values: '0x20' },
      ],
      checks: [
        { at: '5m', alert: 'GpuExporterDown', firing: [] },
        // Down from minute 6: pending until 11m.
        { at: '10m', alert: 'GpuExporterDown', firing: [] },
        {
          at: '12m',
          alert: 'GpuExporterDown',
          firing: [{ severity: 'warning', job: 'gpu-exporter', node: 'gpu-1', pod: 'gpu-exporter-a', namespace: 'monitoring-agents' }],
        },
      ],
    },
    {
      name: 'AiServiceNotReady fires after 5 minutes without a ready replica; silent for other deployments and when scaled to zero',
      series: [
        { series: 'kube_deployment_status_replicas_ready{namespace="go-ai", deployment="ai-service", job="kube-state-metrics"}', values: '1x3 0x20' },
        { series: 'kube_deployment_spec_replicas{namespace="go-ai", deployment="ai-service", job="kube-state-metrics"}', values: '1x23' },
        // Same name in another namespace: not the configured service.
        { series: 'kube_deployment_status_replicas_ready{namespace="go-ecommerce", deployment="ai-service", job="kube-state-metrics"}', values: '0x23' },
        { series: 'kube_deployment_spec_replicas{namespace="go-ecommerce", deployment="ai-service", job="kube-state-metrics"}', values: '1x23' },
      ],
      checks: [
        { at: '3m', alert: 'AiServiceNotReady', firing: [] },
        { at: '8m', alert: 'AiServiceNotReady', firing: [] },
        {
          at: '10m',
          alert: 'AiServiceNotReady',
          firing: [{ severity: 'critical', namespace: 'go-ai', deployment: 'ai-service', job: 'kube-state-metrics' }],
        },
      ],
    },
    {
      name: 'AiServiceNotReady is silent when the AI service is scaled to zero on purpose',
      series: [
        { series: 'kube_deployment_status_replicas_ready{namespace="go-ai", deployment="ai-service", job="kube-state-metrics"}', values: '0x20' },
        { series: 'kube_deployment_spec_replicas{namespace="go-ai", deployment="ai-service", job="kube-state-metrics"}', values: '0x20' },
      ],
      checks: [{ at: '15m', alert: 'AiServiceNotReady', firing: [] }],
    },
    {
      name: 'GpuTemperatureHigh fires above 85 °C held for 10 minutes; silent at exactly 85 °C',
      series: [
        { series: 'nvidia_smi_temperature_gpu{uuid="GPU-a", node="gpu-1", job="gpu-exporter", pod="gpu-exporter-a"}', values: '70x4 90x20' },
        { series: 'nvidia_smi_temperature_gpu{uuid="GPU-b", node="gpu-1", job="gpu-exporter", pod="gpu-exporter-a"}', values: '85x24' },
      ],
      checks: [
        { at: '4m', alert: 'GpuTemperatureHigh', firing: [] },
        // Hot from minute 5: pending until 15m.
        { at: '14m', alert: 'GpuTemperatureHigh', firing: [] },
        { at: '16m', alert: 'GpuTemperatureHigh', firing: [{ severity: 'warning', uuid: 'GPU-a', node: 'gpu-1' }] },
      ],
    },
    {
      name: 'GpuMemoryHigh fires above 95% of VRAM for 15 minutes; silent at 90%',
      series: [
        { series: 'nvidia_smi_memory_used_bytes{uuid="GPU-a", node="gpu-1", job="gpu-exporter"}', values: '4e9x4 7.8e9x25' },
        { series: 'nvidia_smi_memory_total_bytes{uuid="GPU-a", node="gpu-1", job="gpu-exporter"}', values: '8e9x29' },
        { series: 'nvidia_smi_memory_used_bytes{uuid="GPU-b", node="gpu-1", job="gpu-exporter"}', values: '7.2e9x29' },
        { series: 'nvidia_smi_memory_total_bytes{uuid="GPU-b", node="gpu-1", job="gpu-exporter"}', values: '8e9x29' },
      ],
      checks: [
        { at: '4m', alert: 'GpuMemoryHigh', firing: [] },
        // Above 95% (97.5%) from minute 5: pending until 20m.
        { at: '19m', alert: 'GpuMemoryHigh', firing: [] },
        { at: '21m', alert: 'GpuMemoryHigh', firing: [{ severity: 'warning', uuid: 'GPU-a', node: 'gpu-1' }] },
      ],
    },
  ],
};
