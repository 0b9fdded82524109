// The catalogue a workload is generated for: a config's services, or
// config/prod.yaml's service shapes repeated to any size.
import { readFileSync } from 'fs';
import { dirname, join } from 'path';
import { fileURLToPath } from 'url';
import { parse, stringify } from 'yaml';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * config/prod.yaml with `count` catalogue services: prod's service shapes
 * (vocabulary, gRPC targets, Kafka consumers, database, saga) repeated, each
 * copy k > 0 with its own names, namespaces, databases and consumer groups.
 */
export function scaledConfig(count) {
  const base = parse(readFileSync(join(ROOT, 'config', 'prod.yaml'), 'utf8'));
  const shapes = base.services;
  const suffix = (name, k) => (k === 0 ? name : `${name}-${k}`);
  const services = [];
  for (let i = 0; i < count; i++) {
    const shape = shapes[i % shapes.length];
    const k = Math.floor(i / shapes.length);
    const svc = structuredClone(shape);
    svc.name = suffix(shape.name, k);
    svc.namespace = suffix(shape.namespace, k);
    if (svc.grpcClientTargets) svc.grpcClientTargets = svc.grpcClientTargets.map((t) => suffix(t, k));
    if (svc.kafkaConsumers) svc.kafkaConsumers = svc.kafkaConsumers.map((c) => ({ ...c, groupId: suffix(c.groupId, k) }));
    if (svc.database && k > 0) svc.database = `${svc.database}_${k}`;
    services.push(svc);
  }
  return stringify({ ...base, services });
}
