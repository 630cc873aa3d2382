/**
 * The sweeper function's entry, bundled by the stack's Sweeper construct from
 * this file inside the package (the template needs no file of its own for it).
 * EventBridge Scheduler invokes `handler` every few minutes.
 */
import { createSweeperHandler } from './lambda.js';

export const handler = createSweeperHandler();
