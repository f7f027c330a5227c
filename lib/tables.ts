import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import {
  type KeyAttributeType,
  type TableDefinition,
  type TableId,
  tableDefinitions,
} from '../src/adapters/dynamodb/table-definitions.ts';

export interface NimbusTablesProps {
  /** Physical names are `<prefix>-<table>`, exactly as the store derives them. */
  tablePrefix: string;
  removalPolicy: RemovalPolicy;
}

/**
 * The DynamoDB tables, built from the store's own table definitions (the same data the
 * store uses to create tables in DynamoDB Local): on-demand, TTL, point-in-time recovery,
 * encryption with the AWS managed key, and the streams the definitions ask for.
 */
export class NimbusTables extends Construct {
  readonly tables: Record<TableId, Table>;
  readonly definitions: Record<TableId, TableDefinition>;

  constructor(scope: Construct, id: string, props: NimbusTablesProps) {
    super(scope, id);
    this.definitions = tableDefinitions(props.tablePrefix);
    const build = (definition: TableDefinition) => {
      const table = new Table(this, definition.id, {
        tableName: definition.tableName,
        partitionKey: attribute(definition.partitionKey),
        sortKey: definition.sortKey && attribute(definition.sortKey),
        billingMode: BillingMode.PAY_PER_REQUEST,
        timeToLiveAttribute: definition.timeToLiveAttribute,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: TableEncryption.AWS_MANAGED,
        stream: definition.stream && STREAM_VIEWS[definition.stream],
        removalPolicy: props.removalPolicy,
        deletionProtection: props.removalPolicy === RemovalPolicy.RETAIN,
      });
      for (const index of definition.globalSecondaryIndexes) {
        table.addGlobalSecondaryIndex({
          indexName: index.indexName,
          partitionKey: attribute(index.partitionKey),
          sortKey: index.sortKey && attribute(index.sortKey),
          projectionType: index.projection === 'ALL' ? ProjectionType.ALL : ProjectionType.KEYS_ONLY,
        });
      }
      return table;
    };
    this.tables = {
      messages: build(this.definitions.messages),
      state: build(this.definitions.state),
      index: build(this.definitions.index),
      held: build(this.definitions.held),
    };
  }
}

const ATTRIBUTE_TYPES: Record<KeyAttributeType, AttributeType> = {
  S: AttributeType.STRING,
  N: AttributeType.NUMBER,
  B: AttributeType.BINARY,
};

const STREAM_VIEWS: Record<NonNullable<TableDefinition['stream']>, StreamViewType> = {
  NEW_IMAGE: StreamViewType.NEW_IMAGE,
  KEYS_ONLY: StreamViewType.KEYS_ONLY,
  NEW_AND_OLD_IMAGES: StreamViewType.NEW_AND_OLD_IMAGES,
};

function attribute(key: { name: string; type: KeyAttributeType }) {
  return { name: key.name, type: ATTRIBUTE_TYPES[key.type] };
}
