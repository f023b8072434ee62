import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../errors.ts';
import { integerFlag, outputFormat, parseCommandLine } from './args.ts';

const options = { port: { type: 'string' }, wait: { type: 'boolean' } } as const;

describe('parseCommandLine', () => {
  it('takes a negative number after a flag as its value', () => {
    assert.equal(parseCommandLine(['--port', '-1'], options, 'usage').values.port, '-1');
    assert.equal(parseCommandLine(['--port=-1'], options, 'usage').values.port, '-1');
  });

  it('names an unknown flag and shows the usage', () => {
    assert.throws(
      () => parseCommandLine(['--bogus'], options, 'Usage: x'),
      (err: UserError) => /--bogus/.test(err.message) && err.message.endsWith('Usage: x'),
    );
  });

  it('refuses positionals unless allowed, and knows --help', () => {
    assert.throws(() => parseCommandLine(['extra'], options, 'u'), UserError);
    assert.deepEqual(parseCommandLine(['a'], options, 'u', true).positionals, ['a']);
    assert.equal(parseCommandLine(['-h'], options, 'u').values.help, true);
  });

  it('accepts text or json output only', () => {
    assert.equal(outputFormat(undefined), 'text');
    assert.equal(outputFormat('json'), 'json');
    assert.throws(() => outputFormat('yaml'), /--output yaml: expected text or json/);
  });

  it('reads whole numbers in range from flags, naming the flag and what it expects', () => {
    assert.equal(integerFlag('port', undefined, 'a port'), undefined);
    assert.equal(integerFlag('port', '-1', 'a port', -1, 65535), -1);
    assert.equal(integerFlag('n', '0', 'a count'), 0);
    for (const bad of ['', '1.5', '0x10', '1e3', ' 8', '-2', '65536'])
      assert.throws(
        () => integerFlag('port', bad, 'a port', -1, 65535),
        (err: UserError) => err.message === `--port: "${bad}" is not a port`,
      );
  });
});
