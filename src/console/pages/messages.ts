import type { ConsoleApi, MessageQuery } from '../api.ts';
import { field, formatTime, h, labelled, replace } from '../dom.ts';
import { href, type Page } from '../page.ts';
import { empty, loadingRegion, table } from '../states.ts';
import { messageDetail } from './message-detail.ts';

/** Message search by id, key or time range; `#/messages/<msgId>` is one message with its trace. */
export const messagesPage: Page = {
  route: 'messages',
  title: 'Messages',
  render({ api, params, navigate }) {
    const [msgId] = params;
    if (msgId) return messageDetail(api, msgId);
    const results = h('div', {});
    const byId = (event: Event) => {
      event.preventDefault();
      const id = field(event.target as HTMLFormElement, 'msgId');
      if (id !== '') navigate('messages', id);
    };
    const search = (event: Event) => {
      event.preventDefault();
      const form = event.target as HTMLFormElement;
      const topic = field(form, 'topic');
      const time = (name: string) => (field(form, name) === '' ? undefined : new Date(field(form, name)).getTime());
      const query: MessageQuery = {
        key: field(form, 'key') || undefined,
        startTime: time('start'),
        endTime: time('end'),
      };
      replace(results, searchResults(api, topic, query));
    };
    return h(
      'section',
      {},
      h('h2', {}, 'Messages'),
      h(
        'form',
        { class: 'inline', onsubmit: byId, 'aria-label': 'Find a message by id' },
        labelled('msg-id', 'Message id', h('input', { name: 'msgId', required: true, size: 34 })),
        h('button', { type: 'submit' }, 'Open'),
      ),
      h(
        'form',
        { class: 'inline', onsubmit: search, 'aria-label': 'Search a topic' },
        labelled('search-topic', 'Topic', h('input', { name: 'topic', required: true })),
        labelled('search-key', 'Key', h('input', { name: 'key' })),
        labelled('search-start', 'From', h('input', { name: 'start', type: 'datetime-local', step: 1 })),
        labelled('search-end', 'To', h('input', { name: 'end', type: 'datetime-local', step: 1 })),
        h('button', { type: 'submit' }, 'Search'),
      ),
      results,
    );
  },
};

function searchResults(api: ConsoleApi, topic: string, query: MessageQuery): HTMLElement {
  const holder = h('div', {});
  const page = (nextToken?: string) =>
    loadingRegion(
      'Search results',
      () => api.queryMessages(topic, { ...query, limit: 50, nextToken }),
      ({ messages, nextToken: next }) => [
        messages.length === 0 && nextToken === undefined
          ? empty('No message matches.')
          : table(
              `Messages of ${topic}`,
              ['Message id', 'Tag', 'Keys', 'Message group', 'Queue', 'Offset', 'Stored'],
              messages.map((m) => [
                h('a', { href: href('messages', m.msgId) }, m.msgId),
                m.tag ?? '',
                m.keys.join(', '),
                m.messageGroup ?? '',
                m.queueId ?? 'held',
                m.queueOffset ?? '',
                formatTime(m.storeTimestamp),
              ]),
            ),
        next && h('button', { type: 'button', onclick: () => holder.append(page(next)) }, 'More'),
      ],
    );
  holder.append(page());
  return holder;
}
