import { type Child, h, replace } from './dom.ts';

/** An error as a person reads it: the broker's code and message, and the request id to quote. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const { code, requestId } = error as Error & { code?: string; requestId?: string };
    const prefix = code ? `${code}: ` : '';
    const suffix = requestId ? ` (request ${requestId})` : '';
    return `${prefix}${error.message}${suffix}`;
  }
  return String(error);
}

/**
 * An error box, announced to screen readers as it appears. A route the broker lacks (an
 * older broker) is no error of the visitor's: it reads as a feature not there yet.
 */
export function errorBox(error: unknown, retry?: () => void): HTMLElement {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === 'ROUTE_NOT_FOUND') return empty('This broker does not offer this yet.');
  return h(
    'div',
    { class: 'error', role: 'alert' },
    h('span', {}, describeError(error)),
    (code === 'UNAUTHENTICATED' || code === 'PERMISSION_DENIED') &&
      h('a', { href: '#/connection' }, 'Enter an access token'),
    retry && h('button', { type: 'button', onclick: retry }, 'Retry'),
  );
}

/** The empty state: says what is missing and, where it helps, what to do about it. */
export function empty(text: string): HTMLElement {
  return h('p', { class: 'empty' }, text);
}

/**
 * A region that loads: shows "Loading…", then what `render` made of the data, or the
 * error with a Retry button. `aria-busy` tells assistive technology while it loads.
 * @example
 * panel.append(loadingRegion('Topics', () => api.listTopics(), (topics) => topicTable(topics)));
 */
export function loadingRegion<T>(label: string, load: () => Promise<T>, render: (data: T) => Child): HTMLElement {
  const region = h('div', { class: 'region', 'aria-label': label, 'aria-live': 'polite' });
  const run = () => {
    region.setAttribute('aria-busy', 'true');
    replace(region, h('p', { class: 'loading' }, `Loading ${label.toLowerCase()}…`));
    load().then(
      (data) => {
        region.removeAttribute('aria-busy');
        replace(region, render(data));
      },
      (error: unknown) => {
        region.removeAttribute('aria-busy');
        replace(region, errorBox(error, run));
      },
    );
  };
  run();
  return region;
}

/** Runs an action from a form or button, disabling it meanwhile and reporting the outcome in `status`. */
export async function act(
  control: HTMLButtonElement | HTMLFormElement,
  status: HTMLElement,
  action: () => Promise<string>,
): Promise<boolean> {
  const buttons = control instanceof HTMLFormElement ? [...control.querySelectorAll('button')] : [control];
  for (const button of buttons) button.disabled = true;
  replace(status, h('span', { class: 'loading' }, 'Working…'));
  try {
    replace(status, h('span', { class: 'ok', role: 'status' }, await action()));
    return true;
  } catch (error) {
    replace(status, errorBox(error));
    return false;
  } finally {
    for (const button of buttons) button.disabled = false;
  }
}

/** A table with a caption and column headers; rows are arrays of cells. */
export function table(caption: string, headers: string[], rows: Child[][]): HTMLElement {
  return h(
    'table',
    {},
    h('caption', {}, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((text) => h('th', { scope: 'col' }, text)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((cells) =>
        h(
          'tr',
          {},
          cells.map((cell) => h('td', {}, cell)),
        ),
      ),
    ),
  );
}
