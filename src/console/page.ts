import type { ConsoleApi } from './api.ts';

/** What a page is given: the API, the route's parameters, and a hook to stop its timers when left. */
export interface PageContext {
  api: ConsoleApi;
  params: string[];
  onLeave(stop: () => void): void;
  /** Goes to another page, e.g. `navigate('messages', msgId)`. */
  navigate(...path: string[]): void;
}

export interface Page {
  /** The hash route, e.g. `topics` for `#/topics`. */
  route: string;
  title: string;
  render(context: PageContext): HTMLElement;
}

/** The link to a page, as the router reads it. */
export function href(...path: string[]): string {
  return `#/${path.map(encodeURIComponent).join('/')}`;
}
