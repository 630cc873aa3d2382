/**
 * The team's app inside the run executor's bundle: the RunExecutor construct
 * points this name at the project's `lambda/app.ts` (an esbuild alias), so the
 * executor is bundled from the package's own entry (durable/entry.ts) and the
 * template needs no file for it.
 */
declare module 'port-kafka-lambda-app' {
  const app: import('../app.js').PortKafkaApp;
  export default app;
}
