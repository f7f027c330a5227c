import type { StoredMessage } from '../../core/model.ts';
import type { AppendResult } from '../../core/ports/store.ts';

/**
 * Appends that committed but are not confirmed yet (their WAL fsync is still running).
 * Readers run against committed data, so without this a consumer could be handed a
 * message that a machine crash then takes back, while its producer never got an OK.
 * Per queue, each pending append records its lowest new offset; readers stop below the
 * lowest of them until the append settles.
 */
export class UnsyncedAppends {
  private readonly byQueue = new Map<string, Map<number, number>>();
  private nextId = 0;

  /** Starts tracking one append; returns its id for `note` and `settle`. */
  begin(): number {
    return this.nextId++;
  }

  /** Records what the append wrote. Runs again if the transaction is replayed: the lowest offset wins. */
  note(id: number, results: readonly AppendResult[]): void {
    for (const { message, duplicate } of results) {
      if (duplicate) continue;
      const key = queueKey(message.topic, message.queueId);
      let pending = this.byQueue.get(key);
      if (!pending) {
        pending = new Map();
        this.byQueue.set(key, pending);
      }
      pending.set(id, Math.min(pending.get(id) ?? Number.POSITIVE_INFINITY, message.queueOffset));
    }
  }

  /** The append was confirmed (or failed): readers may see what it wrote. */
  settle(id: number): void {
    for (const [key, pending] of this.byQueue) {
      if (pending.delete(id) && pending.size === 0) this.byQueue.delete(key);
    }
  }

  /** The first offset of the queue readers must not see yet, if any. */
  limit(topic: string, queueId: number): number | undefined {
    const pending = this.byQueue.get(queueKey(topic, queueId));
    if (!pending) return undefined;
    let lowest = Number.POSITIVE_INFINITY;
    for (const offset of pending.values()) lowest = Math.min(lowest, offset);
    return lowest;
  }

  /** Whether a stored message is confirmed (not an append still waiting for its sync). */
  confirmed(message: StoredMessage): boolean {
    const limit = this.limit(message.topic, message.queueId);
    return limit === undefined || message.queueOffset < limit;
  }
}

function queueKey(topic: string, queueId: number): string {
  return `${queueId}:${topic}`;
}
