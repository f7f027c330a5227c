// Runs in a scratch app outside the repository, against the installed @nimbus-mq/sdk:
// creates a topic and a group, sends three messages, receives and acks them, and signs a
// request with the optional SigV4 entry. Prints one JSON line for the test to check.
import { Client, NimbusApiError, Producer, SimpleConsumer } from '@nimbus-mq/sdk';
import { awsSigV4Signer } from '@nimbus-mq/sdk/aws-sigv4';

const endpoint = process.argv[2];
const client = new Client({ endpoint });
await client.createTopic('orders');
await client.createGroup('billing', { subscriptions: [{ topic: 'orders' }] });

const producer = new Producer(client);
for (const id of [1, 2, 3]) await producer.send('orders', { body: JSON.stringify({ id }), tag: 'paid' });

const consumer = new SimpleConsumer(client, { group: 'billing' });
const received = [];
for (let round = 0; round < 10 && received.length < 3; round++) {
  for (const message of await consumer.receive({ maxMessages: 16, waitMs: 1_000 })) {
    received.push(message.json().id);
    await consumer.ack(message);
  }
}

let missingTopic = '';
try {
  await client.getTopic('no-such-topic');
} catch (error) {
  missingTopic = error instanceof NimbusApiError ? error.code : String(error);
}

const sign = awsSigV4Signer({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' } });
const signed = await sign({
  method: 'GET',
  url: 'https://abc123.execute-api.eu-west-1.amazonaws.com/v1/topics',
  headers: {},
});

console.log(
  JSON.stringify({
    node: process.version,
    received: received.sort(),
    missingTopic,
    authorization: signed.headers.authorization ?? '',
  }),
);
