# The long-lived consumer as a container image. Build the bundle first (it
# writes dist/consumer.mjs, dist/consumer.mjs.map, dist/native.wasm and
# dist/checkpoint-server/, the durable runner's worker for durable actions), then
# the image from the repository root:
#   npm ci && npm run build:consumer
#   docker build -f consumer.Dockerfile -t port-kafka-consumer .
# The bundle needs no node_modules (the test suite runs it with a bare node);
# configuration is the environment described in docs/configuration.md.
FROM node:24-slim
WORKDIR /app
COPY dist/consumer.mjs dist/consumer.mjs.map dist/native.wasm ./
COPY dist/checkpoint-server ./checkpoint-server
ENV NODE_ENV=production NODE_OPTIONS=--enable-source-maps
USER node
# SIGTERM makes the consumer finish the batch in hand and commit; give it
# longer than your longest run (docker stop -t, ECS stopTimeout).
STOPSIGNAL SIGTERM
CMD ["node", "consumer.mjs"]
