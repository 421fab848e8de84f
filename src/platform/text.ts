/**
 * Text that one of the supported databases cannot store as given: NUL (PostgreSQL's text type
 * refuses it) and unpaired UTF-16 surrogates (no valid UTF-8 encodes them, so drivers replace them
 * silently). Matched per UTF-16 unit: a high surrogate not followed by a low one, or a low one not
 * preceded by a high one.
 */
const UNSTORABLE = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** A cheaper first look: text without NUL and without any surrogate (most text) is storable. */
const SUSPECT = /[\0\uD800-\uDFFF]/;

export function isStorableText(text: string): boolean {
  if (!SUSPECT.test(text)) return true;
  UNSTORABLE.lastIndex = 0;
  return !UNSTORABLE.test(text);
}

/** The text with each unstorable character replaced by U+FFFD: for records of what a client sent. */
export function toStorableText(text: string): string {
  return isStorableText(text) ? text : text.replace(UNSTORABLE, '\uFFFD');
}
