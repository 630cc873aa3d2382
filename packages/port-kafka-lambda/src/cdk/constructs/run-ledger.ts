import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { RunLedgerTable } from '../../runs/ledger/table.js';

const attributeType = (type: 'S' | 'N'): AttributeType => (type === 'S' ? AttributeType.STRING : AttributeType.NUMBER);

/**
 * The run ledger's DynamoDB table (schema: runs/ledger/table.ts, which the
 * tests' tables follow too): on demand, items expire through TTL,
 * point-in-time recovery on, encrypted with the AWS managed key (aws/dynamodb,
 * so key use shows in CloudTrail without a key to manage). Kept when the stack
 * is deleted, like any table holding state.
 */
class RunLedger extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const { partitionKey, timeToLiveAttribute, openClaimsIndex } = RunLedgerTable;
    this.table = new Table(this, 'Table', {
      partitionKey: { name: partitionKey.name, type: attributeType(partitionKey.type) },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: openClaimsIndex.name,
      partitionKey: { name: openClaimsIndex.partitionKey.name, type: attributeType(openClaimsIndex.partitionKey.type) },
      sortKey: { name: openClaimsIndex.sortKey.name, type: attributeType(openClaimsIndex.sortKey.type) },
      projectionType: ProjectionType.ALL,
    });
  }

  /**
   * What the consumer function does with the ledger: read, claim, store, mark
   * and release one run at a time. Named actions on the table alone, not
   * grantReadWriteData, which adds batch and scan actions and an `index/*` wildcard.
   */
  grantRunAccess(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      resourceArns: [this.table.tableArn],
    });
  }

  /** What a sweeper needs besides run access: listing lapsed claims from the open-claims index. */
  grantSweep(grantee: IGrantable): Grant {
    this.grantRunAccess(grantee);
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:Query'],
      resourceArns: [`${this.table.tableArn}/index/${RunLedgerTable.openClaimsIndex.name}`],
    });
  }
}

export { RunLedger };
