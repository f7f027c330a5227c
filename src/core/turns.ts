/* Whose turn it is: which subscription or queue a lane's next receive starts at. */

/** The key of a lane's turn on one topic. */
export function turnKey(lane: string, topic: string): string {
  return `${lane}\u0000${topic}`;
}

/** Sets a turn; bounded like `nextTurn`. */
export function setTurn(turns: Map<string, number>, key: string, turn: number): void {
  if (turns.size > 10_000 && !turns.has(key)) turns.clear();
  turns.set(key, turn);
}

/** The current turn of `key` (0 at first), moving it one step on. Bounded: a map of many lanes starts over. */
export function nextTurn(turns: Map<string, number>, key: string): number {
  const turn = turns.get(key) ?? 0;
  if (turns.size > 10_000) turns.clear();
  turns.set(key, turn + 1);
  return turn;
}
