import { z } from 'zod';

/** The named schemas of the API: they become `components.schemas` of the OpenAPI document. */
export const apiSchemas = z.registry<{ id: string }>();

/** Registers a schema under a component name and returns it unchanged. */
export function named<T extends z.ZodType>(id: string, schema: T): T {
  apiSchemas.add(schema, { id });
  return schema;
}
