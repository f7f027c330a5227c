import { Duration, Lazy, Stack, Token } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import {
  FilterCriteria,
  FilterRule,
  type IFunction,
  type Function as LambdaFunction,
  StartingPosition,
} from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { PushSubscriptionSettings } from '../src/lambda/push-driver-event.ts';

export interface PushStreamTriggerProps {
  /** The push-stream function (functions/push-stream.ts). */
  streamFunction: LambdaFunction;
  /** The push-deliver function it nudges. */
  driver: IFunction;
  /** The messages table, whose stream carries new segments. */
  messages: ITable;
}

/**
 * How the messages stream reaches the push-stream function. Records wait up to a second for
 * company, so a burst of sends nudges each subscription about once a second rather than
 * once per message; older than a minute, a record is dropped, since the subscriptions'
 * schedules have run by then.
 */
export const PUSH_STREAM_SOURCE = {
  batchSize: 100,
  maxBatchingWindow: Duration.seconds(1),
  retryAttempts: 2,
  maxRecordAge: Duration.minutes(1),
} as const;

/**
 * The event source's filter: new segments that hold messages. Every segment carries its
 * message block in `m`; only the appender's segments (single sends, batches, delayed
 * releases, transaction commits) carry the reservation time `rt`, which the retention
 * sweep's remainders (inserted at a new offset, holding messages already delivered) lack;
 * and only segments with a live message carry a store time `st`, which void segments (a
 * reserved range filled with nothing) lack. Tombstones, floors and queue heads have no `m`.
 */
export const NEW_SEGMENT_FILTER = {
  eventName: FilterRule.isEqual('INSERT'),
  dynamodb: {
    NewImage: { m: { B: FilterRule.exists() }, st: { N: FilterRule.exists() }, rt: { N: FilterRule.exists() } },
  },
};

/**
 * Lambda allows 4 KB of environment variables per function in all; the push-stream
 * function's other variables (table prefix, body bucket, driver name, log settings) take
 * under 512 bytes, which leaves this much for the subscription list.
 */
export const SUBSCRIPTION_LIST_BUDGET = 3_584;
/** The longest a function ARN gets (partition, region, account and a 64-character name). */
const LONGEST_FUNCTION_ARN = 128;
/** Group names and client ids are at most 64 characters. */
const LONGEST_NAME = 64;

/**
 * The size the subscription list takes in the environment once deployed. Values the stack
 * resolves only at deploy time (a function's ARN) count at their longest.
 */
export function subscriptionListSize(subscriptions: readonly PushSubscriptionSettings[]): number {
  const longest = (value: string, max: number) => (Token.isUnresolved(value) ? 'x'.repeat(max) : value);
  const deployed = subscriptions.map((subscription) => ({
    ...subscription,
    group: longest(subscription.group, LONGEST_NAME),
    ...(subscription.clientId === undefined ? {} : { clientId: longest(subscription.clientId, LONGEST_NAME) }),
    functionName: longest(subscription.functionName, LONGEST_FUNCTION_ARN),
  }));
  return JSON.stringify(deployed).length;
}

/** What Lambda's event source needs to read a DynamoDB stream. */
export const STREAM_READ_ACTIONS = [
  'dynamodb:DescribeStream',
  'dynamodb:GetRecords',
  'dynamodb:GetShardIterator',
  'dynamodb:ListStreams',
] as const;

/**
 * Starts push delivery from the messages table's stream: the push-stream function reads
 * new segments (a filter drops tombstones, floors, queue heads, void segments and the
 * retention sweep's remainders before any invocation) and nudges the push driver of every subscription whose group subscribes
 * to their topics. The schedule of each subscription stays as the safety net (redeliveries,
 * expired invisible times, a nudge lost after the retries).
 */
export class PushStreamTrigger extends Construct {
  private readonly subscriptions: PushSubscriptionSettings[] = [];

  constructor(scope: Construct, id: string, props: PushStreamTriggerProps) {
    super(scope, id);
    const fn = props.streamFunction;
    const stack = Stack.of(this);
    fn.addEnvironment('NIMBUS_PUSH_DRIVER', props.driver.functionName);
    fn.addEnvironment(
      'NIMBUS_PUSH_SUBSCRIPTIONS',
      Lazy.string({ produce: () => stack.toJsonString(this.subscriptions) }),
    );
    // Refused at synth rather than by CloudFormation halfway through a deployment.
    this.node.addValidation({
      validate: () => {
        const size = subscriptionListSize(this.subscriptions);
        if (size <= SUBSCRIPTION_LIST_BUDGET) return [];
        return [
          `The ${this.subscriptions.length} Lambda subscriptions of this stack take about ${size} bytes in the ` +
            `push-stream function's environment, over the ${SUBSCRIPTION_LIST_BUDGET} bytes that Lambda's 4 KB ` +
            'limit leaves for them (about 12 subscriptions): split them across stacks.',
        ];
      },
    });
    // Only the unqualified driver: nudges never start versions or aliases.
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.driver.functionArn] }),
    );
    const streamArn = props.messages.tableStreamArn;
    if (!streamArn) throw new Error('The messages table has no stream (table-definitions.ts asks for NEW_IMAGE).');
    // The event source reads with the function's role: the stream of the messages table only
    // (the stock grant adds ListStreams on every table's streams).
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: [...STREAM_READ_ACTIONS],
        resources: [streamArn],
      }),
    );
    fn.addEventSourceMapping('MessagesStream', {
      eventSourceArn: streamArn,
      startingPosition: StartingPosition.LATEST,
      batchSize: PUSH_STREAM_SOURCE.batchSize,
      maxBatchingWindow: PUSH_STREAM_SOURCE.maxBatchingWindow,
      // A failing batch is split to find a bad record; nudges are idempotent, so retries are safe.
      bisectBatchOnError: true,
      retryAttempts: PUSH_STREAM_SOURCE.retryAttempts,
      maxRecordAge: PUSH_STREAM_SOURCE.maxRecordAge,
      filters: [FilterCriteria.filter(NEW_SEGMENT_FILTER)],
    });
  }

  /** Adds a subscription to the list the push-stream function nudges. */
  subscribe(subscription: PushSubscriptionSettings): void {
    this.subscriptions.push(subscription);
  }
}
