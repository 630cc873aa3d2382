#!/bin/sh
# Pre-fetch the Kafka broker jars into .kafka/lib and ElasticMQ's (the SQS server of the redrive tests)
# into .kafka/elasticmq-lib (idempotent; a no-op when already cached).
# Same code path as the tests (ensureKafkaJars), so the cache stamp and locking match.
set -eu
cd "$(dirname "$0")/../../../.."
exec npx --no-install tsx packages/port-kafka-lambda/test/kafka-broker/fetch-jars.ts
