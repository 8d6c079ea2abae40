import { randomUUID } from 'node:crypto';

/**
 * The subset of AWS IoT rule SQL (version 2016-03-23) the local runtime evaluates. Pure: no broker,
 * no I/O. Anything outside the subset is refused when the rule is compiled, so a rule never behaves
 * differently locally without saying so.
 *
 * Supported:
 * - `SELECT` list of: `*` (every field of the JSON object payload), a field path (`speed`,
 *   `engine.temp`; named by its last segment unless aliased), `encode(*, 'base64')` (the payload's
 *   bytes as base64, whatever they are), `topic()` (the whole topic), `topic(n)` (the n-th level,
 *   1-based), `timestamp()` (receive time, epoch ms), string, number and boolean literals. Function
 *   calls need `AS alias`. Items are applied left to right: a later item overwrites an earlier field
 *   of the same name (so `SELECT *, topic(2) AS vehicleId` wins over a payload `vehicleId`).
 *   Undefined values (a missing field, `topic(9)`) are left out.
 * - Payloads of any bytes, as AWS evaluates them: a rule that selects neither `*` nor a field runs
 *   on every message (so `SELECT encode(*, 'base64') AS payload, topic(2) AS vehicleId …` sees
 *   binary and non-JSON payloads); a field of a payload that is not JSON is Undefined, in `SELECT`
 *   and in `WHERE`; only `SELECT *` needs a JSON object and fails the message otherwise.
 * - `FROM '<topic filter>'` with MQTT wildcards `+` (one level) and `#` (the rest, last level only).
 * - `WHERE` comparisons `=`, `<>`, `<`, `<=`, `>`, `>=` between operands (field paths, `topic(n)`,
 *   `timestamp()`, literals), combined with `AND`, `OR`, `NOT` and parentheses. Three-valued like
 *   AWS: a comparison with a missing field or between different types is Undefined, and the message
 *   passes only when the whole condition is true.
 * - Substitution templates of actions (`${topic(2)}`, `${timestamp()}`, `${newuuid()}`, `${field}`).
 *
 * Refused (with the construct and its position): every other function (`upper()`, `clientid()`, …)
 * and every other use of `encode` (another argument than `*`, another encoding than `'base64'`),
 * arithmetic and string operators, `SELECT VALUE`, `CASE`, `LIKE`, `IN`, `IS`, nested `SELECT`,
 * array indexing, backquoted or double-quoted identifiers, and anything after the `WHERE` condition.
 */

/** A rule's SQL (or substitution template) uses something outside the supported subset. */
export class RuleSqlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuleSqlError';
  }
}

type Literal = string | number | boolean | null;

type Operand =
  | { kind: 'field'; path: string[] }
  | { kind: 'topic'; level?: number }
  | { kind: 'timestamp' }
  | { kind: 'newuuid' }
  | { kind: 'encodedPayload' }
  | { kind: 'literal'; value: Literal };

type ComparisonOperator = '=' | '<>' | '<' | '<=' | '>' | '>=';

type Condition =
  | { kind: 'compare'; operator: ComparisonOperator; left: Operand; right: Operand }
  | { kind: 'and' | 'or'; left: Condition; right: Condition }
  | { kind: 'not'; operand: Condition };

type SelectItem = { kind: 'all' } | { kind: 'value'; operand: Operand; name: string };

/** A rule statement ready to evaluate. */
export interface CompiledRuleSql {
  select: SelectItem[];
  /** The `FROM` topic filter, e.g. `vehicles/+/telemetry`. */
  topicFilter: string;
  where?: Condition;
}

/** What a rule sees of one message. */
export interface RuleMessage {
  readonly topic: string;
  /** The payload as published (`encode(*, 'base64')`). */
  readonly bytes: Buffer;
  /** The payload parsed as JSON; undefined when it is not JSON (its fields are then Undefined). */
  readonly json: { value: unknown } | undefined;
  /** Receive time, epoch ms (`timestamp()`). */
  readonly timestamp: number;
}

/**
 * The message a rule sees of `bytes` published to `topic`. The payload is parsed on the first use
 * of a field or `*`, once: the telemetry rules select only `encode(*)` and the topic, so they never
 * parse it.
 */
export function ruleMessageOf(topic: string, bytes: Buffer, timestamp: number): RuleMessage {
  let parsed: { value: unknown } | null | undefined;
  return {
    topic,
    bytes,
    timestamp,
    get json() {
      if (parsed === undefined) {
        try {
          parsed = { value: JSON.parse(bytes.toString('utf8')) };
        } catch {
          parsed = null;
        }
      }
      return parsed ?? undefined;
    },
  };
}

