import { AlertTests } from '../kit/alert-tests';

const PS = 'platform-services';

export const platformKernelAlertTests: AlertTests = {
  group: 'platform-kernel',
  cases: [
    {
      name: 'ErrorRateCritical: 1.5% 5xx fires after its minute, 0.5% never does (the boundary is 1%)',
      interval: '15s',
      series: [
        { series: `http_server_requests_total{namespace="${PS}", service="gateway", status_code="200"}`, values: '0+985x40' },
        { series: `http_server_requests_total{namespace="${PS}", service="gateway", status_code="500"}`, values: '0+15x40' },
        { series: `http_server_requests_total{namespace="${PS}", service="money", status_code="200"}`, values: '0+995x40' },
        { series: `http_server_requests_total{namespace="${PS}", service="money", status_code="503"}`, values: '0+5x40' },
      ],
      checks: [
        // True from the second sample (15s): pending until 1m15s.
        { at: '45s', alert: 'ErrorRateCritical', firing: [] },
        { at: '3m', alert: 'ErrorRateCritical', firing: [{ severity: 'critical', namespace: PS, service: 'gateway' }] },
      ],
    },
    {
      name: 'P99LatencyWarning fires when the p99 is above 200 ms for 5 minutes, not for a fast service',
      series: [
        ...['100', '200'].map((le) => ({ series: `http_server_request_duration_ms_bucket{namespace="${PS}", service="gateway", le="${le}"}`, values: '0x30' })),
        ...['500', '+Inf'].map((le) => ({ series: `http_server_request_duration_ms_bucket{namespace="${PS}", service="gateway", le="${le}"}`, values: '0+10x30' })),
        ...['100', '200', '500', '+Inf'].map((le) => ({
          series: `http_server_request_duration_ms_bucket{namespace="${PS}", service="money", le="${le}"}`,
          values: '0+10x30',
        })),
      ],
      checks: [
        { at: '4m', alert: 'P99LatencyWarning', firing: [] },
        { at: '8m', alert: 'P99LatencyWarning', firing: [{ severity: 'warning', namespace: PS, service: 'gateway' }] },
      ],
    },
    {
      name: 'CDCLagCritical fires after a minute above 60 s, not at 5 s',
      series: [
        // As the Java agent's series arrive through the collector (labels of src/catalog/metrics.ts, source java-agent).
        { series: `debezium_source_connector_lag_seconds{k8s_namespace_name="${PS}", job="${PS}/debezium-connect", server="orders", instance="5d7fc534"}`, values: '5x3 90x10' },
        { series: `debezium_source_connector_lag_seconds{k8s_namespace_name="${PS}", job="${PS}/debezium-connect", server="ledger", instance="5d7fc534"}`, values: '5x13' },
      ],
      checks: [
        { at: '4m', alert: 'CDCLagCritical', firing: [] },
        {
          at: '6m',
          alert: 'CDCLagCritical',
          firing: [{ severity: 'critical', k8s_namespace_name: PS, job: `${PS}/debezium-connect`, server: 'orders' }],
        },
      ],
    },
    {
      name: 'WALBloatCritical fires after 5 minutes above 10 GiB, not at 5 GiB',
      series: [
        { series: `debezium_source_connector_wal_bytes_total{namespace="${PS}", job="annotated-pods", instance="debezium-1:8080"}`, values: '1073741824x2 16106127360x15' },
        { series: `debezium_source_connector_wal_bytes_total{namespace="${PS}", job="annotated-pods", instance="debezium-2:8080"}`, values: '5368709120x17' },
      ],
      checks: [
        { at: '5m', alert: 'WALBloatCritical', firing: [] },
        {
          at: '8m',
          alert: 'WALBloatCritical',
          firing: [{ severity: 'critical', namespace: PS, job: 'annotated-pods', instance: 'debezium-1:8080' }],
        },
      ],
    },
    {
      name: "PodNotReady fires for a pod whose condition=\"true\" series is 0 for 2 minutes; never for a healthy pod's false/unknown series, a finished Job pod, or a namespace outside the platform",
      series: [
        { series: `kube_pod_status_ready{namespace="${PS}", pod="gateway-1", uid="u1", condition="true"}`, values: '1x2 0x10' },
        { series: `kube_pod_status_ready{namespace="${PS}", pod="gateway-1", uid="u1", condition="false"}`, values: '0x2 1x10' },
        { series: `kube_pod_status_ready{namespace="${PS}", pod="gateway-1", uid="u1", condition="unknown"}`, values: '0x12' },
        // Healthy: a plain `kube_pod_status_ready == 0` would fire on its false and unknown series.
        { series: `kube_pod_status_ready{namespace="${PS}", pod="gateway-2", uid="u2", condition="true"}`, values: '1x12' },
        { series: `kube_pod_status_ready{namespace="${PS}", pod="gateway-2", uid="u2", condition="false"}`, values: '0x12' },
        { series: `kube_pod_status_ready{namespace="${PS}", pod="gateway-2", uid="u2", condition="unknown"}`, values: '0x12' },
        { series: `kube_pod_status_ready{namespace="${PS}", pod="migrate-1", uid="u3", condition="true"}`, values: '0x12' },
        { series: `kube_pod_status_phase{namespace="${PS}", pod="migrate-1", uid="u3", phase="Succeeded"}`, values: '1x12' },
        { series: 'kube_pod_status_ready{namespace="someone-else", pod="x-1", uid="u4", condition="true"}', values: '0x12' },
      ],
      checks: [
        { at: '1m', alert: 'PodNotReady', firing: [] },
        { at: '3m', alert: 'PodNotReady', firing: [] },
        { at: '5m', alert: 'PodNotReady', firing: [{ severity: 'critical', namespace: PS, pod: 'gateway-1', uid: 'u1', condition: 'true' }] },
      ],
    },
    {
      name: 'VaultUnreachable fires at once when a health check fails, not while it passes',
      series: [
        { series: `vault_health_check_failed{namespace="${PS}", service="iam"}`, values: '0x2 1x5' },
        { series: `vault_health_check_failed{namespace="${PS}", service="domain-resolver"}`, values: '0x7' },
      ],
      checks: [
        { at: '1m', alert: 'VaultUnreachable', firing: [] },
        { at: '3m', alert: 'VaultUnreachable', firing: [{ severity: 'critical', namespace: PS, service: 'iam' }] },
      ],
    },
    {
      name: 'KafkaConsumerLagHigh sums partitions: 2 x 6000 fires after 5 minutes, a group at 500 does not',
      series: [
        ...['0', '1'].map((p) => ({
          series: `kafka_consumer_lag{namespace="go-ecommerce", service="analytics-service", group_id="analytics-consumer", topic="ecommerce.orders", partition="${p}"}`,
          values: '100x2 6000x15',
        })),
        { series: 'kafka_consumer_lag{namespace="go-ecommerce", service="order-projector", group_id="order-projector", topic="ecommerce.orders", partition="0"}', values: '500x17' },
      ],
      checks: [
        { at: '5m', alert: 'KafkaConsumerLagHigh', firing: [] },
        {
          at: '8m',
          alert: 'KafkaConsumerLagHigh',
          firing: [{ severity: 'critical', namespace: 'go-ecommerce', group_id: 'analytics-consumer', topic: 'ecommerce.orders' }],
        },
      ],
    },
    {
      name: 'CircuitBreakerOpen fires on state 2 (open), not on 1 (half-open)',
      series: [
        { series: `circuit_breaker_state{namespace="${PS}", service="gateway", target="iam"}`, values: '0x2 2x5' },
        { series: `circuit_breaker_state{namespace="${PS}", service="gateway", target="domain-resolver"}`, values: '1x7' },
      ],
      checks: [
        { at: '1m', alert: 'CircuitBreakerOpen', firing: [] },
        { at: '4m', alert: 'CircuitBreakerOpen', firing: [{ severity: 'warning', namespace: PS, service: 'gateway', target: 'iam' }] },
      ],
    },
    {
      name: 'HoldWorkerHeartbeatMissed is silent while the worker reports every minute',
      series: [{ series: `money_hold_worker_last_heartbeat_seconds{namespace="${PS}", service="money"}`, values: '0+60x20' }],
      checks: [{ at: '15m', alert: 'HoldWorkerHeartbeatMissed', firing: [] }],
    },
    {
      name: 'HoldWorkerHeartbeatMissed fires once the last heartbeat is more than 120 s old',
      // The worker reports until 5m (timestamp 300), then stops.
      series: [{ series: `money_hold_worker_last_heartbeat_seconds{namespace="${PS}", service="money"}`, values: '0+60x5 300x15' }],
      checks: [
        { at: '7m', alert: 'HoldWorkerHeartbeatMissed', firing: [] },
        { at: '10m', alert: 'HoldWorkerHeartbeatMissed', firing: [{ severity: 'warning', namespace: PS, service: 'money' }] },
      ],
    },
  ],
};

