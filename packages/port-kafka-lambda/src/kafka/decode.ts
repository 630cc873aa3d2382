import { PortKafkaError } from '../errors.js';
import { KafkaRecord } from './event.js';
import { parseJsonSafely } from './json.js';

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

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Strict base64. Buffer.from(s, 'base64') silently skips characters outside
 * the alphabet, so garbage would decode to garbage bytes. Instead of a regex
 * over the whole value (the slowest step of decoding), compare the decoded
 * length with the length the input must yield: any skipped character makes
 * the buffer shorter.
 */
const decodeBase64 = (text: string): Buffer => {
  const buf = Buffer.from(text, 'base64');
  const rem = text.length % 4;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const expected = rem === 0 ? (text.length / 4) * 3 - padding : Math.floor((text.length * 3) / 4);
  if (rem === 1 || buf.length !== expected) {
    throw new RecordDecodeError(DecodeFailure.NotBase64, 'value is not valid base64');
  }
  return buf;
};

const decodeUtf8 = (bytes: Uint8Array, what: string): string => {
  try {
    return utf8.decode(bytes);
  } catch (error) {
    throw new RecordDecodeError(DecodeFailure.NotUtf8, `${what} is not valid UTF-8`, { cause: error });
  }
};

const NO_HEADERS: Record<string, string[]> = Object.freeze(Object.create(null) as Record<string, string[]>);

const decodeHeaders = (headers: KafkaRecord['headers']): Record<string, string[]> => {
  if (!headers || headers.length === 0) return NO_HEADERS;
  const out: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
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
  const coordinates: RecordCoordinates = {
    topic: typeof r.topic === 'string' ? r.topic : 'unknown',
    partition: Number(r.partition ?? -1),
    offset: Number(r.offset ?? -1),
  };
  if (typeof r.timestamp === 'number') coordinates.timestamp = r.timestamp;
  return coordinates;
};

/**
 * The record shape Lambda sends today, checked by hand: this runs for every
 * record and costs a fraction of the schema. Anything else (string partitions
 * from older docs, missing fields) goes through the KafkaRecord schema.
 */
const isPlainRecord = (r: unknown): r is KafkaRecord => {
  if (typeof r !== 'object' || r === null) return false;
  const x = r as Record<string, unknown>;
  return (
    typeof x.topic === 'string' &&
    x.topic.length > 0 &&
    Number.isSafeInteger(x.partition) &&
    (x.partition as number) >= 0 &&
    Number.isSafeInteger(x.offset) &&
    (x.offset as number) >= 0 &&
    (x.timestamp === undefined || typeof x.timestamp === 'number') &&
    (x.timestampType === undefined || typeof x.timestampType === 'string') &&
    (x.key === undefined || x.key === null || typeof x.key === 'string') &&
    (x.value === undefined || x.value === null || typeof x.value === 'string') &&
    (x.headers === undefined || x.headers === null || (Array.isArray(x.headers) && x.headers.every(isHeader)))
  );
};

const isHeader = (h: unknown): boolean =>
  typeof h === 'object' &&
  h !== null &&
  !Array.isArray(h) &&
  Object.values(h).every((v) => Array.isArray(v) && v.every((b) => typeof b === 'number'));

const readRecord = (input: unknown): KafkaRecord => {
  if (isPlainRecord(input)) return input;
  const parsed = KafkaRecord.safeParse(input);
  if (!parsed.success) {
    throw new RecordDecodeError(DecodeFailure.NotARecord, 'record does not have the Lambda Kafka record shape', {
      cause: parsed.error,
    });
  }
  return parsed.data;
};

/**
 * Decodes one Lambda Kafka record: base64 → bytes → UTF-8 (strict) → JSON
 * (prototype-safe). Throws RecordDecodeError with a stable reason; the error
 * message never contains the record's content.
 */
const decodeRecord = (input: unknown): DecodedRecord => {
  const raw = readRecord(input);
  const record: DecodedRecord = {
    topic: raw.topic,
    partition: raw.partition,
    offset: raw.offset,
    key: raw.key ? decodeUtf8(decodeBase64(raw.key), 'key') : null,
    value: null,
    tombstone: true,
    headers: decodeHeaders(raw.headers),
    removedKeys: 0,
    raw,
  };
  if (raw.timestamp !== undefined) record.timestamp = raw.timestamp;
  if (raw.value === null || raw.value === undefined) return record;
  const text = decodeUtf8(decodeBase64(raw.value), 'value');
  try {
    const parsed = parseJsonSafely(text);
    record.value = parsed.value;
    record.removedKeys = parsed.removedKeys;
  } catch {
    // No cause: JSON.parse's message quotes the text it choked on, and the
    // record's content must never reach a log.
    throw new RecordDecodeError(DecodeFailure.NotJson, 'value is not JSON');
  }
  record.tombstone = false;
  return record;
};

export type { DecodedRecord, RecordCoordinates };
export { coordinatesOf, DecodeFailure, decodeRecord, RecordDecodeError };
