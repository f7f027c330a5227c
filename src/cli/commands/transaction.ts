import { type Client, TransactionProducer } from '../../sdk/index.ts';
import { parseCommand, requirePositional, stringList, UsageError } from '../args.ts';
import { printResult } from '../output.ts';

export const TRANSACTION_HELP = `nimbus transaction send <topic> <body> --producer-group G [--tag T] [--key K ...]
  Sends a half message to a TRANSACTION topic; prints its transactionId.
nimbus transaction commit <transactionId>
  Makes the half message visible (once; a repeat answers the same).
nimbus transaction rollback <transactionId>
  Discards the half message.`;

export async function transactionCommand(argv: string[], client: (endpoint: string) => Client): Promise<void> {
  const [action, ...rest] = argv;
  const { values, positionals, flags } = parseCommand(rest, {
    'producer-group': { type: 'string' },
    tag: { type: 'string' },
    key: { type: 'string', multiple: true },
  });
  const producerGroup = typeof values['producer-group'] === 'string' ? values['producer-group'] : '';
  const producer = new TransactionProducer(client(flags.endpoint), { producerGroup });
  switch (action) {
    case 'send': {
      const topic = requirePositional(positionals, 0, 'topic');
      const body = requirePositional(positionals, 1, 'body');
      if (!producerGroup) throw new UsageError('a half message needs --producer-group G');
      const half = await producer.sendHalf(topic, {
        body,
        tag: typeof values.tag === 'string' ? values.tag : undefined,
        keys: stringList(values.key),
      });
      return printResult(flags.json, half, () => `half message ${half.msgId}: transaction ${half.transactionId}`);
    }
    case 'commit': {
      const result = await producer.commit(requirePositional(positionals, 0, 'transactionId'));
      return printResult(
        flags.json,
        result,
        () => `committed ${result.msgId} to ${result.topic} queue ${result.queueId} offset ${result.queueOffset}`,
      );
    }
    case 'rollback': {
      const transactionId = requirePositional(positionals, 0, 'transactionId');
      await producer.rollback(transactionId);
      return printResult(flags.json, { transactionId, rolledBack: true }, () => `rolled back ${transactionId}`);
    }
    default:
      throw new UsageError(`unknown transaction action "${action ?? ''}"\n${TRANSACTION_HELP}`);
  }
}
