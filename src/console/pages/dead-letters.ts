import type { DeadLetterInfo } from '../../sdk/index.ts';
import type { ConsoleApi } from '../api.ts';
import { formatTime, h, labelled, replace } from '../dom.ts';
import { href, type Page } from '../page.ts';
import { act, empty, loadingRegion, table } from '../states.ts';

/** Ids per redrive call: a selection of hundreds goes in steps, each reported as progress. */
const REDRIVE_STEP = 100;

/** Dead letters of a group: list, redrive the selected ones or all, with progress. */
export const deadLettersPage: Page = {
  route: 'dlq',
  title: 'Dead letters',
  render({ api, params, navigate }) {
    const [group] = params;
    const picker = loadingRegion(
      'Groups',
      () => api.listGroups(),
      (groups) =>
        groups.length === 0
          ? empty('No consumer groups, so no dead letters.')
          : labelled(
              'dlq-group',
              'Group',
              h(
                'select',
                { onchange: (event: Event) => navigate('dlq', (event.target as HTMLSelectElement).value) },
                h('option', { value: '' }, 'Choose a group'),
                groups.map((g) => h('option', { value: g.name, selected: g.name === group }, g.name)),
              ),
            ),
    );
    return h('section', {}, h('h2', {}, 'Dead letters'), picker, group && letters(api, group));
  },
};

function letters(api: ConsoleApi, group: string): HTMLElement {
  const holder = h('div', {});
  const status = h('div', { class: 'status' });
  const refresh = () => replace(holder, listing());
  const listing = () =>
    loadingRegion(
      `Dead letters of ${group}`,
      () => collect(api, group),
      (all) => {
        if (all.length === 0) return empty(`${group} has no dead letters.`);
        const boxes = all.map((letter) =>
          h('input', { type: 'checkbox', value: letter.msgId, 'aria-label': `Select ${letter.msgId}` }),
        );
        const selected = () => boxes.filter((box) => box.checked).map((box) => box.value);
        const progress = h('progress', { max: 1, value: 0, 'aria-label': 'Redrive progress', hidden: true });
        const redrive = async (button: HTMLButtonElement, ids: string[] | undefined) => {
          const done = await act(button, status, async () => {
            if (ids === undefined) {
              const result = await api.redrive(group);
              return `Redrove ${result.redriven} dead letters (${result.expired} had expired).`;
            }
            if (ids.length === 0) throw new Error('Select dead letters first.');
            progress.hidden = false;
            progress.max = ids.length;
            let redriven = 0;
            for (let i = 0; i < ids.length; i += REDRIVE_STEP) {
              redriven += (await api.redrive(group, ids.slice(i, i + REDRIVE_STEP))).redriven;
              progress.value = Math.min(ids.length, i + REDRIVE_STEP);
            }
            return `Redrove ${redriven} of ${ids.length} selected dead letters.`;
          });
          if (done) refresh();
        };
        const selectedButton = h('button', { type: 'button' }, 'Redrive selected');
        selectedButton.addEventListener('click', () => redrive(selectedButton, selected()));
        const allButton = h('button', { type: 'button' }, 'Redrive all');
        allButton.addEventListener('click', () => redrive(allButton, undefined));
        return [
          h('div', { class: 'row' }, selectedButton, allButton, progress),
          table(
            `Dead letters of ${group}`,
            ['', 'Message id', 'Topic', 'Attempts', 'Dead since', 'Reason'],
            all.map((letter, i) => [
              boxes[i]!,
              h('a', { href: href('messages', letter.msgId) }, letter.msgId),
              letter.topic,
              letter.deliveryAttempts,
              formatTime(letter.deadAt),
              letter.reason,
            ]),
          ),
        ];
      },
    );
  refresh();
  return h('div', {}, status, holder);
}

/** Up to ten pages (1,000 letters): enough to pick from; "Redrive all" reaches the rest. */
async function collect(api: ConsoleApi, group: string): Promise<DeadLetterInfo[]> {
  const all: DeadLetterInfo[] = [];
  let after: string | undefined;
  for (let page = 0; page < 10; page++) {
    const { deadLetters, nextToken } = await api.listDeadLetters(group, after);
    all.push(...deadLetters);
    after = nextToken;
    if (after === undefined) break;
  }
  return all;
}
