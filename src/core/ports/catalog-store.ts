import type { Group, Topic } from '../model.ts';
import type { ProducerGroup } from '../producer-group.ts';

/**
 * Topics and consumer groups. Writes are durable when they resolve. Deleting a topic or a
 * group removes everything stored under it (messages, cursors, leases, dead letters).
 * Conformance: test/conformance/catalog-conformance.ts.
 */
export interface CatalogStore {
  getTopic(name: string): Promise<Topic | undefined>;
  listTopics(): Promise<Topic[]>;
  /** Creates or replaces the topic record. */
  saveTopic(topic: Topic): Promise<void>;
  /** Removes the topic with its messages, cursors, leases and dead letters. */
  deleteTopic(name: string): Promise<boolean>;

  getGroup(name: string): Promise<Group | undefined>;
  listGroups(): Promise<Group[]>;
  saveGroup(group: Group): Promise<void>;
  /** Removes the group with the cursors, leases and dead letters of all its lanes. */
  deleteGroup(name: string): Promise<boolean>;

  /** Producer groups of transactional messages, with their checker (secrets included). */
  getProducerGroup(name: string): Promise<ProducerGroup | undefined>;
  listProducerGroups(): Promise<ProducerGroup[]>;
  /** Creates or replaces the producer group record. */
  saveProducerGroup(group: ProducerGroup): Promise<void>;
  /** Removes the record; half messages of the group stay held (and are rolled back when checked). */
  deleteProducerGroup(name: string): Promise<boolean>;
}
