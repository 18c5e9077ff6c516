// Words in sentences for people: "1 file", "3 files", "2 LAs".

/** A count with its noun, singular or plural: plural(3, 'file') is "3 files". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
