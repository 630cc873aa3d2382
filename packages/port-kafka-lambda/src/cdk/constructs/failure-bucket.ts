import { type CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { DlqDestinationConfig, IEventSourceDlq, IEventSourceMapping, IFunction } from 'aws-cdk-lib/aws-lambda';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

interface FailureBucketProps {
  /** Days a failed batch is kept before S3 deletes it. */
  readonly retentionDays: number;
}

/**
 * Provisioned mode's on-failure destination that keeps the records: for S3,
 * Lambda writes the whole batch (the `payload`), not just the metadata SQS and
 * SNS get. Encrypted with S3 managed keys, TLS-only, public access blocked,
 * ACLs off, each object expired after `retentionDays`, and kept when the stack
 * is deleted (the records may be the only copy once Kafka's retention passes).
 */
class FailureBucket extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: FailureBucketProps) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          id: 'expire-failed-batches',
          expiration: Duration.days(props.retentionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only the Lambda service writes here, with the consumer role; reads are an operator inspecting failed batches. Server access logs would need a second bucket for that; CloudTrail data events can record object access if required.',
    });
  }

  /**
   * The mapping's on-failure destination. Unlike aws-cdk-lib's
   * S3OnFailureDestination (grantReadWrite: reads and deletes too) it grants
   * what Lambda's documentation asks for and no more: s3:PutObject on the
   * bucket's objects and s3:ListBucket on the bucket.
   */
  destination(): IEventSourceDlq {
    return {
      bind: (_target: IEventSourceMapping, targetHandler: IFunction): DlqDestinationConfig => {
        this.grantWrite(targetHandler);
        if (targetHandler.role !== undefined) {
          const logicalId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnElement);
          Validations.of(targetHandler.role).acknowledge({
            id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/*]`,
            reason:
              'Lambda names each failed-batch object itself, so s3:PutObject is granted on the objects of this one bucket (and nothing else: no read, no delete).',
          });
        }
        return { destination: this.bucket.bucketArn };
      },
    };
  }

  private grantWrite(grantee: IGrantable): void {
    Grant.addToPrincipal({ grantee, actions: ['s3:PutObject'], resourceArns: [this.bucket.arnForObjects('*')] });
    Grant.addToPrincipal({ grantee, actions: ['s3:ListBucket'], resourceArns: [this.bucket.bucketArn] });
  }
}

export type { FailureBucketProps };
export { FailureBucket };
