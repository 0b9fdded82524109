// Helpers shared by the benchmark modules.
import { spawnSync } from 'child_process';
import { readFileSync } from 'fs';
import { cpus, loadavg, totalmem } from 'os';
import { dirname, join } from 'path';
import { fileURLToPath } from 'url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Slope of log(y) against log(x) between two points: 1 is linear growth. */
export function growthExponent(x1, y1, x2, y2) {
  return Math.log(y2 / y1) / Math.log(x2 / x1);
}

export const fmtMs = (ms) => (ms >= 10000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`);
export const fmtMiB = (bytes) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

export function log(...args) {
  console.log('[bench]', ...args);
}

/** The machine the figures come from: they mean little without it. `prometheus`: the resolved tool, if any. */
export function machine(prometheus) {
  const cpuModel = cpus()[0]?.model?.trim() ?? 'unknown';
  const nproc = spawnSync('nproc', [], { encoding: 'utf8' }).stdout?.trim() || String(cpus().length);
  let os = process.platform;
  try {
    os = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os;
  } catch {
    // not Linux: the platform name will do
  }
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    nproc,
    memory: `${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    cpuModel,
    node: process.version,
    os,
    prometheus: prometheus ? prometheus.version : 'not used',
    loadAverage: loadavg().map((l) => l.toFixed(2)).join(' / '),
  };
}
