import {strict as assert} from 'node:assert'
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {DEFAULT_IMAGES, GATEWAY_DIGEST, GATEWAY_IMAGE, PLUGIN_VERSION} from '../../../src/dataplane/images.js'

const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as {version: string}

describe('gateway image', () => {
  it("is tagged with the plugin's version (package.json)", () => {
    assert.equal(PLUGIN_VERSION, pkg.version, 'bump PLUGIN_VERSION in src/dataplane/images.ts with package.json')
    assert.ok(GATEWAY_IMAGE.startsWith(`ghcr.io/kubectl-svcgw/gateway:${pkg.version}`))
  })

  it('runs both containers by default', () => {
    assert.equal(DEFAULT_IMAGES.openvpn, GATEWAY_IMAGE)
    assert.equal(DEFAULT_IMAGES.haproxy, GATEWAY_IMAGE)
  })

  it('is pinned by a sha256 digest when one is set (at release)', () => {
    if (GATEWAY_DIGEST) {
      assert.match(GATEWAY_DIGEST, /^sha256:[0-9a-f]{64}$/)
      assert.equal(GATEWAY_IMAGE, `ghcr.io/kubectl-svcgw/gateway:${pkg.version}@${GATEWAY_DIGEST}`)
    } else {
      assert.equal(GATEWAY_IMAGE, `ghcr.io/kubectl-svcgw/gateway:${pkg.version}`)
    }
  })
})
