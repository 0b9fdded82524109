import { durationSeconds, sizeBytes } from '../lib/units';
import type { ConfigProblem } from './loader';
import type { StackConfig } from './schema';

/**
 * Cross-field rules that a per-field schema cannot express. Each returns the
 * field path it blames, so the message points at the line to change.
 */
export function checkConfig(config: StackConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];

  // Prometheus needs room beyond its retention bound: compaction writes a new
  // block before deleting the old ones, and the WAL grows between checkpoints.
  const volume = sizeBytes(config.prometheus.storage.size);
  const retained = sizeBytes(config.prometheus.retentionSize);
  if (retained > volume * 0.8) {
    problems.push({
      path: ['prometheus', 'retentionSize'],
      message:
        `"${config.prometheus.retentionSize}" does not fit the ${config.prometheus.storage.size} volume (prometheus.storage.size): ` +
        `at most 80% of the volume (${Math.floor((volume * 0.8) / 2 ** 30)}Gi) is allowed, so compaction and the WAL always have room`,
    });
  }

  if (config.namespaces.monitoring === config.namespaces.nodeAgents) {
    problems.push({
      path: ['namespaces', 'nodeAgents'],
      message:
        `"${config.namespaces.nodeAgents}" is also namespaces.monitoring; node agents need host access and must live in their own ` +
        'namespace so the main one can enforce the restricted Pod Security level',
    });
  }
  problems.push(...checkLogs(config));
  return problems;
}

function checkLogs(config: StackConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const { retention, ingestion } = config.logs;
  // Loki's compactor deletes whole index tables, one per 24h period (schema_config index.period),
  // so a retention that is not whole days is rounded in ways nobody expects.
  const seconds = durationSeconds(retention);
  if (seconds < 86400 || seconds % 86400 !== 0) {
    problems.push({
      path: ['logs', 'retention'],
      message: `"${retention}" is not whole days; Loki deletes logs per 24h index period, so use whole days of at least 1d like "14d"`,
    });
  }
  if (ingestion.burstMB < ingestion.rateMB) {
    problems.push({
      path: ['logs', 'ingestion', 'burstMB'],
      message: `${ingestion.burstMB} is below logs.ingestion.rateMB (${ingestion.rateMB}); the burst must be at least the rate`,
    });
  }
  if (ingestion.perStreamBurstMB < ingestion.perStreamRateMB) {
    problems.push({
      path: ['logs', 'ingestion', 'perStreamBurstMB'],
      message:
        `${ingestion.perStreamBurstMB} is below logs.ingestion.perStreamRateMB (${ingestion.perStreamRateMB}); ` +
        'the burst must be at least the rate',
    });
  }
  if (ingestion.perStreamRateMB > ingestion.rateMB) {
    problems.push({
      path: ['logs', 'ingestion', 'perStreamRateMB'],
      message: `${ingestion.perStreamRateMB} is above logs.ingestion.rateMB (${ingestion.rateMB}); one stream cannot be allowed more than the whole environment`,
    });
  }
  return problems;
}
