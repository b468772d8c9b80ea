/**
 * The words of a `--search`: runs of letters and digits, lower-cased, as both full-text indexes of
 * the store tokenize them (SQLite FTS5 unicode61; PostgreSQL `simple` over the text with every
 * other character made a space), so memory and the store agree on what a word is. At most 16.
 */
export function searchWords(text: string): string[] {
  return textWords(text).slice(0, 16);
}

/** Every word of a text searched in memory (no bound: a task's args can hold many). */
export function textWords(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * Whether every one of `words` (searchWords) is a word of these texts together: what a task
 * passes `--search` by, in memory and in `watch` (the stores ask their full-text indexes).
 */
export function hasAllWords(words: readonly string[], texts: readonly (string | null)[]): boolean {
  const have = new Set(textWords(texts.filter((x) => x !== null).join(' ')));
  return words.every((w) => have.has(w));
}
