import type { DynamoDBRecord } from 'aws-lambda';

/**
 * Reads the messages table's stream through the DynamoDB Streams API (JSON over HTTP, as
 * the AWS SDK's streams client speaks it) on DynamoDB Local, from the moment it is opened:
 * what Lambda's event source mapping does before it invokes the push-stream function.
 * DynamoDB Local accepts any credentials, so requests carry a well-formed dummy signature.
 */
export class MessagesStream {
  private readonly endpoint: string;
  private readonly tableName: string;
  private streamArn = '';
  /** Next iterator per shard id; a closed shard's is dropped. */
  private readonly iterators = new Map<string, string>();
  private readonly seenShards = new Set<string>();

  constructor(endpoint: string, tableName: string) {
    this.endpoint = endpoint;
    this.tableName = tableName;
  }

  /** Starts reading every shard from its oldest record (tests open it on fresh tables). */
  async open(): Promise<void> {
    const table = await this.call<{ Table: { LatestStreamArn: string } }>('DynamoDB_20120810.DescribeTable', {
      TableName: this.tableName,
    });
    this.streamArn = table.Table.LatestStreamArn;
    await this.discoverShards();
  }

  /** One GetRecords round over every shard: the records written since the last round. */
  async poll(): Promise<DynamoDBRecord[]> {
    await this.discoverShards();
    const records: DynamoDBRecord[] = [];
    for (const [shardId, iterator] of [...this.iterators]) {
      const page = await this.call<{ Records: DynamoDBRecord[]; NextShardIterator?: string }>(
        'DynamoDBStreams_20120810.GetRecords',
        { ShardIterator: iterator, Limit: 1000 },
      ).catch((error: unknown) => {
        // DynamoDB Local refuses a TRIM_HORIZON iterator of a shard that has no record yet: ask again later.
        if (!String(error).includes('TrimmedDataAccessException')) throw error;
        this.seenShards.delete(shardId);
        this.iterators.delete(shardId);
        return undefined;
      });
      if (!page) continue;
      records.push(...page.Records);
      if (page.NextShardIterator) this.iterators.set(shardId, page.NextShardIterator);
      else this.iterators.delete(shardId);
    }
    return records;
  }

  /** Shards not seen yet (a new one starts when DynamoDB Local rolls the stream over) are read from their start. */
  private async discoverShards(): Promise<void> {
    const description = await this.call<{ StreamDescription: { Shards: { ShardId: string }[] } }>(
      'DynamoDBStreams_20120810.DescribeStream',
      { StreamArn: this.streamArn },
    );
    for (const { ShardId } of description.StreamDescription.Shards) {
      if (this.seenShards.has(ShardId)) continue;
      this.seenShards.add(ShardId);
      const { ShardIterator } = await this.call<{ ShardIterator?: string }>(
        'DynamoDBStreams_20120810.GetShardIterator',
        { StreamArn: this.streamArn, ShardId, ShardIteratorType: 'TRIM_HORIZON' },
      );
      if (ShardIterator) this.iterators.set(ShardId, ShardIterator);
    }
  }

  private async call<T>(target: string, body: unknown): Promise<T> {
    const response = await fetch(this.endpoint, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.0',
        'X-Amz-Target': target,
        Authorization:
          'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${target} failed (${response.status}): ${text}`);
    return JSON.parse(text) as T;
  }
}
