import type { ConsoleApi } from '../api.ts';
import { field, formatTime, h, labelled, replace } from '../dom.ts';
import type { Page } from '../page.ts';
import { act, empty, loadingRegion, table } from '../states.ts';

const MESSAGE_TYPES = ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION'] as const;

/** Topics: create one, list them with their settings, delete with confirmation, see queue offsets. */
export const topicsPage: Page = {
  route: 'topics',
  title: 'Topics',
  render({ api }) {
    const status = h('div', { class: 'status' });
    const onsubmit = async (event: Event) => {
      event.preventDefault();
      const form = event.target as HTMLFormElement;
      const name = field(form, 'name');
      const done = await act(form, status, async () => {
        await api.createTopic(name, {
          messageType: field(form, 'messageType') as (typeof MESSAGE_TYPES)[number],
          queueCount: Number(field(form, 'queueCount')),
          retentionHours: Number(field(form, 'retentionHours')),
        });
        return `Topic ${name} created.`;
      });
      if (done) refresh();
    };
    const list = h('div', {});
    const refresh = () => replace(list, topicList(api, status, refresh));
    refresh();
    return h(
      'section',
      {},
      h('h2', {}, 'Topics'),
      h(
        'form',
        { class: 'inline', onsubmit, 'aria-label': 'Create a topic' },
        labelled('topic-name', 'Name', h('input', { name: 'name', required: true, pattern: '[A-Za-z0-9_\\-]{1,64}' })),
        labelled(
          'topic-type',
          'Type',
          h(
            'select',
            { name: 'messageType' },
            MESSAGE_TYPES.map((t) => h('option', { value: t }, t)),
          ),
        ),
        labelled(
          'topic-queues',
          'Queues',
          h('input', { name: 'queueCount', type: 'number', min: 1, max: 64, value: 8 }),
        ),
        labelled(
          'topic-retention',
          'Retention (hours)',
          h('input', { name: 'retentionHours', type: 'number', min: 1, max: 72, value: 72 }),
        ),
        h('button', { type: 'submit' }, 'Create topic'),
      ),
      status,
      list,
    );
  },
};

function topicList(api: ConsoleApi, status: HTMLElement, reload: () => void): HTMLElement {
  return loadingRegion(
    'Topics',
    () => api.listTopics(),
    (topics) =>
      topics.length === 0
        ? empty('No topics yet: create one above.')
        : table(
            'Topics',
            ['Name', 'Type', 'Queues', 'Retention', 'Created', ''],
            topics.map((topic) => {
              const detail = h('div', {});
              return [
                topic.name,
                topic.messageType,
                topic.queueCount,
                `${topic.retentionHours} h`,
                formatTime(topic.createdAt),
                h(
                  'div',
                  { class: 'row' },
                  h(
                    'button',
                    { type: 'button', onclick: () => replace(detail, queueOffsets(api, topic.name)) },
                    'Queue offsets',
                  ),
                  deleteButton(api, topic.name, status, reload),
                  detail,
                ),
              ];
            }),
          ),
  );
}

function queueOffsets(api: ConsoleApi, topic: string): HTMLElement {
  return loadingRegion(
    `Queue offsets of ${topic}`,
    () => api.topicStats(topic),
    (stats) =>
      table(
        `Queue offsets of ${topic}: ${stats.scheduled} scheduled, ${stats.halfMessages} half messages held`,
        ['Queue', 'Min offset', 'Max offset', 'Messages'],
        stats.queues.map((q) => [q.queueId, q.minOffset, q.maxOffset, q.messageCount]),
      ),
  );
}

/** Delete asks first, inline: a confirmation a keyboard reaches and a stray click cannot pass. */
function deleteButton(api: ConsoleApi, topic: string, status: HTMLElement, reload: () => void): HTMLElement {
  const holder = h('span', {});
  const ask = () => {
    const confirm = h(
      'button',
      {
        type: 'button',
        class: 'danger',
        onclick: async () => {
          if (
            await act(confirm, status, async () => {
              await api.deleteTopic(topic);
              return `Topic ${topic} deleted.`;
            })
          )
            reload();
        },
      },
      `Delete ${topic} for good`,
    );
    const cancel = h('button', { type: 'button', onclick: () => replace(holder, start) }, 'Cancel');
    replace(holder, h('span', { role: 'group', 'aria-label': `Confirm deleting ${topic}` }, confirm, cancel));
    confirm.focus();
  };
  const start = h('button', { type: 'button', onclick: ask }, 'Delete');
  replace(holder, start);
  return holder;
}
