// Words in sentences for people: "1 file", "3 files", "2 LAs"; a clause made a sentence.

/** A count with its noun, singular or plural: plural(3, 'file') is "3 files". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A reason as a sentence: capital first letter, full stop at the end. */
export function sentence(text: string): string {
  const trimmed = text.trim();
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/**
 * A name or place shortened to fit a column of `max` characters, with an ellipsis for the characters
 * left out, so that wherever it is shown it does not pass for the whole (the file keeps all of it).
 * Characters, not UTF-16 units: a character outside the BMP is never split.
 */
export function shortened(value: string, max: number): string;
export function shortened(value: string | null, max: number): string | null;
export function shortened(value: string | null, max: number): string | null {
  if (value === null) return null;
  const characters = Array.from(value);
  return characters.length <= max ? value : `${characters.slice(0, max - 1).join('')}…`;
}
