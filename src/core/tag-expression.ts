import { NimbusError } from './errors.ts';
import { isValidTag, LIMITS, withinCodePoints } from './limits.ts';

/**
 * A parsed server-side tag filter: `*` matches everything (also untagged messages),
 * `A || B` matches messages whose tag is A or B.
 */
export interface TagFilter {
  readonly expression: string;
  matches(tag: string | undefined): boolean;
}

const MATCH_ALL: TagFilter = { expression: '*', matches: () => true };

/**
 * Parses a RocketMQ tag expression.
 * @example
 * parseTagExpression('TagA || TagB').matches('TagB') // true
 */
export function parseTagExpression(expression: string): TagFilter {
  if (expression.length > 0 && !withinCodePoints(expression, LIMITS.maxTagExpressionLength)) {
    throw new NimbusError(
      'INVALID_TAG_EXPRESSION',
      `A tag expression is at most ${LIMITS.maxTagExpressionLength} characters.`,
    );
  }
  const trimmed = expression.trim();
  if (trimmed === '*' || trimmed === '') return MATCH_ALL;
  const tags = trimmed.split('||').map((part) => part.trim());
  for (const tag of tags) {
    if (!isValidTag(tag)) {
      throw new NimbusError(
        'INVALID_TAG_EXPRESSION',
        `Tag expression "${expression.slice(0, 200).toWellFormed()}" must be "*" or tags joined by "||".`,
      );
    }
  }
  const set = new Set(tags);
  // Written back as RocketMQ does (`A || B`), unless the added spaces would take it past the
  // limit: then without them, which is never longer than what was accepted.
  const spaced = [...set].join(' || ');
  const written = withinCodePoints(spaced, LIMITS.maxTagExpressionLength) ? spaced : [...set].join('||');
  return { expression: written, matches: (tag) => tag !== undefined && set.has(tag) };
}