const AI = { namespace: 'go-ai', pod: 'ai-service-1' };

export const kubernetesAlertTests: AlertTests = {
  group: 'kubernetes',
  cases: [
    {
      name: 'KubeContainerOOMKilled fires for a restart whose last termination was an OOM kill, not for one that exited with an error, and clears after 10 minutes',
      series: [
        { series: `kube_pod_container_status_restarts_total{namespace="go-ai", pod="ai-service-1", container="ai", uid="u"}`, values: '0x5 1x20' },
        { series: `kube_pod_container_status_last_terminated_reason{namespace="go-ai", pod="ai-service-1", container="ai", uid="u", reason="OOMKilled"}`, values: '0x5 1x20' },
        { series: `kube_pod_container_status_restarts_total{namespace="go-ai", pod="ai-service-1", container="sidecar", uid="u"}`, values: '0x5 1x20' },
        { series: `kube_pod_container_status_last_terminated_reason{namespace="go-ai", pod="ai-service-1", container="sidecar", uid="u", reason="Error"}`, values: '0x5 1x20' },
      ],
      checks: [
        { at: '3m', alert: 'KubeContainerOOMKilled', firing: [] },
        { at: '8m', alert: 'KubeContainerOOMKilled', firing: [{ severity: 'warning', ...AI, container: 'ai' }] },
        { at: '20m', alert: 'KubeContainerOOMKilled', firing: [] },
      ],
    },
    {
      name: 'KubePodRestartStorm fires for a container restarting every minute, not for a single restart',
      series: [
        { series: 'kube_pod_container_status_restarts_total{namespace="go-ai", pod="ai-service-1", container="ai", uid="u"}', values: '0+1x30' },
        { series: 'kube_pod_container_status_restarts_total{namespace="go-ai", pod="ai-service-2", container="ai", uid="v"}', values: '0x5 1x25' },
      ],
      checks: [
        { at: '2m', alert: 'KubePodRestartStorm', firing: [] },
        { at: '15m', alert: 'KubePodRestartStorm', firing: [{ severity: 'warning', ...AI, container: 'ai' }] },
      ],
    },
    {
      name: 'KubeContainerMemoryPressure fires at 95% of the limit for 15 minutes, not at 50% nor without a limit',
      series: [
        { series: 'container_memory_working_set_bytes{namespace="go-ai", pod="ai-service-1", container="ai"}', values: '950x30' },
        { series: 'kube_pod_container_resource_limits{namespace="go-ai", pod="ai-service-1", container="ai", resource="memory", unit="byte"}', values: '1000x30' },
        // The pod-level cAdvisor series (container="") is not a container.
        { series: 'container_memory_working_set_bytes{namespace="go-ai", pod="ai-service-1", container=""}', values: '990x30' },
        { series: 'container_memory_working_set_bytes{namespace="go-ai", pod="ai-service-2", container="ai"}', values: '500x30' },
        { series: 'kube_pod_container_resource_limits{namespace="go-ai", pod="ai-service-2", container="ai", resource="memory", unit="byte"}', values: '1000x30' },
        { series: 'container_memory_working_set_bytes{namespace="go-ai", pod="ai-service-3", container="ai"}', values: '5000x30' },
      ],
      checks: [
        { at: '10m', alert: 'KubeContainerMemoryPressure', firing: [] },
        { at: '20m', alert: 'KubeContainerMemoryPressure', firing: [{ severity: 'warning', ...AI, container: 'ai' }] },
      ],
    },
    {
      name: 'KubeNodeDiskPressure fires after 5 minutes of DiskPressure, not for a healthy node',
      series: [
        { series: 'kube_node_status_condition{node="node-1", condition="DiskPressure", status="true"}', values: '0x2 1x10' },
        { series: 'kube_node_status_condition{node="node-1", condition="DiskPressure", status="false"}', values: '1x2 0x10' },
        { series: 'kube_node_status_condition{node="node-2", condition="DiskPressure", status="true"}', values: '0x12' },
        { series: 'kube_node_status_condition{node="node-2", condition="DiskPressure", status="false"}', values: '1x12' },
      ],
      checks: [
        { at: '5m', alert: 'KubeNodeDiskPressure', firing: [] },
        { at: '9m', alert: 'KubeNodeDiskPressure', firing: [{ severity: 'critical', node: 'node-1' }] },
      ],
    },
    {
      name: 'KubePersistentVolumeFillingUp fires after 10 minutes under 10% free, not at 10.5% (the boundary) nor at 50%',
      series: [
        // Loki's volume: 100 GiB with 5 GiB free from minute 3.
        { series: 'kubelet_volume_stats_available_bytes{job="kubelet", node="node-1", namespace="monitoring", persistentvolumeclaim="data-loki-0"}', values: '50x3 5x20' },
        { series: 'kubelet_volume_stats_capacity_bytes{job="kubelet", node="node-1", namespace="monitoring", persistentvolumeclaim="data-loki-0"}', values: '100x23' },
        // Just above the limit: never fires.
        { series: 'kubelet_volume_stats_available_bytes{job="kubelet", node="node-1", namespace="monitoring", persistentvolumeclaim="data-prometheus-0"}', values: '10.5x23' },
        { series: 'kubelet_volume_stats_capacity_bytes{job="kubelet", node="node-1", namespace="monitoring", persistentvolumeclaim="data-prometheus-0"}', values: '100x23' },
      ],
      checks: [
        { at: '10m', alert: 'KubePersistentVolumeFillingUp', firing: [] },
        {
          at: '15m',
          alert: 'KubePersistentVolumeFillingUp',
          firing: [{ severity: 'warning', namespace: 'monitoring', persistentvolumeclaim: 'data-loki-0' }],
        },
      ],
    },
    {
      name: 'KubeDeploymentStuck fires after 15 minutes with unavailable replicas, not for a rollout that converges in 5',
      series: [
        { series: 'kube_deployment_status_replicas_unavailable{namespace="go-ecommerce", deployment="order-service"}', values: '0x2 1x30' },
        { series: 'kube_deployment_status_replicas_unavailable{namespace="go-ecommerce", deployment="cart-service"}', values: '0x2 1x5 0x25' },
      ],
      checks: [
        { at: '10m', alert: 'KubeDeploymentStuck', firing: [] },
        { at: '20m', alert: 'KubeDeploymentStuck', firing: [{ severity: 'warning', namespace: 'go-ecommerce', deployment: 'order-service' }] },
      ],
    },
  ],
};

