/**
 * Reading a bundle someone hands us: a bundle.json or a run folder holding one.
 * Anything wrong gives one InputError naming the file and the field.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Bundle, BUNDLE_FORMAT, BUNDLE_VERSION } from './bundle-schema.js';
import { InputError, fieldName } from '../input-error.js';

/** bundle.json itself, or <folder>/bundle.json for a run folder. */
export function bundlePath(path: string): string {
  try {
    if (statSync(path).isDirectory()) return join(path, 'bundle.json');
  } catch {
    // reported when read
  }
  return path;
}

/** Validate parsed JSON as a bundle; `file` is only for messages. */
export function parseBundle(json: unknown, file: string): Bundle {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new InputError('not a tcpladder bundle (not a JSON object)', { file });
  const o = json as Record<string, unknown>;
  if (o.format !== BUNDLE_FORMAT) {
    throw new InputError(`not a tcpladder bundle (format is ${JSON.stringify(o.format) ?? 'missing'}, expected "${BUNDLE_FORMAT}")`, { file, field: 'format' });
  }
  if (o.version !== BUNDLE_VERSION) {
    throw new InputError(`bundle version ${JSON.stringify(o.version) ?? 'missing'} is not supported (this tcpladder reads version ${BUNDLE_VERSION})`, { file, field: 'version' });
  }
  const parsed = Bundle.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(issue.message, { file, field: fieldName(issue.path) });
  }
  const ids = new Set<string>();
  parsed.data.cases.forEach((c, i) => {
    if (ids.has(c.id)) throw new InputError(`"${c.id}" appears twice`, { file, field: `cases[${i}].id` });
    ids.add(c.id);
  });
  return parsed.data;
}

export function readBundle(path: string): Bundle {
  const file = bundlePath(path);
  return parseBundle(readJsonFile(file), file);
}

/** A JSON file a diff reads; unreadable or not JSON is bad input naming the file. */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new InputError(`cannot read (${err.code ?? err.message})`, { file });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(`not JSON (${(e as Error).message})`, { file });
  }
  return json;
}
