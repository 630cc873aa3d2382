import type { PortAction, PortActionBody } from '../port/actions.js';

/**
 * The difference between what Port has and what the code defines, field by
 * field, for `port sync --dry-run` and for deciding whether to write at all.
 * Only what `port sync` manages is compared: Port's audit fields (createdAt,
 * updatedBy...) and settings the code does not set (approval notifications,
 * run visibility) are not differences, and sync carries them over.
 */

interface FieldChange {
  /** Dotted path, e.g. `trigger.userInputs.properties.cpu.maximum`. */
  path: string;
  kind: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
}

/** Top-level keys sync writes. `requiredApproval` and `publish` only when the code sets them. */
const ALWAYS_MANAGED = ['identifier', 'title', 'description', 'icon', 'trigger', 'invocationMethod'] as const;
const MANAGED_IF_SET = ['requiredApproval', 'publish'] as const;
/** Settings sync never sets but keeps on update, since PUT replaces the whole action. */
const CARRIED_OVER = ['requiredApproval', 'publish', 'approvalNotification', 'allowAnyoneToViewRuns'] as const;

/** Below this many path segments an added or removed object is listed key by key. */
const EXPAND_DEPTH = 4;
const MAX_VALUE_CHARS = 200;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Drops what carries no meaning so equal definitions compare equal: null and
 * undefined values (Port may answer `description: null` for none) and an empty
 * `required` list (the same as none).
 */
const canonical = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(canonical);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === null || v === undefined) continue;
    if (key === 'required' && Array.isArray(v) && v.length === 0) continue;
    out[key] = canonical(v);
  }
  return out;
};

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

const keyPath = (parent: string, key: string): string => (parent === '' ? key : `${parent}.${key}`);

const walk = (before: unknown, after: unknown, path: string, out: FieldChange[]): void => {
  if (before === undefined && after === undefined) return;
  if (before === undefined || after === undefined) {
    const present = before ?? after;
    const kind = before === undefined ? 'added' : 'removed';
    const depth = path === '' ? 0 : path.split('.').length;
    if (isPlainObject(present) && depth < EXPAND_DEPTH && Object.keys(present).length > 0) {
      for (const [key, v] of Object.entries(present)) {
        walk(kind === 'removed' ? v : undefined, kind === 'added' ? v : undefined, keyPath(path, key), out);
      }
      return;
    }
    out.push(kind === 'added' ? { path, kind, after } : { path, kind, before });
    return;
  }
  if (isPlainObject(before) && isPlainObject(after)) {
    // The code's key order first (it is the order people wrote), then what only Port has.
    const keys = [...new Set([...Object.keys(after), ...Object.keys(before)])];
    for (const key of keys) walk(before[key], after[key], keyPath(path, key), out);
    return;
  }
  if (!same(before, after)) out.push({ path, kind: 'changed', before, after });
};

/** The managed part of an action, as compared. */
const managed = (action: Record<string, unknown>, desired: PortActionBody): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const key of ALWAYS_MANAGED) out[key] = action[key];
  for (const key of MANAGED_IF_SET) if (desired[key] !== undefined) out[key] = action[key];
  return canonical(out) as Record<string, unknown>;
};

/** Field changes that turn `current` (undefined: Port has none) into `desired`. */
const diffAction = (current: PortAction | undefined, desired: PortActionBody): FieldChange[] => {
  const out: FieldChange[] = [];
  walk(current === undefined ? undefined : managed(current, desired), managed(desired, desired), '', out);
  return out;
};

/**
 * The body to PUT: the code's definition plus the settings Port has that the
 * code does not set, so updating a form does not reset who approves runs.
 */
const updateBody = (current: PortAction, desired: PortActionBody): PortActionBody => {
  const carried: Partial<PortActionBody> = {};
  for (const key of CARRIED_OVER) {
    if (desired[key] === undefined && current[key] !== undefined && current[key] !== null) {
      Object.assign(carried, { [key]: current[key] });
    }
  }
  return { ...desired, ...carried };
};

const show = (value: unknown): string => {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
};

/** One line per change: `+ path: value`, `- path: value`, `~ path: before → after`. */
const renderChanges = (changes: readonly FieldChange[], indent = '  '): string[] =>
  changes.map((c) => {
    if (c.kind === 'added') return `${indent}+ ${c.path}: ${show(c.after)}`;
    if (c.kind === 'removed') return `${indent}- ${c.path}: ${show(c.before)}`;
    return `${indent}~ ${c.path}: ${show(c.before)} → ${show(c.after)}`;
  });

export type { FieldChange };
export { canonical, diffAction, renderChanges, updateBody };
