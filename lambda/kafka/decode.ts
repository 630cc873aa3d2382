import { PortKafkaError } from '../errors.js';
import { parseJsonSafely } from './json.js';
import { KafkaRecord } from './event.js';

/** Why a record could not be decoded. Stable strings: they appear in logs and parked records. */
const DecodeFailure = {
  NotARecord: 'not-a-record',
  NotBase64: 'not-base64',
  NotUtf8: 'not-utf8',
  NotJson: 'not-json',
} as const;
type DecodeFailure = (typeof DecodeFailure)[keyof typeof DecodeFailure];

class RecordDecodeError extends PortKafkaError {
  readonly reason: DecodeFailure;
  constructor(reason: DecodeFailure, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RecordDecodeError';
    this.reason = reason;
  }
}

/** Where a record sits in Kafka: enough to find it again, nothing of its content. */
interface RecordCoordinates {
  topic: string;
  partition: number;
  offset: number;
  timestamp?: number;
}

interface DecodedRecord extends RecordCoordinates {
  /** UTF-8 key, `null` when the producer set none (Lambda omits it or sends null). */
  key: string | null;
  /** Parsed JSON value, or `null` for a tombstone. */
  value: unknown;
  tombstone: boolean;
  headers: Record<string, string[]>;
  /** Prototype-polluting keys removed from the value. */
  removedKeys: number;
  /** The record as Lambda delivered it, for parking. */
  raw: KafkaRecord;
}

// Strict base64: Buffer.from(s, 'base64') silently skips invalid characters,
// so a garbage value would decode to garbage bytes instead of failing here.
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

const decodeBase64 = (text: string): Buffer => {
  if (text.length % 4 === 1 || !BASE64.test(text)) {
    throw new RecordDecodeError(DecodeFailure.NotBase64, 'value is not valid base64');
  }
  return Buffer.from(text, 'base64');
};

const decodeUtf8 = (bytes: Uint8Array, what: string): string => {
  try {
    return utf8.decode(bytes);
  } catch (error) {
    throw new RecordDecodeError(DecodeFailure.NotUtf8, `${what} is not valid UTF-8`, { cause: error });
  }
};

const decodeHeaders = (headers: KafkaRecord['headers']): Record<string, string[]> => {
  const out: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  if (!headers) return out;
  for (const header of headers) {
    // Every key of every object is a header: the docs show one per object, but
    // the Java and Go event types are lists of maps.
    for (const [name, bytes] of Object.entries(header)) {
      // Header values are arrays of byte values (numbers), not base64. A header
      // that is not UTF-8 is kept as latin1 rather than failing the record:
      // headers are metadata Port does not set, and the value may still be good.
      const buf = Uint8Array.from(bytes);
      let text: string;
      try {
        text = utf8.decode(buf);
      } catch {
        text = Buffer.from(buf).toString('latin1');
      }
      (out[name] ??= []).push(text);
    }
  }
  return out;
};

/** Reads coordinates off an unvalidated record, for logging a record that fails validation. */
const coordinatesOf = (record: unknown): RecordCoordinates => {
  const r = (typeof record === 'object' && record !== null ? record : {}) as Record<string, unknown>;
  return {
    topic: typeof r.topic === 'string' ? r.topic : 'unknown',
    partition: Number(r.partition ?? -1),
    offset: Number(r.offset ?? -1),
  };
};

/**
 * Decodes one Lambda Kafka record: base64 → bytes → UTF-8 (strict) → JSON
 * (prototype-safe). Throws RecordDecodeError with a stable reason; the error
 * message never contains the record's content.
 */
const decodeRecord = (input: unknown): DecodedRecord => {
  const parsed = KafkaRecord.safeParse(input);
  if (!parsed.success) {
    throw new RecordDecodeError(DecodeFailure.NotARecord, 'record does not have the Lambda Kafka record shape', {
      cause: parsed.error,
    });
  }
  const raw = parsed.data;
  const base = {
    topic: raw.topic,
    partition: raw.partition,
    offset: raw.offset,
    ...(raw.timestamp !== undefined ? { timestamp: raw.timestamp } : {}),
    key: raw.key ? decodeUtf8(decodeBase64(raw.key), 'key') : null,
    headers: decodeHeaders(raw.headers),
    raw,
  };
  if (raw.value === null || raw.value === undefined) {
    return { ...base, value: null, tombstone: true, removedKeys: 0 };
  }
  const text = decodeUtf8(decodeBase64(raw.value), 'value');
  try {
    const { value, removedKeys } = parseJsonSafely(text);
    return { ...base, value, tombstone: false, removedKeys };
  } catch {
    // No cause: JSON.parse's message quotes the text it choked on, and the
    // record's content must never reach a log.
    throw new RecordDecodeError(DecodeFailure.NotJson, 'value is not JSON');
  }
};

export type { DecodedRecord, RecordCoordinates };
export { coordinatesOf, decodeRecord, DecodeFailure, RecordDecodeError };