type Token =
  | { type: 'word'; text: string; position: number }
  | { type: 'string'; text: string; position: number }
  | { type: 'number'; value: number; text: string; position: number }
  | { type: 'symbol'; text: string; position: number }
  | { type: 'end'; text: ''; position: number };

const SUPPORTED_HINT =
  "supported: SELECT *, field paths, encode(*, 'base64'), topic(), topic(n), timestamp(), literals; FROM 'filter'; " +
  'WHERE comparisons (= <> < <= > >=) with AND, OR, NOT and parentheses';

function unsupported(construct: string, position: number): RuleSqlError {
  return new RuleSqlError(
    `unsupported construct ${construct} at position ${position + 1} (${SUPPORTED_HINT})`,
  );
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text.charAt(i);
    if (/\s/.test(char)) {
      i += 1;
      continue;
    }
    const rest = text.slice(i);
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (word) {
      tokens.push({ type: 'word', text: word[0], position: i });
      i += word[0].length;
      continue;
    }
    const number = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(rest);
    if (number) {
      tokens.push({ type: 'number', value: Number(number[0]), text: number[0], position: i });
      i += number[0].length;
      continue;
    }
    if (char === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new RuleSqlError(`unterminated string starting at position ${i + 1}`);
      tokens.push({ type: 'string', text: text.slice(i + 1, end), position: i });
      i = end + 1;
      continue;
    }
    const symbol = /^(<>|<=|>=|[=<>*,().])/.exec(rest);
    if (symbol) {
      tokens.push({ type: 'symbol', text: symbol[0], position: i });
      i += symbol[0].length;
      continue;
    }
    const what = rest.startsWith('!=') ? "'!=' (use <>)" : `'${char}'`;
    throw unsupported(what, i);
  }
  tokens.push({ type: 'end', text: '', position: text.length });
  return tokens;
}

const KEYWORDS = new Set(['SELECT', 'FROM', 'WHERE', 'AS', 'AND', 'OR', 'NOT', 'TRUE', 'FALSE', 'NULL']);
const COMPARISONS = new Set<string>(['=', '<>', '<', '<=', '>', '>=']);

class Parser {
  private index = 0;
  constructor(private readonly tokens: Token[]) {}

  peek(offset = 0): Token {
    return (this.tokens[this.index + offset] ?? this.tokens[this.tokens.length - 1]) as Token;
  }

  next(): Token {
    const token = this.peek();
    this.index += 1;
    return token;
  }

  isKeyword(keyword: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.type === 'word' && token.text.toUpperCase() === keyword;
  }

  isSymbol(symbol: string): boolean {
    const token = this.peek();
    return token.type === 'symbol' && token.text === symbol;
  }

  expectKeyword(keyword: string): void {
    if (!this.isKeyword(keyword)) throw this.unexpected(`${keyword}`);
    this.next();
  }

  expectSymbol(symbol: string): void {
    if (!this.isSymbol(symbol)) throw this.unexpected(`'${symbol}'`);
    this.next();
  }

  unexpected(expected: string): RuleSqlError {
    const token = this.peek();
    if (token.type === 'end') return new RuleSqlError(`expected ${expected} at the end of the statement`);
    return unsupported(`"${token.text}" where ${expected} was expected`, token.position);
  }

  statement(): CompiledRuleSql {
    this.expectKeyword('SELECT');
    if (this.isKeyword('VALUE')) throw unsupported('SELECT VALUE', this.peek().position);
    const select = [this.selectItem()];
    while (this.isSymbol(',')) {
      this.next();
      select.push(this.selectItem());
    }
    this.expectKeyword('FROM');
    const from = this.next();
    if (from.type !== 'string') throw unsupported('FROM without a quoted topic filter', from.position);
    const topicFilter = validateTopicFilter(from.text, from.position);
    let where: Condition | undefined;
    if (this.isKeyword('WHERE')) {
      this.next();
      where = this.condition();
    }
    const trailing = this.peek();
    if (trailing.type !== 'end') throw unsupported(`"${trailing.text}"`, trailing.position);
    return { select, topicFilter, ...(where ? { where } : {}) };
  }

  selectItem(): SelectItem {
    if (this.isSymbol('*')) {
      this.next();
      return { kind: 'all' };
    }
    const start = this.peek();
    const operand = this.operand();
    let name: string | undefined;
    if (this.isKeyword('AS')) {
      this.next();
      const alias = this.next();
      if (alias.type !== 'word' || KEYWORDS.has(alias.text.toUpperCase()))
        throw unsupported(`alias "${alias.text}"`, alias.position);
      name = alias.text;
    } else if (operand.kind === 'field') {
      name = operand.path[operand.path.length - 1];
    }
    if (!name) throw unsupported(`"${start.text}" without AS alias`, start.position);
    return { kind: 'value', operand, name };
  }

