import type { DynamoDBRecord } from 'aws-lambda';

/**
 * The topics that got new messages, from records of the messages table's stream. A new
 * message is an inserted segment: an item with a message block (`m`). Tombstones, floors,
 * queue heads and rewritten segments (the retention sweep's remainders) are not; the
 * stream's filter already drops them, and this check keeps a looser filter harmless.
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
    if (image?.['m']?.B === undefined || queue === undefined) continue;
    const separator = queue.lastIndexOf('#');
    if (separator > 0) topics.add(queue.slice(0, separator));
  }
  return topics;
}
