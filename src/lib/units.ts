/**
 * Durations and sizes as the tools write them, parsed once so every component
 * and every validation agrees on their meaning.
 */

/** A Prometheus-style duration: `30s`, `15m`, `2h`, `15d`, `1w`, `1y`, or combinations like `1h30m`. */
export const DURATION_PATTERN = /^(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$/;

const DURATION_UNIT_SECONDS: Record<string, number> = {
  y: 365 * 86400, w: 7 * 86400, d: 86400, h: 3600, m: 60, s: 1, ms: 0.001,
};

export function isDuration(value: string): boolean {
  return value !== '' && DURATION_PATTERN.test(value);
}

export function durationSeconds(value: string): number {
  if (!isDuration(value)) throw new Error(`not a duration: "${value}"`);
  let total = 0;
  for (const [, amount, unit] of value.matchAll(/(\d+)(ms|[ywdhms])/g)) {
    total += Number(amount) * DURATION_UNIT_SECONDS[unit];
  }
  return total;
}

/** A binary size as Kubernetes writes it: `512Mi`, `10Gi`, `1Ti`. */
export const SIZE_PATTERN = /^(\d+)(Ki|Mi|Gi|Ti)$/;

const SIZE_UNIT_BYTES: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

export function sizeBytes(value: string): number {
  const match = SIZE_PATTERN.exec(value);
  if (!match) throw new Error(`not a size: "${value}"`);
  return Number(match[1]) * SIZE_UNIT_BYTES[match[2]];
}

/**
 * The same size in Prometheus' spelling: Prometheus' units are powers of two
 * but written `MB`, `GB`, `TB` (see `storage.tsdb.retention.size` in prometheus.yml).
 */
export function prometheusSize(value: string): string {
  const match = SIZE_PATTERN.exec(value);
  if (!match) throw new Error(`not a size: "${value}"`);
  return `${match[1]}${match[2][0]}B`;
}
