import { sizeBytes } from '../lib/units';
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
  if (config.postgres) {
    const seen = new Set<string>();
    config.postgres.databases.forEach((db, i) => {
      if (seen.has(db)) {
        problems.push({ path: ['postgres', 'databases', i], message: `"${db}" is listed twice; each database needs one entry (one Grafana datasource)` });
      }
      seen.add(db);
    });
    if (config.postgres.namespace === config.namespaces.nodeAgents) {
      problems.push({
        path: ['postgres', 'namespace'],
        message: `"${config.postgres.namespace}" is namespaces.nodeAgents, which is privileged; a database belongs in an application namespace`,
      });
    }
  }
  return problems;
}