  condition(): Condition {
    let left = this.conjunction();
    while (this.isKeyword('OR')) {
      this.next();
      left = { kind: 'or', left, right: this.conjunction() };
    }
    return left;
  }

  conjunction(): Condition {
    let left = this.negation();
    while (this.isKeyword('AND')) {
      this.next();
      left = { kind: 'and', left, right: this.negation() };
    }
    return left;
  }

  negation(): Condition {
    if (this.isKeyword('NOT')) {
      this.next();
      return { kind: 'not', operand: this.negation() };
    }
    if (this.isSymbol('(')) {
      if (this.isKeyword('SELECT', 1)) throw unsupported('nested SELECT', this.peek(1).position);
      this.next();
      const inner = this.condition();
      this.expectSymbol(')');
      return inner;
    }
    const left = this.operand();
    const operator = this.peek();
    if (operator.type !== 'symbol' || !COMPARISONS.has(operator.text)) {
      throw this.unexpected('a comparison operator (= <> < <= > >=)');
    }
    this.next();
    const right = this.operand();
    return { kind: 'compare', operator: operator.text as ComparisonOperator, left, right };
  }

  operand(): Operand {
    const token = this.next();
    if (token.type === 'string') return { kind: 'literal', value: token.text };
    if (token.type === 'number') return { kind: 'literal', value: token.value };
    if (token.type !== 'word') {
      throw token.type === 'end'
        ? new RuleSqlError('expected a value at the end of the statement')
        : unsupported(`"${token.text}"`, token.position);
    }
    const upper = token.text.toUpperCase();
    if (upper === 'TRUE' || upper === 'FALSE') return { kind: 'literal', value: upper === 'TRUE' };
    if (upper === 'NULL') return { kind: 'literal', value: null };
    if (this.isSymbol('(')) return this.call(token);
    if (KEYWORDS.has(upper) || ['CASE', 'VALUE', 'LIKE', 'IN', 'IS', 'BETWEEN'].includes(upper)) {
      throw unsupported(upper, token.position);
    }
    const path = [token.text];
    while (this.isSymbol('.')) {
      this.next();
      const segment = this.next();
      if (segment.type !== 'word')
        throw unsupported(`field path segment "${segment.text}"`, segment.position);
      path.push(segment.text);
    }
    return { kind: 'field', path };
  }

  call(name: Token): Operand {
    this.expectSymbol('(');
    const fn = name.text.toLowerCase();
    if (fn === 'topic') {
      if (this.isSymbol(')')) {
        this.next();
        return { kind: 'topic' };
      }
      const level = this.next();
      if (level.type !== 'number' || !Number.isInteger(level.value) || level.value < 1)
        throw unsupported(`topic(${level.text}): the level must be a positive integer`, level.position);
      this.expectSymbol(')');
      return { kind: 'topic', level: level.value };
    }
    if (fn === 'timestamp' || fn === 'newuuid') {
      this.expectSymbol(')');
      return { kind: fn };
    }
    if (fn === 'encode') {
      const what = this.next();
      if (what.type !== 'symbol' || what.text !== '*')
        throw unsupported(`encode(${what.text}, …): only encode(*, 'base64')`, what.position);
      if (!this.isSymbol(',')) throw unsupported("encode(*) without 'base64'", this.peek().position);
      this.next();
      const encoding = this.next();
      if (encoding.type !== 'string' || encoding.text !== 'base64')
        throw unsupported(`encode(*, ${encoding.text}): only encode(*, 'base64')`, encoding.position);
      this.expectSymbol(')');
      return { kind: 'encodedPayload' };
    }
    throw unsupported(`function ${name.text}()`, name.position);
  }
}

function validateTopicFilter(filter: string, position: number): string {
  const levels = filter.split('/');
  const bad = (why: string) => new RuleSqlError(`FROM '${filter}' at position ${position + 1}: ${why}`);
  if (filter.length === 0) throw bad('the topic filter is empty');
  levels.forEach((level, index) => {
    if (level.includes('#') && (level !== '#' || index !== levels.length - 1))
      throw bad("'#' must be a whole level and the last one");
    if (level.includes('+') && level !== '+') throw bad("'+' must be a whole level");
  });
  return filter;
}

/**
 * Parses a rule's SQL statement.
 * @throws RuleSqlError naming the first construct outside the supported subset and its position.
 */
export function compileRuleSql(sql: string): CompiledRuleSql {
  return new Parser(tokenize(sql)).statement();
}

