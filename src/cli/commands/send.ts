import { type Client, type OutgoingMessage, Producer } from '../../sdk/index.ts';
import { intFlag, parseCommand, requirePositional, stringList, UsageError } from '../args.ts';
import { printResult, progress } from '../output.ts';

export const SEND_HELP = `nimbus send <topic> <body> [--tag T] [--key K]... [--property name=value]... [--message-id ID] [--message-group G] [--count N]
            [--delay 10m | --deliver-at 2026-12-24T18:00:00Z]
  Sends one message, or N copies (in batches of 32, with progress) when --count is given.
  --delay (ms, or a number with s, m, h or d) and --deliver-at (ISO time) send to a DELAY topic.
  --message-group is required on FIFO topics: a group's messages go to one queue, in order.`;

export async function sendCommand(argv: string[], client: (endpoint: string) => Client): Promise<void> {
  const { values, positionals, flags } = parseCommand(argv, {
    tag: { type: 'string' },
    key: { type: 'string', multiple: true },
    property: { type: 'string', multiple: true },
    'message-id': { type: 'string' },
    'message-group': { type: 'string' },
    count: { type: 'string' },
    delay: { type: 'string' },
    'deliver-at': { type: 'string' },
  });
  const topic = requirePositional(positionals, 0, 'topic');
  const body = requirePositional(positionals, 1, 'message body');
  const properties: Record<string, string> = {};
  for (const pair of stringList(values.property)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--property takes name=value (got "${pair}")`);
    properties[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const message: OutgoingMessage = {
    body,
    tag: values.tag as string | undefined,
    keys: stringList(values.key),
    properties,
    messageId: values['message-id'] as string | undefined,
    messageGroup: values['message-group'] as string | undefined,
    ...deliveryTime(values.delay as string | undefined, values['deliver-at'] as string | undefined),
  };
  const producer = new Producer(client(flags.endpoint));
  const count = intFlag(values.count, 'count');
  if (count === undefined) {
    const result = await producer.send(topic, message);
    return printResult(
      flags.json,
      result,
      () =>
        (result.deliverAt === undefined
          ? `sent ${result.msgId} to ${topic} queue ${result.queueId} offset ${result.queueOffset}`
          : `scheduled ${result.msgId} on ${topic} for ${new Date(result.deliverAt).toISOString()}`) +
        (result.duplicate ? ' (duplicate: an earlier send with this message id was kept; nothing new stored)' : ''),
    );
  }
  if (count < 1) throw new UsageError('--count must be at least 1');
  if (message.messageId !== undefined && count > 1)
    throw new UsageError('--message-id makes copies duplicates; drop it with --count');
  const bar = progress(`sending to ${topic}`, count);
  let sent = 0;
  while (sent < count) {
    const size = Math.min(32, count - sent);
    await producer.sendBatch(
      topic,
      Array.from({ length: size }, () => message),
    );
    sent += size;
    bar.tick(size);
  }
  bar.done();
  printResult(flags.json, { topic, sent }, () => `sent ${sent} messages to ${topic}`);
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--delay 90s` or `--deliver-at <ISO time>` as the send fields of a delayed message. */
function deliveryTime(
  delay: string | undefined,
  deliverAt: string | undefined,
): { delayMs?: number; deliverAt?: number } {
  if (delay !== undefined && deliverAt !== undefined) throw new UsageError('give --delay or --deliver-at, not both');
  if (delay !== undefined) {
    const match = /^(\d+)(ms|s|m|h|d)?$/.exec(delay.trim());
    if (!match) throw new UsageError(`--delay takes milliseconds or a number with s, m, h or d (got "${delay}")`);
    return { delayMs: Number(match[1]) * (UNIT_MS[match[2] ?? 'ms'] ?? 1) };
  }
  if (deliverAt !== undefined) {
    const time = Date.parse(deliverAt);
    if (Number.isNaN(time))
      throw new UsageError(`--deliver-at takes an ISO time such as 2026-12-24T18:00:00Z (got "${deliverAt}")`);
    return { deliverAt: time };
  }
  return {};
}
