import type { GroupInfo } from '../../sdk/index.ts';
import type { ConsoleApi } from '../api.ts';
import { field, formatAge, h, labelled, replace } from '../dom.ts';
import type { Page } from '../page.ts';
import { act, empty, loadingRegion, table } from '../states.ts';

/** Consumer groups: subscriptions and mode, backlog per queue, reset of progress to a time. */
export const groupsPage: Page = {
  route: 'groups',
  title: 'Groups',
  render({ api }) {
    const status = h('div', { class: 'status' });
    const list = h('div', {});
    const refresh = () =>
      replace(
        list,
        loadingRegion(
          'Groups',
          () => api.listGroups(),
          (groups) =>
            groups.length === 0
              ? empty('No consumer groups yet: create one above.')
              : groups.map((g) => groupCard(api, g)),
        ),
      );
    const onsubmit = async (event: Event) => {
      event.preventDefault();
      const form = event.target as HTMLFormElement;
      const name = field(form, 'name');
      const created = await act(form, status, async () => {
        await api.createGroup(name, {
          subscriptions: [{ topic: field(form, 'topic'), tagExpression: field(form, 'tagExpression') || '*' }],
          consumeMode: field(form, 'consumeMode') as GroupInfo['consumeMode'],
          maxDeliveryAttempts: Number(field(form, 'maxDeliveryAttempts')),
          // Only ever sent as true: orderly is fixed once a group exists, and leaving it out keeps it.
          orderly: (form.elements.namedItem('orderly') as HTMLInputElement).checked || undefined,
        });
        return `Group ${name} saved.`;
      });
      if (created) refresh();
    };
    refresh();
    return h(
      'section',
      {},
      h('h2', {}, 'Consumer groups'),
      h(
        'form',
        { class: 'inline', onsubmit, 'aria-label': 'Create or update a group' },
        labelled('group-name', 'Name', h('input', { name: 'name', required: true, pattern: '[A-Za-z0-9_\\-]{1,64}' })),
        labelled('group-topic', 'Topic', h('input', { name: 'topic', required: true })),
        labelled('group-tags', 'Tag expression', h('input', { name: 'tagExpression', placeholder: '*' })),
        labelled(
          'group-mode',
          'Mode',
          h(
            'select',
            { name: 'consumeMode' },
            h('option', { value: 'CLUSTERING' }, 'Clustering'),
            h('option', { value: 'BROADCASTING' }, 'Broadcasting'),
          ),
        ),
        labelled(
          'group-attempts',
          'Max delivery attempts',
          h('input', { name: 'maxDeliveryAttempts', type: 'number', min: 1, max: 1000, value: 16 }),
        ),
        h(
          'div',
          { class: 'field' },
          h(
            'label',
            {},
            h('input', { name: 'orderly', type: 'checkbox' }),
            ' Orderly (FIFO topics: one message group message at a time)',
          ),
        ),
        h('button', { type: 'submit' }, 'Save group'),
      ),
      status,
      list,
    );
  },
};

function groupCard(api: ConsoleApi, group: GroupInfo): HTMLElement {
  const subscriptions = group.subscriptions.map((s) => `${s.topic} (${s.tagExpression ?? '*'})`).join(', ');
  return h(
    'article',
    { class: 'card', 'aria-label': `Group ${group.name}` },
    h('h3', {}, group.name),
    h(
      'p',
      {},
      `${group.consumeMode === 'BROADCASTING' ? 'Broadcasting' : 'Clustering'}${group.orderly ? ', orderly' : ''} · `,
      `up to ${group.maxDeliveryAttempts} attempts · subscribed to ${subscriptions || 'nothing'}`,
    ),
    loadingRegion(
      `Backlog of ${group.name}`,
      () => api.groupStats(group.name),
      (stats) =>
        stats.topics.length === 0
          ? empty('No backlog figures yet.')
          : stats.topics.map((t) =>
              table(
                `${t.topic}: ${t.ready} ready, ${t.inFlight} in flight, oldest ready ${formatAge(t.oldestReadyAgeMs)}, ${t.deadLetters} dead letters`,
                ['Queue', 'Ready', 'In flight', 'Consumer offset', 'Max offset'],
                t.queues.map((q) => [
                  q.queueId,
                  q.ready ?? '–',
                  q.inFlight ?? '–',
                  q.consumerOffset ?? '–',
                  q.maxOffset ?? '–',
                ]),
              ),
            ),
    ),
    resetForm(api, group),
  );
}

/** Reset by time: the date picker is the visitor's local time, sent as epoch ms. */
function resetForm(api: ConsoleApi, group: GroupInfo): HTMLElement {
  const status = h('div', { class: 'status' });
  const id = (part: string) => `reset-${group.name}-${part}`;
  const onsubmit = async (event: Event) => {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const topic = field(form, 'topic');
    const timestamp = new Date(field(form, 'time')).getTime();
    await act(form, status, async () => {
      if (Number.isNaN(timestamp)) throw new Error('Pick a date and time.');
      await api.resetOffset(group.name, { topic, timestamp });
      return `${group.name} on ${topic} now starts at ${new Date(timestamp).toLocaleString()}.`;
    });
  };
  return h(
    'form',
    { class: 'inline', onsubmit, 'aria-label': `Reset offset of ${group.name}` },
    labelled(
      id('topic'),
      'Topic',
      h(
        'select',
        { name: 'topic' },
        group.subscriptions.map((s) => h('option', { value: s.topic }, s.topic)),
      ),
    ),
    labelled(id('time'), 'Consume from', h('input', { name: 'time', type: 'datetime-local', step: 1, required: true })),
    h('button', { type: 'submit' }, 'Reset offset'),
    status,
  );
}
