import { appendFileSync } from 'node:fs';
import * as z from 'zod';
import { defineAction } from '../../src/actions/define.js';
import { defineApp } from '../../src/app.js';

/**
 * The chaos test's app: actions that record each execution of a run by
 * appending its id to a file before they do anything else. The append is one
 * `write` on an O_APPEND descriptor, done before the action's first await, so it
 * survives a SIGKILL at any later point and the test can count executions
 * across processes.
 */

/** Actions whose runs may never execute twice ('fail', the default) and ones that declare they may ('rerun'). */
const FAIL_ACTIONS = ['chaos_fail_a', 'chaos_fail_b', 'chaos_fail_c', 'chaos_fail_d'] as const;
const RERUN_ACTIONS = ['chaos_rerun'] as const;

/** A run whose `fail` input is true throws: the run must end FAILURE with the action's own reason. */
const Inputs = z.object({ n: z.number().int(), fail: z.boolean() });

const summaryOf = (action: string, runId: string): string => `${action} done for ${runId}`;

const chaosApp = (executionsFile: string) => {
  const action = (identifier: string, onInterrupted: 'fail' | 'rerun') =>
    defineAction({
      identifier,
      inputs: Inputs,
      onInterrupted,
      async handler(input, ctx) {
        appendFileSync(executionsFile, `${input.runId}\n`);
        await ctx.log(`working on item ${input.inputs.n}`);
        await ctx.setStatusLabel('half way');
        if (input.inputs.fail) throw new Error(`item ${input.inputs.n} is broken`);
        return { summary: summaryOf(identifier, input.runId) };
      },
    });
  return defineApp({
    actions: [...FAIL_ACTIONS.map((id) => action(id, 'fail')), ...RERUN_ACTIONS.map((id) => action(id, 'rerun'))],
  });
};

export { chaosApp, FAIL_ACTIONS, RERUN_ACTIONS, summaryOf };
