/**
 * Whether this host has an IPv6 loopback (`::1`): containers and CI runners often have IPv6 off.
 * Tests of IPv6 addresses skip, with the reason, where it is missing.
 *
 * @module
 */
import { bind, close, parseAddress, socket } from "../../src/sys/index.js";

let checked: string | null | undefined;

/** Why `[::1]` cannot be used here (a skip reason), or null if it can. Checked once per process. */
export function noIpv6Loopback(): string | null {
  if (checked !== undefined) return checked;
  let fd = -1;
  try {
    fd = socket(6);
    bind(fd, parseAddress("[::1]:0"));
    checked = null;
  } catch (e) {
    checked = `no IPv6 loopback on this host (binding [::1]: ${(e as Error).message})`;
  } finally {
    if (fd >= 0) close(fd);
  }
  return checked;
}