export const sagaAlertTests: AlertTests = {
  group: 'saga',
  cases: [
    {
      name: 'SagaOrderStalled fires when payments keep coming but nothing completed for 30 minutes',
      series: [
        { series: 'saga_steps_total{namespace="go-ecommerce", app="order-service", step="PAYMENT_CREATED"}', values: '0+1x60' },
        // Completions stop at 10m.
        { series: 'saga_steps_total{namespace="go-ecommerce", app="order-service", step="COMPLETED"}', values: '0+1x10 10x50' },
      ],
      checks: [
        { at: '35m', alert: 'SagaOrderStalled', firing: [] },
        { at: '45m', alert: 'SagaOrderStalled', firing: [{ severity: 'critical', namespace: 'go-ecommerce' }] },
      ],
    },
    {
      name: 'SagaOrderStalled is silent while sagas end in compensation (the saga still moves)',
      series: [
        { series: 'saga_steps_total{namespace="go-ecommerce", app="order-service", step="PAYMENT_CREATED"}', values: '0+1x60' },
        { series: 'saga_steps_total{namespace="go-ecommerce", app="payment-service", step="COMPENSATION_COMPLETE"}', values: '0+1x60' },
      ],
      checks: [{ at: '45m', alert: 'SagaOrderStalled', firing: [] }],
    },
  ],
};

