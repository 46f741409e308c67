/**
 * Test helpers about this process's file descriptors, read from /proc (Linux).
 *
 * @module
 */
import { readdirSync, readFileSync } from "node:fs";

/** `O_NONBLOCK` as it appears in /proc/self/fdinfo's octal `flags:` line. */
export const O_NONBLOCK = 0o4000;
/** `O_CLOEXEC` as it appears in /proc/self/fdinfo's octal `flags:` line. */
export const O_CLOEXEC = 0o2000000;

/**
 * How many fds this process has open. Reading the directory opens one fd of its own while it
 * runs, but the count is consistent from call to call, which is all a leak check needs.
 */
export function openFdCount(): number {
  return readdirSync("/proc/self/fd").length;
}

/** The open-file flags of `fd` (the `flags:` line of /proc/self/fdinfo/<fd>, octal). */
export function fdFlags(fd: number): number {
  const info = readFileSync(`/proc/self/fdinfo/${fd}`, "utf8");
  const match = /^flags:\s*([0-7]+)$/m.exec(info);
  if (match === null) throw new Error(`no flags line in /proc/self/fdinfo/${fd}:\n${info}`);
  return Number.parseInt(match[1]!, 8);
}

/** Whether `fd` is open in this process. */
export function isOpen(fd: number): boolean {
  try {
    readFileSync(`/proc/self/fdinfo/${fd}`, "utf8");
    return true;
  } catch {
    return false;
  }
}
