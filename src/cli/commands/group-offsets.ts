import { createInterface } from 'node:readline/promises';
import type { Client } from '../../sdk/index.ts';
import { stringList, UsageError } from '../args.ts';
import { printResult, table } from '../output.ts';
import { timeFlag } from './message.ts';

/** `nimbus group stats`: one line per topic and queue. */
export async function groupStats(api: Client, group: string, json: boolean): Promise<void> {
  const stats = await api.groupStats(group);
  return printResult(json, stats, () =>
    stats.topics
      .map((topic) => {
        const head = `${topic.topic}: ready ${topic.ready}, in flight ${topic.inFlight}, oldest ready ${topic.oldestReadyAgeMs} ms, dead letters ${topic.deadLetters}`;
        const clients = topic.clients ? `\n${table(topic.clients, ['clientId', 'ready', 'inFlight'])}` : '';
        return `${head}\n${table(topic.queues, ['queueId', 'ready', 'inFlight', 'consumerOffset', 'maxOffset'])}${clients}`;
      })
      .join('\n\n'),
  );
}

/** `nimbus group reset-offset`: asks before moving a group's progress unless `--yes`. */
export async function resetOffset(
  api: Client,
  group: string,
  values: Record<string, unknown>,
  json: boolean,
): Promise<void> {
  const topic = values.topic as string | undefined;
  if (topic === undefined) throw new UsageError('reset-offset needs --topic');
  const timestamp = timeFlag(values.timestamp, 'timestamp');
  const offsets = stringList(values.offset).map(parseOffset);
  if ((timestamp === undefined) === (offsets.length === 0)) {
    throw new UsageError('reset-offset needs either --timestamp or --offset <queueId>=<offset>');
  }
  const clientId = values['client-id'] as string | undefined;
  const target =
    timestamp === undefined
      ? `offsets ${offsets.map((o) => `${o.queueId}=${o.offset}`).join(' ')}`
      : new Date(timestamp).toISOString();
  const who = clientId === undefined ? `group ${group}` : `instance ${clientId} of group ${group}`;
  if (values.yes !== true && !(await confirm(`Reset ${who} on topic ${topic} to ${target}?`))) {
    throw new UsageError('reset-offset cancelled');
  }
  const result = await api.resetOffset(group, {
    topic,
    ...(timestamp === undefined ? { offsets } : { timestamp }),
    ...(clientId === undefined ? {} : { clientId }),
  });
  return printResult(
    json,
    result,
    () => `${result.lanes} lane(s) of ${group} reset on ${topic}\n${table(result.offsets, ['queueId', 'offset'])}`,
  );
}

function parseOffset(text: string): { queueId: number; offset: number } {
  const match = /^(\d+)=(\d+)$/.exec(text);
  if (!match) throw new UsageError(`--offset must be <queueId>=<offset> (got "${text}")`);
  return { queueId: Number(match[1]), offset: Number(match[2]) };
}

/** Asks on the terminal; without one (a script), only `--yes` may reset. */
async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY)
    throw new UsageError('reset-offset asks for confirmation: pass --yes when not on a terminal');
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
  } finally {
    prompt.close();
  }
}
