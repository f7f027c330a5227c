import { NimbusError } from './errors.ts';
import { assertClientId } from './limits.ts';
import type { Group } from './model.ts';

/**
 * A consumption lane: the progress (cursors, leases, dead letters) of a consumer group, or
 * of one client of a broadcasting group. Stores key lane state by `key`, the one place the
 * `group@clientId` form is built and taken apart: group names cannot contain `@`.
 */
export interface Lane {
  readonly group: string;
  /** Set for one client of a broadcasting group. */
  readonly clientId?: string;
  /** `group`, or `group@clientId`: what stores key the lane's state by. */
  readonly key: string;
}

/**
 * The lane of a group, or of one client of it.
 * @example
 * laneFor('billing').key // 'billing'
 * laneFor('audit', 'host-1').key // 'audit@host-1'
 */
export function laneFor(group: string, clientId?: string): Lane {
  return clientId === undefined ? { group, key: group } : { group, clientId, key: `${group}@${clientId}` };
}

/**
 * The lane a stored key names.
 * @example
 * parseLane('audit@host-1') // { group: 'audit', clientId: 'host-1', key: 'audit@host-1' }
 */
export function parseLane(key: string): Lane {
  const at = key.indexOf('@');
  return at === -1 ? { group: key, key } : { group: key.slice(0, at), clientId: key.slice(at + 1), key };
}

/**
 * The lane of a receive: the group itself when clustering, one client's own lane when
 * broadcasting (which then needs a valid clientId).
 * @example
 * laneOf(billing, undefined).key // 'billing'
 */
export function laneOf(group: Group, clientId: string | undefined): Lane {
  if (group.consumeMode === 'CLUSTERING') return laneFor(group.name);
  if (clientId === undefined) {
    throw new NimbusError('INVALID_CLIENT_ID', `Group "${group.name}" is BROADCASTING: receive needs a clientId.`);
  }
  assertClientId(clientId);
  return laneFor(group.name, clientId);
}
