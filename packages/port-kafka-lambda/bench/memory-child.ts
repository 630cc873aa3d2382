// Run in a fresh process (node --expose-gc) so nothing else shares the heap: it
// reads a ~6 MB Lambda event from disk as the runtime would, then measures what
// handling it adds on top. Memory is sampled synchronously at every routed run
// (timers cannot fire while the batch is processed), so the peak is the
// highest heap + external memory seen while records were in flight.
import { readFileSync } from 'node:fs';
import { lambdaContext, routingHandler } from './routing.js';

const gc = (globalThis as { gc?: () => void }).gc;
const file = process.argv[2];
if (!file || !gc) throw new Error('usage: node --expose-gc --import tsx memory-child.ts <event.json>');

let peak = 0;
const used = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external + m.arrayBuffers;
};
const handler = routingHandler(() => {
  peak = Math.max(peak, used());
});
const event = JSON.parse(readFileSync(file, 'utf8')) as { records: Record<string, unknown[]> };
const records = Object.values(event.records).reduce((n, l) => n + l.length, 0);
gc();
const base = used();
const rssBefore = process.memoryUsage().rss;
const maxRssBefore = process.resourceUsage().maxRSS * 1024;
await handler(event, lambdaContext());
peak = Math.max(peak, used());
const maxRssAfter = process.resourceUsage().maxRSS * 1024;
const mb = (n: number) => n / 1024 / 1024;
process.stdout.write(
  JSON.stringify({
    eventBytes: readFileSync(file).length,
    records,
    peakAddedMb: mb(peak - base),
    maxRssAddedMb: mb(Math.max(0, maxRssAfter - Math.max(maxRssBefore, rssBefore))),
  })
);
