import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  JsonFileError,
  parseJsonObject,
  parseLenientJson,
  replaceNonFiniteLiterals,
} from './json.ts';

describe('lenient JSON', () => {
  it('replaces NaN, Infinity and -Infinity outside strings by null', () => {
    const text = '{"a": NaN, "b": Infinity, "c": -Infinity, "d": [1, NaN], "e": 1e5}';
    assert.deepEqual(parseLenientJson(text, 'config.json'), {
      a: null,
      b: null,
      c: null,
      d: [1, null],
      e: 1e5,
    });
  });

  it('keeps the words inside strings, including after escaped quotes', () => {
    const text = '{"prompt": "say \\"NaN\\" or Infinity", "x": NaN, "k\\\\": "-Infinity"}';
    assert.deepEqual(parseLenientJson(text, 'c.json'), {
      prompt: 'say "NaN" or Infinity',
      x: null,
      'k\\': '-Infinity',
    });
  });

  it('returns text without the literals unchanged', () => {
    const text = '{"a": 1}';
    assert.equal(replaceNonFiniteLiterals(text), text);
  });

  it('skips a byte-order mark', () => {
    assert.deepEqual(parseLenientJson('\ufeff{"a":1}', 'bom.json'), { a: 1 });
  });

  it('names the file in errors', () => {
    assert.throws(
      () => parseLenientJson('{"a": ', 'model/config.json'),
      (err: unknown) => {
        assert.ok(err instanceof JsonFileError);
        assert.equal(err.file, 'model/config.json');
        assert.match(err.message, /^model\/config\.json: invalid JSON/);
        return true;
      },
    );
  });

  it('requires an object at the top level when asked', () => {
    assert.throws(
      () => parseJsonObject('[1]', 'config.json'),
      /config\.json: expected a JSON object at the top level, found an array/,
    );
    assert.throws(() => parseJsonObject('null', 'config.json'), /found null/);
  });
});
