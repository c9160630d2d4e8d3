// Sequential HTTP requests, one new TCP connection each (as a short-lived client
// of an exposed service would make); prints p50/p99 in milliseconds as JSON.
import http from 'node:http'

const [url, countArg] = process.argv.slice(2)
const count = Number(countArg ?? 300)
const agent = new http.Agent({keepAlive: false})
const once = () =>
  new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    http
      .get(url, {agent}, (res) => {
        res.resume()
        res.on('end', () => resolve(Number(process.hrtime.bigint() - started) / 1e6))
      })
      .on('error', reject)
  })
for (let i = 0; i < 20; i++) await once()
const samples = []
for (let i = 0; i < count; i++) samples.push(await once())
samples.sort((a, b) => a - b)
const pick = (q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]
process.stdout.write(JSON.stringify({p50: pick(0.5), p99: pick(0.99), n: samples.length}) + '\n')
