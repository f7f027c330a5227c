import type { ConsoleApi } from '../api.ts';
import { formatTime, h, labelled, replace } from '../dom.ts';
import { href, type Page } from '../page.ts';
import { act, empty, loadingRegion, table } from '../states.ts';

/** Pending delayed messages of a DELAY topic, earliest first, each with a Cancel button. */
export const scheduledPage: Page = {
  route: 'scheduled',
  title: 'Scheduled',
  render({ api, params, navigate }) {
    const [topic] = params;
    const picker = loadingRegion(
      'Delay topics',
      async () => (await api.listTopics()).filter((t) => t.messageType === 'DELAY'),
      (topics) =>
        topics.length === 0
          ? empty('No DELAY topics: create one on the Topics page to schedule messages.')
          : labelled(
              'scheduled-topic',
              'Topic',
              h(
                'select',
                { onchange: (event: Event) => navigate('scheduled', (event.target as HTMLSelectElement).value) },
                h('option', { value: '' }, 'Choose a topic'),
                topics.map((t) => h('option', { value: t.name, selected: t.name === topic }, t.name)),
              ),
            ),
    );
    return h('section', {}, h('h2', {}, 'Scheduled messages'), picker, topic && pending(api, topic));
  },
};

function pending(api: ConsoleApi, topic: string): HTMLElement {
  const status = h('div', { class: 'status' });
  const holder = h('div', {});
  const page = (after?: string): HTMLElement =>
    loadingRegion(
      `Scheduled messages of ${topic}`,
      () => api.listScheduled(topic, after),
      ({ scheduled, nextToken }) => [
        scheduled.length === 0 && after === undefined
          ? empty(`Nothing is scheduled on ${topic}.`)
          : table(
              `Scheduled messages of ${topic}`,
              ['Message id', 'Due', 'Tag', 'Keys', 'Size', ''],
              scheduled.map((m) => {
                const cancel = h('button', { type: 'button', 'aria-label': `Cancel ${m.msgId}` }, 'Cancel');
                cancel.addEventListener('click', async () => {
                  const row = cancel.closest('tr');
                  if (
                    await act(cancel, status, async () => {
                      await api.cancelScheduled(topic, m.msgId);
                      return `Cancelled ${m.msgId}.`;
                    })
                  ) {
                    row?.remove();
                  }
                });
                return [
                  h('a', { href: href('messages', m.msgId) }, m.msgId),
                  formatTime(m.deliverAt),
                  m.tag ?? '',
                  m.keys.join(', '),
                  `${m.bodySize} B`,
                  cancel,
                ];
              }),
            ),
        nextToken && h('button', { type: 'button', onclick: () => holder.append(page(nextToken)) }, 'More'),
      ],
    );
  replace(holder, page());
  return h('div', {}, status, holder);
}
