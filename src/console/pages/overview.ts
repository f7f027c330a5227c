import type { GroupInfo, TopicInfo } from '../../sdk/index.ts';
import type { ConsoleApi, GroupStats } from '../api.ts';
import { lineChart, type Sample } from '../chart.ts';
import { formatAge, h, replace } from '../dom.ts';
import { href, type Page } from '../page.ts';
import { empty, errorBox, loadingRegion, table } from '../states.ts';

const POLL_MS = 5_000;
/** Ten minutes of five-second samples: a short history, kept in the page for this tab. */
const HISTORY = 120;
const backlog: Sample[] = [];
const throughput: Sample[] = [];
let lastStored: Sample | undefined;

/** Topics and groups at a glance, with backlog and throughput charts polled from the stats routes. */
export const overviewPage: Page = {
  route: 'overview',
  title: 'Overview',
  render({ api, onLeave }) {
    const charts = h('div', { class: 'charts' });
    const backlogTable = h('div', {});
    const poll = async () => {
      try {
        const [topics, groups] = await Promise.all([api.listTopics(), api.listGroups()]);
        const stats = await Promise.all(groups.map((g) => api.groupStats(g.name)));
        await sample(api, topics, stats);
        replace(
          charts,
          figure('Backlog: ready and in flight, all groups', lineChart('Backlog', 'messages', backlog)),
          figure('Throughput: messages stored per second, all topics', lineChart('Throughput', 'msg/s', throughput)),
        );
        replace(backlogTable, backlogOf(stats));
      } catch (error) {
        // A broker restarting mid-session: say so, keep the history, and pick up when it answers again.
        replace(
          charts,
          h('div', {}, errorBox(error), h('p', { class: 'hint' }, `Trying again every ${POLL_MS / 1000} s.`)),
        );
      }
    };
    void poll();
    const timer = setInterval(poll, POLL_MS);
    onLeave(() => clearInterval(timer));
    return h(
      'section',
      {},
      h('h2', {}, 'Overview'),
      loadingRegion(
        'Summary',
        () => Promise.all([api.listTopics(), api.listGroups()]),
        ([topics, groups]) => summary(topics, groups),
      ),
      h('h3', {}, 'Backlog and throughput'),
      h('p', { class: 'hint' }, `Sampled every ${POLL_MS / 1000} s while this page is open.`),
      charts,
      backlogTable,
    );
  },
};

async function sample(api: ConsoleApi, topics: TopicInfo[], stats: GroupStats[]): Promise<void> {
  const now = Date.now();
  const ready = stats.reduce((sum, g) => sum + g.topics.reduce((s, t) => s + t.ready + t.inFlight, 0), 0);
  push(backlog, { time: now, value: ready });
  const topicStats = await Promise.all(topics.map((t) => api.topicStats(t.name)));
  // Messages stored so far, summed over every queue's end offset: its rise per second is the send rate.
  const stored = topicStats.reduce((sum, t) => sum + t.queues.reduce((s, q) => s + (q.maxOffset ?? 0), 0), 0);
  if (lastStored !== undefined && now > lastStored.time) {
    push(throughput, { time: now, value: Math.max(0, ((stored - lastStored.value) * 1000) / (now - lastStored.time)) });
  }
  lastStored = { time: now, value: stored };
}

function figure(caption: string, chart: SVGSVGElement): HTMLElement {
  return h('figure', {}, h('figcaption', {}, caption), chart);
}

function push(series: Sample[], sample: Sample): void {
  series.push(sample);
  if (series.length > HISTORY) series.shift();
}

function summary(topics: TopicInfo[], groups: GroupInfo[]): HTMLElement {
  return h(
    'div',
    { class: 'tiles' },
    h('a', { class: 'tile', href: href('topics') }, h('strong', {}, topics.length), ' topics'),
    h('a', { class: 'tile', href: href('groups') }, h('strong', {}, groups.length), ' consumer groups'),
  );
}

function backlogOf(stats: GroupStats[]): HTMLElement {
  const rows = stats.flatMap((g) =>
    g.topics.map((t) => [
      h('a', { href: href('dlq', g.group) }, g.group),
      t.topic,
      t.ready,
      t.inFlight,
      formatAge(t.oldestReadyAgeMs),
      t.deadLetters,
    ]),
  );
  return rows.length === 0
    ? empty('No subscriptions yet, so no backlog.')
    : table(
        'Backlog per group and topic',
        ['Group', 'Topic', 'Ready', 'In flight', 'Oldest ready', 'Dead letters'],
        rows,
      );
}
