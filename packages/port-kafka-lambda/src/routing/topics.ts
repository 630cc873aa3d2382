/** The two kinds of topic Port writes for an org. */
const TopicKind = { Runs: 'runs', ChangeLog: 'change.log' } as const;
type TopicKind = (typeof TopicKind)[keyof typeof TopicKind];

/**
 * Classifies a topic by Port's naming: `<ORG_ID>.runs` and
 * `<ORG_ID>.change.log`. When the org id is configured the prefix must match
 * too, so a mapping pointed at another org's topic is caught, not obeyed.
 */
const topicKind = (topic: string, orgId?: string): TopicKind | undefined => {
  for (const kind of [TopicKind.Runs, TopicKind.ChangeLog]) {
    const suffix = `.${kind}`;
    if (!topic.endsWith(suffix)) continue;
    const prefix = topic.slice(0, -suffix.length);
    if (prefix.length === 0) return undefined;
    if (orgId !== undefined && prefix !== orgId) return undefined;
    return kind;
  }
  return undefined;
};

export { TopicKind, topicKind };
