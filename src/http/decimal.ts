/**
 * Decimal numbers in HTTP messages (a `Content-Length`, the delay server's delay), read by value.
 *
 * Contract: digits only (`1*DIGIT`, RFC 9110 §8.6), at least one. Leading zeros are allowed and not
 * counted: `00003` is 3, and so is `0000000000000003`. At most {@link MAX_SIGNIFICANT_DIGITS}
 * digits after the leading zeros are read exactly; a longer number is larger than any limit this
 * runtime has, and is reported as `Infinity` (too large) rather than as malformed, so the caller
 * refuses it by its value, as RFC 9110 §8.6 asks ("anticipate potentially large decimal
 * numerals"). Anything that is not a digit makes the result `NaN`.
 *
 * @module
 */

/**
 * The most significant digits read: 15 digits are always exact in a double, and 10^15 bytes or
 * milliseconds is beyond every limit here.
 */
export const MAX_SIGNIFICANT_DIGITS = 15;

/**
 * The value of the decimal digits `s[from..to)`: a whole number, `Infinity` when it has more than
 * {@link MAX_SIGNIFICANT_DIGITS} significant digits, `NaN` when the text is empty or holds
 * anything but digits.
 *
 * @example
 * ```ts
 * decimalValue("0000000000000003");  // 3
 * decimalValue("1x");                // NaN
 * decimalValue("9".repeat(16));      // Infinity
 * decimalValue("/250/hi", 1, 4);     // 250
 * ```
 */
export function decimalValue(s: string, from = 0, to = s.length): number {
  if (to <= from) return NaN;
  let i = from;
  while (i < to && s.charCodeAt(i) === 48 /* 0 */) i++;
  let n = 0;
  for (let j = i; j < to; j++) {
    const d = s.charCodeAt(j) - 48;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return to - i > MAX_SIGNIFICANT_DIGITS ? Infinity : n;
}