/** MQTT topic filter matching (`+` one level, `#` the rest); wildcards never match `$` topics. */
export function matchesTopicFilter(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const filterLevels = filter.split('/');
  const topicLevels = topic.split('/');
  for (let i = 0; i < filterLevels.length; i++) {
    const level = filterLevels[i];
    if (level === '#') return true;
    if (i >= topicLevels.length) return false;
    if (level !== '+' && level !== topicLevels[i]) return false;
  }
  return filterLevels.length === topicLevels.length;
}

function operandValue(operand: Operand, message: RuleMessage): unknown {
  switch (operand.kind) {
    case 'literal':
      return operand.value;
    case 'timestamp':
      return message.timestamp;
    case 'newuuid':
      return randomUUID();
    case 'encodedPayload':
      return message.bytes.toString('base64');
    case 'topic':
      return operand.level === undefined ? message.topic : message.topic.split('/')[operand.level - 1];
    case 'field': {
      let value: unknown = message.json?.value;
      for (const segment of operand.path) {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
        if (!Object.hasOwn(value, segment)) return undefined;
        value = (value as Record<string, unknown>)[segment];
      }
      return value;
    }
  }
}

/** true, false or undefined (AWS's Undefined): a missing operand or mismatched types. */
function evaluateCondition(condition: Condition, message: RuleMessage): boolean | undefined {
  switch (condition.kind) {
    case 'not': {
      const value = evaluateCondition(condition.operand, message);
      return value === undefined ? undefined : !value;
    }
    case 'and': {
      const left = evaluateCondition(condition.left, message);
      const right = evaluateCondition(condition.right, message);
      if (left === false || right === false) return false;
      return left === undefined || right === undefined ? undefined : true;
    }
    case 'or': {
      const left = evaluateCondition(condition.left, message);
      const right = evaluateCondition(condition.right, message);
      if (left === true || right === true) return true;
      return left === undefined || right === undefined ? undefined : false;
    }
    case 'compare':
      return compare(
        condition.operator,
        operandValue(condition.left, message),
        operandValue(condition.right, message),
      );
  }
}

function compare(operator: ComparisonOperator, left: unknown, right: unknown): boolean | undefined {
  if (left === undefined || right === undefined) return undefined;
  if (left === null || right === null) {
    if (operator === '=') return left === right;
    if (operator === '<>') return left !== right;
    return undefined;
  }
  const type = typeof left;
  if (type !== typeof right || !['number', 'string', 'boolean'].includes(type)) return undefined;
  if (type === 'boolean' && operator !== '=' && operator !== '<>') return undefined;
  const a = left as number | string;
  const b = right as number | string;
  switch (operator) {
    case '=':
      return a === b;
    case '<>':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

/**
 * Evaluates a compiled rule against one message whose topic matches its filter.
 * @returns the rule's output object, or undefined when `WHERE` is not true.
 * @throws RuleSqlError when `SELECT *` meets a payload that is not a JSON object (or not JSON).
 */
export function evaluateRule(
  rule: CompiledRuleSql,
  message: RuleMessage,
): Record<string, unknown> | undefined {
  if (rule.where && evaluateCondition(rule.where, message) !== true) return undefined;
  const output: Record<string, unknown> = {};
  for (const item of rule.select) {
    if (item.kind === 'all') {
      const json = message.json;
      if (!json) throw new RuleSqlError('SELECT * needs a JSON object payload: it is not JSON');
      const payload = json.value;
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
        throw new RuleSqlError('SELECT * needs a JSON object payload');
      Object.assign(output, payload);
      continue;
    }
    const value = operandValue(item.operand, message);
    if (value !== undefined) output[item.name] = value;
  }
  return output;
}

/**
 * Compiles an action's substitution template (`${topic(2)}`, `${timestamp()}`, `${newuuid()}`,
 * `${field.path}`): the parts outside `${…}` are kept as written; a missing value becomes ''.
 * @throws RuleSqlError for any other expression inside `${…}`.
 */
export function compileSubstitution(template: string): (message: RuleMessage) => string {
  const parts: Array<string | Operand> = [];
  let last = 0;
  for (const match of template.matchAll(/\$\{([^}]*)\}/g)) {
    parts.push(template.slice(last, match.index));
    const parser = new Parser(tokenize(match[1] ?? ''));
    const operand = parser.operand();
    const rest = parser.peek();
    if (rest.type !== 'end') throw unsupported(`"${rest.text}" in \${${match[1]}}`, rest.position);
    parts.push(operand);
    last = match.index + match[0].length;
  }
  parts.push(template.slice(last));
  return (message) =>
    parts
      .map((part) => {
        if (typeof part === 'string') return part;
        const value = operandValue(part, message);
        if (value === undefined || value === null) return '';
        return typeof value === 'object' ? JSON.stringify(value) : String(value);
      })
      .join('');
}
