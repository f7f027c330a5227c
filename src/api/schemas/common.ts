import { z } from 'zod';
import { ERROR_CODES } from '../../core/errors.ts';
import { named } from './registry.ts';

export const ErrorBodySchema = named(
  'Error',
  z.object({
    code: z.enum(ERROR_CODES).describe('Stable machine-readable error code.'),
    message: z.string().describe('What went wrong, for humans.'),
    requestId: z.string().describe('Identifies the request in the server log.'),
  }),
);

/** How a body travels in JSON: as text when it is UTF-8, otherwise base64. */
export const BodyEncodingSchema = named(
  'BodyEncoding',
  z.enum(['utf8', 'base64']).describe('`utf8`: the body is the string itself; `base64`: standard base64 of the bytes.'),
);

export const HealthSchema = named('Health', z.object({ status: z.literal('ok') }));

export const OpenApiDocumentSchema = named(
  'OpenApiDocument',
  z.object({ openapi: z.string() }).loose().describe('This document.'),
);
