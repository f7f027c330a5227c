import fc from 'fast-check';

/** A JSON Schema as /openapi.json writes it (the subset the API's zod schemas produce). */
export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  additionalProperties?: boolean | JsonSchema;
  pattern?: string;
};

/** Values for fields that need more than their schema says: real handles, known names, short waits. */
export interface FieldOverrides {
  [property: string]: fc.Arbitrary<unknown>;
}

/** Strings that break naive code: empty, NUL, lone surrogates, BOM, right-to-left, huge, reserved names. */
export const HOSTILE_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\ud800',
  'a\udfffb',
  '\ufeffbom',
  '\u202eevil',
  '%DLQ%fz-billing',
  '__proto__',
  'constructor',
  '*',
  'a||b',
  '../../etc/passwd',
  '💥'.repeat(300),
  'x'.repeat(5_000),
];

/** Numbers around every boundary a field may have, and beyond what any has. */
function numberArbitrary(schema: JsonSchema): fc.Arbitrary<unknown> {
  const min = schema.minimum ?? -1_000;
  const max = schema.maximum ?? 1_000_000;
  const edges = [min, max, min - 1, max + 1, 0, -1, 0.5, 1e308, -1e308, 2 ** 53, 2 ** 53 + 2, Number.MIN_VALUE];
  return fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: Math.max(min, -1e9), max: Math.min(max, 1e9) }) },
    { weight: 2, arbitrary: fc.constantFrom(...edges) },
    { weight: 1, arbitrary: fc.double({ noNaN: true }) },
    { weight: 1, arbitrary: fc.constantFrom('1', null, true, [], {}) },
  );
}

function stringArbitrary(schema: JsonSchema): fc.Arbitrary<unknown> {
  const options: fc.WeightedArbitrary<unknown>[] = [
    { weight: 3, arbitrary: fc.string({ maxLength: 24 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
    { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
    { weight: 1, arbitrary: fc.constantFrom(1, null, false, ['a'], { a: 1 }) },
  ];
  if (schema.enum) options.push({ weight: 6, arbitrary: fc.constantFrom(...schema.enum) });
  if (schema.pattern) {
    options.push({ weight: 3, arbitrary: fc.stringMatching(new RegExp(schema.pattern)).map((s) => s.slice(0, 200)) });
  }
  return fc.oneof(...options);
}

/**
 * An arbitrary of values for a JSON Schema: mostly shaped like it (so requests get past
 * parsing and reach validation and the broker), often just off (out of range, wrong type,
 * an unknown field, a hostile string), sometimes anything at all.
 * @example
 * fc.sample(schemaArbitrary(document.components.schemas.ReceiveRequest, resolve, {}), 3);
 */
export function schemaArbitrary(
  schema: JsonSchema,
  resolve: (ref: string) => JsonSchema,
  overrides: FieldOverrides,
  depth = 0,
): fc.Arbitrary<unknown> {
  if (schema.$ref) return schemaArbitrary(resolve(schema.$ref), resolve, overrides, depth);
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return fc.oneof(...variants.map((variant) => schemaArbitrary(variant, resolve, overrides, depth)));
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return stringArbitrary(schema);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object':
      return objectArbitrary(schema, resolve, overrides, depth);
    case 'array': {
      const items = schema.items ? schemaArbitrary(schema.items, resolve, overrides, depth + 1) : fc.jsonValue();
      // Up to one past the limit; big arrays of big items would only slow the run down.
      const maxLength = Math.min((schema.maxItems ?? 8) + 1, 40);
      return fc.oneof(
        { weight: 8, arbitrary: fc.array(items, { maxLength }) },
        { weight: 1, arbitrary: fc.constantFrom('[]', null, {}) },
      );
    }
    case 'integer':
    case 'number':
      return numberArbitrary(schema);
    case 'string':
      return stringArbitrary(schema);
    case 'boolean':
      return fc.oneof(fc.boolean(), fc.constantFrom('true', 0, null));
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function objectArbitrary(
  schema: JsonSchema,
  resolve: (ref: string) => JsonSchema,
  overrides: FieldOverrides,
  depth: number,
): fc.Arbitrary<unknown> {
  const properties = schema.properties ?? {};
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, property] of Object.entries(properties)) {
    fields[name] = overrides[name] ?? schemaArbitrary(property, resolve, overrides, depth + 1);
  }
  const record = fc.record(fields, { requiredKeys: schema.required ?? [] });
  return fc
    .tuple(record, fc.option(fc.constantFrom('unknownField', 'constructor', 'toString'), { freq: 8 }))
    .map(([value, extra]) => (extra === null ? value : { ...(value as object), [extra]: 'x' }));
}
