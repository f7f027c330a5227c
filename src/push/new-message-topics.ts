import type { DynamoDBRecord } from 'aws-lambda';

/**
 * The topics that got new messages, from records of the messages table's stream. A new
 * message is a segment the appender inserted with a live message: a message block (`m`),
 * a reservation time (`rt`, which the retention sweep's remainders lack: they are inserted
 * at a new offset but hold messages stored long ago) and a store time (`st`, which void
 * segments lack). Tombstones, floors and queue heads have no `m`. The stream's filter
 * (lib/push-stream-trigger.ts) already drops the rest; this check keeps a looser filter harmless.
 * The partition key is `topic#queueId`, and topic names cannot contain `#`.
 * @example
 * topicsOfNewMessages(event.Records); // Set { 'orders' }
 */
export function topicsOfNewMessages(records: readonly DynamoDBRecord[]): Set<string> {
  const topics = new Set<string>();
  for (const record of records) {
    if (record.eventName !== 'INSERT') continue;
    const image = record.dynamodb?.NewImage;
    const queue = image?.['q']?.S;
    if (image?.['m']?.B === undefined || image['rt']?.N === undefined || image['st']?.N === undefined) continue;
    if (queue === undefined) continue;
    const separator = queue.lastIndexOf('#');
    if (separator > 0) topics.add(queue.slice(0, separator));
  }
  return topics;
}
