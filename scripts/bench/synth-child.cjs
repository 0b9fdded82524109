// One measured synth (or, with --floor, only the library loading), run in its
// own process so its peak memory is its own. Prints one JSON line.
const started = process.hrtime.bigint();
const [mode, bundle, config, out] = process.argv.slice(2);
if (mode === '--floor') {
  // The floor: loading every library the synth bundle requires (a comma-separated list), nothing else.
  for (const lib of bundle.split(',')) require(lib);
} else {
  // Silence the per-environment summary: only the JSON line goes to stdout.
  require(bundle).synthesize({ config, out });
}
const inProcessMs = Number(process.hrtime.bigint() - started) / 1e6;
const usage = process.resourceUsage();
// What was produced, so the cost can be read against the size of the output.
let outputBytes = 0;
if (mode !== '--floor') {
  const fs = require('fs');
  const path = require('path');
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else outputBytes += fs.statSync(full).size;
    }
  };
  walk(out);
}
// CPU time is less disturbed than wall time when other work shares the machine. maxRSS is in KiB, CPU times in µs.
const cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000;
process.stdout.write(JSON.stringify({ inProcessMs, cpuMs, maxRssBytes: usage.maxRSS * 1024, outputBytes }) + '\n');
