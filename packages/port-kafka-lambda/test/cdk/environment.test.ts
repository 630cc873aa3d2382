import { describe, expect, it } from '@jest/globals';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { FilterError, MAX_PATTERN_LENGTH, runFilterPatterns } from '../../src/cdk/filters.js';
import { configOf, ORG, synth } from './helpers.js';

/**
 * Several backends on one org topic: a stack with `environment` lets only the
 * runs whose payload names it reach its function, and tells the handler the
 * same (BACKEND_ENVIRONMENT), so a mapping without the filter is still safe.
 */

const IMPORTED = {
  kafkaSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:port/kafka-AbCdEf',
  portSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:port/api-GhIjKl',
};
const KEY_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:port/secret-inputs-key-MnOpQr';

const envOf = (template: Template): Record<string, unknown> => {
  const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0] as {
    Properties: { Environment: { Variables: Record<string, unknown> } };
  };
  return fn.Properties.Environment.Variables;
};

describe('runFilterPatterns', () => {
  it('filters on the environment alone, on actions alone, or on both in one pattern (Lambda ANDs the keys of a pattern)', () => {
    expect(runFilterPatterns({ environment: 'prod' })).toEqual([{ value: { environment: ['prod'] } }]);
    expect(runFilterPatterns({ identifiers: ['b', 'a'] })).toEqual([{ value: { action: ['a', 'b'] } }]);
    expect(runFilterPatterns({ identifiers: ['b', 'a'], environment: 'prod' })).toEqual([
      { value: { action: ['a', 'b'], environment: ['prod'] } },
    ]);
  });

  it("keeps every pattern with the environment inside Lambda's 4 KB limit", () => {
    const ids = Array.from({ length: 300 }, (_, i) => `action_number_${String(i).padStart(4, '0')}`);
    const patterns = runFilterPatterns({ identifiers: ids, environment: 'a-rather-long-environment-name' });
    expect(patterns.length).toBeGreaterThan(1);
    for (const p of patterns) {
      expect(JSON.stringify(p).length).toBeLessThanOrEqual(MAX_PATTERN_LENGTH);
      expect(p.value.environment).toEqual(['a-rather-long-environment-name']);
    }
    expect(patterns.flatMap((p) => p.value.action ?? [])).toEqual(ids);
  });

  it('refuses to filter on nothing or on an empty environment', () => {
    expect(() => runFilterPatterns({})).toThrow(FilterError);
    expect(() => runFilterPatterns({ environment: ' ' })).toThrow('the environment to filter on is empty');
  });
});

describe('stack settings environment and secretInputsKeyArn', () => {
  it('filters the runs mapping on the environment, not the change log, and sets BACKEND_ENVIRONMENT', () => {
    const { template } = synth({ ...IMPORTED, environment: 'staging', consumeChangeLog: true });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      Topics: [`${ORG}.runs`],
      FilterCriteria: { Filters: [{ Pattern: '{"value":{"environment":["staging"]}}' }] },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      Topics: [`${ORG}.change.log`],
      FilterCriteria: Match.absent(),
    });
    expect(envOf(template).BACKEND_ENVIRONMENT).toBe('staging');
  });

  it('combines the environment with action filtering', () => {
    const { template } = synth({ ...IMPORTED, environment: 'prod', filterActions: true }, ['deploy_service']);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FilterCriteria: { Filters: [{ Pattern: '{"value":{"action":["deploy_service"],"environment":["prod"]}}' }] },
    });
  });

  it('leaves the mapping unfiltered and BACKEND_ENVIRONMENT unset without the setting', () => {
    const { template } = synth(IMPORTED);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FilterCriteria: Match.absent() });
    expect(envOf(template).BACKEND_ENVIRONMENT).toBeUndefined();
  });

  it('lets the function read the secret inputs private key and names it in its environment', () => {
    const { template } = synth({ ...IMPORTED, secretInputsKeyArn: KEY_SECRET });
    expect(envOf(template).PORT_SECRET_INPUTS_PRIVATE_KEY_ARN).toBe(KEY_SECRET);
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } }).Properties.PolicyDocument
          .Statement
    );
    const read = statements.find((s) => Array.isArray(s.Action) && s.Action.includes('secretsmanager:GetSecretValue'));
    // Exactly that secret (complete ARN, no wildcard), beside the stack's two.
    expect(read?.Resource).toContain(KEY_SECRET);
    expect(JSON.stringify(read?.Resource)).not.toContain('*');
  });

  it('refuses a bad environment name and a partial secret ARN with one line each', () => {
    expect(() => configOf({ environment: 'has space' })).toThrow('environment: "has space" is not an environment name');
    expect(() => configOf({ secretInputsKeyArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:key' })).toThrow(
      'is not a complete Secrets Manager secret ARN'
    );
    expect(configOf({}, { PORT_KAFKA_ENVIRONMENT: 'from-env' }).environment).toBe('from-env');
  });
});
