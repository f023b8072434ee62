import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  namedBits,
  objectIdentifier,
  readChildren,
  readElement,
  sequence,
  setOf,
  smallInteger,
  time,
  tlv,
  unsignedInteger,
} from './der.ts';

const hex = (b: Buffer) => b.toString('hex');

describe('DER', () => {
  it('encodes short and long lengths', () => {
    assert.equal(hex(tlv(0x04, Buffer.alloc(3))), '0403000000');
    assert.equal(hex(tlv(0x04, Buffer.alloc(200)).subarray(0, 3)), '0481c8');
    assert.equal(hex(tlv(0x04, Buffer.alloc(300)).subarray(0, 4)), '0482012c');
  });

  it('encodes integers minimally and positive', () => {
    assert.equal(hex(smallInteger(0)), '020100');
    assert.equal(hex(smallInteger(2)), '020102');
    assert.equal(hex(smallInteger(128)), '02020080');
    assert.equal(hex(unsignedInteger(Buffer.from('0000ff', 'hex'))), '020200ff');
    assert.equal(hex(unsignedInteger(Buffer.from('7f01', 'hex'))), '02027f01');
  });

  it('encodes object identifiers', () => {
    // ecdsa-with-SHA256 and id-kp-serverAuth, as OpenSSL encodes them.
    assert.equal(hex(objectIdentifier('1.2.840.10045.4.3.2')), '06082a8648ce3d040302');
    assert.equal(hex(objectIdentifier('1.3.6.1.5.5.7.3.1')), '06082b06010505070301');
    assert.equal(hex(objectIdentifier('2.5.29.19')), '0603551d13');
  });

  it('drops trailing zero bits of named bit strings', () => {
    assert.equal(hex(namedBits([0])), '03020780'); // digitalSignature
    assert.equal(hex(namedBits([5, 6])), '03020106'); // keyCertSign, cRLSign
    assert.equal(hex(namedBits([0, 8])), '0303078080');
  });

  it('writes UTCTime until 2049 and GeneralizedTime after', () => {
    assert.equal(time(new Date('2049-12-31T23:59:59.900Z')).toString('latin1', 2), '491231235959Z');
    assert.equal(time(new Date('2050-01-01T00:00:00Z')).toString('latin1', 2), '20500101000000Z');
    assert.equal(time(new Date('2050-01-01T00:00:00Z'))[0], 0x18);
  });

  it('sorts SET OF elements by encoding', () => {
    assert.equal(
      hex(setOf(Buffer.from('0402', 'hex'), Buffer.from('0401', 'hex'))),
      '310404010402',
    );
  });

  it('reads back what it writes', () => {
    const der = sequence(smallInteger(5), tlv(0x04, Buffer.alloc(300, 1)));
    const outer = readElement(der);
    assert.equal(outer.tag, 0x30);
    assert.equal(outer.end, der.length);
    const [int, octets] = readChildren(outer.content);
    assert.equal(int?.content[0], 5);
    assert.equal(octets?.content.length, 300);
    assert.throws(() => readElement(der.subarray(0, 10)), /truncated/);
  });
});
