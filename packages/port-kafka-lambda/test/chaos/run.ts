/**
 * `npm run chaos`: the chaos proof as a script, printing its figures.
 * Options: --runs N --partitions N --faults 0.3 --seed N --kills N
 * Exit code 1 when a promise broke (each broken run is listed).
 */
import { figures, runChaos, violations } from './driver.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  const value = i === -1 ? undefined : Number(process.argv[i + 1]);
  return value === undefined || Number.isNaN(value) ? fallback : value;
};

const result = await runChaos({
  runs: arg('runs', 500),
  partitions: arg('partitions', 5),
  faultRate: arg('faults', 0.3),
  seed: arg('seed', 12),
  kills: arg('kills', 8),
  timeLimitMs: arg('time-limit', 600_000),
});
for (const line of figures(result)) console.log(line);
const broken = violations(result);
if (broken.length > 0) {
  console.log(`${broken.length} broken promise(s):`);
  for (const line of broken) console.log(`  ${line}`);
  process.exitCode = 1;
} else {
  console.log("every run ended in Port exactly once; no run of a 'fail' action executed twice");
}
