import { ArnFormat, CfnParameter, RemovalPolicy, SecretValue, Stack, Validations } from 'aws-cdk-lib';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { SecretSource } from '../config.js';

interface CredentialsSecret {
  readonly secret: ISecret;
  /** True when the stack created it (it must be filled in after deploying). */
  readonly created: boolean;
  /** Customer managed key the secret is encrypted with, if configured. */
  readonly kmsKeyArn?: string;
}

interface SecretShape {
  readonly description: string;
  /** Placeholder JSON with the right keys; the last key gets a random value. */
  readonly placeholder: Record<string, string>;
  readonly generatedKey: string;
  /** Characters the generated value must not contain (besides punctuation, which is excluded anyway). */
  readonly excludeCharacters?: string;
}

/**
 * Characters a SASL/SCRAM password must not contain for Lambda's Kafka event
 * source mapping: with a backslash, `/` or `"` in the secret's password the mapping
 * fails to log in with errors that do not name the cause (aws/aws-cdk#22813).
 */
const SCRAM_UNSAFE_CHARACTERS = '\\/"';

/** CloudFormation AllowedPattern for the KafkaPassword parameter: one or more characters, none of the unsafe ones. */
const SCRAM_PASSWORD_PATTERN = '[^\\\\/"]+';

/**
 * Imports a secret by ARN or name, or creates one with a placeholder value of
 * the right shape. For a secret encrypted with a customer managed key the
 * caller grants `kms:Decrypt` on `kmsKeyArn` (see the stack).
 */
function credentialsSecret(scope: Construct, id: string, source: SecretSource, shape: SecretShape): CredentialsSecret {
  switch (source.kind) {
    case 'arn':
      return {
        created: false,
        ...(source.kmsKeyArn === undefined ? {} : { kmsKeyArn: source.kmsKeyArn }),
        secret: Secret.fromSecretAttributes(scope, id, {
          secretCompleteArn: source.arn,
        }),
      };
    case 'name': {
      // A name gives only a partial ARN; IAM has to match the random suffix
      // Secrets Manager appends, hence the `-??????` CDK grants on.
      const partialArn = Stack.of(scope).formatArn({
        service: 'secretsmanager',
        resource: 'secret',
        resourceName: source.name,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
      return {
        created: false,
        ...(source.kmsKeyArn === undefined ? {} : { kmsKeyArn: source.kmsKeyArn }),
        secret: Secret.fromSecretAttributes(scope, id, {
          secretPartialArn: partialArn,
        }),
      };
    }
    case 'create': {
      const secret = new Secret(scope, id, {
        description: shape.description,
        generateSecretString: {
          secretStringTemplate: JSON.stringify(shape.placeholder),
          generateStringKey: shape.generatedKey,
          excludePunctuation: true,
          ...(shape.excludeCharacters === undefined ? {} : { excludeCharacters: shape.excludeCharacters }),
        },
        // Credentials issued by Port cannot be recovered from anywhere else.
        removalPolicy: RemovalPolicy.RETAIN,
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'The value is a credential issued by Port; Secrets Manager cannot rotate it. Rotation is requested from Port and the new value written with put-secret-value (docs/deploying.md).',
      });
      return { created: true, secret };
    }
  }
}

/**
 * The Kafka secret created from `username` and a NoEcho CloudFormation
 * parameter `KafkaPassword` given at deploy time
 * (`cdk deploy --parameters KafkaPassword=…`; later deploys reuse it). The
 * password never enters the template or cdk.out, and CloudFormation refuses a
 * value with characters the mapping cannot log in with before creating
 * anything (the parameter's AllowedPattern and ConstraintDescription).
 */
function kafkaSecretFromParameter(scope: Construct, id: string, username: string): CredentialsSecret {
  const password = new CfnParameter(Stack.of(scope), 'KafkaPassword', {
    type: 'String',
    noEcho: true,
    minLength: 1,
    allowedPattern: SCRAM_PASSWORD_PATTERN,
    constraintDescription:
      'must not contain \\, / or " (Lambda\'s Kafka event source mapping cannot log in with them; aws/aws-cdk#22813); ask Port for another password',
    description: 'Port Kafka SASL/SCRAM password (kafkaPasswordParameter=true); never shown by CloudFormation',
  });
  const secret = new Secret(scope, id, {
    description: 'Port Kafka SASL/SCRAM credentials: {"username","password"} (password from the KafkaPassword parameter)',
    secretObjectValue: {
      // The username is not secret: it is in cdk.json (kafkaUsername).
      username: SecretValue.unsafePlainText(username),
      password: SecretValue.cfnParameter(password),
    },
    removalPolicy: RemovalPolicy.RETAIN,
  });
  Validations.of(secret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason:
      'The value is a credential issued by Port; Secrets Manager cannot rotate it. Rotation is requested from Port and the new password deployed with --parameters KafkaPassword=… (docs/deploying.md).',
  });
  return { created: true, secret };
}

export type { CredentialsSecret, SecretShape };
export { credentialsSecret, kafkaSecretFromParameter, SCRAM_PASSWORD_PATTERN, SCRAM_UNSAFE_CHARACTERS };
