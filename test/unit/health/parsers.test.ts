import {strict as assert} from 'node:assert'
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {backendHealth, parseHaproxyStats, tunnelHealth, UNCHECKED} from '../../../src/health/haproxy-stats.js'
import {parseOpenVpnStatus} from '../../../src/health/openvpn-status.js'

// Captured from the data-plane suite's real openvpn and haproxy (SVCGW_CAPTURE_FIXTURES=1).
const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../fixtures/${name}`, import.meta.url)), 'utf8')

describe('OpenVPN status parser (captured output)', () => {
  for (const proto of ['tcp', 'udp']) {
    it(`reads every connected client over ${proto}`, () => {
      const status = parseOpenVpnStatus(fixture(`openvpn-status-${proto}.txt`))
      const sessions = status.clients.map((c) => [c.commonName, c.tunnelIP]).sort()
      assert.deepEqual(sessions, [
        ['c1', '10.8.0.10'],
        ['c2', '10.8.0.11'],
      ])
      for (const c of status.clients) {
        assert.match(c.realAddress, /^10\.99\.0\.1[12]:\d+$/)
        assert.ok(c.bytesReceived > 0 && c.bytesSent > 0)
        assert.ok(!Number.isNaN(Date.parse(c.connectedSince)))
      }
      assert.ok(status.updatedAt && !Number.isNaN(Date.parse(status.updatedAt)))
    })
  }

  it('reads the tab-separated status-version 3 form too', () => {
    const v3 = fixture('openvpn-status-tcp.txt').replaceAll(',', '\t')
    assert.equal(parseOpenVpnStatus(v3).clients.length, 2)
  })

  it('returns no clients for a status without any', () => {
    const text = fixture('openvpn-status-tcp.txt')
      .split('\n')
      .filter((l) => !l.startsWith('CLIENT_LIST'))
      .join('\n')
    assert.deepEqual(parseOpenVpnStatus(text).clients, [])
  })
})

describe('HAProxy stats parser (captured output)', () => {
  const csv0 = fixture('haproxy-stats-tcp.csv').split('\n').find((l) => l.startsWith('# '))!
  it('reads every row with its status and counters', () => {
    const rows = parseHaproxyStats(fixture('haproxy-stats-tcp.csv'))
    const web = rows.find((r) => r.pxname === 'be-web' && r.svname === 'c1')
    assert.equal(web?.status, 'UP')
    assert.equal(typeof web?.stot, 'number')
    // The server checks each client's health port over HTTP: L7OK while its provider Service answers.
    assert.equal(web?.checkStatus, 'L7OK')
  })

  it('summarises backends per exposed service and client', () => {
    const health = backendHealth(parseHaproxyStats(fixture('haproxy-stats-tcp.csv')))
    assert.deepEqual(health.web, {c1: 'UP', c2: 'UP'})
    assert.deepEqual(health.api, {c1: 'UP'})
    assert.equal(health.stats, undefined, 'the stats frontend is not a service')
    assert.deepEqual(Object.keys(health).sort(), ['api', 'echo', 'late', 'web'], 'frontends (fe-NAME) are not counted as services')
  })

  it('reads a server not checked yet (INI, as HAProxy documents it) as unchecked, not UP: a server starts UP until its first check', () => {
    // The captured rows with c2's check status replaced by the value HAProxy gives before a first check.
    const csv = fixture('haproxy-stats-tcp.csv')
      .split('\n')
      .map((line) => {
        if (!/^be-web,c[12],/.test(line)) return line
        const header = csv0.slice(2).split(',')
        const cells = line.split(',')
        if (cells[1] === 'c2') cells[header.indexOf('check_status')] = 'INI'
        // The same rows as the check-only tunnels backend's (that capture predates it).
        return `${cells.join(',')}\n${['tunnels', ...cells.slice(1)].join(',')}`
      })
      .join('\n')
    const rows = parseHaproxyStats(csv)
    assert.deepEqual(backendHealth(rows).web, {c1: 'UP', c2: UNCHECKED})
    assert.equal(tunnelHealth(rows).c2.up, null)
    assert.equal(tunnelHealth(rows).c1.up, true)
  })

  it('finds a frontend and a backend of its own per service (HAProxy 3.3+ refuses a shared name)', () => {
    const rows = parseHaproxyStats(fixture('haproxy-stats-tcp.csv'))
    assert.ok(rows.some((r) => r.pxname === 'fe-web' && r.svname === 'FRONTEND'))
    assert.ok(rows.some((r) => r.pxname === 'be-web' && r.svname === 'BACKEND'))
    assert.ok(!rows.some((r) => r.pxname.startsWith('svc-')))
  })

  for (const proto of ['tcp', 'udp']) {
    it(`shows a stopped client as DOWN (${proto}, \`show stat\` on the admin socket)`, () => {
      const rows = parseHaproxyStats(fixture(`haproxy-stats-${proto}-c2-down.csv`))
      assert.deepEqual(backendHealth(rows).web, {c1: 'UP', c2: 'DOWN'})
      const c2 = rows.find((r) => r.pxname === 'be-web' && r.svname === 'c2')!
      assert.match(c2.checkStatus ?? '', /^L4(CON|TOUT)$/)
      assert.ok((c2.lastchg ?? -1) >= 0)
    })

    it(`reads \`show stat\` from the admin socket as it reads the HTTP CSV (${proto})`, () => {
      const socket = parseHaproxyStats(fixture(`haproxy-show-stat-${proto}.csv`))
      const http = parseHaproxyStats(fixture(`haproxy-stats-${proto}.csv`))
      const key = (r: {pxname: string; svname: string; status: string}) => `${r.pxname}/${r.svname}/${r.status}`
      assert.deepEqual(socket.map(key), http.map(key))
      // Captured at the end of the run, after the expose test added echo (c1 only) and late (every client).
      assert.deepEqual(backendHealth(socket), {web: {c1: 'UP', c2: 'UP'}, api: {c1: 'UP'}, echo: {c1: 'UP'}, late: {c1: 'UP', c2: 'UP'}})
    })
  }

  it('returns nothing for text without a header', () => {
    assert.deepEqual(parseHaproxyStats('no stats here\n'), [])
  })
})
