/**
 * Entering a network namespace from this process. setns() moves only the calling
 * thread, and JS runs on one thread: switch in, create the socket, switch back,
 * all synchronously, so nothing else can run inside the namespace meanwhile.
 */
import { openSync, closeSync } from 'node:fs';
import { setns } from '../sockets/libc.js';

let home: number | null = null;
const handles = new Map<string, number>();

function homeFd(): number {
  home ??= openSync('/proc/thread-self/ns/net', 'r');
  return home;
}

function nsFd(name: string): number {
  let fd = handles.get(name);
  if (fd === undefined) {
    fd = openSync(`/run/netns/${name}`, 'r');
    handles.set(name, fd);
  }
  return fd;
}

/** Run `fn` synchronously with this thread inside namespace `name`. */
export function inNamespace<T>(name: string, fn: () => T): T {
  const back = homeFd();
  setns(nsFd(name));
  try {
    return fn();
  } finally {
    setns(back);
  }
}

/** Forget the handle of a namespace that is being deleted. */
export function releaseNamespace(name: string): void {
  const fd = handles.get(name);
  if (fd !== undefined) {
    closeSync(fd);
    handles.delete(name);
  }
}
