import type { ConsoleApi } from '../api.ts';
import { field, formatTime, h, labelled } from '../dom.ts';
import { href, type Page } from '../page.ts';
import { act, empty, loadingRegion, table } from '../states.ts';

/** A form that sends a test message, transactional producer groups, and pending transactions per topic. */
export const producersPage: Page = {
  route: 'producers',
  title: 'Send & producers',
  render({ api }) {
    const status = h('div', { class: 'status', 'aria-live': 'polite' });
    const onsubmit = async (event: Event) => {
      event.preventDefault();
      const form = event.target as HTMLFormElement;
      const topic = field(form, 'topic');
      const keys = field(form, 'keys')
        .split(',')
        .map((k) => k.trim())
        .filter((k) => k !== '');
      const delay = field(form, 'delayMs');
      await act(form, status, async () => {
        const sent = await api.send(topic, {
          body: field(form, 'body'),
          tag: field(form, 'tag') || undefined,
          keys: keys.length === 0 ? undefined : keys,
          delayMs: delay === '' ? undefined : Number(delay),
          messageGroup: field(form, 'messageGroup') || undefined,
        });
        status.dataset['msgId'] = sent.msgId;
        return `Sent ${sent.msgId} to queue ${sent.queueId} at offset ${sent.queueOffset}.`;
      });
      const msgId = status.dataset['msgId'];
      if (msgId) status.append(' ', h('a', { href: href('messages', msgId) }, 'Open it'));
    };
    return h(
      'section',
      {},
      h('h2', {}, 'Send a test message'),
      h(
        'form',
        { class: 'stack', onsubmit, 'aria-label': 'Send a test message' },
        labelled('send-topic', 'Topic', h('input', { name: 'topic', required: true })),
        labelled('send-body', 'Body', h('textarea', { name: 'body', rows: 3, required: true })),
        labelled('send-tag', 'Tag', h('input', { name: 'tag' })),
        labelled('send-keys', 'Keys (comma separated)', h('input', { name: 'keys' })),
        labelled('send-group', 'Message group (FIFO topics)', h('input', { name: 'messageGroup' })),
        labelled('send-delay', 'Delay in ms (DELAY topics)', h('input', { name: 'delayMs', type: 'number', min: 0 })),
        h('button', { type: 'submit' }, 'Send'),
      ),
      status,
      h('h2', {}, 'Producer groups'),
      loadingRegion(
        'Producer groups',
        () => api.listProducerGroups(),
        (groups) =>
          groups.length === 0
            ? empty('No transactional producer groups registered.')
            : table(
                'Producer groups',
                ['Name', 'Checker', 'Created'],
                groups.map((g) => [g.name, describeChecker(g.checker), formatTime(g.createdAt)]),
              ),
      ),
      h('h2', {}, 'Pending transactions'),
      h(
        'p',
        { class: 'hint' },
        'Half messages waiting for their commit or rollback, counted per TRANSACTION topic. ',
        'The broker has no route that lists them one by one; a message id opens one under Messages.',
      ),
      loadingRegion('Pending transactions', () => pendingPerTopic(api), pendingTable),
    );
  },
};

function describeChecker(checker: unknown): string {
  const { type, url, functionName } = (checker ?? {}) as { type?: string; url?: string; functionName?: string };
  return [type, url ?? functionName].filter(Boolean).join(': ');
}

async function pendingPerTopic(api: ConsoleApi): Promise<{ topic: string; halfMessages: number }[]> {
  const topics = (await api.listTopics()).filter((t) => t.messageType === 'TRANSACTION');
  const stats = await Promise.all(topics.map((t) => api.topicStats(t.name)));
  return stats.map(({ topic, halfMessages }) => ({ topic, halfMessages }));
}

function pendingTable(rows: { topic: string; halfMessages: number }[]): HTMLElement {
  return rows.length === 0
    ? empty('No TRANSACTION topics, so no pending transactions.')
    : table(
        'Half messages per topic',
        ['Topic', 'Half messages'],
        rows.map((r) => [r.topic, r.halfMessages]),
      );
}
