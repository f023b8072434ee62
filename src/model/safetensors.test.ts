import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { headerFor, tempDir, writeRawSafetensors, writeSafetensors } from './fixtures.ts';
import {
  ByteBudget,
  SafetensorsError,
  parseSafetensorsHeader,
  parseSafetensorsIndex,
  readSafetensorsHeader,
} from './safetensors.ts';
import { stat } from 'node:fs/promises';

let dir = '';
let cleanup = async () => {};
before(async () => ({ dir, cleanup } = await tempDir()));
after(() => cleanup());

async function read(name: string, maxHeaderBytes?: number) {
  const file = path.join(dir, name);
  const { size } = await stat(file);
  return readSafetensorsHeader(file, name, size, maxHeaderBytes ? { maxHeaderBytes } : {});
}

function rejectsWith(promise: Promise<unknown>, pattern: RegExp) {
  return assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof SafetensorsError, `expected a SafetensorsError, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('safetensors header reader', () => {
  it('counts elements and reads metadata', async () => {
    const tensors = [
      { name: 'a', dtype: 'F32', shape: [3, 4] },
      { name: 'b', dtype: 'BF16', shape: [5] },
      { name: 'scalar', dtype: 'I64', shape: [] },
      { name: 'empty', dtype: 'F16', shape: [0, 7] },
      { name: 'f4', dtype: 'F4', shape: [3] },
    ];
    await writeSafetensors(path.join(dir, 'ok.safetensors'), tensors);
    const header = await read('ok.safetensors');
    assert.equal(header.parameterCount, 12 + 5 + 1 + 0 + 3);
    assert.equal(header.dataLength, 48 + 10 + 8 + 0 + 2);
    assert.deepEqual(header.metadata, { format: 'pt' });
    assert.deepEqual(
      header.tensors.map((t) => t.name),
      ['a', 'b', 'scalar', 'empty', 'f4'],
    );
  });

  it('rejects a header length over the bound without reading it', async () => {
    const file = path.join(dir, 'huge.safetensors');
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(200n * 1024n * 1024n);
    await writeFile(file, prefix);
    await rejectsWith(
      read('huge.safetensors'),
      /huge\.safetensors: header length 209715200 exceeds the 104857600-byte limit/,
    );
  });

  it('honours a configured bound', async () => {
    await writeSafetensors(path.join(dir, 'small.safetensors'), [
      { name: 'x', dtype: 'F32', shape: [1] },
    ]);
    await rejectsWith(read('small.safetensors', 16), /exceeds the 16-byte limit/);
  });

  it('rejects a u64 header length that does not fit a number', async () => {
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(0xffffffffffffffffn);
    await writeFile(path.join(dir, 'max.safetensors'), prefix);
    await rejectsWith(read('max.safetensors'), /header length 18446744073709551615 exceeds/);
  });

  it('rejects files too short for the length prefix', async () => {
    await writeFile(path.join(dir, 'short.safetensors'), Buffer.from([1, 2, 3]));
    await rejectsWith(read('short.safetensors'), /3 bytes, too short/);
    await writeFile(path.join(dir, 'zero.safetensors'), Buffer.alloc(0));
    await rejectsWith(read('zero.safetensors'), /0 bytes, too short/);
  });

  it('rejects a header that runs past the end of the file (truncated)', async () => {
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(100n);
    await writeFile(
      path.join(dir, 'cut.safetensors'),
      Buffer.concat([prefix, Buffer.from('{"a":')]),
    );
    await rejectsWith(
      read('cut.safetensors'),
      /header length 100 runs past the end of the 13-byte file/,
    );
  });

  it('rejects a header that is not JSON, or not UTF-8', async () => {
    const bad = Buffer.from('{"a": nope}');
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(bad.length));
    await writeFile(path.join(dir, 'notjson.safetensors'), Buffer.concat([prefix, bad]));
    await rejectsWith(
      read('notjson.safetensors'),
      /notjson\.safetensors: header is not valid JSON/,
    );
    const latin1 = Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]);
    prefix.writeBigUInt64LE(BigInt(latin1.length));
    await writeFile(path.join(dir, 'latin1.safetensors'), Buffer.concat([prefix, latin1]));
    await rejectsWith(read('latin1.safetensors'), /header is not valid JSON/);
  });

  it('rejects negative, fractional and non-numeric dimensions, naming the tensor', async () => {
    for (const [name, shape] of [
      ['neg', [4, -1]],
      ['frac', [2.5]],
      ['str', ['4']],
      ['huge', [2 ** 60]],
    ] as const) {
      await writeRawSafetensors(
        path.join(dir, `${name}.safetensors`),
        { 'model.w': { dtype: 'F32', shape, data_offsets: [0, 4] } },
        4,
      );
      await rejectsWith(
        read(`${name}.safetensors`),
        /tensor "model\.w": shape .* not a non-negative integer/,
      );
    }
  });

  it('rejects shapes whose element count overflows', async () => {
    const shape = [2 ** 30, 2 ** 30, 2 ** 30];
    await writeRawSafetensors(
      path.join(dir, 'overflow.safetensors'),
      { w: { dtype: 'F32', shape, data_offsets: [0, 4] } },
      4,
    );
    await rejectsWith(
      read('overflow.safetensors'),
      /tensor "w": shape \[1073741824,1073741824,1073741824\] overflows/,
    );
    // Elements fit, but their bits do not.
    const wide = [2 ** 26, 2 ** 26];
    await writeRawSafetensors(
      path.join(dir, 'bits.safetensors'),
      { w: { dtype: 'F64', shape: wide, data_offsets: [0, 8] } },
      8,
    );
    await rejectsWith(
      read('bits.safetensors'),
      /tensor "w": shape \[67108864,67108864\] overflows \(F64 data over 2\^53 bits\)/,
    );
  });

  it('rejects data offsets that do not match the dtype and shape', async () => {
    await writeRawSafetensors(
      path.join(dir, 'span.safetensors'),
      { w: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } },
      4,
    );
    await rejectsWith(
      read('span.safetensors'),
      /data_offsets \[0, 4\] span 4 bytes, but F32\[2\] needs 8/,
    );
    await writeRawSafetensors(
      path.join(dir, 'rev.safetensors'),
      { w: { dtype: 'F32', shape: [1], data_offsets: [8, 4] } },
      8,
    );
    await rejectsWith(read('rev.safetensors'), /end before they begin/);
    await writeRawSafetensors(
      path.join(dir, 'neg-off.safetensors'),
      { w: { dtype: 'F32', shape: [1], data_offsets: [-4, 0] } },
      8,
    );
    await rejectsWith(
      read('neg-off.safetensors'),
      /data_offsets \[-4,0\] is not a pair of non-negative integers/,
    );
  });

  it('rejects unknown dtypes and malformed entries', async () => {
    await writeRawSafetensors(
      path.join(dir, 'dtype.safetensors'),
      { w: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } },
      16,
    );
    await rejectsWith(read('dtype.safetensors'), /tensor "w": unknown dtype "F128"/);
    await writeRawSafetensors(path.join(dir, 'entry.safetensors'), { w: [1, 2] }, 0);
    await rejectsWith(read('entry.safetensors'), /tensor "w": expected an object/);
    await writeRawSafetensors(path.join(dir, 'meta.safetensors'), { __metadata__: 'x' }, 0);
    await rejectsWith(read('meta.safetensors'), /__metadata__ is not an object/);
  });

  it('accepts a header with only metadata (no tensors)', () => {
    const header = parseSafetensorsHeader('m.safetensors', 20, { __metadata__: { format: 'pt' } });
    assert.equal(header.parameterCount, 0);
    assert.equal(header.dataLength, 0);
  });

  it('rejects a header that is not an object', () => {
    assert.throws(
      () => parseSafetensorsHeader('a.safetensors', 2, []),
      /a\.safetensors: header is not a JSON object/,
    );
  });

  it('round-trips the fixture helper', () => {
    const { header, parameters, dataLength } = headerFor([
      { name: 'w', dtype: 'F16', shape: [2, 3] },
    ]);
    const parsed = parseSafetensorsHeader('x', 10, header);
    assert.equal(parsed.parameterCount, parameters);
    assert.equal(parsed.dataLength, dataLength);
  });
});

describe('safetensors index', () => {
  it('lists shards once, in order, with total_size', () => {
    const index = parseSafetensorsIndex('model.safetensors.index.json', {
      metadata: { total_size: 100 },
      weight_map: { a: 's1', b: 's2', c: 's1' },
    });
    assert.deepEqual(index.shards, ['s1', 's2']);
    assert.equal(index.weightMap.c, 's1');
    assert.equal(index.totalSize, 100);
  });

  it('names the field of a malformed index', () => {
    assert.throws(
      () => parseSafetensorsIndex('i.json', { metadata: {} }),
      /i\.json: weight_map is missing or not an object/,
    );
    assert.throws(
      () => parseSafetensorsIndex('i.json', { weight_map: { a: 3 } }),
      /weight_map\["a"\] is not a file name/,
    );
    assert.throws(() => parseSafetensorsIndex('i.json', 'x'), /index is not a JSON object/);
  });
});

describe('ByteBudget', () => {
  it('lets at most the capacity through at once, and an oversized holder alone', async () => {
    const budget = new ByteBudget(100);
    const holding = new Set<number>();
    const seen: number[][] = [];
    const hold = async (bytes: number) => {
      await budget.acquire(bytes);
      holding.add(bytes);
      seen.push([...holding]);
      await new Promise((r) => setTimeout(r, 5));
      holding.delete(bytes);
      budget.release(bytes);
    };
    await Promise.all([hold(60), hold(61), hold(30), hold(250), hold(10)]);
    for (const set of seen) {
      const sum = set.reduce((a, b) => a + b, 0);
      assert.ok(sum <= 100 || set.length === 1, `held together: ${set.join(', ')}`);
    }
    assert.equal(holding.size, 0);
  });
});
