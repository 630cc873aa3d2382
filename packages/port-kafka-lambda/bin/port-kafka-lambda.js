#!/usr/bin/env node
// The commands load the team's TypeScript app (lambda/app.ts), so tsx's loader
// is registered before the CLI starts; the CLI itself is the built JavaScript.
import { register } from 'tsx/esm/api';

register();
await import('../dist/cli/main.js');
