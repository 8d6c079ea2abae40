// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IoT rule substitution templates use ${…} literally.
import { describe, expect, it } from 'vitest';
import {
  compileRuleSql,
  compileSubstitution,
  evaluateRule,
  matchesTopicFilter,
  RuleSqlError,
  ruleMessageOf,
} from '#local/event-sources/iot-rule-sql.ts';

/** The telemetry rules of the template (VehicleTelemetryRule): the device's bytes, whatever they are. */
const TELEMETRY_SQL =
  "SELECT encode(*, 'base64') AS payload, topic(2) AS vehicleId, timestamp() AS receivedAt FROM 'vehicles/+/telemetry'";
/** A rule over the device's JSON object, with fields of its own added. */
const STAR_SQL = "SELECT *, topic(2) AS vehicleId, timestamp() AS receivedAt FROM 'fleet/+/telemetry'";

/** A message of these bytes as published. */
const raw = (bytes: Uint8Array | string, topic = 'vehicles/3/telemetry') =>
  ruleMessageOf(topic, Buffer.from(bytes), 1_700);
/** A message whose payload is `payload` as JSON. */
const message = (payload: unknown, topic = 'vehicles/3/telemetry') => raw(JSON.stringify(payload), topic);
const BINARY = Uint8Array.from([0xff, 0xfe, 0x00, 0x7b]);

describe('compileRuleSql', () => {
  it('compiles the telemetry rule of the template and a SELECT * rule', () => {
    const rule = compileRuleSql(TELEMETRY_SQL);
    expect(rule.topicFilter).toBe('vehicles/+/telemetry');
    expect(rule.select).toEqual([
      { kind: 'value', operand: { kind: 'encodedPayload' }, name: 'payload' },
      { kind: 'value', operand: { kind: 'topic', level: 2 }, name: 'vehicleId' },
      { kind: 'value', operand: { kind: 'timestamp' }, name: 'receivedAt' },
    ]);
    expect(rule.where).toBeUndefined();
    expect(compileRuleSql(STAR_SQL).select).toEqual([
      { kind: 'all' },
      { kind: 'value', operand: { kind: 'topic', level: 2 }, name: 'vehicleId' },
      { kind: 'value', operand: { kind: 'timestamp' }, name: 'receivedAt' },
    ]);
    expect(rule.where).toBeUndefined();
  });

  it.each([
    ["SELECT upper(name) AS n FROM 'a/b'", 'function upper()'],
    ["SELECT clientid() AS c FROM 'a/b'", 'function clientid()'],
    ["SELECT VALUE speed FROM 'a/b'", 'SELECT VALUE'],
    ["SELECT speed + 1 AS s FROM 'a/b'", "'+'"],
    ["SELECT * FROM 'a/b' WHERE name LIKE 'x%'", '"LIKE"'],
    ["SELECT * FROM 'a/b' WHERE speed IN (1, 2)", '"IN"'],
    ["SELECT * FROM 'a/b' WHERE speed != 1", "'!=' (use <>)"],
    ["SELECT * FROM 'a/b' WHERE (SELECT 1) = 1", 'nested SELECT'],
    ["SELECT * FROM 'a/b' WHERE speed", 'comparison operator'],
    ["SELECT * FROM 'a/b' WHERE a = 1 ORDER BY a", '"ORDER"'],
    ["SELECT readings[0] AS r FROM 'a/b'", "'['"],
    ["SELECT `speed` FROM 'a/b'", "'`'"],
    ["SELECT topic(2) FROM 'a/b'", 'without AS alias'],
    ["SELECT encode(*, 'base64') FROM 'a/b'", 'without AS alias'],
    [
      "SELECT encode(speed, 'base64') AS p FROM 'a/b'",
      "encode(speed, …): only encode(*, 'base64') at position 15",
    ],
    ["SELECT encode(*, 'hex') AS p FROM 'a/b'", "encode(*, hex): only encode(*, 'base64') at position 18"],
    ["SELECT encode(*) AS p FROM 'a/b'", "encode(*) without 'base64' at position 16"],
    ["SELECT * FROM 'a/#/b'", "'#' must be a whole level and the last one"],
    ["SELECT * FROM 'a/b+'", "'+' must be a whole level"],
    ['SELECT * FROM a', 'FROM without a quoted topic filter'],
    ["SELECT * FROM 'a/b' WHERE speed = ", 'expected a value at the end'],
  ])('refuses %s naming %s', (sql, construct) => {
    expect(() => compileRuleSql(sql)).toThrow(RuleSqlError);
    expect(() => compileRuleSql(sql)).toThrow(construct);
  });
});

