/**
 * Opaque tokens the broker hands out (receipt handles, page cursors): a version tag and
 * plain fields joined by `~`, which none of the fields can contain (names, client ids and
 * lease tokens exclude it). Decoding is a split, which matters at tens of thousands of
 * acks per second.
 */
const SEP = '~';
const MAX_LENGTH = 512;

export const NAME_FIELD = /^[A-Za-z0-9_%-]{1,64}$/;
/** A consumption lane: the group, or `group@clientId`. */
export const LANE_FIELD = /^[A-Za-z0-9_%-]{1,64}(@[A-Za-z0-9_.:@-]{1,128})?$/;
export const INTEGER_FIELD = /^(0|[1-9][0-9]{0,15})$/;

export function encodeToken(version: string, fields: readonly (string | number)[]): string {
  return [version, ...fields].join(SEP);
}

/** The fields after the version tag, or undefined when the text is not such a token, field for field. */
export function decodeToken(text: string, version: string, fields: readonly RegExp[]): string[] | undefined {
  if (text.length > MAX_LENGTH) return undefined;
  const [tag, ...values] = text.split(SEP);
  if (tag !== version || values.length !== fields.length) return undefined;
  return values.every((value, i) => fields[i]?.test(value)) ? values : undefined;
}
