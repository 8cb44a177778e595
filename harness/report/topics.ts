/**
 * The catalogue's topics: the folders under cases/, in the order docs/CATALOGUE.md
 * takes them. A case file elsewhere (a folder of your own, a temporary file) is "other".
 */

export interface Topic {
  /** the folder under cases/, or "other" */
  key: string;
  title: string;
}

const TOPICS: Topic[] = [
  { key: 'handshake', title: 'Handshake' },
  { key: 'close', title: 'Close' },
  { key: 'reset', title: 'Reset' },
  { key: 'timewait', title: 'TIME_WAIT' },
  { key: 'simultaneous', title: 'Simultaneous open and close' },
  { key: 'options', title: 'TCP options' },
  { key: 'node', title: "Node's net API" },
  { key: 'bulk', title: 'Bulk transfer' },
  { key: 'packetdrill', title: 'packetdrill scripts' },
];

const OTHER: Topic = { key: 'other', title: 'Other cases' };

/** The topic of a case file, from its path (absolute or relative). */
export function topicOf(file: string): Topic {
  const folder = /(?:^|\/)cases\/([^/]+)\/./.exec(file)?.[1];
  if (folder === undefined) return OTHER;
  return TOPICS.find((t) => t.key === folder) ?? { key: folder, title: folder };
}

/** Catalogue order; folders the catalogue does not name after it, by name; "other" last. */
export function compareTopics(a: Topic, b: Topic): number {
  const rank = (t: Topic) => {
    const i = TOPICS.findIndex((x) => x.key === t.key);
    return i >= 0 ? i : t.key === OTHER.key ? TOPICS.length + 1 : TOPICS.length;
  };
  return rank(a) - rank(b) || a.key.localeCompare(b.key);
}
