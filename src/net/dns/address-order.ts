/**
 * Happy Eyeballs (RFC 8305) address ordering: the list a connect walks when a name has several
 * addresses, so a family that does not work here (an IPv6 route that black-holes) costs one
 * attempt delay, not one connect timeout per address.
 *
 * @module
 */

/**
 * RFC 8305 section 5's recommended "Connection Attempt Delay": how long a connect attempt runs
 * alone before the next address is tried alongside it (Node's `autoSelectFamilyAttemptTimeout`
 * default is the same 250 ms).
 */
export const CONNECTION_ATTEMPT_DELAY_MS = 250;

/**
 * RFC 8305 section 4: reorders `addresses` (in the resolver's order of preference) so the two
 * families alternate, starting with the family of the first address: `firstFamilyCount`
 * addresses of that family (the RFC's "First Address Family Count", 1 by default), then one of
 * the other, then one of each in turn; once a family runs out, the rest of the other follows.
 * Within a family the order is kept. The input is not changed.
 *
 * @example
 * ```ts
 * interleaveFamilies([{ family: 6, ip: "2001:db8::1" }, { family: 6, ip: "2001:db8::2" }, { family: 4, ip: "192.0.2.1" }]);
 * // 2001:db8::1, 192.0.2.1, 2001:db8::2
 * ```
 */
export function interleaveFamilies<T extends { readonly family: 4 | 6 }>(addresses: readonly T[], firstFamilyCount = 1): T[] {
  if (!Number.isInteger(firstFamilyCount) || firstFamilyCount < 1) {
    throw new RangeError(`firstFamilyCount must be a whole number of at least 1, got ${firstFamilyCount}`);
  }
  if (addresses.length === 0) return [];
  const first = addresses[0]!.family;
  const preferred = addresses.filter((a) => a.family === first);
  const other = addresses.filter((a) => a.family !== first);
  const out = preferred.slice(0, firstFamilyCount);
  let p = out.length;
  let o = 0;
  while (p < preferred.length || o < other.length) {
    if (o < other.length) out.push(other[o++]!);
    if (p < preferred.length) out.push(preferred[p++]!);
  }
  return out;
}
