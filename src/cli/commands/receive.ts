import { hostname } from 'node:os';
import { type Client, SimpleConsumer } from '../../sdk/index.ts';
import { intFlag, parseCommand, requirePositional } from '../args.ts';
import { printResult, table } from '../output.ts';

export const RECEIVE_HELP = `nimbus receive <group> [--max 1] [--wait-ms 0] [--invisible-ms 30000] [--client-id ID] [--ack]
  Receives messages; --ack acknowledges them (otherwise they come back after the invisible duration).
  The client id defaults to one per host, so a broadcasting group keeps this machine's progress.`;

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
    clientId: (values['client-id'] as string | undefined) ?? defaultClientId(),
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
    bornTimestamp: message.bornTimestamp,
    storeTimestamp: message.storeTimestamp,
    deliveryAttempt: message.deliveryAttempt,
    invisibleUntil: message.invisibleUntil,
    ...bodyOf(message.body),
    receiptHandle: message.receiptHandle,
    acked: acked[i]?.ok,
  }));
  printResult(flags.json, { messages: rows }, () =>
    rows.length === 0
      ? '(no messages)'
      : table(
          rows.map((row) => ({
            ...row,
            body: row.bodyEncoding === 'utf8' ? clip(row.body) : `(${row.bodySize} bytes binary)`,
          })),
          ['msgId', 'topic', 'tag', 'deliveryAttempt', 'acked', 'body'],
        ),
  );
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The body as the API shows it: the text when it is valid UTF-8, else base64. */
function bodyOf(bytes: Uint8Array): { body: string; bodyEncoding: 'utf8' | 'base64'; bodySize: number } {
  try {
    return { body: strictUtf8.decode(bytes), bodyEncoding: 'utf8', bodySize: bytes.byteLength };
  } catch {
    return { body: Buffer.from(bytes).toString('base64'), bodyEncoding: 'base64', bodySize: bytes.byteLength };
  }
}

function clip(text: string): string {
  const line = text.replaceAll(/\s+/g, ' ');
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}

/**
 * One client id per host, the same on every run: a broadcasting group then keeps this
 * machine's progress between invocations instead of starting a new client each time.
 */
export function defaultClientId(): string {
  return `nimbus-cli@${hostname().replaceAll(/[^A-Za-z0-9_.:@-]/g, '-')}`.slice(0, 128);
}
