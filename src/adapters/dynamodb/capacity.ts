/**
 * Consumed capacity, accumulated from `ReturnConsumedCapacity` on every request. The
 * benchmark divides these by message counts to report WCU/RCU per message.
 */

/** Which broker path a store method serves. */
export type CapacityKind = 'send' | 'receive' | 'ack' | 'other';

export const CAPACITY_KINDS: readonly CapacityKind[] = ['send', 'receive', 'ack', 'other'];

export interface CapacityTotals {
  rcu: number;
  wcu: number;
  requests: number;
  /** Conditional writes that failed: DynamoDB charges them too, so they are counted at 1 WCU each. */
  conditionalFailures: number;
}

export interface CapacitySnapshot {
  byKind: Record<CapacityKind, CapacityTotals>;
  /** Finer breakdown by store operation, e.g. `append.reserve`, `claim`, `readQueue`. */
  byOperation: Record<string, CapacityTotals>;
  total: CapacityTotals;
}

/** The counter object a DynamoDB store exposes as `store.capacity`. */
export interface CapacityCounter {
  snapshot(): CapacitySnapshot;
  reset(): void;
}

/** The smallest charge of a read request, even when it returns nothing (DynamoDB Local reports 0). */
export function minimumReadUnits(consistentRead: boolean): number {
  return consistentRead ? 1 : 0.5;
}

export class CapacityMeter implements CapacityCounter {
  private byKind = emptyKinds();
  private byOperation = new Map<string, CapacityTotals>();

  record(kind: CapacityKind, operation: string, usage: { rcu?: number; wcu?: number; conditionalFailure?: boolean }) {
    for (const totals of [this.byKind[kind], this.operationTotals(operation)]) {
      totals.rcu += usage.rcu ?? 0;
      totals.wcu += usage.wcu ?? 0;
      totals.requests += 1;
      if (usage.conditionalFailure) totals.conditionalFailures += 1;
    }
  }

  snapshot(): CapacitySnapshot {
    const byKind = emptyKinds();
    const total = emptyTotals();
    for (const kind of CAPACITY_KINDS) {
      byKind[kind] = { ...this.byKind[kind] };
      add(total, this.byKind[kind]);
    }
    const byOperation: Record<string, CapacityTotals> = {};
    for (const [name, totals] of [...this.byOperation.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      byOperation[name] = { ...totals };
    }
    return { byKind, byOperation, total };
  }

  reset(): void {
    this.byKind = emptyKinds();
    this.byOperation = new Map();
  }

  private operationTotals(operation: string): CapacityTotals {
    let totals = this.byOperation.get(operation);
    if (!totals) {
      totals = emptyTotals();
      this.byOperation.set(operation, totals);
    }
    return totals;
  }
}

function emptyTotals(): CapacityTotals {
  return { rcu: 0, wcu: 0, requests: 0, conditionalFailures: 0 };
}

function emptyKinds(): Record<CapacityKind, CapacityTotals> {
  return { send: emptyTotals(), receive: emptyTotals(), ack: emptyTotals(), other: emptyTotals() };
}

function add(into: CapacityTotals, from: CapacityTotals): void {
  into.rcu += from.rcu;
  into.wcu += from.wcu;
  into.requests += from.requests;
  into.conditionalFailures += from.conditionalFailures;
}
