import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import type { ServiceConfig } from '../catalog/config';
import { GridLayout, newDashboard, queryVariable, statPanel, timeseriesPanel } from '../kit/presets';

/**
 * Consumer lag of every catalogue consumer group, per group, topic and
 * partition: a stat per group and declared topic, then the lag over time. The order projector and the analytics consumer share one
 * vocabulary, so one panel covers both.
 */
export function kafkaConsumersDashboard(opts: { services: readonly ServiceConfig[]; lagTargetMessages: number }): DashboardBuilder {
  const grid = new GridLayout();
  const consumed = opts.services.flatMap((s) => s.kafkaConsumers.flatMap((c) => c.topics.map((topic) => ({ group: c.groupId, topic }))));
  const board = newDashboard({
    uid: 'kafka-consumers',
    title: 'Kafka consumers',
    tags: ['services', 'kafka'],
    description: `kafka_consumer_lag per group, topic and partition; the SLO is lag < ${opts.lagTargetMessages} messages.`,
  }).withVariable(queryVariable({ name: 'group', label: 'Consumer group', query: 'label_values(kafka_consumer_lag, group_id)' }));
  // One stat per group and topic the catalogue declares: a group can keep up on one topic and not on another.
  for (const { group, topic } of consumed) {
    board.withPanel(
      statPanel({
        title: `${group} / ${topic}: max lag`,
        targets: [{ expr: `max(kafka_consumer_lag{group_id="${group}", topic="${topic}"})`, instant: true }],
        redFrom: opts.lagTargetMessages,
        gridPos: grid.place(6, 4),
      }),
    );
  }
  grid.newRow();
  return board
    .withPanel(
      timeseriesPanel({
        title: 'Lag by group and topic',
        redFrom: opts.lagTargetMessages,
        targets: [{ expr: 'sum by (group_id, topic) (kafka_consumer_lag{group_id=~"$group"})', legend: '{{group_id}} {{topic}}' }],
        gridPos: grid.place(24, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Lag by partition',
        targets: [
          { expr: 'max by (group_id, topic, partition) (kafka_consumer_lag{group_id=~"$group"})', legend: '{{group_id}} {{topic}}/{{partition}}' },
        ],
        gridPos: grid.place(24, 8),
      }),
    );
}
