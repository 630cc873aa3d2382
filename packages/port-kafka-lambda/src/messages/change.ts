import * as z from 'zod';
import { Trigger } from './common.js';

/**
 * A catalog change on `<ORG_ID>.change.log`. Port writes CREATE, UPDATE,
 * DELETE and TIMER_EXPIRED (timer properties); the port-agent fixtures spell
 * actions in mixed case ("Create"), so actions are upper-cased on the way in.
 */
const ChangeAction = z
  .string()
  .min(1)
  .transform((a) => a.toUpperCase());

const PortChangeMessage = z.looseObject({
  action: ChangeAction,
  resourceType: z.string().min(1),
  status: z.string().optional(),
  trigger: Trigger,
  context: z
    .looseObject({
      blueprint: z.string().nullish(),
      entity: z.string().nullish(),
      runId: z.string().nullish(),
    })
    .default({}),
  diff: z
    .looseObject({
      before: z.unknown().optional(),
      after: z.unknown().optional(),
    })
    .default({}),
  // Absent in older examples; when present, only type KAFKA is for us.
  changelogDestination: z.looseObject({ type: z.string(), agent: z.boolean().optional(), url: z.string().optional() }).optional(),
});
type PortChangeMessage = z.infer<typeof PortChangeMessage>;

export type { PortChangeMessage as PortChangeMessageType };
export { PortChangeMessage };
