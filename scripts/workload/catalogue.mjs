// The catalogue a workload is generated for: a config's services, or
// config/prod.yaml's service shapes repeated to any size.
import { readFileSync } from 'fs';
import { dirname, join, resolve } from 'path';
import { fileURLToPath } from 'url';
import { parse, stringify } from 'yaml';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * config/prod.yaml with `count` catalogue services: prod's service shapes
 * (vocabulary, gRPC targets, Kafka consumers, database, saga) repeated, each
 * copy k > 0 with its own names, namespaces, databases and consumer groups.
 */
export function scaledConfig(count) {
  const file = join(ROOT, 'config', 'prod.yaml');
  const base = parse(readFileSync(file, 'utf8'));
  // The written copy lives elsewhere: the shared file it extends is named by its absolute path.
  if (base.extends) base.extends = resolve(dirname(file), base.extends);
  const shapes = catalogueOf(file);
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

/** A config's service catalogue: its own `services`, else that of the file it extends. */
export function catalogueOf(file) {
  const config = parse(readFileSync(file, 'utf8'));
  if (config.services) return config.services;
  return config.extends ? catalogueOf(resolve(dirname(file), config.extends)) : [];
}

/** A top-level section of a config (`rabbitmq`, ...): its own, else that of the file it extends. */
export function sectionOf(file, key) {
  const config = parse(readFileSync(file, 'utf8'));
  if (config[key] !== undefined) return config[key];
  return config.extends ? sectionOf(resolve(dirname(file), config.extends), key) : undefined;
}
