/**
 * Work a Lambda invocation must finish before it returns: after the response the sandbox is
 * frozen, and background writes (the lifecycle trace) would wait for its next request.
 * The shared broker registers its trace here; `lambdaHandler` awaits every hook.
 */
const hooks: (() => Promise<void>)[] = [];

/** Registers work to await at the end of every invocation. */
export function beforeInvocationEnds(hook: () => Promise<void>): void {
  hooks.push(hook);
}

/** Awaits every registered hook; a failing one does not fail the invocation. */
export async function finishInvocation(): Promise<void> {
  await Promise.all(hooks.map((hook) => hook().catch(() => undefined)));
}
