import { ArnFormat, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
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
}

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

export type { CredentialsSecret, SecretShape };
export { credentialsSecret };