/** The payment service of the shipped configs receives the payment provider's webhooks. */
export const webhookAlertTests: AlertTests = {
  group: 'webhooks',
  cases: [
    {
      name: 'WebhookServerErrors fires at the first webhook answered with 5xx, by event type; 2xx and 4xx answers stay silent',
      series: [
        {
          series: 'webhook_events_total{namespace="go-ecommerce", app="payment-service", provider="stripe", event_type="payment_intent.succeeded", status="200"}',
          values: '0+10x20',
        },
        {
          series: 'webhook_events_total{namespace="go-ecommerce", app="payment-service", provider="stripe", event_type="charge.refunded", status="400"}',
          values: '0+1x20',
        },
        // One 500 at 10m.
        {
          series: 'webhook_events_total{namespace="go-ecommerce", app="payment-service", provider="stripe", event_type="payment_intent.succeeded", status="500"}',
          values: '0x10 1x10',
        },
      ],
      checks: [
        { at: '9m', alert: 'WebhookServerErrors', firing: [] },
        {
          at: '11m',
          alert: 'WebhookServerErrors',
          firing: [{ severity: 'warning', namespace: 'go-ecommerce', app: 'payment-service', provider: 'stripe', event_type: 'payment_intent.succeeded' }],
        },
        // The window has passed: resolved.
        { at: '20m', alert: 'WebhookServerErrors', firing: [] },
      ],
    },
  ],
};
