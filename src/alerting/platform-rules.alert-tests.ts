import type { ServiceConfig } from '../catalog/config';
import { AlertTestCase, AlertTests, ConfiguredAlertTests } from '../kit/alert-tests';
import { declaredSignals } from './platform-rules';
import { WAL_SLOT } from '../components/postgres/rules';

/** A service no catalogue declares: its series must never fire a declared pack's alert. */
const UNDECLARED = { name: 'not-in-the-catalogue', namespace: 'elsewhere' };

/**
 * Platform-Kernel's cases, written for the services the config under test declares (declaredSignals):
 * the firing series carry a declaring service's labels, and a pack no service declares has no rule and no
 * case. The same series from a service outside the catalogue stay silent: the packs read only their owners'.
 */
export const platformKernelAlertTests: ConfiguredAlertTests<{ readonly services: readonly ServiceConfig[] }> = {
  group: 'platform-kernel',
  forConfig: ({ services }) => {
    const declared = declaredSignals(services);
    const cases: AlertTestCase[] = [];
    if (declared.http.length > 0) {
      const [hot, calm = UNDECLARED] = declared.http;
      cases.push(
        {
          name: `ErrorRateCritical: 1.5% 5xx of ${hot.name} fires after its minute; 0.5% never does (the boundary is 1%), nor 50% of a service outside the catalogue`,
          interval: '15s',
          series: [
            { series: `http_server_requests_total{namespace="${hot.namespace}", service="${hot.name}", status_code="200"}`, values: '0+985x40' },
            { series: `http_server_requests_total{namespace="${hot.namespace}", service="${hot.name}", status_code="500"}`, values: '0+15x40' },
            { series: `http_server_requests_total{namespace="${calm.namespace}", service="${calm.name}", status_code="200"}`, values: '0+995x40' },
            { series: `http_server_requests_total{namespace="${calm.namespace}", service="${calm.name}", status_code="503"}`, values: '0+5x40' },
            { series: `http_server_requests_total{namespace="${UNDECLARED.namespace}", service="${UNDECLARED.name}", status_code="500"}`, values: '0+500x40' },
            { series: `http_server_requests_total{namespace="${UNDECLARED.namespace}", service="${UNDECLARED.name}", status_code="200"}`, values: '0+500x40' },
          ],
          checks: [
            // True from the second sample (15s): pending until 1m15s.
            { at: '45s', alert: 'ErrorRateCritical', firing: [] },
            { at: '3m', alert: 'ErrorRateCritical', firing: [{ severity: 'critical', namespace: hot.namespace, service: hot.name }] },
          ],
        },
        {
          name: `P99LatencyWarning fires when the p99 of ${hot.name} is above 200 ms for 5 minutes, not for a fast service`,
          series: [
            ...['100', '200'].map((le) => ({ series: `http_server_request_duration_ms_bucket{namespace="${hot.namespace}", service="${hot.name}", le="${le}"}`, values: '0x30' })),
            ...['500', '+Inf'].map((le) => ({ series: `http_server_request_duration_ms_bucket{namespace="${hot.namespace}", service="${hot.name}", le="${le}"}`, values: '0+10x30' })),
            ...['100', '200', '500', '+Inf'].map((le) => ({
              series: `http_server_request_duration_ms_bucket{namespace="${calm.namespace}", service="${calm.name}", le="${le}"}`,
              values: '0+10x30',
            })),
          ],
          checks: [
            { at: '4m', alert: 'P99LatencyWarning', firing: [] },
            { at: '8m', alert: 'P99LatencyWarning', firing: [{ severity: 'warning', namespace: hot.namespace, service: hot.name }] },
          ],
        },
      );
    }
    if (declared.debezium.length > 0) {
      const ns = declared.debezium[0].namespace;
      cases.push(
        {
          name: `CDCLagCritical fires after a minute above 60 s in ${ns}, not at 5 s, nor for a connector in a namespace no service depends on`,
          series: [
            // As the Java agent's series arrive through the collector (labels of src/catalog/metrics.ts, source java-agent).
            { series: `debezium_source_connector_lag_seconds{k8s_namespace_name="${ns}", job="${ns}/debezium-connect", server="orders", instance="5d7fc534"}`, values: '5x3 90x10' },
            { series: `debezium_source_connector_lag_seconds{k8s_namespace_name="${ns}", job="${ns}/debezium-connect", server="ledger", instance="5d7fc534"}`, values: '5x13' },
            { series: `debezium_source_connector_lag_seconds{k8s_namespace_name="${UNDECLARED.namespace}", job="${UNDECLARED.namespace}/debezium-connect", server="orders", instance="1"}`, values: '90x13' },
          ],
          checks: [
            { at: '4m', alert: 'CDCLagCritical', firing: [] },
            {
              at: '6m',
              alert: 'CDCLagCritical',
              firing: [{ severity: 'critical', k8s_namespace_name: ns, job: `${ns}/debezium-connect`, server: 'orders' }],
            },
          ],
        },
        (() => {
          // postgres_exporter's replication_slot series as the annotation job scrapes them from a PostgreSQL pod.
          // WALBloatCritical does not depend on who declares Debezium: it reads every scraped server's slots.
          const pod = 'namespace="databases", pod="postgres-0", container="postgres-exporter"';
          const gib = 2 ** 30;
          return {
            name:
              'WALBloatCritical fires 5 minutes after a logical slot holds back over 10 GiB, measured from the last position its consumer ' +
              'confirmed before it went inactive; never for a slot whose consumer keeps up, nor for a physical slot (no confirmed position, 0)',
            series: [
              // The server writes 1 GiB of WAL a minute.
              { series: `${WAL_SLOT.current}{${pod}, slot_name="debezium_orders", slot_type="logical"}`, values: `${gib}+${gib}x25` },
              // Its connector confirmed up to 1 GiB, then stopped: the exporter publishes no confirmed position for an inactive slot.
              { series: `${WAL_SLOT.confirmed}{${pod}, slot_name="debezium_orders", slot_type="logical"}`, values: `${gib}x2 _x23` },
              { series: `${WAL_SLOT.current}{${pod}, slot_name="debezium_ledger", slot_type="logical"}`, values: `${gib}+${gib}x25` },
              { series: `${WAL_SLOT.confirmed}{${pod}, slot_name="debezium_ledger", slot_type="logical"}`, values: `0+${gib}x25` },
              { series: `${WAL_SLOT.current}{${pod}, slot_name="standby_1", slot_type="physical"}`, values: `${gib}+${gib}x25` },
              { series: `${WAL_SLOT.confirmed}{${pod}, slot_name="standby_1", slot_type="physical"}`, values: '0x25' },
            ],
            checks: [
              // Above 10 GiB from minute 11 (12 GiB written, 1 GiB confirmed): pending, not yet firing.
              { at: '14m', alert: 'WALBloatCritical', firing: [] },
              { at: '17m', alert: 'WALBloatCritical', firing: [{ severity: 'critical', namespace: 'databases', slot_name: 'debezium_orders' }] },
            ],
          };
        })(),
      );
    }
    const ns = services[0]?.namespace ?? 'monitoring';
    cases.push({
      name: "PodNotReady fires for a pod whose condition=\"true\" series is 0 for 2 minutes; never for a healthy pod's false/unknown series, a finished Job pod, or a namespace outside the platform",
      series: [
        { series: `kube_pod_status_ready{namespace="${ns}", pod="gateway-1", uid="u1", condition="true"}`, values: '1x2 0x10' },
        { series: `kube_pod_status_ready{namespace="${ns}", pod="gateway-1", uid="u1", condition="false"}`, values: '0x2 1x10' },
        { series: `kube_pod_status_ready{namespace="${ns}", pod="gateway-1", uid="u1", condition="unknown"}`, values: '0x12' },
        // Healthy: a plain `kube_pod_status_ready == 0` would fire on its false and unknown series.
        { series: `kube_pod_status_ready{namespace="${ns}", pod="gateway-2", uid="u2", condition="true"}`, values: '1x12' },
        { series: `kube_pod_status_ready{namespace="${ns}", pod="gateway-2", uid="u2", condition="false"}`, values: '0x12' },
        { series: `kube_pod_status_ready{namespace="${ns}", pod="gateway-2", uid="u2", condition="unknown"}`, values: '0x12' },
        { series: `kube_pod_status_ready{namespace="${ns}", pod="migrate-1", uid="u3", condition="true"}`, values: '0x12' },
        { series: `kube_pod_status_phase{namespace="${ns}", pod="migrate-1", uid="u3", phase="Succeeded"}`, values: '1x12' },
        { series: 'kube_pod_status_ready{namespace="someone-else", pod="x-1", uid="u4", condition="true"}', values: '0x12' },
      ],
      checks: [
        { at: '1m', alert: 'PodNotReady', firing: [] },
        { at: '3m', alert: 'PodNotReady', firing: [] },
        { at: '5m', alert: 'PodNotReady', firing: [{ severity: 'critical', namespace: ns, pod: 'gateway-1', uid: 'u1', condition: 'true' }] },
      ],
    });
    if (declared.vault.length > 0) {
      const [failing, passing = UNDECLARED] = declared.vault;
      cases.push({
        name: `VaultUnreachable fires at once when the health check of ${failing.name} fails, not while it passes, nor for a service outside the catalogue`,
        series: [
          { series: `vault_health_check_failed{namespace="${failing.namespace}", service="${failing.name}"}`, values: '0x2 1x5' },
          { series: `vault_health_check_failed{namespace="${passing.namespace}", service="${passing.name}"}`, values: '0x7' },
          { series: `vault_health_check_failed{namespace="${UNDECLARED.namespace}", service="${UNDECLARED.name}"}`, values: '1x7' },
        ],
        checks: [
          { at: '1m', alert: 'VaultUnreachable', firing: [] },
          { at: '3m', alert: 'VaultUnreachable', firing: [{ severity: 'critical', namespace: failing.namespace, service: failing.name }] },
        ],
      });
    }
    if (declared.kafkaConsumers.length > 0) {
      const behind = declared.kafkaConsumers[0];
      const group = behind.kafkaConsumers[0];
      const other = declared.kafkaConsumers.flatMap((s) => s.kafkaConsumers.map((c) => ({ s, c }))).find(({ c }) => c.groupId !== group.groupId);
      cases.push({
        name: `KafkaConsumerLagHigh sums partitions: ${group.groupId} at 2 x 6000 fires after 5 minutes; a group at 500 does not, nor a group outside the catalogue, nor ${group.groupId} on a topic it does not declare`,
        series: [
          ...['0', '1'].map((p) => ({
            series: `kafka_consumer_lag{namespace="${behind.namespace}", service="${behind.name}", group_id="${group.groupId}", topic="${group.topics[0]}", partition="${p}"}`,
            values: '100x2 6000x15',
          })),
          ...(other
            ? [{ series: `kafka_consumer_lag{namespace="${other.s.namespace}", service="${other.s.name}", group_id="${other.c.groupId}", topic="${other.c.topics[0]}", partition="0"}`, values: '500x17' }]
            : []),
          { series: `kafka_consumer_lag{namespace="${UNDECLARED.namespace}", group_id="${UNDECLARED.name}", topic="t", partition="0"}`, values: '50000x17' },
          { series: `kafka_consumer_lag{namespace="${behind.namespace}", service="${behind.name}", group_id="${group.groupId}", topic="undeclared.topic", partition="0"}`, values: '50000x17' },
        ],
        checks: [
          { at: '5m', alert: 'KafkaConsumerLagHigh', firing: [] },
          {
            at: '8m',
            alert: 'KafkaConsumerLagHigh',
            firing: [{ severity: 'critical', namespace: behind.namespace, group_id: group.groupId, topic: group.topics[0] }],
          },
        ],
      });
    }
    if (declared.circuitBreaker.length > 0) {
      const caller = declared.circuitBreaker[0];
      cases.push({
        name: `CircuitBreakerOpen fires on state 2 (open) of ${caller.name}, not on 1 (half-open), nor for a service outside the catalogue`,
        series: [
          { series: `circuit_breaker_state{namespace="${caller.namespace}", service="${caller.name}", target="upstream-a"}`, values: '0x2 2x5' },
          { series: `circuit_breaker_state{namespace="${caller.namespace}", service="${caller.name}", target="upstream-b"}`, values: '1x7' },
          { series: `circuit_breaker_state{namespace="${UNDECLARED.namespace}", service="${UNDECLARED.name}", target="upstream-a"}`, values: '2x7' },
        ],
        checks: [
          { at: '1m', alert: 'CircuitBreakerOpen', firing: [] },
          { at: '4m', alert: 'CircuitBreakerOpen', firing: [{ severity: 'warning', namespace: caller.namespace, service: caller.name, target: 'upstream-a' }] },
        ],
      });
    }
    for (const worker of declared.heartbeat) {
      const { metric, maxAgeSeconds } = worker.signals.heartbeat!;
      const series = (values: string) => [{ series: `${metric}{namespace="${worker.namespace}", service="${worker.name}"}`, values }];
      // The worker reports every minute for 5 minutes (timestamps 0..300), then stops: the age passes the bound
      // between its last report + bound and the next evaluation.
      const stale = 5 * 60 + maxAgeSeconds;
      const after = (seconds: number) => `${Math.ceil(seconds / 60)}m`;
      cases.push(
        {
          name: `WorkerHeartbeatMissed is silent while ${worker.name} reports every minute (bound ${maxAgeSeconds} s)`,
          series: series(`0+60x${Math.ceil(maxAgeSeconds / 60) + 20}`),
          checks: [{ at: after(maxAgeSeconds + 15 * 60), alert: 'WorkerHeartbeatMissed', firing: [] }],
        },
        {
          name: `WorkerHeartbeatMissed fires once the last heartbeat of ${worker.name} is more than ${maxAgeSeconds} s old`,
          series: [
            ...series(`0+60x5 300x${Math.ceil(maxAgeSeconds / 60) + 10}`),
            // The same metric from a service outside the catalogue, stale from the start.
            { series: `${metric}{namespace="${UNDECLARED.namespace}", service="${UNDECLARED.name}"}`, values: `0x${Math.ceil(maxAgeSeconds / 60) + 15}` },
          ],
          checks: [
            { at: after(stale - 60), alert: 'WorkerHeartbeatMissed', firing: [] },
            { at: after(stale + 60), alert: 'WorkerHeartbeatMissed', firing: [{ severity: 'warning', namespace: worker.namespace, service: worker.name }] },
          ],
        },
      );
    }
    return { group: 'platform-kernel', cases };
  },
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
