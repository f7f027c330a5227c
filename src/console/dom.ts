/** Attributes of an element: strings and booleans become attributes, functions `on*` listeners. */
type Attributes = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;
/** Children: nodes, text, or nothing (skipped), so conditional parts read inline. */
export type Child = Node | string | number | false | null | undefined | Child[];

/**
 * Builds an element: the console's one rendering primitive. Text is always set as text,
 * never parsed as HTML, so message bodies and names cannot inject markup.
 * @example
 * h('button', { type: 'button', onclick: () => refresh() }, 'Refresh');
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** Replaces everything inside `parent`. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** The value of a named form field, trimmed; empty when the field is missing. */
export function field(form: HTMLFormElement, name: string): string {
  const input = form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | null;
  return input?.value.trim() ?? '';
}

/** Epoch ms as local date and time, to the second. */
export function formatTime(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { hour12: false });
}

/** A duration in words a person reads at a glance: 950 ms, 12 s, 4 min, 3 h. */
export function formatAge(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1_000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}

/** A labelled form control: the label is a real <label for>, so screen readers and clicks find the input. */
export function labelled(id: string, label: string, control: HTMLElement): HTMLElement {
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control);
}
