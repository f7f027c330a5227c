import { z } from 'zod';
import type { ErrorCode } from '../../core/errors.ts';

/** The named schemas of the API: they become `components.schemas` of the OpenAPI document. */
export const apiSchemas = z.registry<{ id: string }>();

/** Registers a schema under a component name and returns it unchanged. */
export function named<T extends z.ZodType>(id: string, schema: T): T {
  apiSchemas.add(schema, { id });
  return schema;
}

/** Zod issue codes of a value of the right type that breaks a constraint (length, range, pattern, count). */
export type ConstraintIssue = 'too_small' | 'too_big' | 'invalid_format' | 'custom';

/** The error code of a field's constraint violations, or one code per kind of violation. */
export type FieldErrorCode = ErrorCode | Partial<Record<ConstraintIssue, ErrorCode>>;

/** The extension that carries a field's error code, in the zod metadata and in the OpenAPI document. */
export const ERROR_CODE_KEY = 'x-error-code';

/**
 * Marks a field whose constraint violations answer `code` rather than a generic
 * INVALID_REQUEST/INVALID_ARGUMENT, so the schema can state a limit (a tag's pattern, a
 * batch's size) and the client still gets the broker's specific code. Type mismatches stay
 * INVALID_REQUEST. The code shows in the OpenAPI document as `x-error-code`.
 * @example
 * const tag = refusedAs('INVALID_TAG', z.string().min(1).max(128));
 */
export function refusedAs<T extends z.ZodType>(code: FieldErrorCode, schema: T): T {
  return schema.meta({ [ERROR_CODE_KEY]: code }) as T;
}

/** The code `refusedAs` gave `schema` for an issue, if any. */
export function fieldErrorCode(schema: z.ZodType, issue: string): ErrorCode | undefined {
  const code = z.globalRegistry.get(schema)?.[ERROR_CODE_KEY] as FieldErrorCode | undefined;
  if (code === undefined) return undefined;
  return typeof code === 'string' ? code : code[issue as ConstraintIssue];
}
