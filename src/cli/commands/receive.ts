import { type Client, SimpleConsumer } from '../../sdk/index.ts';
import { intFlag, parseCommand, requirePositional } from '../args.ts';
import { printResult, table } from '../output.ts';

export const RECEIVE_HELP = `nimbus receive <group> [--max 1] [--wait-ms 0] [--invisible-ms 30000] [--client-id ID] [--ack]
  Receives messages; --ack acknowledges them (otherwise they come back after the invisible duration).`;

export async function receiveCommand(argv: string[], client: (endpoint: string) => Client): Promise<void> {
  const { values, positionals, flags } = parseCommand(argv, {
    max: { type: 'string' },
    'wait-ms': { type: 'string' },
    'invisible-ms': { type: 'string' },
    'client-id': { type: 'string' },
    ack: { type: 'boolean' },
  });
  const group = requirePositional(positionals, 0, 'group');
  const consumer = new SimpleConsumer(client(flags.endpoint), {
    group,
    clientId: values['client-id'] as string | undefined,
  });
  const messages = await consumer.receive({
    maxMessages: intFlag(values.max, 'max') ?? 1,
    waitMs: intFlag(values['wait-ms'], 'wait-ms') ?? 0,
    invisibleDurationMs: intFlag(values['invisible-ms'], 'invisible-ms'),
  });
  const acked = values.ack === true && messages.length > 0 ? await consumer.ack(messages) : [];
  const rows = messages.map((message, i) => ({
    msgId: message.msgId,
    topic: message.topic,
    queueId: message.queueId,
    queueOffset: message.queueOffset,
    tag: message.tag,
    keys: message.keys,
    properties: message.properties,
    deliveryAttempt: message.deliveryAttempt,
    body: message.text(),
    receiptHandle: message.receiptHandle,
    acked: acked[i]?.ok,
  }));
  printResult(flags.json, { messages: rows }, () =>
    rows.length === 0 ? '(no messages)' : table(rows, ['msgId', 'topic', 'tag', 'deliveryAttempt', 'acked', 'body']),
  );
}
