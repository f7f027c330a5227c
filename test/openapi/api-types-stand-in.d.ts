/**
 * What the project's own type check sees for the types openapi-typescript generates from
 * /openapi.json: they exist only while test/openapi/typed-client.test.ts runs, and that test
 * compiles typed-client.ts against the generated ones instead of this stand-in.
 */
declare module 'nimbus-openapi-types' {
  // biome-ignore lint/suspicious/noExplicitAny: a stand-in that accepts any use; the test checks the real types
  export type paths = any;
}
