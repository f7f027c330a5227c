import type { PushBatch, PushTarget } from '../core/push-delivery.ts';
import type { FunctionInvoker } from './function-invoker.ts';
import { failedIdsFrom, type NimbusPushEvent, toPushEvent } from './push-event.ts';

/** Lambda refuses synchronous payloads over 6 MB; stay below it with room for the envelope. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024 - 64 * 1024;

/**
 * Delivers push batches to one Lambda function. A batch too large for one invocation is
 * split into consecutive invocations; a failed invocation fails only its own messages.
 */
export class LambdaPushTarget implements PushTarget {
  private readonly invoker: FunctionInvoker;
  private readonly functionName: string;

  constructor(invoker: FunctionInvoker, functionName: string) {
    this.invoker = invoker;
    this.functionName = functionName;
  }

  async invoke(batch: PushBatch): Promise<{ failedMsgIds: string[] }> {
    const failed: string[] = [];
    for (const chunk of chunksUnderLimit(toPushEvent(batch))) {
      const ids = chunk.messages.map((message) => message.msgId);
      try {
        const outcome = await this.invoker.invoke(this.functionName, JSON.stringify(chunk));
        if (outcome.functionError !== undefined) failed.push(...ids);
        else failed.push(...failedIdsFrom(parseJson(outcome.payload), ids));
      } catch (error) {
        // Throttled, missing permission, network: with nothing delivered, retry the whole chunk.
        if (chunk.messages.length === batch.messages.length) throw error;
        failed.push(...ids);
      }
    }
    return { failedMsgIds: failed };
  }
}

function chunksUnderLimit(event: NimbusPushEvent): NimbusPushEvent[] {
  const chunks: NimbusPushEvent[] = [];
  let current: NimbusPushEvent = { ...event, messages: [] };
  let bytes = 0;
  for (const message of event.messages) {
    const size = Buffer.byteLength(JSON.stringify(message));
    if (current.messages.length > 0 && bytes + size > MAX_PAYLOAD_BYTES) {
      chunks.push(current);
      current = { ...event, messages: [] };
      bytes = 0;
    }
    current.messages.push(message);
    bytes += size;
  }
  if (current.messages.length > 0) chunks.push(current);
  return chunks;
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
