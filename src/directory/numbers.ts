// DfE numbers: an LA number is 3 digits; an establishment number is the LA number and 4 digits.
import { type Message, message } from '../platform/i18n/catalogue.ts';

export const LA_NUMBER = /^\d{3}$/;
export const ESTABLISHMENT_NUMBER = /^\d{7}$/;

export function isLaNumber(value: string): boolean {
  return LA_NUMBER.test(value);
}

export function isEstablishmentNumber(value: string): boolean {
  return ESTABLISHMENT_NUMBER.test(value);
}

/** Why `value` cannot be the DfE number of a school in LA `laNumber`, or null when it can. */
export function establishmentNumberProblem(value: string, laNumber: string): Message | null {
  if (!value) return message('directory.error.enter-number');
  if (!isEstablishmentNumber(value)) {
    return message('directory.error.number-format', { la: laNumber, example: `${laNumber}2001` });
  }
  if (!value.startsWith(laNumber)) return message('directory.error.number-la', { la: laNumber });
  return null;
}
