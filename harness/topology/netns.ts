/**
 * Entering a network namespace from this process. setns() moves only the calling
 * thread, and JS runs on one thread: switch in, create the socket, switch back,
 * all synchronously, so nothing else can run inside the namespace meanwhile.
 */
import { openSync, closeSync } from 'node:fs';
import { setns } from '../sockets/libc.js';
import { Rtnl } from './netlink.js';

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

/** An open handle on namespace `name` (kept until releaseNamespace), for IFLA_NET_NS_FD and setns. */
export function namespaceFd(name: string): number {
  return nsFd(name);
}

/** This thread's own namespace, to come back to. */
export function homeNamespaceFd(): number {
  return homeFd();
}

/** A netlink socket inside namespace `ns` (null: this thread's own), for the length of `fn`. */
export function withRtnl<T>(ns: string | null, fn: (nl: Rtnl) => T): T {
  const nl = Rtnl.open(ns === null ? null : nsFd(ns), homeFd());
  try {
    return fn(nl);
  } finally {
    nl.close();
  }
}
