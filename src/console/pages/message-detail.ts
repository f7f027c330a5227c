import type { ConsoleApi, MessageView, TraceEvent } from '../api.ts';
import { formatAge, formatTime, h } from '../dom.ts';
import { href } from '../page.ts';
import { empty, loadingRegion, table } from '../states.ts';

/**
 * One message with its trace. Everything the broker returns (body, keys, properties,
 * trace reasons) goes into the page as text through `h`, never as HTML.
 */
export function messageDetail(api: ConsoleApi, msgId: string): HTMLElement {
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
  const held = message.queueId === undefined;
  const rows: [string, string | undefined][] = [
    ['Topic', message.topic],
    ['Queue / offset', held ? 'Held, not in a queue yet' : `${message.queueId} / ${message.queueOffset}`],
    ['Tag', message.tag],
    ['Keys', message.keys.join(', ')],
    ['Message group (FIFO)', message.messageGroup],
    ['Message id (idempotency)', message.messageId],
    ['Producer group', message.producerGroup],
    ['Transaction', message.transactionState],
    ['Schedule', message.scheduleState],
    ['Deliver at', message.deliverAt === undefined ? undefined : formatTime(message.deliverAt)],
    ['Born', `${formatTime(message.bornTimestamp)}${message.bornHost ? ` on ${message.bornHost}` : ''}`],
    ['Stored', formatTime(message.storeTimestamp)],
  ];
  const properties = Object.entries(message.properties);
  return h(
    'div',
    {},
    h(
      'dl',
      { class: 'facts' },
      rows
        .filter(([, value]) => value !== undefined && value !== '')
        .map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]),
    ),
    properties.length > 0 && table('Properties', ['Name', 'Value'], properties),
    bodyView(message),
  );
}

/**
 * The body in a box that scrolls on its own (focusable, so the keyboard scrolls it too), so
 * a megabyte of text or one long unbroken line cannot stretch the page. A body that is not
 * valid UTF-8 arrives as base64 and is shown as such, with its size in bytes.
 */
function bodyView(message: MessageView): HTMLElement {
  const binary = message.bodyEncoding === 'base64';
  const bytes = binary ? base64Length(message.body) : new TextEncoder().encode(message.body).length;
  const note = binary ? `Binary, ${bytes} bytes, shown as base64` : `UTF-8 text, ${bytes} bytes`;
  return h(
    'div',
    {},
    h('h3', {}, 'Body'),
    h('p', { class: 'hint' }, note),
    h(
      'pre',
      {
        class: 'body',
        tabindex: 0,
        role: 'region',
        'aria-label': 'Message body',
        'data-encoding': message.bodyEncoding,
      },
      message.body,
    ),
  );
}

function base64Length(text: string): number {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return Math.floor((text.length * 3) / 4) - padding;
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
        event.time > start && `+${formatAge(event.time - start)}`,
        event.group && `group ${event.group}`,
        event.clientId && `client ${event.clientId}`,
        event.attempt !== undefined && `attempt ${event.attempt}`,
        event.queueId !== undefined && `queue ${event.queueId}`,
        event.queueOffset !== undefined && `offset ${event.queueOffset}`,
        event.host && `host ${event.host}`,
        event.requestId && `request ${event.requestId}`,
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
