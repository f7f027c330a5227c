import { type Connection, forgetConnection, loadConnection, saveConnection } from '../connection.ts';
import { field, h, labelled } from '../dom.ts';
import type { Page } from '../page.ts';

/**
 * Where the visitor says how to reach the broker: a token for an embedded broker with
 * authentication on, or an API URL and IAM credentials for an AWS deployment. Kept in
 * sessionStorage for this tab only.
 */
export const connectionPage: Page = {
  route: 'connection',
  title: 'Connection',
  render({ navigate }) {
    const current = loadConnection();
    const onsubmit = (event: Event) => {
      event.preventDefault();
      const form = event.target as HTMLFormElement;
      const connection: Connection = { endpoint: field(form, 'endpoint') || location.origin };
      const token = field(form, 'token');
      if (token !== '') connection.token = token;
      const accessKeyId = field(form, 'accessKeyId');
      if (accessKeyId !== '') {
        connection.aws = {
          region: field(form, 'region'),
          accessKeyId,
          secretAccessKey: field(form, 'secretAccessKey'),
          sessionToken: field(form, 'sessionToken') || undefined,
        };
      }
      saveConnection(connection);
      navigate('overview');
    };
    const input = (name: string, type: string, value = '', extra: Record<string, string> = {}) =>
      h('input', { name, type, value, autocomplete: 'off', ...extra });
    return h(
      'section',
      {},
      h('h2', {}, 'Connection'),
      h(
        'p',
        {},
        'The embedded broker serves this page: leave the endpoint as it is, and enter an access token if it was started with --auth-file. ',
        'For an AWS deployment, enter its API URL and IAM credentials; every call is signed with them (SigV4). ',
        'What you enter stays in this tab only (sessionStorage).',
      ),
      h(
        'form',
        { class: 'stack', onsubmit },
        labelled('conn-endpoint', 'Endpoint', input('endpoint', 'url', current.endpoint, { required: 'true' })),
        labelled('conn-token', 'Access token (embedded broker)', input('token', 'password', current.token ?? '')),
        h(
          'fieldset',
          {},
          h('legend', {}, 'AWS IAM credentials (deployed API)'),
          labelled('conn-region', 'Region', input('region', 'text', current.aws?.region ?? '')),
          labelled('conn-key', 'Access key id', input('accessKeyId', 'text', current.aws?.accessKeyId ?? '')),
          labelled(
            'conn-secret',
            'Secret access key',
            input('secretAccessKey', 'password', current.aws?.secretAccessKey ?? ''),
          ),
          labelled(
            'conn-session',
            'Session token (optional)',
            input('sessionToken', 'password', current.aws?.sessionToken ?? ''),
          ),
        ),
        h(
          'div',
          { class: 'row' },
          h('button', { type: 'submit' }, 'Connect'),
          h(
            'button',
            {
              type: 'button',
              onclick: () => {
                forgetConnection();
                navigate('connection');
                location.reload();
              },
            },
            'Forget credentials',
          ),
        ),
      ),
    );
  },
};
