// DfE numbers: an LA number is 3 digits; an establishment number is the LA number and 4 digits.

export const LA_NUMBER = /^\d{3}$/;
export const ESTABLISHMENT_NUMBER = /^\d{7}$/;

export function isLaNumber(value: string): boolean {
  return LA_NUMBER.test(value);
}

export function isEstablishmentNumber(value: string): boolean {
  return ESTABLISHMENT_NUMBER.test(value);
}

/** Why `value` cannot be the DfE number of a school in LA `laNumber`, or null when it can. */
export function establishmentNumberProblem(value: string, laNumber: string): string | null {
  if (!value) return 'Enter the DfE establishment number';
  if (!isEstablishmentNumber(value)) {
    return `The DfE establishment number must be 7 digits: the LA number ${laNumber} followed by the 4-digit school number, like ${laNumber}2001`;
  }
  if (!value.startsWith(laNumber)) {
    return `The DfE establishment number must start with the LA number ${laNumber}`;
  }
  return null;
}
