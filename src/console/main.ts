import { ConsoleApi } from './api.ts';
import { clientFor, loadConnection } from './connection.ts';
import { h, replace } from './dom.ts';
import { href, type Page, type PageContext } from './page.ts';
import { connectionPage } from './pages/connection.ts';
import { deadLettersPage } from './pages/dead-letters.ts';
import { groupsPage } from './pages/groups.ts';
import { messagesPage } from './pages/messages.ts';
import { overviewPage } from './pages/overview.ts';
import { producersPage } from './pages/producers.ts';
import { scheduledPage } from './pages/scheduled.ts';
import { topicsPage } from './pages/topics.ts';

const PAGES: Page[] = [
  overviewPage,
  topicsPage,
  groupsPage,
  messagesPage,
  deadLettersPage,
  scheduledPage,
  producersPage,
  connectionPage,
];

let leaving: (() => void)[] = [];

/** Renders the page the hash names; the hash keeps pages linkable and the back button working. */
function show(): void {
  for (const stop of leaving) stop();
  leaving = [];
  const [route = 'overview', ...params] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const page = PAGES.find((p) => p.route === route) ?? overviewPage;
  const connection = loadConnection();
  const context: PageContext = {
    api: new ConsoleApi(clientFor(connection)),
    params,
    onLeave: (stop) => leaving.push(stop),
    navigate: (...path) => {
      location.hash = href(...path);
    },
  };
  const nav = document.querySelector('nav')!;
  replace(
    nav,
    h(
      'ul',
      {},
      PAGES.map((p) =>
        h('li', {}, h('a', { href: href(p.route), 'aria-current': p === page ? 'page' : undefined }, p.title)),
      ),
    ),
  );
  const signedIn = connection.token || connection.aws ? 'signed in' : 'no credentials';
  replace(
    document.getElementById('connection')!,
    h('span', { class: 'endpoint' }, `${connection.endpoint} · ${signedIn}`),
  );
  document.title = `${page.title} · Nimbus MQ console`;
  const main = document.getElementById('main')!;
  replace(main, page.render(context));
  // Move focus to the new content so keyboard and screen-reader users land on it.
  if (document.activeElement?.closest('nav')) main.focus();
}

window.addEventListener('hashchange', show);
show();
