import type { CustomRunParser } from 'port-kafka-lambda';

/**
 * Reads run payloads of your own design, for actions whose invocation payload
 * fits neither Port's v1 shape nor this project's recommended template. Return
 * a RunRequest for messages you recognise, undefined for the rest (they are
 * then parked as unreadable). The default recognises nothing.
 *
 * Example, for a payload `{"runId": "{{ .run.id }}", "service": "{{ .inputs.service }}"}`
 * sent by a `restart_service` action:
 *
 *   if (isObject(value) && typeof value.runId === 'string' && typeof value.service === 'string')
 *     return { runId: value.runId, action: 'restart_service', inputs: { service: value.service }, ... };
 */
const parseCustomRun: CustomRunParser = () => undefined;

export { parseCustomRun };
