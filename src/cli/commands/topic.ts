import type { MessageType } from '../../api/types.ts';
import type { Client } from '../../sdk/index.ts';
import { intFlag, parseCommand, requirePositional, UsageError } from '../args.ts';
import { printResult, table } from '../output.ts';

export const TOPIC_HELP = `nimbus topic create <name> [--type NORMAL|FIFO|DELAY|TRANSACTION] [--queues 8] [--retention-hours 72]
nimbus topic list
nimbus topic delete <name>`;

const TYPES = ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION'];

export async function topicCommand(argv: string[], client: (endpoint: string) => Client): Promise<void> {
  const [action, ...rest] = argv;
  const { values, positionals, flags } = parseCommand(rest, {
    type: { type: 'string' },
    queues: { type: 'string' },
    'retention-hours': { type: 'string' },
  });
  const api = client(flags.endpoint);
  switch (action) {
    case 'create': {
      const type = (values.type as string | undefined)?.toUpperCase();
      if (type !== undefined && !TYPES.includes(type))
        throw new UsageError(`--type must be one of ${TYPES.join(', ')}`);
      const topic = await api.createTopic(requirePositional(positionals, 0, 'topic name'), {
        messageType: type as MessageType | undefined,
        queueCount: intFlag(values.queues, 'queues'),
        retentionHours: intFlag(values['retention-hours'], 'retention-hours'),
      });
      return printResult(
        flags.json,
        topic,
        () => `topic ${topic.name} ready (${topic.messageType}, ${topic.queueCount} queues)`,
      );
    }
    case 'list': {
      const topics = await api.listTopics();
      return printResult(flags.json, topics, () =>
        table(topics as unknown as Record<string, unknown>[], ['name', 'messageType', 'queueCount', 'retentionHours']),
      );
    }
    case 'delete': {
      const name = requirePositional(positionals, 0, 'topic name');
      await api.deleteTopic(name);
      return printResult(flags.json, { deleted: name }, () => `topic ${name} deleted`);
    }
    default:
      throw new UsageError(`unknown topic action "${action ?? ''}"\n${TOPIC_HELP}`);
  }
}
