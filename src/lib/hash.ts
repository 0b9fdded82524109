import { createHash } from 'crypto';

/** A short, stable digest of some content, for checksum annotations that roll pods when config changes. */
export function contentHash(...parts: string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex').slice(0, 16);
}
