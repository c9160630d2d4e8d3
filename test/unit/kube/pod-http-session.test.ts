import {strict as assert} from 'node:assert'

import {parseKeptAlive} from '../../../src/kube/pod-http-session.js'

describe('answers read off a kept-alive port-forward', () => {
  const answer = (head: string, body = '') => Buffer.from(`${head}\r\n\r\n${body}`, 'latin1')

  it('waits for the whole body its Content-Length announces, and stops there', () => {
    assert.equal(parseKeptAlive(answer('HTTP/1.1 200 OK\r\ncontent-length: 16', '54486e0d')), undefined)
    assert.deepEqual(parseKeptAlive(answer('HTTP/1.1 200 OK\r\ncontent-length: 16', '54486e0d47273136')), {status: 200, body: '54486e0d47273136', close: false})
  })

  it('says when the proxy closes the connection after this answer (an old worker after a reload)', () => {
    assert.equal(parseKeptAlive(answer('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close', 'ok'))?.close, true)
  })

  it('marks an answer without a length as unframed, and a head that is not HTTP as status 0', () => {
    assert.equal(parseKeptAlive(answer('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked'))?.unframed, true)
    assert.equal(parseKeptAlive(answer('SSH-2.0-OpenSSH'))?.status, 0)
    assert.equal(parseKeptAlive(Buffer.from('HTTP/1.1 200 OK\r\n')), undefined)
  })
})
