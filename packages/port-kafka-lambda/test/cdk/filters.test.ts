import { describe, expect, it } from '@jest/globals';
import * as z from 'zod';
import { defineAction } from '../../src/actions/define.js';
import { actionFilterPatterns, FilterError, MAX_PATTERN_LENGTH, registeredIdentifiers } from '../../src/cdk/filters.js';

describe('actionFilterPatterns', () => {
  it('builds one value.action pattern, sorted and de-duplicated', () => {
    expect(actionFilterPatterns(['deploy_service', 'create_vm', 'create_vm'])).toEqual([
      { value: { action: ['create_vm', 'deploy_service'] } },
    ]);
  });

  it("splits long lists so that no pattern exceeds Lambda's 4 KB limit", () => {
    const ids = Array.from({ length: 300 }, (_, i) => `action_with_a_rather_long_identifier_${i}`);
    const patterns = actionFilterPatterns(ids);
    expect(patterns.length).toBeGreaterThan(1);
    for (const p of patterns) expect(JSON.stringify(p).length).toBeLessThanOrEqual(MAX_PATTERN_LENGTH);
    expect(patterns.flatMap((p) => p.value.action).sort()).toEqual([...ids].sort());
  });

  it('refuses an empty list, which would drop every run', () => {
    expect(() => actionFilterPatterns([])).toThrow(FilterError);
  });

  it('refuses more identifiers than five patterns hold', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `identifier_number_${i}_padded_out`);
    expect(() => actionFilterPatterns(ids)).toThrow(/filter patterns; Lambda allows 5 per mapping/);
  });

  it('lists every name the handler routes: aliases and the blueprint-prefixed and stripped forms', () => {
    const action = (identifier: string, extra: { blueprint?: string; aliases?: string[] } = {}) =>
      defineAction({ identifier, ...extra, inputs: z.object({}), handler: async () => undefined });
    const ids = registeredIdentifiers([
      action('create_vm', { blueprint: 'vm' }),
      action('service_deploy', { blueprint: 'service' }),
      action('restart', { aliases: ['reboot'] }),
    ]);
    expect(ids.sort()).toEqual(['create_vm', 'deploy', 'reboot', 'restart', 'service_deploy', 'vm_create_vm']);
  });
});
