import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Producer, SimpleConsumer } from '../../src/sdk/index.ts';
import { type ConsoleRig, openTab, screenshot, startConsoleRig } from './console-browser.ts';
import { createGroup, createTopic, eventually, go, sendMessage, signIn, statusText } from './console-steps.ts';

/**
 * The web console in a real Chromium against a real embedded broker with authentication
 * on: every step is done the way a person does it (labels, buttons, the keyboard), and
 * checked through the SDK afterwards. Each tab must end with no page error and no failed
 * request.
 */
let rig: ConsoleRig;

beforeAll(async () => {
  rig = await startConsoleRig();
}, 60_000);

afterAll(async () => {
  await rig?.close();
});

async function signedInTab() {
  const opened = await openTab(rig.browser);
  await signIn(opened.tab, rig.broker.url, rig.token);
  return opened;
}

describe('the web console', () => {
  it('shows the broker error when it requires a token and none was given, and keeps a given one in sessionStorage', async () => {
    const { tab } = await openTab(rig.browser);
    await tab.goto(`${rig.broker.url}/console/`);
    await eventually(() => tab.getByRole('alert').first().textContent()).toContain('UNAUTHENTICATED');
    await tab.getByRole('link', { name: 'Enter an access token' }).first().click();
    await tab.waitForURL(/#\/connection$/);
    await tab.getByLabel('Access token (embedded broker)', { exact: true }).fill(rig.token);
    await tab.getByRole('button', { name: 'Connect' }).click();
    await eventually(() => tab.getByRole('link', { name: /topics$/ }).textContent()).toBe('0 topics');
    expect(await tab.evaluate(() => sessionStorage.getItem('nimbus-console-connection'))).toContain(rig.token);
    await tab.close();
  });

  it('creates a topic, sends a message with a key, finds it by key and opens its trace timeline', async () => {
    const { tab, problems } = await signedInTab();
    await createTopic(tab, 'orders', 'NORMAL', 2);
    await screenshot(tab, '1-topics');
    expect((await rig.client.getTopic('orders')).queueCount).toBe(2);
    const msgId = await sendMessage(tab, { topic: 'orders', body: '{"order":42}', tag: 'paid', keys: 'order-42' });

    await go(tab, 'Messages');
    const search = tab.getByRole('form', { name: 'Search a topic' });
    await search.getByLabel('Topic', { exact: true }).fill('orders');
    await search.getByLabel('Key', { exact: true }).fill('order-42');
    await search.getByRole('button', { name: 'Search' }).click();
    await tab.getByRole('link', { name: msgId }).click();
    await tab.waitForURL(new RegExp(`#/messages/${msgId}$`));
    await eventually(() => tab.locator('pre.body').textContent()).toBe('{"order":42}');
    const timeline = tab.getByRole('list', { name: 'Trace timeline' });
    await timeline.waitFor();
    expect(await timeline.getByRole('listitem').count()).toBeGreaterThanOrEqual(1);
    await screenshot(tab, '2-message-trace');

    expect(problems.pageErrors).toEqual([]);
    expect(problems.failedRequests).toEqual([]);
    await tab.close();
  }, 90_000);

  it('redrives a selected dead letter, with the SDK seeing it back in delivery', async () => {
    const { tab, problems } = await signedInTab();
    await createTopic(tab, 'invoices', 'NORMAL', 1);
    // A group that gives up after one delivery, so one nack makes a dead letter.
    await createGroup(tab, 'billing', 'invoices', 1);
    expect((await rig.client.getGroup('billing')).maxDeliveryAttempts).toBe(1);
    const msgId = await sendMessage(tab, { topic: 'invoices', body: 'poison' });
    const consumer = new SimpleConsumer(rig.client, { group: 'billing' });
    const [received] = await consumer.receive({ waitMs: 2_000 });
    expect(received?.msgId).toBe(msgId);
    await consumer.nack(received!);
    expect((await rig.client.listDeadLetters('billing')).deadLetters.map((d) => d.msgId)).toEqual([msgId]);

    await go(tab, 'Dead letters');
    await tab.getByLabel('Group', { exact: true }).selectOption('billing');
    await tab.waitForURL(/#\/dlq\/billing$/);
    await tab.getByLabel(`Select ${msgId}`).check();
    await screenshot(tab, '3-dead-letters');
    await tab.getByRole('button', { name: 'Redrive selected' }).click();
    await statusText(tab, 'Redrove 1 of 1 selected dead letters.');
    await eventually(() => tab.locator('.empty').textContent()).toBe('billing has no dead letters.');
    expect((await rig.client.listDeadLetters('billing')).deadLetters).toEqual([]);
    const [again] = await consumer.receive({ waitMs: 2_000 });
    expect(again?.msgId).toBe(msgId);
    await consumer.ack(again!);

    // Its trace tells the whole story, in order, on the timeline.
    await go(tab, 'Messages');
    await tab.getByLabel('Message id', { exact: true }).fill(msgId);
    await tab.getByRole('button', { name: 'Open' }).click();
    const timeline = tab.getByRole('list', { name: 'Trace timeline' });
    // The broker's full sequence is its own business; the page must show these in this order.
    const story = ['SENT', 'DELIVERED', 'DEAD_LETTERED', 'REDRIVEN', 'ACKED'];
    await eventually(async () =>
      (await timeline.locator('strong').allTextContents()).filter((type) => story.includes(type)),
    ).toEqual(['SENT', 'DELIVERED', 'DEAD_LETTERED', 'REDRIVEN', 'DELIVERED', 'ACKED']);
    await screenshot(tab, '3-dead-letter-trace');

    expect(problems.pageErrors).toEqual([]);
    expect(problems.failedRequests).toEqual([]);
    await tab.close();
  }, 90_000);

  it('lists a message scheduled an hour ahead and cancels it', async () => {
    const { tab, problems } = await signedInTab();
    await createTopic(tab, 'reminders', 'DELAY', 1);
    const msgId = await sendMessage(tab, {
      topic: 'reminders',
      body: 'call back',
      keys: 'customer-7',
      delayMs: 3_600_000,
    });
    await go(tab, 'Scheduled');
    await tab.getByLabel('Topic', { exact: true }).selectOption('reminders');
    const cancel = tab.getByRole('button', { name: `Cancel ${msgId}` });
    await cancel.waitFor();
    await screenshot(tab, '4-scheduled');
    await cancel.click();
    await statusText(tab, `Cancelled ${msgId}.`);
    expect(await cancel.count()).toBe(0);
    expect((await rig.client.listScheduled('reminders')).scheduled).toEqual([]);

    expect(problems.pageErrors).toEqual([]);
    expect(problems.failedRequests).toEqual([]);
    await tab.close();
  }, 90_000);

  it('deletes a topic only after an inline confirmation, which Cancel takes back', async () => {
    const { tab, problems } = await signedInTab();
    await createTopic(tab, 'scratch', 'NORMAL', 1);
    const row = tab.getByRole('row').filter({ has: tab.getByRole('cell', { name: 'scratch', exact: true }) });
    await row.getByRole('button', { name: 'Delete', exact: true }).click();
    // The confirmation takes the focus, so a keyboard user confirms with Enter.
    await eventually(() => tab.evaluate(() => document.activeElement?.textContent)).toBe('Delete scratch for good');
    await row.getByRole('button', { name: 'Cancel' }).click();
    expect((await rig.client.getTopic('scratch')).name).toBe('scratch');
    await row.getByRole('button', { name: 'Delete', exact: true }).click();
    await tab.keyboard.press('Enter');
    await statusText(tab, 'Topic scratch deleted.');
    await eventually(() => row.count()).toBe(0);
    await expect(rig.client.getTopic('scratch')).rejects.toMatchObject({ code: 'TOPIC_NOT_FOUND' });

    expect(problems.pageErrors).toEqual([]);
    expect(problems.failedRequests).toEqual([]);
    await tab.close();
  }, 90_000);

  it('shows backlog per queue, resets a group to a time from the date picker, and charts backlog', async () => {
    const { tab, problems } = await signedInTab();
    await createTopic(tab, 'audit', 'NORMAL', 1);
    await createGroup(tab, 'auditors', 'audit', 16);
    await sendMessage(tab, { topic: 'audit', body: 'one' });
    await sendMessage(tab, { topic: 'audit', body: 'two' });

    await go(tab, 'Groups');
    await tab.getByRole('table', { name: /^audit: 2 ready/ }).waitFor();
    const reset = tab.getByRole('form', { name: 'Reset offset of auditors' });
    // An hour ago in the browser's local time, as the date picker takes it (same machine, same zone).
    const anHourAgo = new Date(Date.now() - 3_600_000).toLocaleString('sv-SE').replace(' ', 'T');
    await reset.getByLabel('Consume from', { exact: true }).fill(anHourAgo);
    await reset.getByRole('button', { name: 'Reset offset' }).click();
    await eventually(() => reset.getByRole('status').textContent()).toMatch(/^auditors on audit now starts at/);

    await go(tab, 'Overview');
    await tab.getByRole('img', { name: /^Backlog: now \d+ messages$/ }).waitFor();
    await tab.getByRole('img', { name: /^Throughput: / }).waitFor();
    await screenshot(tab, '5-overview');

    expect(problems.pageErrors).toEqual([]);
    expect(problems.failedRequests).toEqual([]);
    await tab.close();
  }, 90_000);

  it('renders hostile, long and binary messages as text in the detail view, with their FIFO fields', async () => {
    const { tab, problems } = await signedInTab();
    await rig.client.createTopic('hostile', { messageType: 'FIFO', queueCount: 1 });
    await rig.client.createGroup('in-order', { subscriptions: [{ topic: 'hostile' }], orderly: true });
    const markup = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
    // One unbroken 20 000-character line: it must scroll in its box, not widen the page.
    const body = `${markup}${'A'.repeat(20_000)}`;
    const producer = new Producer(rig.client);
    const sent = await producer.send('hostile', {
      body,
      keys: ['<img/src=x/onerror=window.__xss=3>'],
      properties: { note: '<b onmouseover="window.__xss=4">bold</b>' },
      messageGroup: 'cart-7',
    });
    const binary = await producer.send('hostile', {
      body: new Uint8Array([0xff, 0xfe, 0x00, 0x41]),
      messageGroup: 'cart-7',
    });

    const openById = async (msgId: string) => {
      await go(tab, 'Messages');
      await tab.getByLabel('Message id', { exact: true }).fill(msgId);
      await tab.getByLabel('Message id', { exact: true }).press('Enter');
      await tab.waitForURL(new RegExp(`#/messages/${msgId}$`));
    };
    await openById(sent.msgId);
    const shownBody = tab.getByRole('region', { name: 'Message body' });
    await eventually(() => shownBody.textContent()).toBe(body);
    await tab.getByRole('list', { name: 'Trace timeline' }).waitFor();
    const facts = tab.locator('dl.facts');
    expect(await facts.textContent()).toContain('Message group (FIFO)cart-7');
    expect(await facts.textContent()).toContain('Keys<img/src=x/onerror=window.__xss=3>');
    expect(await tab.getByRole('cell', { name: '<b onmouseover="window.__xss=4">bold</b>' }).count()).toBe(1);
    // The markup stayed text: no element was made from it, and none of its handlers ran.
    expect(await tab.locator('main img, main script, main b').count()).toBe(0);
    expect(await tab.evaluate(() => (window as { __xss?: number }).__xss)).toBeUndefined();
    expect(await tab.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(
      true,
    );
    await screenshot(tab, '6-hostile-message');

    await openById(binary.msgId);
    await eventually(() => tab.locator('pre.body').textContent()).toBe('//4AQQ==');
    expect(await tab.getByText('Binary, 4 bytes, shown as base64').count()).toBe(1);

    await go(tab, 'Groups');
    await eventually(() => tab.getByRole('article', { name: 'Group in-order' }).textContent()).toContain(
      'Clustering, orderly',
    );

    expect(problems.pageErrors).toEqual([]);
    expect(problems.failedRequests).toEqual([]);
    await tab.close();
  }, 90_000);

  it('shows the network error while the broker restarts, and carries on with the same token once it is back', async () => {
    const { tab, problems } = await signedInTab();
    await createTopic(tab, 'survivor', 'NORMAL', 1);
    await go(tab, 'Overview');
    await rig.stopBroker();
    try {
      await go(tab, 'Topics');
      await eventually(() => tab.getByRole('alert').first().textContent()).toContain('NETWORK_ERROR');
      await go(tab, 'Overview');
      await eventually(() => tab.getByRole('alert').first().textContent()).toContain('NETWORK_ERROR');
      await screenshot(tab, '7-broker-down');
    } finally {
      await rig.startBroker();
    }
    // The overview samples again by itself: the charts come back without a click or a reload.
    await tab.getByRole('img', { name: /^Backlog: now \d+ messages$/ }).waitFor({ timeout: 15_000 });
    // What the tab saw while the broker was down is this test's point; from here on it must be clean.
    problems.pageErrors.length = 0;
    problems.failedRequests.length = 0;
    // Retry loads a failed panel again, with the token the tab kept.
    await tab.getByRole('button', { name: 'Retry' }).first().click();
    await eventually(() => tab.getByRole('link', { name: /topics$/ }).textContent()).toMatch(/^\d+ topics$/);
    await go(tab, 'Topics');
    await tab.getByRole('cell', { name: 'survivor', exact: true }).waitFor();

    expect(problems.pageErrors).toEqual([]);
    expect(problems.failedRequests).toEqual([]);
    await tab.close();
  }, 90_000);
});
