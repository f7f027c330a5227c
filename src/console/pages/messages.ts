import type { ConsoleApi, MessageQuery, MessageView, TraceEvent } from '../api.ts';
import { field, formatTime, h, labelled, replace } from '../dom.ts';
import { href, type Page } from '../page.ts';
import { empty, loadingRegion, table } from '../states.ts';

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
              ['Message id', 'Tag', 'Keys', 'Queue', 'Offset', 'Stored'],
              messages.map((m) => [
                h('a', { href: href('messages', m.msgId) }, m.msgId),
                m.tag ?? '',
                (m.keys ?? []).join(', '),
                m.queueId,
                m.queueOffset,
                m.storeTimestamp === undefined ? '' : formatTime(m.storeTimestamp),
              ]),
            ),
        next && h('button', { type: 'button', onclick: () => holder.append(page(next)) }, 'More'),
      ],
    );
  holder.append(page());
  return holder;
}

function messageDetail(api: ConsoleApi, msgId: string): HTMLElement {
  return h(
    'section',
    {},
    h('h2', {}, 'Message ', h('code', {}, msgId)),
    h('p', {}, h('a', { href: href('messages') }, '← Search')),
    loadingRegion('Message', () => api.getMessage(msgId), messageFacts),
    h('h3', {}, 'Trace'),
    loadingRegion(
      'Trace',
      () => api.traceMessage(msgId),
      (trace) => (trace.events.length === 0 ? empty('No trace events recorded.') : timeline(trace.events)),
    ),
  );
}

function messageFacts(message: MessageView): HTMLElement {
  const body =
    message.body === undefined
      ? '(body not returned)'
      : message.bodyEncoding === 'base64'
        ? `${message.body} (base64)`
        : message.body;
  const rows: [string, string][] = [
    ['Topic', message.topic],
    ['Queue / offset', `${message.queueId} / ${message.queueOffset}`],
    ['Tag', message.tag ?? ''],
    ['Keys', (message.keys ?? []).join(', ')],
    ['Properties', JSON.stringify(message.properties ?? {})],
    ['Born', message.bornTimestamp === undefined ? '' : formatTime(message.bornTimestamp)],
    ['Stored', message.storeTimestamp === undefined ? '' : formatTime(message.storeTimestamp)],
  ];
  return h(
    'div',
    {},
    h(
      'dl',
      { class: 'facts' },
      rows.map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]),
    ),
    h('h3', {}, 'Body'),
    h('pre', { class: 'body' }, body),
  );
}

/**
 * The trace as a timeline: one entry per event in time order, placed on a bar by its time
 * since the first event, so gaps (a retry's backoff, a delay) show as distance.
 */
export function timeline(events: readonly TraceEvent[]): HTMLElement {
  const sorted = [...events].sort((a, b) => a.time - b.time);
  const start = sorted[0]?.time ?? 0;
  const span = Math.max(1, (sorted.at(-1)?.time ?? start) - start);
  return h(
    'ol',
    { class: 'timeline', 'aria-label': 'Trace timeline' },
    sorted.map((event) => {
      const offset = ((event.time - start) / span) * 100;
      const details = [
        event.group && `group ${event.group}`,
        event.clientId && `client ${event.clientId}`,
        event.attempt !== undefined && `attempt ${event.attempt}`,
        event.queueId !== undefined && `queue ${event.queueId}`,
        event.queueOffset !== undefined && `offset ${event.queueOffset}`,
        event.reason && `reason: ${event.reason}`,
      ].filter(Boolean);
      const elapsed = h('span', {});
      // Through CSSOM, not a style attribute: the console's CSP allows no inline styles.
      elapsed.style.setProperty('--at', `${offset.toFixed(1)}%`);
      return h(
        'li',
        { class: `event event-${event.type.toLowerCase()}` },
        h('span', { class: 'marker', 'aria-hidden': 'true' }),
        h('time', { datetime: new Date(event.time).toISOString() }, formatTime(event.time)),
        h('strong', {}, event.type),
        details.length > 0 && h('span', { class: 'details' }, details.join(' · ')),
        h('span', { class: 'elapsed', title: 'Time since the first event', 'aria-hidden': 'true' }, elapsed),
      );
    }),
  );
}
