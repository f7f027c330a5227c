import type { Page } from 'playwright-core';
import { expect } from 'vitest';

/** Steps a person takes in the console, by label and role as assistive technology sees them. */

/** Polls until the assertion holds: a loaded machine may take seconds for a broker round trip and a render. */
export function eventually<T>(read: () => T | Promise<T>) {
  return expect.poll(read, { timeout: 15_000 });
}

export function go(tab: Page, page: string): Promise<void> {
  return tab.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: page, exact: true }).click();
}

/** Opens the console and signs in with the token, which the page keeps in sessionStorage. */
export async function signIn(tab: Page, brokerUrl: string, token: string): Promise<void> {
  await tab.goto(`${brokerUrl}/console/#/connection`);
  await tab.getByLabel('Access token (embedded broker)', { exact: true }).fill(token);
  await tab.getByRole('button', { name: 'Connect' }).click();
  await tab.waitForURL(/#\/overview$/);
}

export async function statusText(tab: Page, expected: string): Promise<void> {
  await eventually(() => tab.getByRole('status').textContent()).toBe(expected);
}

export async function createTopic(tab: Page, name: string, type = 'NORMAL', queues = 2): Promise<void> {
  await go(tab, 'Topics');
  const form = tab.getByRole('form', { name: 'Create a topic' });
  await form.getByLabel('Name', { exact: true }).fill(name);
  await form.getByLabel('Type', { exact: true }).selectOption(type);
  await form.getByLabel('Queues', { exact: true }).fill(String(queues));
  await form.getByRole('button', { name: 'Create topic' }).click();
  await statusText(tab, `Topic ${name} created.`);
  await tab.getByRole('cell', { name, exact: true }).waitFor();
}

export async function createGroup(tab: Page, name: string, topic: string, maxDeliveryAttempts: number): Promise<void> {
  await go(tab, 'Groups');
  const form = tab.getByRole('form', { name: 'Create or update a group' });
  await form.getByLabel('Name', { exact: true }).fill(name);
  await form.getByLabel('Topic', { exact: true }).fill(topic);
  await form.getByLabel('Max delivery attempts', { exact: true }).fill(String(maxDeliveryAttempts));
  // The keyboard submits the form as well as the button does.
  await form.getByLabel('Max delivery attempts', { exact: true }).press('Enter');
  await statusText(tab, `Group ${name} saved.`);
}

/** Sends from the "Send a test message" form and returns the msgId the page reports. */
export async function sendMessage(
  tab: Page,
  message: { topic: string; body: string; tag?: string; keys?: string; delayMs?: number },
): Promise<string> {
  await go(tab, 'Send & producers');
  const form = tab.getByRole('form', { name: 'Send a test message' });
  await form.getByLabel('Topic', { exact: true }).fill(message.topic);
  await form.getByLabel('Body', { exact: true }).fill(message.body);
  if (message.tag) await form.getByLabel('Tag', { exact: true }).fill(message.tag);
  if (message.keys) await form.getByLabel('Keys (comma separated)', { exact: true }).fill(message.keys);
  if (message.delayMs)
    await form.getByLabel('Delay in ms (DELAY topics)', { exact: true }).fill(String(message.delayMs));
  await form.getByRole('button', { name: 'Send' }).click();
  await eventually(() => tab.getByRole('status').textContent()).toMatch(/^Sent /);
  const text = (await tab.getByRole('status').textContent()) ?? '';
  const msgId = /^Sent ([0-9A-Fa-f]{32})/.exec(text)?.[1];
  expect(msgId, text).toBeDefined();
  return msgId!;
}
