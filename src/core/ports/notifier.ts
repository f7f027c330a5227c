/**
 * Wakes waiting receivers when a topic gets new messages. In embedded mode this is an
 * in-process signal, so a long-poll receive returns as soon as a send commits; stores
 * shared by many processes (DynamoDB) fall back to polling between signals.
 */
export interface Notifier {
  publish(topic: string): void;
  /** Resolves when any of `topics` is published, or after `timeoutMs`, or when `signal` aborts. */
  wait(topics: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<void>;
}
