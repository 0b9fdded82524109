import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { GridLayout, newDashboard, queryVariable, timeseriesPanel } from '../../kit/presets';
import { RABBITMQ_METRICS as M } from './scrape';

/**
 * The brokers the config declares, per queue: depth, ready and unacked
 * messages, publish/deliver/ack rates, consumers and their utilisation. Every
 * series is already limited to the environment's vhost by the scrape.
 */
export function rabbitmqDashboard(): DashboardBuilder {
  const grid = new GridLayout();
  const q = 'queue=~"$queue"';
  const byQueue = 'sum by (vhost, queue)';
  const rate = (metric: string, sel = q) => `${byQueue} (rate(${metric}{${sel}}[$__rate_interval]))`;
  return newDashboard({
    uid: 'rabbitmq',
    title: 'RabbitMQ queues',
    tags: ['rabbitmq', 'saga'],
    description: "RabbitMQ's built-in Prometheus endpoint (/metrics/detailed), per queue of this environment's vhost.",
  })
    .withVariable(queryVariable({ name: 'queue', label: 'Queue', query: `label_values(${M.depth}, queue)` }))
    .withPanel(
      timeseriesPanel({
        title: 'Queue depth (ready + unacked)',
        targets: [{ expr: `${byQueue} (${M.depth}{${q}})`, legend: '{{vhost}} {{queue}}' }],
        gridPos: grid.place(12, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Unacknowledged messages',
        description: 'Delivered to consumers and not yet acknowledged: a consumer stuck mid-message holds them.',
        targets: [{ expr: `${byQueue} (${M.unacked}{${q}})`, legend: '{{vhost}} {{queue}}' }],
        gridPos: grid.place(12, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Published, delivered and acknowledged per second',
        unit: 'ops',
        targets: [
          // The publish family names the queue's vhost `queue_vhost`.
          { expr: `sum by (queue_vhost, queue) (rate(${M.published}{${q}}[$__rate_interval]))`, legend: 'published {{queue_vhost}} {{queue}}' },
          { expr: rate(M.delivered), legend: 'delivered {{vhost}} {{queue}}' },
          { expr: rate(M.deliveredNoAck), legend: 'delivered (auto-ack) {{vhost}} {{queue}}' },
          { expr: rate(M.acked), legend: 'acknowledged {{vhost}} {{queue}}' },
        ],
        gridPos: grid.place(24, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Consumers',
        targets: [{ expr: `${byQueue} (${M.consumers}{${q}})`, legend: '{{vhost}} {{queue}}' }],
        gridPos: grid.place(12, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Consumer utilisation',
        description: 'Share of time the queue could deliver to a consumer at once; low while messages wait means slow consumers or a small prefetch.',
        unit: 'percentunit',
        targets: [{ expr: `avg by (vhost, queue) (${M.utilisation}{${q}})`, legend: '{{vhost}} {{queue}}' }],
        gridPos: grid.place(12, 8),
      }),
    );
}