describe('evaluateRule', () => {
  it('adds the topic level and the receive time to the payload', () => {
    const rule = compileRuleSql(STAR_SQL);
    expect(evaluateRule(rule, message({ ts: 5, speed: 42 }))).toEqual({
      ts: 5,
      speed: 42,
      vehicleId: '3',
      receivedAt: 1_700,
    });
  });

  it('lets a later select item overwrite a payload field of the same name', () => {
    const rule = compileRuleSql(STAR_SQL);
    expect(evaluateRule(rule, message({ vehicleId: '99' }))?.vehicleId).toBe('3');
  });

  it('selects field paths by their last segment and leaves missing values out', () => {
    const rule = compileRuleSql("SELECT engine.temp, speed AS v, topic(9) AS none, topic() AS t FROM '#'");
    expect(evaluateRule(rule, message({ engine: { temp: 90 } }))).toEqual({
      temp: 90,
      t: 'vehicles/3/telemetry',
    });
  });

  it('passes a message only when WHERE is true, with AND, OR, NOT and parentheses', () => {
    const rule = compileRuleSql(
      "SELECT * FROM 'vehicles/+/telemetry' WHERE (speed > 100 OR engine.temp >= 110) AND NOT status = 'parked'",
    );
    expect(evaluateRule(rule, message({ speed: 120, status: 'moving' }))).toBeDefined();
    expect(evaluateRule(rule, message({ speed: 50, engine: { temp: 115 }, status: 'moving' }))).toBeDefined();
    // status missing: NOT Undefined is Undefined, so the message does not pass.
    expect(evaluateRule(rule, message({ speed: 120 }))).toBeUndefined();
    expect(evaluateRule(rule, message({ speed: 120, status: 'parked' }))).toBeUndefined();
    expect(evaluateRule(rule, message({ speed: 50, engine: { temp: 90 } }))).toBeUndefined();
  });

  it('treats a missing field or mismatched types as Undefined, which NOT does not turn true', () => {
    const rule = compileRuleSql("SELECT * FROM '#' WHERE NOT speed > 100");
    expect(evaluateRule(rule, message({}))).toBeUndefined();
    expect(evaluateRule(rule, message({ speed: '120' }))).toBeUndefined();
    expect(evaluateRule(rule, message({ speed: 50 }))).toBeDefined();
  });

  it('compares topic levels, strings, booleans and null', () => {
    const rule = compileRuleSql(
      "SELECT * FROM '#' WHERE topic(2) = '3' AND ignition = true AND fault = null AND name <> 'x'",
    );
    expect(evaluateRule(rule, message({ ignition: true, fault: null, name: 'y' }))).toBeDefined();
    expect(
      evaluateRule(rule, message({ ignition: true, fault: null, name: 'y' }, 'vehicles/4/telemetry')),
    ).toBeUndefined();
  });

  it('refuses SELECT * over a payload that is not a JSON object', () => {
    const rule = compileRuleSql(STAR_SQL);
    expect(() => evaluateRule(rule, message([1, 2]))).toThrow('SELECT * needs a JSON object payload');
    expect(() => evaluateRule(rule, message('text'))).toThrow(RuleSqlError);
    expect(() => evaluateRule(rule, raw(BINARY))).toThrow(
      'SELECT * needs a JSON object payload: it is not JSON',
    );
  });

  it.each([
    ['bytes that are not text', BINARY],
    ['text that is not JSON', Buffer.from('not json at all')],
    ['a JSON number', Buffer.from('42')],
    ['a JSON array', Buffer.from('[1]')],
    ['a JSON object', Buffer.from('{"speed":1}')],
    ['nothing', Buffer.alloc(0)],
  ])('runs a rule without * or fields on %s, handing over the bytes as base64', (_, bytes) => {
    const output = evaluateRule(compileRuleSql(TELEMETRY_SQL), raw(bytes));
    expect(output).toEqual({ payload: expect.any(String), vehicleId: '3', receivedAt: 1_700 });
    expect(Buffer.from(String(output?.payload), 'base64').equals(bytes)).toBe(true);
  });

  it('treats a field of a payload that is not JSON as Undefined, in SELECT and WHERE', () => {
    const select = compileRuleSql("SELECT encode(*, 'base64') AS p, speed FROM '#' WHERE topic(2) = '3'");
    expect(evaluateRule(select, raw(BINARY))).toEqual({ p: Buffer.from(BINARY).toString('base64') });
    const where = compileRuleSql("SELECT topic(2) AS id FROM '#' WHERE NOT speed > 100");
    expect(evaluateRule(where, raw('not json'))).toBeUndefined();
    expect(evaluateRule(where, message({ speed: 50 }))).toEqual({ id: '3' });
  });
});

describe('matchesTopicFilter', () => {
  it.each([
    ['vehicles/+/telemetry', 'vehicles/3/telemetry', true],
    ['vehicles/+/telemetry', 'vehicles/3/commands', false],
    ['vehicles/+/telemetry', 'vehicles/3/telemetry/x', false],
    ['vehicles/#', 'vehicles', true],
    ['vehicles/#', 'vehicles/3/telemetry', true],
    ['#', '$SYS/broker/uptime', false],
    ['+/x', '$aws/x', false],
    ['a/b', 'a/b', true],
  ])('%s against %s is %s', (filter, topic, expected) => {
    expect(matchesTopicFilter(filter, topic)).toBe(expected);
  });
});

describe('compileSubstitution', () => {
  it('substitutes topic levels, timestamps and fields, keeping the rest', () => {
    const partitionKey = compileSubstitution('v-${topic(2)}-${timestamp()}-${engine.temp}${missing}');
    expect(partitionKey(message({ engine: { temp: 90 } }))).toBe('v-3-1700-90');
    expect(compileSubstitution('${newuuid()}')(message({}))).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses expressions outside the subset', () => {
    expect(() => compileSubstitution('${upper(topic(2))}')).toThrow('function upper()');
    expect(() => compileSubstitution('${topic(2) + 1}')).toThrow(RuleSqlError);
  });
});
