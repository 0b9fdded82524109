import { z } from 'zod';
import { DURATION_PATTERN, durationSeconds, SIZE_PATTERN, sizeBytes } from '../lib/units';

/**
 * The field types the config slices are built from, written once. Each slice
 * lives with its owner (src/components/<name>/config.ts, or the platform folder
 * that owns the section); src/config/schema.ts composes the slices. This file
 * knows no component: it imports only zod and src/lib.
 */

export const dnsLabel = (what: string) =>
  z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, {
    error: `expected ${what}: a DNS label (lower-case letters, digits and "-", at most 63, starting and ending with a letter or digit)`,
  });

/** A duration that may be zero: only an alert's `for` (0s fires at once). */
export const durationOrZero = (example: string) =>
  z.string().regex(DURATION_PATTERN, { error: `expected a duration like "${example}"` }).refine((v) => v !== '', {
    error: `expected a duration like "${example}"`,
  });

/** An interval, retention or wait: Prometheus refuses a zero scrape interval, and a zero retention would keep nothing. */
export const duration = (example: string) =>
  durationOrZero(example).refine((v) => v === '' || !DURATION_PATTERN.test(v) || durationSeconds(v) > 0, {
    error: `expected a duration greater than 0 like "${example}"`,
    abort: true,
  });

/** A volume or byte limit: Kubernetes refuses a PersistentVolumeClaim of 0, and a 0 retention size would delete everything. */
export const size = (example: string) =>
  z
    .string()
    .regex(SIZE_PATTERN, { error: `expected a size like "${example}" (a whole number with Ki, Mi, Gi or Ti)` })
    .refine((v) => !SIZE_PATTERN.test(v) || sizeBytes(v) > 0, { error: `expected a size greater than 0 like "${example}"` });

export const cpu = z.string().regex(/^(\d+m|\d+(\.\d+)?)$/, { error: 'expected a CPU quantity like "250m" or "1"' });
export const memory = z.string().regex(/^\d+(Ki|Mi|Gi)$/, { error: 'expected a memory quantity like "512Mi" or "1Gi"' });

export const resources = z
  .strictObject({
    requests: z.strictObject({ cpu, memory }),
    limits: z.strictObject({ cpu, memory }),
  })
  .describe('CPU and memory requests and limits. Default: sized per component for a small single-node cluster.');

/** A default as a description shows it: text and numbers bare, a list or map as JSON with a space after each "," and ":". */
function shown(value: unknown): string {
  const inside = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : shown(v));
  if (Array.isArray(value)) return `[${value.map(inside).join(', ')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${inside(v)}`).join(', ')}}`;
  }
  return String(value);
}

/**
 * The sentence a field's description ends with, "Default: X." (with an optional note after the value), made
 * from the value the field defaults to: the default is written once, and the description cannot drift from it.
 */
export const defaultSentence = (value: unknown, note?: string) => `Default: ${shown(value)}${note ? ` ${note}` : ''}.`;

/** A field that defaults to `value` and says so at the end of its description. */
export const withDefault = <T extends z.ZodType>(schema: T, value: z.util.NoUndefined<z.output<T>>, description: string, note?: string) =>
  schema.default(value).describe(`${description} ${defaultSentence(value, note)}`);

/** A volume: its size defaults to `defaultSize`, which the description states (with an optional note after it). */
export const storage = (defaultSize: string, description: string, note?: string) =>
  z
    .strictObject({
      size: withDefault(size(defaultSize), defaultSize, 'Size of the PersistentVolumeClaim.'),
      storageClassName: z
        .string()
        .min(1)
        .optional()
        .describe("StorageClass of the PersistentVolumeClaim. Default: the cluster's default StorageClass."),
    })
    .prefault({})
    .describe(`${description} ${defaultSentence(defaultSize, note)}`);

export const secretKeyRef = z.string().regex(/^[-._a-zA-Z0-9]+$/, { error: 'expected a Secret key (letters, digits, "-", "_" and ".")' });

export const labelKey = z
  .string()
  .regex(/^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, {
    error: 'expected a label key like "nvidia.com/gpu.present" (optional DNS prefix and "/", then a name of at most 63 characters)',
  });
export const labelValue = z
  .string()
  .regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, { error: 'expected a label value (at most 63 letters, digits, "-", "_" or ".")' });

export const positiveInt = (what: string, max: number) =>
  z
    .number()
    .int({ error: `expected a whole number of ${what}` })
    .min(1, { error: `expected at least 1 ${what}` })
    .max(max, { error: `expected at most ${max} ${what}` });

export const sqlIdentifier = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, {
  error: 'expected a lower-case SQL identifier (letters, digits and "_", at most 63, not starting with a digit)',
});

export const replicaCount = (what: string, min: number, max: number) =>
  z
    .number()
    .int()
    .min(min, { error: `expected ${min} to ${max} ${what} replicas` })
    .max(max, { error: `expected ${min} to ${max} ${what} replicas` });

export type ResourcesConfig = z.output<typeof resources>;
