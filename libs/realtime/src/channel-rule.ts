import type { Principal } from '@portico/auth';

/**
 * Who may subscribe to which channels, declared by the app: `pattern` is literal text with
 * `<name>` placeholders (`table:<id>`, `user:<sub>`), each matching 1-128 letters, digits, `-` or `_`.
 */
export interface ChannelRule {
  pattern: string;
  authorize(principal: Principal, params: Readonly<Record<string, string>>): boolean | Promise<boolean>;
}

export interface ChannelMatch {
  rule: ChannelRule;
  params: Record<string, string>;
}

const PLACEHOLDER = /<([A-Za-z][A-Za-z0-9]*)>/g;

function compile(pattern: string): RegExp {
  const literal = pattern.split(PLACEHOLDER).map((part, index) =>
    // split() with a capture group alternates literal text (even) and placeholder names (odd).
    index % 2 === 0 ? part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : `(?<${part}>[A-Za-z0-9_-]{1,128})`,
  );
  return new RegExp(`^${literal.join('')}$`);
}

/** The app's channel rules, matched in declaration order. */
export class ChannelRules {
  private readonly compiled: { rule: ChannelRule; regex: RegExp }[];

  constructor(rules: readonly ChannelRule[]) {
    this.compiled = rules.map((rule) => ({ rule, regex: compile(rule.pattern) }));
  }

  match(channel: string): ChannelMatch | undefined {
    for (const { rule, regex } of this.compiled) {
      const found = regex.exec(channel);
      if (found) return { rule, params: { ...found.groups } };
    }
    return undefined;
  }
}

/** One pattern on its own, for message rules that name the channel they accept. */
export function channelPattern(pattern: string): (channel: string) => Record<string, string> | undefined {
  const regex = compile(pattern);
  return (channel) => {
    const found = regex.exec(channel);
    return found ? { ...found.groups } : undefined;
  };
}
