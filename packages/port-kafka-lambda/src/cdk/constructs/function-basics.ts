import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/**
 * The log group and role every function of the stack starts from. An explicit
 * role instead of Lambda's default one: the default attaches AWS managed
 * policies (AWSLambdaBasicExecutionRole, or with durableConfig
 * AWSLambdaBasicDurableExecutionRolePolicy) that may write to any log group or
 * act on "*". This role may only write to its own log group; everything else
 * is granted resource by resource.
 */
const functionLogsAndRole = (scope: Construct, description: string, retention: RetentionDays): { logGroup: LogGroup; role: Role } => {
  const logGroup = new LogGroup(scope, 'Logs', { retention });
  const role = new Role(scope, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com'), description });
  role.addToPolicy(
    new PolicyStatement({
      effect: Effect.ALLOW,
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    })
  );
  return { logGroup, role };
};

export { functionLogsAndRole };
